// The session sign-in page's only script: after a failed sign-in the form comes back empty (the
// POST answered with a redirect to /login?error=…), so the email typed last is put back. It is
// kept in sessionStorage (this tab only, gone when it closes), never in the URL; the password is
// never kept anywhere.

const KEY = 'authlab.login.email';
const form = document.querySelector('form[action="/session/login"]');
const email = document.getElementById('email');

let typed = null;
try {
  typed = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
} catch {
  // storage disabled: the form works, it just starts empty
}

if (form && email) {
  if (typed && document.getElementById('login-error') && !email.value) {
    email.value = typed;
    document.getElementById('password')?.focus();
  }
  form.addEventListener('submit', () => {
    try {
      sessionStorage.setItem(KEY, email.value.trim());
    } catch {}
  });
}
