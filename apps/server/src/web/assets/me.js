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
