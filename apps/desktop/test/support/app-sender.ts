import { APP_URL, type IpcSender } from '../../src/core/window-policy.ts';

/** The app's own top-level page, as `event.senderFrame` describes it under Electron. */
export const APP_SENDER: IpcSender = { url: APP_URL, mainFrame: true };
