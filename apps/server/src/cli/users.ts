/**
 * `pnpm users <command>`: manage accounts in the store the server uses, from the same validated
 * environment (SQLite in DATA_DIR/authlab.db, or Redis at REDIS_URL).
 *
 *   AUTHLAB_NEW_PASSWORD=… pnpm users add carol@example.com --role admin
 *   pnpm users list
 *   pnpm users disable carol@example.com
 *   pnpm users link carol@example.com https://login.microsoftonline.com/<tenant>/v2.0 <subject>
 *   pnpm users unlink carol@example.com https://login.microsoftonline.com/<tenant>/v2.0
 */
import {
  AuthError,
  checkNewPassword,
  DataDirError,
  endEverything,
  loadSecrets,
  PasswordHasher,
} from '@authlab/auth-core';
import { normalizeEmail, type Role, type Store, StoreConflictError, StoreUnavailableError } from '@authlab/store';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { openConfiguredStore } from '../store-from-config.ts';
import { CliError, parseCommandLine, printTable } from './cli-kit.ts';

const USAGE = `usage: pnpm users <command>

commands:
  add <email> [--role user|admin]   create an account (role user unless told); the password comes
                                    from AUTHLAB_NEW_PASSWORD, or is asked for twice in a terminal
  list                              every account: email, role, disabled, created
  set-role <email> <user|admin>     change an account's role
  set-password <email>              change its password (same sources as add) and end every
                                    session and token it holds
  disable <email>                   refuse its sign-in and end every session and token it holds
  enable <email>                    allow its sign-in again
  link <email> <issuer> <subject>   let the identity <subject> at the OpenID Provider <issuer>
                                    sign in to this account through "Sign in with OpenID
                                    Connect" (for providers that do not assert email_verified,
                                    such as Entra ID; a refused sign-in logs both values)
  unlink <email> <issuer>           remove the account's link at <issuer> and end every session
                                    and token it holds (any of them may have come through it);
                                    a provider asserting email_verified links it again by email
                                    at the next sign-in: disable the account to keep someone out

environment: the server's own (DATA_DIR, REDIS_URL, NODE_ENV, …). A password is never taken as
an argument: the command line of a running process is visible to every user (ps).
`;

const COMMANDS: Record<string, { args: string; count: number }> = {
  add: { args: '<email> [--role user|admin]', count: 1 },
  list: { args: '', count: 0 },
  'set-role': { args: '<email> <user|admin>', count: 2 },
  'set-password': { args: '<email>', count: 1 },
  disable: { args: '<email>', count: 1 },
  enable: { args: '<email>', count: 1 },
  link: { args: '<email> <issuer> <subject>', count: 3 },
  unlink: { args: '<email> <issuer>', count: 2 },
};

function parseRole(text: string): Role {
  if (text === 'user' || text === 'admin') return text;
  throw new CliError(`the role must be user or admin (got "${text}")`);
}

async function findAccount(store: Store, email: string) {
  const user = await store.users.findByEmail(normalizeEmail(email));
  if (!user) {
    throw new CliError(
      `no account has the email ${email}: \`pnpm users list\` shows them, \`pnpm users add\` creates one`,
    );
  }
  return user;
}

/** Reads one line from the terminal in raw mode, so nothing typed is echoed to the screen. */
function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish();
        // Ctrl-C or Ctrl-D: raw mode turns them into characters, so stop here rather than store them.
        if (char === '\u0003' || char === '\u0004') return finish(new CliError('cancelled; nothing was changed'));
        if (char === '\u007f' || char === '\b') text = [...text].slice(0, -1).join('');
        else if (char >= ' ') text += char;
      }
    };
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/** The new account's password: from AUTHLAB_NEW_PASSWORD, else typed twice at a hidden prompt. */
async function newPassword(): Promise<string> {
  const fromEnv = process.env.AUTHLAB_NEW_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new CliError(
      'no password: set AUTHLAB_NEW_PASSWORD, or run this in a terminal to be asked for it (never as an argument)',
    );
  }
  const first = await readHidden('password: ');
  checkNewPassword(first); // refuse a weak one before asking for it again
  const second = await readHidden('password again: ');
  if (first !== second) throw new CliError('the two passwords differ; nothing was changed');
  return first;
}

/**
 * The issuer as the ID token's `iss` will carry it, exactly (OIDC Core §3.1.3.7 compares it as a
 * string): no trailing-slash or case repair, or the link would never match.
 */
