import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { findChromium, requireComponent } from '@authlab/testkit';
import { parseCompareArgs } from '../src/compare/command.ts';
import { toJson } from '../src/compare/report.ts';
import { ROWS } from '../src/compare/run.ts';
import { type Cell, type CompareResult, MODES, type Mode, QUICK, type ScenarioId } from '../src/compare/types.ts';
import { UsageError } from '../src/labs.ts';
import { type CliResult, runLabCli } from './support/cli.ts';

const chromiumFound = findChromium() !== null;
const needsChromium = (t: TestContext) => requireComponent(t, chromiumFound, 'Chromium', 'apt-get install chromium');

describe('pnpm lab compare: options and the JSON file', () => {
  it('takes --quick and --out (both spellings), and refuses what it does not know', () => {
    assert.deepEqual(parseCompareArgs([]).quick, false);
    assert.equal(parseCompareArgs(['--quick']).quick, true);
    assert.equal(parseCompareArgs(['--out', '/tmp/x']).outDir, '/tmp/x');
    assert.equal(parseCompareArgs(['--out=/tmp/y']).outDir, '/tmp/y');
    assert.match(parseCompareArgs([]).outDir, /results\/compare$/);
    assert.throws(() => parseCompareArgs(['--out']), UsageError);
    assert.throws(() => parseCompareArgs(['--fast']), UsageError);
  });

  it('writes JSON that reads back as the same result', () => {
    const cell: Cell = {
      value: 1.5,
      unit: 'ms',
      display: 'a\nb',
      detail: 'd',
      source: 's',
      facts: { list: ['x', 'y'], empty: [], flag: true, none: null, long: Array(30).fill('a long string') },
    };
    const result = {
      tool: 'pnpm lab compare',
      version: 1,
      rows: [{ id: 'revocation', cells: { session: cell, jwt: cell, oidc: cell } }],
      nested: { deeper: { empty: {} } },
    };
    assert.deepEqual(JSON.parse(toJson(result as unknown as CompareResult)), result);
  });
});

