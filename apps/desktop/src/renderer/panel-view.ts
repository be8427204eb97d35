import type { AppSnapshot, AuthlabApi, Mode, PanelSnapshot, Result } from '../core/api.ts';
import { formatClaims, formatClock, formatTimeLeft } from './format.ts';

const TITLES: Record<Mode, { name: string; how: string; subtitle: string }> = {
  oidc: { name: 'OIDC', how: 'system browser', subtitle: 'Code + PKCE in your browser; rotating refresh token' },
  jwt: {
    name: 'JWT',
    how: 'first-party sign-in',
    subtitle: 'Password form here; short access token, rotating refresh token',
  },
  session: {
    name: 'Session',
    how: 'cookie kept in the app',
    subtitle: 'State on the server; an opaque cookie held by the main process',
  },
};

const STATUS_WORDS: Record<PanelSnapshot['status'], string> = {
  'signed-out': 'Signed out',
  'signing-in': 'Signing in',
  'signed-in': 'Signed in',
};

/** One mode's panel: built from the page's template, redrawn from each snapshot. */
export class PanelView {
  readonly mode: Mode;
  readonly root: HTMLElement;
  readonly #api: AuthlabApi;
  readonly #settle: (result: Result<AppSnapshot>) => void;
  #snapshot: PanelSnapshot | null = null;

  /** `settle` draws what an action resolved with (its snapshot, or a refusal). */
  constructor(
    mode: Mode,
    template: HTMLTemplateElement,
    api: AuthlabApi,
    settle: (result: Result<AppSnapshot>) => void,
  ) {
    this.mode = mode;
    this.#api = api;
    this.#settle = settle;
    const fragment = template.content.cloneNode(true) as DocumentFragment;
    this.root = fragment.querySelector('.panel') as HTMLElement;
    this.root.dataset.mode = mode;
    this.root.id = `panel-${mode}`;
    const title = this.#field('title');
    title.id = `title-${mode}`;
    const how = document.createElement('span');
    how.className = 'how';
    how.textContent = TITLES[mode].how;
    title.replaceChildren(`${TITLES[mode].name} `, how);
    this.root.setAttribute('aria-labelledby', title.id);
    this.#field('subtitle').textContent = TITLES[mode].subtitle;
    this.#wire();
  }

  render(panel: PanelSnapshot): void {
    this.#snapshot = panel;
    const signedIn = panel.status === 'signed-in';
    const badge = this.#field('status');
    badge.textContent = STATUS_WORDS[panel.status];
    badge.dataset.status = panel.status;
    this.root.setAttribute('aria-busy', String(panel.busy !== null));

    this.#field('who').textContent = panel.busy
      ? panel.busy
      : panel.user
        ? `Signed in as ${panel.user.email} (${panel.user.role})`
        : signedIn
          ? 'Signed in'
          : 'Not signed in';

    const error = this.#field('error');
    error.hidden = panel.error === null;
    this.#field('error-message').textContent = panel.error?.message ?? '';
    this.#field('error-action').textContent = panel.error?.action ?? '';

    const form = this.#role('password-form');
    const browser = this.#role('browser-sign-in');
    form.hidden = this.mode === 'oidc' || signedIn;
    browser.hidden = this.mode !== 'oidc' || signedIn;
    this.#action('browser-sign-in').disabled = panel.status === 'signing-in';
    this.#action('cancel').hidden = panel.status !== 'signing-in';
    for (const element of form.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button')) {
      element.disabled = panel.busy !== null;
    }

    this.#field('expires-what').textContent = panel.expiresWhat;
    this.#field('refresh-count').textContent = String(panel.refreshCount);
    this.#field('last-refresh').textContent = panel.lastRefreshAt ? formatClock(panel.lastRefreshAt) : 'never';
    this.#field('storage').textContent = panel.storage;

    for (const name of ['call-api', 'refresh', 'sign-out', 'sign-out-everywhere']) {
      this.#action(name).disabled = !signedIn || panel.busy !== null;
    }

    const result = this.#field('api-result');
    if (panel.lastCall) {
      const body = panel.lastCall.body as { email?: string; mode?: string } | null;
      const ok = panel.lastCall.status < 400;
      result.className = `api-result ${ok ? 'ok' : 'failed'}`;
      result.textContent = ok
        ? `${formatClock(panel.lastCall.at)} GET /api/me → ${panel.lastCall.status}: ${body?.email} via mode "${body?.mode}"`
        : `${formatClock(panel.lastCall.at)} GET /api/me → ${panel.lastCall.status}`;
    } else {
      result.className = 'api-result';
      result.textContent = '';
    }

    this.#field('claims-source').textContent = panel.claims ? `from ${panel.claimsSource}` : '';
    this.#field('claims').textContent = panel.claims ? formatClaims(panel.claims) : 'Sign in to see them.';
    this.tick(Date.now());
    this.#keepFocus(signedIn);
  }

