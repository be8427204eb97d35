/** `pnpm lab doctor --workshop`: each check says what it found and what to do about it. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keyStoreItem, pinnedNodeItem, pinnedNodeVersion, serverPortItem } from '../src/workshop-doctor.ts';

test('reads the pinned version from .node-version and compares as many parts as it names', () => {
  const root = mkdtempSync(join(tmpdir(), 'authlab-node-version-'));
  try {
    assert.equal(pinnedNodeVersion(root), null);
    writeFileSync(join(root, '.node-version'), 'v24.22.3\n');
    assert.equal(pinnedNodeVersion(root), '24.22.3');
  } finally {
    rmSync(root, { recursive: true });
  }
  assert.equal(pinnedNodeItem('24.22.3', '24.22.3').ok, true);
  assert.equal(pinnedNodeItem('24.23.0', '24').ok, true);
  const older = pinnedNodeItem('22.18.0', '24.22.3');
  assert.equal(older.ok, false);
  assert.match(older.detail, /22\.18\.0 runs, \.node-version pins 24\.22\.3/);
  assert.match(older.fix ?? '', /install Node 24\.22\.3/);
  assert.deepEqual(pinnedNodeItem('24.22.3', null).ok, true, 'no pin: nothing to compare');
});

test('names a taken server port and how to free it', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = taken.address() as { port: number };
    const item = await serverPortItem(port);
    assert.equal(item.ok, false);
    assert.match(item.detail, new RegExp(`127\\.0\\.0\\.1:${port} is taken \\(EADDRINUSE\\)`));
  } finally {
    taken.close();
  }
});

test('without a Secret Service on Linux, points to the file vault; macOS and Windows always have a key store', () => {
  const linux = keyStoreItem('linux', {});
  assert.equal(linux.ok, false);
  assert.equal(linux.optional, true);
  assert.match(linux.fix ?? '', /AUTHLAB_VAULT=file/);
  assert.equal(keyStoreItem('darwin', {}).ok, true);
  assert.equal(keyStoreItem('win32', {}).ok, true);
});
