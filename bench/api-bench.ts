// API section: authenticated GET /api/me through createApp on loopback (cookie auth and API-key
// auth: p50/p95 and throughput at concurrency 1 and 8), and login latency with the Argon2id
// parameters the API uses by default (the login cost is dominated by Argon2id).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createKeySet, createPasswordHasher, createTokenService, generateDevKeyPair } from '@plotbox/auth';
import { parseConfig } from '@plotbox/config';
import { createSqliteStore } from '@plotbox/store-sqlite';
import { createApp, createLogger, createSandboxClient, loadSecretBox, openBlobs, openIngest } from '@plotbox/api';
import { fmt, pct, printTable } from './data.ts';

export interface ApiBenchOptions {
  readonly quick: boolean;
}

async function drive(total: number, concurrency: number, once: () => Promise<void>): Promise<{ samples: number[]; seconds: number }> {
  const samples: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const s = performance.now();
        await once();
        samples.push(performance.now() - s);
      }
    }),
  );
  return { samples, seconds: (performance.now() - t0) / 1000 };
}

/** Run the API benchmark and print its tables. */
export async function apiBench(opts: ApiBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-api-bench-'));
  const config = parseConfig({ PLOTBOX_DATA_DIR: dir, PLOTBOX_API_RATE_LIMIT: '1000000', PLOTBOX_LOGIN_RATE_LIMIT: '100000' }, () => '');
  const store = createSqliteStore({ path: join(dir, 'plotbox.db'), now: () => new Date(), newId: randomUUID });
  const pair = generateDevKeyPair();
  const keySet = createKeySet({ keys: [pair], activeKid: pair.kid });
  const tokens = createTokenService({ keySet, issuer: config.jwt.issuer, audience: config.jwt.audience });
  const hasher = createPasswordHasher(config.argon2);
  const blobs = await openBlobs(config);
  // This section measures authentication only; no route here reaches the sandbox.
  const sandbox = createSandboxClient({ url: config.sandbox.url, token: config.sandbox.token });
  // No uploads here: the ingest pool starts no worker until one arrives.
  const { ingest, storage } = openIngest(config, blobs);
  const app = createApp({
    config,
    store,
    blobs,
    sandbox,
    ingest,
    storage,
    keySet,
    tokens,
    hasher,
    secrets: loadSecretBox(config.secretsKey).box,
    logger: createLogger('silent'),
    now: () => new Date(),
    newId: randomUUID,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const email = 'bench@example.com';
    const password = 'a benchmark passphrase';
    await store.users.create({ email, displayName: 'Bench', passwordHash: await hasher.hash(password), systemRole: 'user' });
    const headers = { 'content-type': 'application/json', 'x-requested-with': 'plotbox' };
    const login = async (): Promise<string> => {
      const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers, body: JSON.stringify({ email, password }) });
      if (res.status !== 200) throw new Error(`login ${res.status}`);
      await res.arrayBuffer();
      return (
        res.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .find((c) => c?.startsWith('plotbox_access=')) ?? ''
      );
    };
    const cookie = await login();
    const keyRes = await fetch(`${url}/api/me/api-keys`, { method: 'POST', headers: { ...headers, cookie }, body: JSON.stringify({ name: 'bench' }) });
    const { key } = (await keyRes.json()) as { key: string };

    const n = opts.quick ? 300 : 3000;
    const rows: string[][] = [];
    for (const [label, h] of [
      ['cookie (JWT + session)', { cookie }],
      ['API key', { authorization: `Bearer ${key}` }],
    ] as const) {
      for (const concurrency of [1, 8]) {
        const get = async (): Promise<void> => {
          const r = await fetch(`${url}/api/me`, { headers: h });
          if (r.status !== 200) throw new Error(`GET /api/me ${r.status}`);
          await r.arrayBuffer();
        };
        await drive(Math.min(100, n), concurrency, get); // warm-up
        const { samples, seconds } = await drive(n, concurrency, get);
        rows.push([label, String(concurrency), String(n), fmt(pct(samples, 50)), fmt(pct(samples, 95)), (n / seconds).toFixed(0)]);
      }
    }
    printTable('API: authenticated GET /api/me on loopback (SQLite store)', ['auth', 'conc', 'requests', 'p50 ms', 'p95 ms', 'req/s'], rows);

    const logins = opts.quick ? 10 : 40;
    const ls: number[] = [];
    for (let i = 0; i < logins; i++) {
      const s = performance.now();
      await login();
      ls.push(performance.now() - s);
    }
    const hs: number[] = [];
    for (let i = 0; i < (opts.quick ? 5 : 20); i++) {
      const s = performance.now();
      await hasher.verify((await store.users.findByEmail(email))?.passwordHash, password);
      hs.push(performance.now() - s);
    }
    const p = hasher.params;
    printTable(
      `API: login latency (Argon2id m=${p.memoryCost} KiB, t=${p.timeCost}, p=${p.parallelism})`,
      ['measure', 'n', 'p50 ms', 'p95 ms'],
      [
        ['POST /api/auth/login (HTTP)', String(logins), fmt(pct(ls, 50)), fmt(pct(ls, 95))],
        ['Argon2id verify alone', String(hs.length), fmt(pct(hs, 50)), fmt(pct(hs, 95))],
      ],
    );
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
