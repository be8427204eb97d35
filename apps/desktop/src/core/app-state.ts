import type { Recording } from '@authlab/sequence';
import type {
  AppSnapshot,
  Mode,
  PanelSnapshot,
  PlainError,
  StorageSnapshot,
  TimelineEntry,
  TimelineKind,
} from './api.ts';

const TIMELINE_LIMIT = 200;

function emptyPanel(mode: Mode, storage: string): PanelSnapshot {
  return {
    mode,
    status: 'signed-out',
    busy: null,
    user: null,
    expiresAt: null,
    validFrom: null,
    expiresWhat: mode === 'session' ? 'Session expires (if idle) in' : 'Access token expires in',
    claims: null,
    claimsSource: '',
    refreshCount: 0,
    lastRefreshAt: null,
    storage,
    lastCall: null,
    error: null,
  };
}

/**
 * Everything the window shows, kept in the main process: one snapshot per panel, the storage
 * policy's verdict and the timeline of auth events. Listeners get a fresh copy after changes
 * (coalesced: many updates in one tick send one snapshot).
 */
export class AppState {
  readonly #clock: () => number;
  readonly #server: string;
  readonly #issuer: string;
  readonly #panels: Record<Mode, PanelSnapshot>;
  #storage: StorageSnapshot;
  #timeline: TimelineEntry[] = [];
  readonly #wire: Recording;
  #nextId = 1;
  #version = 0;
  readonly #listeners = new Set<(snapshot: AppSnapshot) => void>();
  #scheduled = false;

  constructor(options: {
    clock: () => number;
    server: string;
    issuer: string;
    storage: StorageSnapshot;
    storageOf: Record<Mode, string>;
    /** What the panels' requests exchanged (desktop-core records them). */
    wire: Recording;
  }) {
    this.#wire = options.wire;
    this.#clock = options.clock;
    this.#server = options.server;
    this.#issuer = options.issuer;
    this.#storage = options.storage;
    this.#panels = {
      oidc: emptyPanel('oidc', options.storageOf.oidc),
      jwt: emptyPanel('jwt', options.storageOf.jwt),
      session: emptyPanel('session', options.storageOf.session),
    };
  }

  panel(mode: Mode): Readonly<PanelSnapshot> {
    return this.#panels[mode];
  }

  update(mode: Mode, patch: Partial<PanelSnapshot>): void {
    this.#panels[mode] = { ...this.#panels[mode], ...patch };
    this.#changed();
  }

  /** Back to "not signed in", keeping the refresh statistics' reset and the given error. */
  signedOut(mode: Mode, error: PlainError | null): void {
    const { storage } = this.#panels[mode];
    this.#panels[mode] = { ...emptyPanel(mode, storage), error };
    this.#changed();
  }

  setStorage(storage: StorageSnapshot): void {
    this.#storage = storage;
    this.#changed();
  }

  log(mode: Mode | 'app', kind: TimelineKind, text: string): void {
    this.#timeline.unshift({ id: this.#nextId++, at: this.#clock(), mode, kind, text });
    this.#timeline.length = Math.min(this.#timeline.length, TIMELINE_LIMIT);
    this.#changed();
  }

  now(): number {
    return this.#clock();
  }

  snapshot(): AppSnapshot {
    return structuredClone({
      version: this.#version,
      server: this.#server,
      issuer: this.#issuer,
      storage: this.#storage,
      panels: this.#panels,
      timeline: this.#timeline,
      wire: {
        oidc: this.#wire.messages('oidc'),
        jwt: this.#wire.messages('jwt'),
        session: this.#wire.messages('session'),
      },
    });
  }

  subscribe(listener: (snapshot: AppSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    this.#version++;
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const snapshot = this.snapshot();
      for (const listener of this.#listeners) listener(snapshot);
    });
  }
}
