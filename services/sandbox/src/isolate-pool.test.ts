// The warm isolate pool on its own: refilling, JIT warm-up, failure reporting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createIsolatePool, disposeIsolate } from './isolate-pool.ts';

const runtimeSource = readFileSync(fileURLToPath(import.meta.resolve('@plotbox/sandbox-runtime/dist/runtime.js')), 'utf8');
const onCatastrophicError = (message: string): never => {
  throw new Error(message);
};

async function until(check: () => boolean, ms = 10_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((res) => setTimeout(res, 10))) if (check()) return true;
  return check();
}

test('the pool refills after every take, including after a refill that found it full', async () => {
  const added: number[] = [];
  const pool = createIsolatePool({ runtimeSource, size: 2, memoryMb: 64, onCatastrophicError, onRefilled: (n) => added.push(n) });
  try {
    await pool.filled();
    assert.equal(pool.ready, 2);
    // A refill with nothing to do must not block the next one.
    pool.refill();
    for (let round = 0; round < 3; round++) {
      const taken = await pool.take(64);
      assert.equal(taken.warm, true);
      disposeIsolate(taken);
      assert.equal(pool.ready, 1);
      pool.refill();
      assert.ok(await until(() => pool.ready === 2), `round ${round}: pool back to 2`);
    }
    assert.deepEqual(added.slice(-3), [2, 2, 2], 'each refill is reported');
    // A run needing more memory than the pool's isolates gets a cold one and leaves the pool alone.
    const big = await pool.take(128);
    assert.equal(big.warm, false);
    assert.equal(big.memoryMb, 128);
    disposeIsolate(big);
    assert.equal(pool.ready, 2);
  } finally {
    pool.close();
  }
});

test('JIT warm-up runs before hand-out and leaves no trace in the global scope', async () => {
  const pool = createIsolatePool({ runtimeSource, size: 1, memoryMb: 128, jitWarmUpRows: 500, onCatastrophicError });
  try {
    await pool.filled();
    const w = await pool.take(128);
    try {
      const names = (await w.context.eval('JSON.stringify(Object.getOwnPropertyNames(globalThis).filter((n) => /plotbox|warm/i.test(n)))', { timeout: 1000 })) as string;
      assert.equal(names, '[]');
      assert.equal(await w.context.eval('typeof Proxy + typeof eval', { timeout: 1000 }), 'undefinedundefined');
    } finally {
      disposeIsolate(w);
    }
  } finally {
    pool.close();
  }
});

test('filled() rejects when no isolate can be made (a broken runtime bundle)', async () => {
  const pool = createIsolatePool({ runtimeSource: 'var x = 1;', size: 1, memoryMb: 64, onCatastrophicError });
  try {
    await assert.rejects(pool.filled(), /__plotbox_boot/);
  } finally {
    pool.close();
  }
});
