import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { StagingError, createStaging } from './staging.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-staging-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

test("sweep: files of processes that are gone (and of this pid's previous life) go at once; live ones only when old", async (t) => {
  const dir = tempDir(t);
  const staging = createStaging({ dir, pid: 111, isAlive: (pid) => pid === 222 });
  const mine = staging.path('in');
  writeFileSync(mine, 'mine');
  const name = (pid: number, boot: string, kind = 'in'): string => join(staging.dir, `${pid}.${boot}.${UUID}.${kind}`);
  const liveFresh = name(222, 'a'.repeat(16));
  const liveOld = name(222, 'b'.repeat(16), 'out');
  const dead = name(333, 'c'.repeat(16));
  const previousLife = name(111, 'd'.repeat(16));
  const foreign = join(staging.dir, 'notes.txt');
  for (const f of [liveFresh, liveOld, dead, previousLife, foreign]) writeFileSync(f, 'x');
  const old = new Date(Date.now() - 2 * 3_600_000);
  utimesSync(liveOld, old, old);
  assert.equal(await staging.sweep(3_600_000, new Date()), 3);
  assert.deepEqual(readdirSync(staging.dir).sort(), [liveFresh, mine, foreign].map((f) => f.slice(staging.dir.length + 1)).sort());
});

test('receive: streams a body to a new file; past the cap it stops reading and leaves nothing', async (t) => {
  const staging = createStaging({ dir: tempDir(t) });
  const ok = await staging.receive(Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]), 100);
  assert.equal(ok.bytes, 8);
  assert.equal(readFileSync(ok.path, 'utf8'), 'a,b\n1,2\n');
  await staging.remove(ok.path);
  assert.equal(existsSync(ok.path), false);

  let pulled = 0;
  const endless = new Readable({
    read() {
      pulled++;
      this.push(Buffer.alloc(1024, 0x41));
    },
  });
  await assert.rejects(staging.receive(endless, 10_000), (e: unknown) => e instanceof StagingError && e.reason === 'too_large');
  assert.ok(pulled < 100, `read ${pulled} KiB past a 10 KB cap`);
  assert.deepEqual(readdirSync(staging.dir), []);

  const broken = new Readable({
    read() {
      this.destroy(new Error('connection reset'));
    },
  });
  await assert.rejects(staging.receive(broken, 10_000), (e: unknown) => e instanceof StagingError && e.reason === 'aborted');
  assert.deepEqual(readdirSync(staging.dir), []);
  assert.throws(() => createStaging({ dir: '' }), TypeError);
});
