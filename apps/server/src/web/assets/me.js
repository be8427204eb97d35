// Revokes another session from the "me" page (DELETE needs a script; every other action is a form).
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button.revoke');
  if (!button) return;
  button.disabled = true;
  const id = button.dataset.sessionId;
  const response = await fetch(`/session/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
  if (response.status === 204) {
    button.closest('tr').remove();
  } else {
    button.disabled = false;
    button.textContent = 'Failed — retry';
  }
});
