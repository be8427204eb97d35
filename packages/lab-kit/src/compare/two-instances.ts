/** Row 7: whether a credential issued by one instance works on a second one with its own store. */
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { removeDir, type ServerProcess, startServerProcess, temporaryDir } from '@authlab/testkit';
import { apiMe, jwksUrl, signatureVerifiesWith, signIn } from './http.ts';
import { type Account, perMode, type ScenarioContext } from './scenario.ts';
import type { Cell, Mode } from './types.ts';

/** Whether two folders hold byte-identical secret files. */
function sameSecrets(a: string, b: string): boolean {
  const names = readdirSync(join(a, 'secrets')).sort();
  return (
    names.join() === readdirSync(join(b, 'secrets')).sort().join() &&
    names.every((name) => readFileSync(join(a, 'secrets', name)).equals(readFileSync(join(b, 'secrets', name))))
  );
}

export async function twoInstancesRow(ctx: ScenarioContext): Promise<Record<Mode, Cell>> {
  const account = ctx.accounts[0] as Account;
  const dirB = temporaryDir('authlab-compare-b-');
  let b: ServerProcess | null = null;
  try {
    // B starts from a consistent copy of A's accounts and secrets (SQLite's online backup, the
    // secrets/ folder), then keeps its own store: what A records from now on, B never sees.
    const copyFrom = new DatabaseSync(join(ctx.main.dataDir, 'authlab.db'), { readOnly: true });
    try {
      await backup(copyFrom, join(dirB, 'authlab.db'));
    } finally {
      copyFrom.close();
    }
    cpSync(join(ctx.main.dataDir, 'secrets'), join(dirB, 'secrets'), { recursive: true });
    const shared = sameSecrets(ctx.main.dataDir, dirB);
    const instanceB = await startServerProcess({ dataDir: dirB, publicUrl: ctx.main.publicUrl });
    b = instanceB;
    ctx.progress(
      `    instance B on ${instanceB.url} (PUBLIC_URL ${instanceB.publicUrl}, its own SQLite file, the same secrets/)`,
    );
    const source = (mode: Mode) =>
      `Two server processes behind one PUBLIC_URL: A, and B started from a copy of A's accounts and secrets (same keys: ${shared ? 'files identical' : 'files differ'}) with its own SQLite file. ` +
      `Sign in on A as a ${mode} client over HTTP, then GET /api/me with the credential on A and on B.` +
      (mode === 'session' ? '' : ` The token's EdDSA signature is checked by the harness against B's published JWKS.`);
    return await perMode(source, async (mode) => {
      const credential = await signIn(ctx.main.url, mode, account.email, account.password);
      const onA = await apiMe(ctx.main.url, credential);
      const onB = await apiMe(instanceB.url, credential);
      const signatureOnB =
        mode === 'session' ? null : await signatureVerifiesWith(await jwksUrl(instanceB.url, mode), credential.raw);
      const works = onB.status === 200;
      const error = String(onB.body?.error ?? '');
      const why =
        mode === 'session'
          ? 'B has the same cookie-signing keys but not the session record.'
          : signatureOnB
            ? `The signature verifies with B's keys, so B refused it on what its own store lacks (${mode === 'jwt' ? 'the refresh family the token names' : 'the grant the token names'}).`
            : "The signature does not verify with B's keys.";
      return {
        value: works,
        unit: 'yes/no',
        display: works ? 'yes: B answers 200' : `no: B answers ${onB.status}${error ? ` ${error}` : ''}`,
        detail: `A answered ${onA.status}, B answered ${onB.status}${error ? ` (${error})` : ''}. ${works ? 'B accepted the credential without ever seeing the sign-in.' : why}`,
        source: source(mode),
        facts: {
          worksOnA: onA.status === 200,
          statusOnA: onA.status,
          worksOnB: works,
          statusOnB: onB.status,
          errorOnB: error,
          sharedSecrets: shared,
          signatureVerifiesOnB: signatureOnB,
        },
      };
    });
  } finally {
    await b?.stop();
    removeDir(dirB);
  }
}
