// The "me" page's only script. Every action works as a plain form except revoking another
// session, which is a DELETE and so needs fetch.

// Times arrive in UTC; show them in the reader's own time zone (the UTC value stays in the title).
const localTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
for (const time of document.querySelectorAll('time.local')) {
  const date = new Date(time.dateTime);
  if (Number.isNaN(date.getTime())) continue;
  time.title = time.textContent;
  time.textContent = localTime.format(date);
}

// Signed in: the email the sign-in page kept for a retry (login.js) is not needed any more.
try {
  sessionStorage.removeItem('authlab.login.email');
} catch {}

// The session's time left if this browser stays idle, counted on this browser's clock from the
// duration the server sent (the server's clock may differ from the reader's).
const timeLeft = document.getElementById('me-time-left');
if (timeLeft) {
  const endsAt = Date.now() + Number(timeLeft.dataset.expiresInMs);
  const format = (ms) => {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(seconds / 3600);
    const m = String(Math.floor((seconds % 3600) / 60)).padStart(h > 0 ? 2 : 1, '0');
    const s = String(seconds % 60).padStart(2, '0');
    return h > 0 ? `${h}:${m}:${s}` : `${m}:${s}`;
  };
  const tick = () => {
    const left = endsAt - Date.now();
    timeLeft.textContent = left > 0 ? format(left) : 'ended: reload to sign in again';
    timeLeft.classList.toggle('low', left < 60_000);
    if (left <= 0) clearInterval(ticker);
  };
  const ticker = setInterval(tick, 1000);
  tick();
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button.revoke');
  if (!button) return;
  button.disabled = true;
  const id = button.dataset.sessionId;
  let status = 0;
  try {
    const response = await fetch(`/session/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
    status = response.status;
  } catch {
    // offline or the server is down: offer a retry below
  }
  if (status === 204 || status === 404) {
    // 404: that session had already ended (expired, or signed out elsewhere); either way it is gone.
    const table = button.closest('.table-scroll');
    button.closest('tr').remove();
    // The button is gone with its row: keep keyboard focus nearby, and say what happened.
    table?.focus();
    document.getElementById('sessions-status').textContent = 'That session is signed out.';
  } else if (status === 401) {
    window.location.assign('/login');
  } else {
    button.disabled = false;
    button.textContent = 'Failed — retry';
  }
});