  /** The countdown, redrawn every second between snapshots. */
  tick(now: number): void {
    const panel = this.#snapshot;
    const time = this.#field('time-left');
    const bar = this.#field('time-bar') as HTMLProgressElement;
    if (panel?.status !== 'signed-in' || panel.expiresAt === null) {
      time.textContent = '—';
      time.classList.remove('low');
      bar.value = 0;
      return;
    }
    const left = panel.expiresAt - now;
    const total = Math.max(1, panel.expiresAt - (panel.validFrom ?? now));
    const fraction = Math.min(1, Math.max(0, left / total));
    time.textContent = formatTimeLeft(left);
    time.classList.toggle('low', fraction < 0.2);
    bar.value = fraction;
  }

  #wire(): void {
    const run = async (call: () => Promise<Result<AppSnapshot>>) => this.#settle(await call());
    const form = this.#role('password-form') as HTMLFormElement;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (this.mode === 'oidc') return;
      const data = new FormData(form);
      const mode = this.mode;
      void run(async () => {
        const result = await this.#api.signInWithPassword({
          mode,
          email: String(data.get('email') ?? ''),
          password: String(data.get('password') ?? ''),
        });
        if (result.ok) form.reset();
        return result;
      });
    });
    this.#action('browser-sign-in').addEventListener('click', () => void run(() => this.#api.signInWithBrowser()));
    this.#action('cancel').addEventListener('click', () => void run(() => this.#api.cancelBrowserSignIn()));
    const mode = this.mode;
    this.#action('call-api').addEventListener('click', () => void run(() => this.#api.callApi({ mode })));
    this.#action('refresh').addEventListener('click', () => void run(() => this.#api.refresh({ mode })));
    this.#action('sign-out').addEventListener(
      'click',
      () => void run(() => this.#api.signOut({ mode, everywhere: false })),
    );
    this.#action('sign-out-everywhere').addEventListener(
      'click',
      () => void run(() => this.#api.signOut({ mode, everywhere: true })),
    );
  }

  /** A control that just vanished or was disabled loses focus: hand it to this panel's next step. */
  #keepFocus(signedIn: boolean): void {
    const active = document.activeElement as HTMLElement | null;
    if (!active || !this.root.contains(active)) return;
    const gone = active.closest('[hidden]') !== null || (active as HTMLButtonElement).disabled === true;
    if (!gone) return;
    const next = signedIn
      ? this.#action('call-api')
      : this.mode === 'oidc'
        ? this.#action('browser-sign-in')
        : this.#role('password-form').querySelector<HTMLInputElement>('input[name="email"]');
    if (next && !(next as HTMLButtonElement).disabled) next.focus();
  }

  #field(name: string): HTMLElement {
    return this.root.querySelector(`[data-field="${name}"]`) as HTMLElement;
  }

  #role(name: string): HTMLElement {
    return this.root.querySelector(`[data-role="${name}"]`) as HTMLElement;
  }

  #action(name: string): HTMLButtonElement {
    return this.root.querySelector(`[data-action="${name}"]`) as HTMLButtonElement;
  }
}
