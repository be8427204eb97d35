import { NativeAuthError } from '@authlab/native-client';
import type { PlainError } from './api.ts';

/** What each error code means to the person at the screen, and what they can do. */
const WORDS: Record<string, (detail: string) => Omit<PlainError, 'code'>> = {
  invalid_credentials: () => ({
    message: 'Wrong email or password.',
    action: 'Check both and try again.',
  }),
  too_many_attempts: (detail) => {
    const seconds = /retry in (\d+) s/.exec(detail)?.[1];
    return {
      message: 'Too many failed sign-in attempts for this account.',
      action: seconds
        ? `Wait ${Math.ceil(Number(seconds) / 60)} min, then try again.`
        : 'Wait a few minutes, then try again.',
    };
  },
  server_unavailable: () => ({
    message: 'Cannot reach the server.',
    action: 'Check that the server is running and the network is up. You stay signed in; the app tries again.',
  }),
  refresh_unavailable: () => ({
    message: 'Cannot reach the server to refresh the access token.',
    action: 'Nothing is lost: you stay signed in and the app tries again when the network returns.',
  }),
  discovery_failed: () => ({
    message: 'Cannot reach the sign-in server.',
    action: 'Check that the server is running, then click Sign in again.',
  }),
  not_a_provider: () => ({
    message: 'There is no sign-in server (OpenID Provider) at the configured issuer address.',
    action: 'Check the issuer setting (--issuer or AUTHLAB_ISSUER): it must match the provider exactly, path included.',
  }),
  invalid_grant: () => ({
    message: 'The server ended this sign-in: it was revoked, signed out elsewhere, or it expired.',
    action: 'Sign in again.',
  }),
  session_ended: () => ({
    message: 'The server ended this session (signed out elsewhere, or it expired).',
    action: 'Sign in again.',
  }),
  signed_out_offline: () => ({
    message: 'Signed out on this computer, but the server could not be reached to end the sign-in there.',
    action:
      'It ends by itself when it expires; to end it now, sign in and sign out everywhere once the server is back.',
  }),
  not_signed_in: () => ({ message: 'Not signed in.', action: 'Sign in first.' }),
  timeout: () => ({
    message: 'The browser sign-in took too long and was stopped.',
    action: 'Click Sign in again and finish in the browser within 5 minutes.',
  }),
  aborted: () => ({ message: 'Sign-in cancelled.', action: 'Click Sign in to start again.' }),
  superseded: () => ({
    message: 'A newer sign-in replaced this one.',
    action: 'Finish the newest one in the browser.',
  }),
  access_denied: () => ({
    message: 'Access was declined in the browser.',
    action: 'Click Sign in again and choose Allow on the consent page.',
  }),
  browser_failed: (detail) => ({
    message: 'Could not open your browser.',
    action: `Set a default browser, then try again. ${detail}`.trim(),
  }),
  storage_needs_consent: () => ({
    message: 'This computer has no key store to protect a sign-in (Linux "basic_text"), so nothing was signed in.',
    action:
      'Install and unlock GNOME Keyring or KWallet and restart the app, or accept the storage warning at the top to continue with weak protection.',
  }),
  storage_unavailable: () => ({
    message: 'Encryption is not available on this computer, so the app will not keep a sign-in.',
    action: 'Unlock or install your key store (Keychain, GNOME Keyring, KWallet) and restart the app.',
  }),
  forbidden_sender: () => ({
    message: 'Refused: the request did not come from the app’s own window.',
    action: 'Nothing to do; this is the app protecting itself.',
  }),
  invalid_arguments: (detail) => ({
    message: `Refused: the request was malformed (${detail}).`,
    action: 'Check what was typed and try again.',
  }),
  unknown_channel: () => ({ message: 'Refused: unknown request.', action: 'Nothing to do.' }),
  external_url_refused: (detail) => ({
    message: `Refused to open a link outside the configured server: ${detail}`,
    action: 'Only the server and its sign-in pages are opened in the browser.',
  }),
  busy: () => ({ message: 'Still busy with the previous action.', action: 'Wait a moment and try again.' }),
};

/**
 * An error as a person reads it. NativeAuthError codes (from the server, the native client or
 * this app) map to fixed words; anything else keeps its message.
 *
 * @example
 * toPlainError(new NativeAuthError('invalid_credentials', 'bad password')).message; // 'Wrong email or password.'
 */
export function toPlainError(error: unknown): PlainError {
  const code = error instanceof NativeAuthError ? error.code : 'unexpected';
  const detail = error instanceof Error ? error.message : String(error);
  const words = WORDS[code];
  if (words) return { code, ...words(detail) };
  return {
    code,
    message: `Something went wrong: ${detail}`,
    action: 'Try again. If it keeps failing, the server’s log says more.',
  };
}

/** A refusal of the IPC layer, with the detail the words need. */
export function refusal(code: string, detail = ''): PlainError {
  const words = WORDS[code];
  return words ? { code, ...words(detail) } : { code, message: detail, action: '' };
}
