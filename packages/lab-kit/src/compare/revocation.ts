/**
 * Row 1: how long a stolen credential keeps working after "log out everywhere", for the access
 * credential and (JWT, OIDC) the refresh token, and whether a verifier holding only the public
 * keys would still accept the refused token.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  apiMe,
  jwksUrl,
  jwtParts,
  logoutEverywhere,
  type ModeCredential,
  signatureVerifiesWith,
  signIn,
  tryRefresh,
} from './http.ts';
import { type Account, fmtDuration, fmtMs, median, perMode, round1, type ScenarioContext } from './scenario.ts';
import type { Cell, Mode } from './types.ts';

interface PollOutcome {
  /** ms from the logout-all answer to the refusal's answer; null when it still worked at the cap. */
  refusedAfterMs: number | null;
  attempts: number;
  status: number;
}

async function pollUntilRefused(
  attempt: () => Promise<{ works: boolean; status: number }>,
  start: number,
  capMs: number,
  pauseMs: number,
): Promise<PollOutcome> {
  for (let attempts = 1; ; attempts++) {
    const { works, status } = await attempt();
    const elapsed = performance.now() - start;
    if (!works) return { refusedAfterMs: elapsed, attempts, status };
    if (elapsed >= capMs) return { refusedAfterMs: null, attempts, status };
    await sleep(pauseMs);
  }
}

const LOGOUT_ROUTE: Record<Mode, string> = {
  session: 'POST /session/logout-all',
  jwt: 'POST /jwt/logout-all',
  oidc: 'POST /api/logout-all',
};
const STOLEN: Record<Mode, string> = {
  session: 'the session cookie',
  jwt: 'the access token',
  oidc: 'the OIDC access token',
};