describe('pnpm lab compare --quick against the real server', () => {
  let outDir: string;
  let run: CliResult;
  let result: CompareResult;

  before(
    async () => {
      if (!chromiumFound) return;
      outDir = mkdtempSync(join(tmpdir(), 'authlab-compare-test-'));
      // `pnpm lab compare --quick --out <dir>`, as a person runs it.
      run = await runLabCli(['compare', '--quick', '--out', outDir], process.env);
      result = JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as CompareResult;
    },
    { timeout: 30 * 60_000 },
  );
  after(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  const row = (id: ScenarioId) => {
    const found = result.rows.find((r) => r.id === id);
    assert.ok(found, `row ${id}`);
    return found;
  };
  const facts = (id: ScenarioId, mode: Mode) => row(id).cells[mode].facts;

  it('runs to the end, prints progress and the matrix, and measures every cell', (t) => {
    if (!needsChromium(t)) return;
    assert.equal(run.code, 0, `exit code 0\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /starting the server/);
    assert.match(run.stdout, /row 6: verification cost/);
    assert.match(run.stdout, /SESSION .*│ JWT .*│ OIDC/);
    assert.equal(result.params.profile, 'quick');
    assert.deepEqual(
      result.rows.map((r) => r.id),
      ROWS.map((r) => r.id),
    );
    for (const r of result.rows) {
      assert.ok(run.stdout.includes(`${r.number}. ${r.title.split(' ')[0]}`), `row ${r.number} is printed`);
      for (const mode of MODES) {
        const cell = r.cells[mode];
        const where = `${r.id}/${mode}`;
        assert.equal(cell.error, undefined, `${where} was measured`);
        assert.notEqual(cell.value, null, `${where} has a value`);
        assert.ok(cell.unit === 'yes/no' ? typeof cell.value === 'boolean' : Number.isFinite(cell.value), where);
        assert.ok(cell.source.length > 40, `${where} says how it was measured`);
        assert.ok(cell.display.length > 0 && cell.detail.length > 0, where);
        assert.ok(Object.keys(cell.facts).length > 0, `${where} keeps the facts behind its value`);
      }
    }
  });

  it('1. after "log out everywhere" the stolen credential is refused at its first use, in every mode', (t) => {
    if (!needsChromium(t)) return;
    for (const mode of MODES) {
      const f = facts('revocation', mode);
      assert.equal(f.accessStillWorks, false, mode);
      assert.equal(f.accessAttempts, 1, `${mode}: the first request after logout-all is already refused`);
      assert.equal(f.accessFinalStatus, 401, mode);
      assert.equal(row('revocation').cells[mode].value, f.accessRevokedMs);
    }
    assert.equal(facts('revocation', 'session').refreshApplicable, false);
    for (const mode of ['jwt', 'oidc'] as const) {
      const f = facts('revocation', mode);
      assert.equal(f.refreshApplicable, true, mode);
      assert.equal(f.refreshStillWorks, false, mode);
      assert.equal(f.refreshAttempts, 1, mode);
      assert.equal(f.refreshError, 'invalid_grant', mode);
      // Revocation lives in the server's store: the refused token itself is as valid as ever.
      assert.equal(f.jwksOnlyValid, true, `${mode}: the signature still verifies with the public keys`);
      assert.ok((f.jwksOnlyExpiresInS as number) > 0, `${mode}: and it has not expired`);
    }
    assert.equal(facts('revocation', 'session').jwksOnlyValid, null);
  });

  it('2. an injected script cannot read the session cookie or the refresh token; no token sits in storage', (t) => {
    if (!needsChromium(t)) return;
    const session = facts('script-read', 'session');
    assert.equal(session.readable, false);
    assert.ok((session.httpOnlyCookies as string[]).includes('__Host-authlab.sid'));
    assert.equal(session.apiWithAmbientCredentials, 200, 'unread, the cookie still goes along with a same-origin call');

    const jwt = facts('script-read', 'jwt');
    assert.equal(jwt.refreshTokenReadable, false);
    assert.ok((jwt.httpOnlyCookies as string[]).includes('__Secure-authlab.rt'));
    assert.ok((jwt.knownFromOutside as string[]).includes('access token'), 'the token was taken from the network');
    assert.equal(jwt.apiWithAmbientCredentials, 401, 'no credential goes along by itself');

    const oidc = facts('script-read', 'oidc');
    assert.equal(oidc.federatedReadable, false, 'OIDC used by a web app ends in an HttpOnly session cookie');
    assert.equal(oidc.apiWithAmbientCredentials, 401);

    for (const mode of MODES) {
      const f = facts('script-read', mode);
      assert.equal(row('script-read').cells[mode].value, f.readable);
      assert.equal(f.readable, (f.where as string[]).length > 0, `${mode}: "yes" always says where`);
      for (const place of f.places as string[]) {
        assert.doesNotMatch(place, /localStorage|sessionStorage|document\.cookie/, `${mode}: ${place}`);
      }
      assert.ok((f.locationsChecked as string[]).includes('document.cookie'), mode);
      assert.ok((f.locationsChecked as string[]).includes('DOM'), mode);
    }
  });

  it('3. a cross-site form changes nothing: SameSite keeps the cookie home, and no browser sends a bearer token', (t) => {
    if (!needsChromium(t)) return;
    for (const mode of MODES) {
      const f = facts('cross-site-form', mode);
      assert.equal(row('cross-site-form').cells[mode].value, false, mode);
      assert.equal(f.crossSiteChanged, false, mode);
      assert.equal(f.sameSiteChanged, false, mode);
      assert.equal(f.crossSiteSecFetchSite, 'cross-site', `${mode}: the browser did send the form`);
      assert.equal(f.crossSiteAuthorizationSent, false, `${mode}: a form never carries an Authorization header`);
      assert.equal(f.sameSiteAuthorizationSent, false, mode);
    }
    const session = facts('cross-site-form', 'session');
    assert.equal(session.sameOriginControlChanged, true, 'the check sees a change when one happens');
    assert.equal(session.crossSiteCookieSent, false, 'SameSite=Lax: no cookie on a cross-site POST');
    assert.equal(session.sameSiteCookieSent, true, 'same site, another port: the cookie goes along…');
    assert.equal(session.sameSiteStatus, 403, '…and the origin check refuses it');
    assert.equal(session.sameSiteError, 'forbidden_origin');
    for (const mode of ['jwt', 'oidc'] as const) {
      assert.equal(facts('cross-site-form', mode).sameOriginControlStatus, 401, `${mode}: nothing ambient to abuse`);
      assert.equal(facts('cross-site-form', mode).sameOriginControlChanged, false, mode);
    }
  });

  it('4. the credential sizes are the bytes of the header that was sent', (t) => {
    if (!needsChromium(t)) return;
    const expectedHeader: Record<Mode, string> = { session: 'Cookie', jwt: 'Authorization', oidc: 'Authorization' };
    for (const mode of MODES) {
      const f = facts('credential-size', mode);
      assert.equal(f.headerName, expectedHeader[mode]);
      assert.equal(f.headerLineBytes, `${f.headerName}: `.length + (f.headerValueBytes as number) + 2);
      assert.equal(row('credential-size').cells[mode].value, f.headerLineBytes);
    }
    const bytes = (mode: Mode) => facts('credential-size', mode).headerLineBytes as number;
    assert.ok(bytes('session') < bytes('jwt'), 'an opaque id is smaller than a signed token with claims');
    assert.ok(bytes('session') < bytes('oidc'));
    assert.deepEqual(facts('credential-size', 'session').cookieNames, ['__Host-authlab.sid', '__Host-authlab.sid.sig']);
    assert.equal(facts('credential-size', 'session').refreshTokenBytes, null);
    for (const mode of ['jwt', 'oidc'] as const) {
      assert.ok((facts('credential-size', mode).refreshTokenBytes as number) > 0, mode);
      assert.ok((facts('credential-size', mode).claimNames as string[]).includes('exp'), mode);
    }
  });

  it('5. every mode keeps records per signed-in user on this server, measured in the store', (t) => {
    if (!needsChromium(t)) return;
    for (const mode of MODES) {
      const f = facts('server-state', mode);
      assert.equal(f.users, QUICK.stateUsers, mode);
      assert.ok((f.rowsPerUser as number) >= 1, `${mode}: at least one record per sign-in`);
      assert.ok((f.bytesPerUser as number) > 0, mode);
      assert.match(String(f.method), /^(dbstat|length)$/);
      assert.ok((f.tables as string[]).length > 0, mode);
    }
    assert.ok((facts('server-state', 'session').tables as string[]).some((t) => t.startsWith('sessions:')));
    assert.ok((facts('server-state', 'jwt').tables as string[]).some((t) => t.startsWith('refresh_families:')));
    assert.ok((facts('server-state', 'oidc').tables as string[]).some((t) => t.startsWith('oidc_records:Grant')));
  });

  it('6. the verification cost is measured from every request made (numbers, not verdicts)', (t) => {
    if (!needsChromium(t)) return;
    for (const mode of MODES) {
      const f = facts('verification-cost', mode);
      assert.equal(f.requests, QUICK.latencyRequests, mode);
      assert.equal(f.baselineRequests, QUICK.latencyRequests, mode);
      for (const name of ['meanUs', 'p50Us', 'p95Us', 'baselineMeanUs', 'deltaMeanUs', 'deltaP95Us']) {
        assert.ok(Number.isFinite(f[name]), `${mode} ${name}`);
      }
      assert.ok((f.meanUs as number) > 0 && (f.baselineMeanUs as number) > 0, mode);
    }
  });

  it('7. without a shared store no credential crosses to the second instance, though the keys are the same', (t) => {
    if (!needsChromium(t)) return;
    for (const mode of MODES) {
      const f = facts('two-instances', mode);
      assert.equal(f.sharedSecrets, true, mode);
      assert.equal(f.worksOnA, true, `${mode}: the credential works where it was issued`);
      assert.equal(f.worksOnB, false, `${mode}: instance B consults its own store`);
      assert.equal(f.statusOnB, 401, mode);
    }
    // The tokens verify with B's keys: B refuses them for what its store lacks (the JWT mode
    // checks the refresh family on every request; OIDC checks the grant).
    assert.equal(facts('two-instances', 'jwt').signatureVerifiesOnB, true);
    assert.equal(facts('two-instances', 'oidc').signatureVerifiesOnB, true);
  });

  it('writes latest.json and a self-contained latest.html with its charts', (t) => {
    if (!needsChromium(t)) return;
    assert.match(run.stdout, /Wrote .*latest\.json and .*latest\.html/);
    const html = readFileSync(join(outDir, 'latest.html'), 'utf8');
    assert.ok((html.match(/<svg /g) ?? []).length >= 4, 'a chart per numeric row');
    assert.doesNotMatch(html, /<script|<link|<img|@import/i, 'no script and no external asset');
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:/i);
    for (const r of result.rows) assert.ok(html.includes(r.title), r.title);
    assert.ok(html.includes('What passed on the wire'), 'the sequence diagrams of the three modes');
    for (const mode of MODES) assert.ok((result.sequences?.[mode].length ?? 0) > 4, `${mode}: messages recorded`);
  });
});
