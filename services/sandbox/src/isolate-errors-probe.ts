// Provokes every limit and failure isolated-vm reports, for real, and prints what it threw as JSON
// lines: `{ "case", "message", "type" (constructor name), "stack" }`. Run by
// isolate-errors.test.ts in a child process (`--no-node-snapshot`), because the last case ends the
// process: V8 running out of memory in an isolate whose own limit is its budget is a catastrophic
// error, reported through `onCatastrophicError`, after which isolated-vm never returns (the probe
// aborts, as a worker does).
import ivm from 'isolated-vm';

const MiB = 1024 * 1024;

function print(name: string, err: unknown): void {
  const message = err instanceof Error ? err.message : err === undefined ? null : String(err);
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack.slice(0, 2000) : null;
  process.stdout.write(`${JSON.stringify({ case: name, message, type: err instanceof Error ? err.constructor.name : typeof err, stack })}\n`);
}

async function attempt(name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
    print(name, undefined);
  } catch (err) {
    print(name, err);
  }
}

/** A fresh isolate and context; `ballastFor` leaves only that many MiB of the limit free, as execute.ts does. */
async function isolate(memoryLimit: number, ballastFor?: number): Promise<{ iso: ivm.Isolate; ctx: ivm.Context }> {
  const iso = new ivm.Isolate({
    memoryLimit,
    onCatastrophicError: (message) => {
      // As worker.ts does: isolated-vm's thread never returns, so exit() would wait for it forever.
      print('catastrophic', new Error(message));
      process.abort();
    },
  });
  const ctx = await iso.createContext();
  if (ballastFor !== undefined) {
    const heap = await iso.getHeapStatistics();
    const spare = heap.heap_size_limit - heap.used_heap_size - heap.externally_allocated_size - ballastFor * MiB;
    await ctx.eval(`globalThis.__ballast = new ArrayBuffer(${Math.floor(spare)})`);
  }
  return { iso, ctx };
}

await attempt('timeout', async () => {
  const { ctx } = await isolate(64);
  await ctx.eval('for (;;) {}', { timeout: 20 });
});

await attempt('memory-limit', async () => {
  // The production shape: a V8 limit well above the budget, the budget enforced by a ballast.
  const { ctx } = await isolate(256, 32);
  await ctx.eval('const a = []; for (;;) a.push({ i: a.length, s: "x" + a.length });', { timeout: 20_000 });
});

await attempt('array-buffer', async () => {
  const { ctx } = await isolate(64);
  await ctx.eval('new ArrayBuffer(2 ** 30)', { timeout: 1000 });
});

await attempt('string-length', async () => {
  const { ctx } = await isolate(64);
  await ctx.eval("'x'.repeat(2 ** 30)", { timeout: 1000 });
});

await attempt('disposed-during-execution', async () => {
  const { iso, ctx } = await isolate(64);
  setTimeout(() => iso.dispose(), 50);
  await ctx.eval('for (;;) {}');
});

await attempt('use-after-dispose', async () => {
  const { iso } = await isolate(64);
  iso.dispose();
  await iso.compileScript('1');
});

await attempt('non-error-thrown', async () => {
  const { ctx } = await isolate(64);
  await ctx.eval('throw {}', { timeout: 1000 });
});

await attempt('runtime-error', async () => {
  const { iso, ctx } = await isolate(64);
  const script = await iso.compileScript('const a = 1;\nnull.x;', { filename: 'chart.js' });
  await script.run(ctx, { timeout: 1000 });
});

// Last: ends the process from onCatastrophicError. V8's own limit at the budget (no headroom), and
// a Map growing by doubling its table.
await attempt('catastrophic', async () => {
  const { ctx } = await isolate(64);
  await ctx.eval('const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });', { timeout: 20_000 });
});