export function revocationRow(ctx: ScenarioContext): Promise<Record<Mode, Cell>> {
  const { params, main } = ctx;
  const account = ctx.accounts[0] as Account;
  const source = (mode: Mode) =>
    `HTTP against the real server: sign in as a ${mode} client, copy ${STOLEN[mode]}${mode === 'session' ? '' : ' and the refresh token (used once by the thief first)'}, ` +
    `${LOGOUT_ROUTE[mode]} from the legitimate client, then GET /api/me with the copy every ${params.revocationPollMs} ms until 401 ` +
    `(cap ${params.revocationCapMs / 1000} s); ${params.revocationRounds} round(s), median shown. Time runs from the 204 of logout-all to the refusing answer.${mode === 'session' ? '' : " Then the refused token's EdDSA signature is checked against the server's public JWKS, and its exp read, by the harness."}`;
  return perMode(source, async (mode) => {
    const access: PollOutcome[] = [];
    const refresh: PollOutcome[] = [];
    let lastStolen: ModeCredential | null = null;
    let refreshError = '';
    for (let round = 0; round < params.revocationRounds; round++) {
      const legit = await signIn(main.url, mode, account.email, account.password);
      const stolen = { ...legit };
      const before = await apiMe(main.url, stolen);
      if (before.status !== 200) throw new Error(`the copied credential did not work before logout: ${before.status}`);
      let stolenRefresh = legit.refreshToken;
      if (stolenRefresh) {
        const used = await tryRefresh(main.url, mode, stolenRefresh);
        if (!used.works || !used.next)
          throw new Error(`the copied refresh token did not work before logout: ${used.status}`);
        stolenRefresh = used.next;
      }
      const logout = await logoutEverywhere(main.url, legit);
      if (logout.status !== 204) throw new Error(`${LOGOUT_ROUTE[mode]} answered ${logout.status}: ${logout.text}`);
      const start = performance.now();
      const [accessOutcome, refreshOutcome] = await Promise.all([
        pollUntilRefused(
          async () => {
            const answer = await apiMe(main.url, stolen);
            return { works: answer.status === 200, status: answer.status };
          },
          start,
          params.revocationCapMs,
          params.revocationPollMs,
        ),
        stolenRefresh
          ? pollUntilRefused(
              async () => {
                const used = await tryRefresh(main.url, mode, stolenRefresh as string);
                if (used.works && used.next) stolenRefresh = used.next; // the thief keeps rotating
                if (!used.works) refreshError = used.error;
                return used;
              },
              start,
              params.revocationCapMs,
              params.revocationPollMs,
            )
          : Promise.resolve(null),
      ]);
      access.push(accessOutcome);
      lastStolen = stolen;
      if (refreshOutcome) refresh.push(refreshOutcome);
    }
    const summarise = (outcomes: PollOutcome[]) => {
      const stillWorks = outcomes.some((o) => o.refusedAfterMs === null);
      const ms = stillWorks ? params.revocationCapMs : median(outcomes.map((o) => o.refusedAfterMs ?? 0));
      const worst = outcomes.reduce((x, y) => (y.attempts > x.attempts ? y : x));
      const tries = worst.attempts === 1 ? '1st try' : `${worst.attempts} tries`;
      return {
        stillWorks,
        ms,
        attempts: worst.attempts,
        status: worst.status,
        shown: stillWorks ? `still works after ${params.revocationCapMs / 1000} s` : `${fmtMs(ms)} (${tries})`,
      };
    };
    const a = summarise(access);
    // Refused by the server — but is the token itself still good? What a verifier holding only the
    // public keys (another service, a gateway) would decide, checked with the server's own JWKS.
    let jwksOnly: { valid: boolean; expiresInS: number } | null = null;
    if (mode !== 'session' && lastStolen) {
      const exp = Number(jwtParts(lastStolen.raw).claims.exp);
      jwksOnly = {
        valid: await signatureVerifiesWith(await jwksUrl(main.url, mode), lastStolen.raw),
        expiresInS: Math.round(exp - Date.now() / 1000),
      };
    }
    const r = refresh.length > 0 ? summarise(refresh) : null;
    return {
      value: round1(a.ms),
      unit: 'ms',
      display: [
        a.shown,
        r ? `refresh token: ${r.shown}` : 'no refresh token',
        ...(jwksOnly?.valid ? [`signature-only check: valid ${fmtDuration(jwksOnly.expiresInS * 1000)} more`] : []),
      ].join('\n'),
      detail:
        `After ${LOGOUT_ROUTE[mode]}, the stolen copy of ${STOLEN[mode]} ${a.stillWorks ? `still worked after ${params.revocationCapMs / 1000} s` : `was refused (${a.status}) after ${fmtMs(a.ms)}, on try ${a.attempts}`}.` +
        (r
          ? ` The stolen refresh token ${r.stillWorks ? `still worked after ${params.revocationCapMs / 1000} s` : `was refused (${r.status}${refreshError ? ` ${refreshError}` : ''}) after ${fmtMs(r.ms)}, on try ${r.attempts}`}.`
          : ' The mode has no refresh token.') +
        (jwksOnly
          ? ` The refused token's signature ${jwksOnly.valid ? 'still verifies' : 'no longer verifies'} with the server's public JWKS and its exp is ${jwksOnly.expiresInS} s away: ${jwksOnly.valid ? 'a verifier that checks only signature and claims would accept it until then; this server refuses it because it consults its store on every request' : 'even a signature-only verifier refuses it'}.`
          : ''),
      source: source(mode),
      facts: {
        rounds: params.revocationRounds,
        capMs: params.revocationCapMs,
        logoutRoute: LOGOUT_ROUTE[mode],
        accessStillWorks: a.stillWorks,
        accessRevokedMs: a.stillWorks ? null : round1(a.ms),
        accessAttempts: a.attempts,
        accessFinalStatus: a.status,
        refreshApplicable: r !== null,
        refreshStillWorks: r ? r.stillWorks : null,
        refreshRevokedMs: r && !r.stillWorks ? round1(r.ms) : null,
        refreshAttempts: r ? r.attempts : null,
        refreshFinalStatus: r ? r.status : null,
        refreshError: r ? refreshError : null,
        jwksOnlyValid: jwksOnly ? jwksOnly.valid : null,
        jwksOnlyExpiresInS: jwksOnly ? jwksOnly.expiresInS : null,
      },
    };
  });
}