function parseIssuer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(
      `"${text}" is not an issuer URL (it is the ID token's iss, e.g. https://id.example.com/realms/x)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(`"${text}" is not an issuer URL: it must be https (http only on a loopback host)`);
  }
  if (url.search || url.hash) throw new CliError(`"${text}": an issuer has no query or fragment (OIDC Discovery §2)`);
  return text;
}

async function linkIdentity(store: Store, email: string, issuerArg: string, subject: string): Promise<void> {
  const issuer = parseIssuer(issuerArg);
  if (!subject.trim()) throw new CliError("the subject (the ID token's sub) is empty");
  const user = await findAccount(store, email);
  const linked = await store.identities.find(issuer, subject);
  if (linked && linked !== user.id) {
    const other = await store.users.findById(linked);
    throw new CliError(`${subject} at ${issuer} is already linked to ${other?.email ?? 'another account'}`);
  }
  try {
    await store.identities.link(issuer, subject, user.id);
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    throw new CliError(`${user.email} is already linked to another subject at ${issuer}`);
  }
  process.stdout.write(`${user.email}: linked to ${subject} at ${issuer}\n`);
}

async function unlinkIdentity(store: Store, email: string, issuerArg: string): Promise<void> {
  const issuer = parseIssuer(issuerArg);
  const user = await findAccount(store, email);
  const subject = await store.identities.unlink(issuer, user.id);
  if (subject === null) throw new CliError(`${user.email} has no link at ${issuer}; nothing was changed`);
  // A session carries no note of how it began, so any of them may have come through the identity
  // just unlinked (a wrong link is why one unlinks): end them all (ASVS 4.0.3 V3.3.1).
  await endEverything(store, user.id);
  process.stdout.write(
    `${user.email}: unlinked from ${subject} at ${issuer}; every session and token it held has ended\n`,
  );
}

async function runCommand(command: string, args: string[], role: string | undefined, config: Config, store: Store) {
  const [email = '', roleArg = ''] = args;
  switch (command) {
    case 'add': {
      const account = normalizeEmail(email);
      if (!/^[^\s@]+@[^\s@]+$/.test(account)) throw new CliError(`"${email}" is not an email address`);
      const newRole = parseRole(role ?? 'user');
      if (await store.users.findByEmail(account)) {
        throw new CliError(`${account} already exists: \`pnpm users set-role\` or \`enable\` change it`);
      }
      const password = await newPassword();
      checkNewPassword(password);
      const hasher = await PasswordHasher.create(config.argon2);
      try {
        await store.users.create({ email: account, role: newRole, passwordHash: await hasher.hash(password) });
      } catch (error) {
        if (error instanceof StoreConflictError) throw new CliError(`${account} already exists`);
        throw error;
      }
      process.stdout.write(`added ${account} (role ${newRole})\n`);
      return;
    }
    case 'list': {
      const users = await store.users.list();
      if (users.length === 0) {
        process.stdout.write('no accounts yet: `pnpm users add <email>` creates one\n');
        return;
      }
      printTable([
        ['email', 'role', 'disabled', 'created'],
        ...users.map((u) => [u.email, u.role, u.disabled ? 'yes' : 'no', new Date(u.createdAt).toISOString()]),
      ]);
      return;
    }
    case 'set-role': {
      const newRole = parseRole(roleArg);
      const user = await findAccount(store, email);
      await store.users.setRole(user.id, newRole);
      process.stdout.write(`${user.email}: role ${newRole} (was ${user.role})\n`);
      return;
    }
    case 'set-password': {
      const user = await findAccount(store, email);
      const password = await newPassword();
      checkNewPassword(password);
      const hasher = await PasswordHasher.create(config.argon2);
      await store.users.setPasswordHash(user.id, await hasher.hash(password));
      // ASVS 4.0.3 V3.3.3: a password change ends every other session and token.
      await endEverything(store, user.id);
      process.stdout.write(`${user.email}: password changed; every session and token it held has ended\n`);
      return;
    }
    case 'disable': {
      const user = await findAccount(store, email);
      await store.users.setDisabled(user.id, true);
      // Disabling must also end what the account already holds, not only refuse new sign-ins.
      await endEverything(store, user.id, { reason: 'disabled' });
      process.stdout.write(`${user.email}: disabled; every session and token it held has ended\n`);
      return;
    }
    case 'enable': {
      const user = await findAccount(store, email);
      await store.users.setDisabled(user.id, false);
      process.stdout.write(`${user.email}: enabled\n`);
      return;
    }
    case 'link':
      return linkIdentity(store, email, args[1] ?? '', args[2] ?? '');
    case 'unlink':
      return unlinkIdentity(store, email, args[1] ?? '');
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    role: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [command, ...args] = positionals;
  if (!command) throw new CliError('missing command', { usage: true });
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!spec) throw new CliError(`unknown command "${command}"`, { usage: true });
  if (args.length !== spec.count) {
    throw new CliError(`usage: pnpm users ${command} ${spec.args}`.trimEnd());
  }
  if (values.role !== undefined && command !== 'add') {
    throw new CliError(`--role belongs to add; use \`pnpm users set-role <email> <user|admin>\``);
  }

  const config = loadConfig(process.env);
  // Open DATA_DIR as the server does: a database created here in a new directory gets its secrets
  // too, or the server would later refuse a DATA_DIR that holds data but no secrets.
  if (!config.redisUrl) loadSecrets(config.dataDir, { production: config.production });
  const { store } = openConfiguredStore(config);
  try {
    await runCommand(command, args, values.role, config, store);
  } finally {
    await store.close();
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  const known =
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof DataDirError ||
    error instanceof AuthError ||
    error instanceof StoreUnavailableError;
  if (!known) throw error;
  const usage = error instanceof CliError && error.usage ? `\n${USAGE}` : '';
  const hint = error instanceof StoreUnavailableError ? ' (check REDIS_URL or DATA_DIR)' : '';
  process.stderr.write(`pnpm users: ${error.message}${hint}\n${usage}`);
  process.exitCode = 1;
}
