/**
 * The preload script: the only bridge between the window and the main process. It exposes a
 * fixed set of functions as `window.authlab` (contextBridge, so the page never touches
 * `ipcRenderer` itself) and nothing else.
 */
import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import { type AppSnapshot, type AuthlabApi, CHANNELS, STATE_EVENT } from '../core/api.ts';

const api: AuthlabApi = {
  getState: () => ipcRenderer.invoke(CHANNELS.getState),
  acceptWeakStorage: (request) => ipcRenderer.invoke(CHANNELS.acceptWeakStorage, request),
  signInWithBrowser: () => ipcRenderer.invoke(CHANNELS.signInWithBrowser),
  cancelBrowserSignIn: () => ipcRenderer.invoke(CHANNELS.cancelBrowserSignIn),
  signInWithPassword: (request) => ipcRenderer.invoke(CHANNELS.signInWithPassword, request),
  callApi: (request) => ipcRenderer.invoke(CHANNELS.callApi, request),
  refresh: (request) => ipcRenderer.invoke(CHANNELS.refresh, request),
  signOut: (request) => ipcRenderer.invoke(CHANNELS.signOut, request),
  onState: (listener) => {
    // The event object (with its `sender`) stays here: the page gets the snapshot only.
    const forward = (_event: IpcRendererEvent, snapshot: AppSnapshot) => listener(snapshot);
    ipcRenderer.on(STATE_EVENT, forward);
    return () => {
      ipcRenderer.off(STATE_EVENT, forward);
    };
  },
};

contextBridge.exposeInMainWorld('authlab', api);
