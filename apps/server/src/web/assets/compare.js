// The /compare dashboard (GET /compare): the three modes side by side in any browser, each in its
// own panel, one shared timeline. Each mode's credential stays where its lesson says it belongs:
// compare-session.js, compare-jwt.js, compare-oidc.js.
import { jwtMode } from './compare-jwt.js';
import { oidcMode } from './compare-oidc.js';
import { PanelView, signedOutState, Timeline } from './compare-panel.js';
import { drawSequence, ensureRecording } from './compare-sequence.js';
import { sessionMode } from './compare-session.js';

const root = document.getElementById('compare');
const timeline = new Timeline(document.getElementById('timeline'));
const settings = {
  issuer: root.dataset.issuer,
  clientId: root.dataset.clientId,
  redirectUri: root.dataset.redirectUri,
};
const FACTORIES = { session: sessionMode, jwt: jwtMode, oidc: (panel) => oidcMode(panel, settings) };

const panels = [...root.querySelectorAll('.compare-panel')].map((element) => {
  const view = new PanelView(element);
  const panel = {
    view,
    state: signedOutState(),
    log: (text) => timeline.add(view.mode, text),
    render: () => view.draw(panel.state),
  };
  panel.actions = FACTORIES[view.mode](panel);
  return panel;
});

async function act(panel, button, work) {
  panel.view.showError('');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await work();
  } catch (error) {
    panel.view.showError(`unexpected — ${error.message}`);
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    panel.render();
    document.dispatchEvent(new CustomEvent('authlab:traffic', { detail: { mode: panel.view.mode } }));
  }
}

const ACTIONS = {
  'sign-in': (a) => a.signIn(),
  'call-api': (a) => a.callApi(),
  refresh: (a) => a.refresh(),
  'sign-out': (a) => a.signOut(),
  'sign-out-everywhere': (a) => a.signOutEverywhere(),
};

for (const panel of panels) {
  const { root: element } = panel.view;
  element.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    const action = button && ACTIONS[button.dataset.action];
    if (action) act(panel, button, () => action(panel.actions));
  });
  const form = element.querySelector('form[data-role="sign-in"]');
  form?.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const data = new FormData(form);
    const credentials = { email: String(data.get('email')).trim(), password: String(data.get('password')) };
    act(panel, form.querySelector('button[type="submit"]'), async () => {
      await panel.actions.signIn(credentials);
      // The password leaves the page's memory as soon as it is sent; the email stays for a retry.
      form.elements.password.value = '';
    });
  });
}

setInterval(() => {
  for (const panel of panels) panel.view.tick(panel.state);
}, 1000);

// Any panel's action may show in another's diagram (signing out everywhere ends all three): redraw all.
document.addEventListener('authlab:traffic', () => {
  for (const panel of panels) drawSequence(panel.view.root);
});

// Recording first, so the restoring requests below are on the wire drawing too.
await ensureRecording();
for (const panel of panels) {
  panel.render();
  panel.actions
    .restore()
    .catch((error) => panel.view.showError(`unexpected — ${error.message}`))
    .finally(() => {
      panel.render();
      document.dispatchEvent(new CustomEvent('authlab:traffic', { detail: { mode: panel.view.mode } }));
    });
}
