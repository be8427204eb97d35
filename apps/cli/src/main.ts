#!/usr/bin/env node
/**
 * `pnpm authlab <command>`: authlab in the terminal, on the native-client package.
 * Run `pnpm authlab --help` for the commands; exit codes are listed in USAGE.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  chooseVault,
  defaultAuthlabHome,
  NativeAuthError,
  type TokenManager,
  type Vault,
} from '@authlab/native-client';
import { CliExit, EXIT, exitCodeFor } from './exit-codes.ts';
import { readMe } from './identity.ts';
import { login } from './login.ts';
import { managerFor } from './manager.ts';
import { readSettings, type Settings } from './settings.ts';
import { checkedUrl, DEFAULT_CLIENT_ID, DEFAULT_SCOPE, type Target, targetOf } from './target.ts';

const USAGE = `usage: pnpm authlab <command> [options]

commands:
  login [--server URL] [--mode oidc|jwt] [--browser CMD] [--no-browser] [--device NAME]
        [--issuer URL] [--client-id ID] [--scope SCOPES] [--api URL] [--port N]
        oidc (default): sign in through your browser (PKCE, loopback redirect)
        jwt: email and password, asked here (the password is not echoed)
  whoami                         who the API says you are (GET <api>/api/me)
  call [METHOD] PATH [--data JSON]
                                 call the API and print its JSON answer (GET unless told)
  refresh                        get a new access token now
  status                         mode, server, vault, and the access token's time left
  logout [--everywhere]          sign out here (--everywhere: every session, token and grant)

options:
  --server URL     default: the server of the last login, else http://localhost:4000
  --browser CMD    run CMD (split into words, no shell) with the URL as its last argument
  --no-browser     print the sign-in URL instead of opening a browser
  --issuer URL     the OpenID Provider (default <server>/oidc), e.g. https://sso.example.edu/realms/x
  --client-id ID   its public client for this CLI (default ${DEFAULT_CLIENT_ID})
  --scope SCOPES   default "${DEFAULT_SCOPE}"; must include openid
  --api URL        where whoami and call send the token (default the server)
                   login remembers these four for the next commands
  --port N         listen for the browser's redirect on 127.0.0.1:N, not on a free port (for a
                   provider that compares loopback redirect URIs port included)

environment:
  AUTHLAB_HOME     settings and the file vault (default: your OS config dir)
  AUTHLAB_VAULT    keyring (default) | file (opt in: the token is then not protected by the OS)
  BROWSER          the browser command when --browser is not given

exit codes: 0 ok, 1 usage, 2 not signed in, 3 the API answered an error, 4 no answer (server or
            provider unreachable), 5 sign-in failed or was refused, 6 wrong address (no OpenID
            Provider at --issuer, no authlab API at --api)
`;

/** The options (besides `--server` and `--help`) and the most arguments each command takes. */
const COMMANDS: Record<string, { options: string[]; maxArgs: number }> = {
  login: {
    options: ['mode', 'browser', 'no-browser', 'device', 'issuer', 'client-id', 'scope', 'api', 'port'],
    maxArgs: 0,
  },
  whoami: { options: [], maxArgs: 0 },
  call: { options: ['data'], maxArgs: 2 },
  refresh: { options: [], maxArgs: 0 },
  status: { options: [], maxArgs: 0 },
  logout: { options: ['everywhere'], maxArgs: 0 },
};

/** What `call` can send: fetch refuses other methods (or CONNECT, TRACE) with a TypeError. */
const CALL_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const CALL_USAGE = 'call takes [METHOD] PATH, e.g. `call POST /api/notes --data \'{"text":"hi"}\'`';

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        mode: { type: 'string' },
        browser: { type: 'string' },
        'no-browser': { type: 'boolean' },
        device: { type: 'string' },
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        scope: { type: 'string' },
        api: { type: 'string' },
        port: { type: 'string' },
        data: { type: 'string' },
        everywhere: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CliExit(EXIT.usage, `${(error as Error).message}\n\n${USAGE}`);
  }
}

/** `whoami` without an authlab answer: a 5xx is no answer, a 404 or a page a wrong `--api`, else its error. */
function whoamiExit(status: number): number {
  if (status >= 500) return EXIT.unreachable;
  if (status === 404 || (status >= 200 && status < 300)) return EXIT.notFound;
  return EXIT.httpError;
}

/** `from` says where `raw` came from: `--server`, or the settings the last login stored. */
const serverUrl = (raw: string, from: string): string => checkedUrl(raw, from).origin;

/** The server of `--server`, else the one `login` stored in `settings.json` (checked the same way). */
function chooseServer(values: ReturnType<typeof parse>['values'], stored: Settings, home: string): string {
  return values.server !== undefined
    ? serverUrl(values.server, '--server')
    : serverUrl(stored.server, `the server stored in ${join(home, 'settings.json')}:`);
}

interface CallRequest {
  method: string;
  path: string;
  data: string | undefined;
}

