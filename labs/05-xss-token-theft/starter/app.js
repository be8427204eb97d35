// The board's script, loaded by the page as an ES module from /app.js.
const $ = (selector) => document.querySelector(selector);

// WEAKNESS: the access token goes to localStorage. Every script that runs on this origin, an
// injected one too, can read it and send it away, and it stays there after the tab is closed.
const saveToken = (token) => localStorage.setItem('access_token', token);
const savedToken = () => localStorage.getItem('access_token');

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
  // WEAKNESS: innerHTML parses every comment as HTML, so a comment can bring markup and script.
  $('#comments').innerHTML = comments.map((c) => `<li>${c.author}: ${c.text}</li>`).join('');
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

// Signed in on an earlier visit: the token is still in localStorage.
if (savedToken()) showBoard();
