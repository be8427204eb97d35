/**
 * The window: an ordinary web page with no Node and no network access of its own. Everything
 * goes through `window.authlab` (the preload's API); the main process pushes a snapshot of the
 * whole state after every change, and the page draws it.
 */
import { type AppSnapshot, type AuthlabApi, MODES, type Mode, type Result, type TimelineEntry } from '../core/api.ts';
import { formatClock } from './format.ts';
import { PanelView } from './panel-view.ts';
import { WireView } from './wire-view.ts';

declare global {
  interface Window {
    authlab: AuthlabApi;
  }
}

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const KIND_WORDS: Record<TimelineEntry['kind'], string> = {
  'sign-in': 'sign-in',
  restored: 'restored',
  'silent-refresh': 'silent refresh',
  refresh: 'refresh',
  '401-retry': '401 → retry',
  'refresh-failed': 'refresh failed',
  revoked: 'revoked',
  'sign-out': 'sign-out',
  'sign-out-everywhere': 'everywhere',
  'api-call': 'API call',
  'life-event': 'life event',
  storage: 'storage',
  error: 'error',
};

function start(api: AuthlabApi): void {
  let shown = -1;
  const appError = byId('app-error');
  const showRefusal = (result: Result<AppSnapshot>) => {
    if (result.ok) return;
    // Panel errors are drawn in their panel; this line is for refusals with no panel.
    if (['forbidden_sender', 'invalid_arguments', 'unknown_channel'].includes(result.error.code)) {
      appError.hidden = false;
      appError.textContent = `${result.error.message} ${result.error.action}`;
    }
  };

  const template = byId<HTMLTemplateElement>('panel-template');
  const panels = byId('panels');
  const views = new Map<Mode, PanelView>();
  for (const mode of MODES) {
    const view = new PanelView(mode, template, api, (result) => settle(result));
    views.set(mode, view);
    panels.append(view.root);
  }

  const wireView = new WireView(document);
  const drawTimeline = (entries: TimelineEntry[]) => {
    const list = byId('timeline');
    byId('timeline-empty').hidden = entries.length > 0;
    const items = entries.slice(0, 60).map((entry) => {
      const item = document.createElement('li');
      item.dataset.kind = entry.kind;
      const time = document.createElement('time');
      time.dateTime = new Date(entry.at).toISOString();
      time.textContent = formatClock(entry.at);
      const mode = document.createElement('span');
      mode.className = 'mode';
      mode.dataset.mode = entry.mode;
      mode.textContent = entry.mode;
      const kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = KIND_WORDS[entry.kind];
      const text = document.createElement('span');
      text.textContent = entry.text;
      item.append(time, mode, kind, text);
      return item;
    });
    list.replaceChildren(...items);
  };

  const draw = (snapshot: AppSnapshot) => {
    if (snapshot.version < shown) return;
    shown = snapshot.version;
    // A link to the server opens in the system browser (the main process's window-open handler).
    const link = document.createElement('a');
    link.href = snapshot.server;
    link.target = '_blank';
    link.rel = 'noreferrer';
    link.textContent = snapshot.server;
    byId('server').replaceChildren(link);
    byId('storage-backend').textContent = snapshot.storage.backend;
    const banner = byId('storage-banner');
    banner.hidden = snapshot.storage.status !== 'needs-consent' && snapshot.storage.status !== 'unavailable';
    byId('storage-message').textContent = snapshot.storage.message;
    byId('accept-weak-storage').hidden = snapshot.storage.status !== 'needs-consent';
    const note = byId('storage-note');
    note.hidden = !banner.hidden;
    note.textContent = `${snapshot.storage.message} File: ${snapshot.storage.file}`;
    note.classList.toggle('weak', snapshot.storage.status === 'accepted-weak');
    for (const mode of MODES) views.get(mode)?.render(snapshot.panels[mode]);
    drawTimeline(snapshot.timeline);
    wireView.draw(snapshot.wire);
  };

  const settle = (result: Result<AppSnapshot>) => {
    if (result.ok) draw(result.value);
    else showRefusal(result);
  };

  byId('accept-weak-storage').addEventListener('click', async () =>
    settle(await api.acceptWeakStorage({ accept: true })),
  );

  api.onState(draw);
  setInterval(() => {
    const now = Date.now();
    for (const view of views.values()) view.tick(now);
  }, 250);
  void api.getState().then(settle);
}

if (typeof window.authlab === 'object' && window.authlab !== null) {
  start(window.authlab);
} else {
  const message = byId('app-error');
  message.hidden = false;
  message.textContent = 'This page runs inside the authlab desktop app: its bridge (window.authlab) is missing.';
}