/** `call`'s arguments, checked before anything is read or sent: a bad one is a usage error. */
function callRequest(args: string[], data: string | undefined): CallRequest {
  const [first, second] = args;
  const method = second === undefined ? (data !== undefined ? 'POST' : 'GET') : (first ?? 'GET').toUpperCase();
  const path = second ?? first;
  if (!path?.startsWith('/')) throw new CliExit(EXIT.usage, CALL_USAGE);
  if (!CALL_METHODS.has(method)) {
    throw new CliExit(EXIT.usage, `unknown method "${first}": ${[...CALL_METHODS].join(', ')}\n${CALL_USAGE}`);
  }
  if (data !== undefined) {
    if (method === 'GET' || method === 'HEAD') throw new CliExit(EXIT.usage, `--data cannot go with ${method}`);
    try {
      JSON.parse(data);
    } catch {
      throw new CliExit(EXIT.usage, '--data must be JSON');
    }
  }
  return { method, path, data };
}

async function openVault(home: string): Promise<Vault> {
  try {
    return await chooseVault({ env: process.env, home });
  } catch (error) {
    if (error instanceof NativeAuthError) throw new CliExit(EXIT.usage, error.message);
    throw error;
  }
}

const minutesLeft = (ms: number) => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
};

async function requireSignedIn(manager: TokenManager): Promise<void> {
  if (!(await manager.isSignedIn())) {
    throw new CliExit(EXIT.notSignedIn, 'not signed in: run `pnpm authlab login`');
  }
}

async function call(manager: TokenManager, target: Target, { method, path, data }: CallRequest) {
  const response = await manager.fetch(`${target.api}${path}`, {
    method,
    ...(data !== undefined ? { body: data, headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await response.text();
  let printed = text;
  try {
    printed = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON (204, a page): print as it came
  }
  if (printed) process.stdout.write(`${printed}\n`);
  if (!response.ok) throw new CliExit(EXIT.httpError, `${method} ${path} answered ${response.status}`);
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [command, ...args] = positionals;
  if (!command) throw new CliExit(EXIT.usage, `missing command\n\n${USAGE}`);
  const accepts = COMMANDS[command];
  if (!accepts) throw new CliExit(EXIT.usage, `unknown command "${command}"\n\n${USAGE}`);
  const misplaced = Object.keys(values).find((name) => name !== 'server' && !accepts.options.includes(name));
  if (misplaced) throw new CliExit(EXIT.usage, `${command} does not take --${misplaced}\n\n${USAGE}`);
  if (args.length > accepts.maxArgs) {
    throw new CliExit(EXIT.usage, `unexpected argument "${args[accepts.maxArgs]}" for ${command}\n\n${USAGE}`);
  }
  const request = command === 'call' ? callRequest(args, values.data) : undefined;

  const home = defaultAuthlabHome(process.env);
  const vault = await openVault(home);
  if (command === 'login') return login(values, chooseServer(values, readSettings(home), home), home, vault);

  const stored = readSettings(home);
  const settings: Settings = { ...stored, server: chooseServer(values, stored, home) };
  const target = targetOf(settings);
  const manager = managerFor(settings, vault);
  await requireSignedIn(manager);
  switch (command) {
    case 'whoami': {
      const me = await readMe(manager, target.api);
      if (me.kind === 'authlab') {
        process.stdout.write(`${me.email} (${me.role}) via ${me.mode} at ${target.api}\n`);
        return;
      }
      if (me.kind === 'other') {
        process.stdout.write(`${JSON.stringify(me.body, null, 2)}\n`);
        return;
      }
      throw new CliExit(whoamiExit(me.status), me.message);
    }
    case 'call':
      return call(manager, target, request as CallRequest);
    case 'refresh': {
      await manager.refresh();
      const left = (manager.status().accessTokenExpiresAt ?? Date.now()) - Date.now();
      process.stdout.write(`refreshed; the new access token expires in ${minutesLeft(left)}\n`);
      return;
    }
    case 'status': {
      await manager.getAccessToken();
      const status = manager.status();
      const left = (status.accessTokenExpiresAt ?? Date.now()) - Date.now();
      process.stdout.write(
        `mode: ${status.mode}\nserver: ${settings.server}\nvault: ${status.vault}\naccess token: ${minutesLeft(left)} left\n`,
      );
      if (settings.mode === 'oidc') {
        process.stdout.write(`issuer: ${target.issuer} (client ${target.clientId})\napi: ${target.api}\n`);
      }
      return;
    }
    case 'logout': {
      if (values.everywhere) {
        const response = await manager.fetch(`${target.api}/api/logout-all`, { method: 'POST' });
        if (!response.ok && response.status !== 401) {
          throw new CliExit(EXIT.httpError, `/api/logout-all answered ${response.status}`);
        }
      }
      const { revoked } = await manager.signOut();
      process.stdout.write(
        values.everywhere
          ? 'signed out everywhere: every session, token and grant of this account has ended\n'
          : revoked
            ? 'signed out: the refresh token is revoked and removed from this machine\n'
            : 'signed out on this machine (the server could not be told; the token was removed here)\n',
      );
      return;
    }
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const code = exitCodeFor(error);
  let message = (error as Error).message ?? String(error);
  if (error instanceof NativeAuthError && error.code === 'invalid_grant') {
    message = 'the server ended this sign-in (revoked or expired): run `pnpm authlab login` again';
  }
  process.stderr.write(`authlab: ${message}\n`);
  process.exitCode = code;
});
