// The board's script, loaded by the page as an ES module from /app.js.
const $ = (selector) => document.querySelector(selector);

// FIX: the access token lives only in this module's memory: no storage that another script can
// read holds it, and it is gone when the tab closes (OWASP HTML5 Security Cheat Sheet, "Local
// Storage"). A module's variables are not globals. A reload means signing in again; a real app
// gets a new token then from an HttpOnly refresh cookie.
let accessToken = null;
const saveToken = (token) => {
  accessToken = token;
};
const savedToken = () => accessToken;

async function api(path, body) {
  const response = await fetch(path, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${savedToken()}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

async function showBoard() {
  const [me, { comments }] = await Promise.all([api('/api/me'), api('/api/comments')]);
  $('#me').textContent = me.username;
  // FIX: textContent: a comment is shown as text and never parsed as HTML (ASVS 5.0 V3.2.2;
  // OWASP XSS Prevention Cheat Sheet, "Safe Sinks").
  const item = (c) => Object.assign(document.createElement('li'), { textContent: `${c.author}: ${c.text}` });
  $('#comments').replaceChildren(...comments.map(item));
  $('#signin').hidden = true;
  $('#board').hidden = false;
}

$('#signin').addEventListener('submit', async (event) => {
  event.preventDefault();
  const response = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(Object.fromEntries(new FormData(event.target))),
  });
  if (!response.ok) {
    $('#error').textContent = 'Wrong username or password';
    return;
  }
  saveToken((await response.json()).access_token);
  event.target.reset(); // the password does not stay in the page for a script to read
  await showBoard();
});

$('#comment').addEventListener('submit', async (event) => {
  event.preventDefault();
  await api('/api/comments', { text: new FormData(event.target).get('text') });
  event.target.reset();
  await showBoard();
});
