import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient, MongoNetworkError, MongoServerError } from 'mongodb';
import type { Db } from 'mongodb';
import { runStoreConformance, assertStoreError } from '@plotbox/store/conformance';
import { isStoreError } from '@plotbox/store';
import type { Store } from '@plotbox/store';
import { createMongoStore, mapMongoError } from './mongo-store.ts';
import { MONGO_INDEXES, UNIQUE_INDEX_CONSTRAINTS, ensureIndexes } from './indexes.ts';

const uri = process.env.MONGODB_URI;
let client: MongoClient | undefined;
const dbs = new WeakMap<Store, Db>();

after(async () => {
  await client?.close();
});

const skip = uri === undefined || uri === '' ? 'MONGODB_URI is not set (no MongoDB server on this machine)' : false;
if (skip !== false && process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
  // In CI a skipped adapter suite is easy to miss among thousands of passing tests: say it loudly,
  // once now and once more after this file's results (the last lines it prints).
  const banner = [
    '#',
    '# ' + '='.repeat(78),
    `# MongoDB store suite SKIPPED in CI: ${skip}.`,
    '# The MongoDB adapter was NOT checked against its conformance suite in this run.',
    '# Set MONGODB_URI (e.g. mongodb://127.0.0.1:27017) to run it.',
    '# ' + '='.repeat(78),
    '#',
  ];
  console.log(banner.join('\n'));
  process.once('exit', () => console.log(banner.join('\n')));
}

runStoreConformance('mongodb', {
  skip,
  create: async (options) => {
    client ??= await MongoClient.connect(uri ?? '', { serverSelectionTimeoutMS: 5000 });
    const db = client.db(`plotbox_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`);
    const store = await createMongoStore({ ...options, db });
    dbs.set(store, db);
    return store;
  },
  cleanup: async (store) => {
    await dbs.get(store)?.dropDatabase();
  },
});

// ---------------------------------------------------------------- without a server

/** A Db whose every collection call is recorded and fails: proves a call never reached the driver. */
function recordingDb(): { db: Db; calls: string[] } {
  const calls: string[] = [];
  const collection = (name: string) =>
    new Proxy(
      {},
      {
        get:
          (_target, prop) =>
          (...args: unknown[]) => {
            calls.push(`${name}.${String(prop)}(${JSON.stringify(args).slice(0, 200)})`);
            throw new MongoNetworkError('no server in this test');
          },
      },
    );
  const db = { collection, command: () => Promise.reject(new MongoNetworkError('no server in this test')) } as unknown as Db;
  return { db, calls };
}

test('operator-shaped arguments are refused before any query is built (no server needed)', async () => {
  const { db, calls } = recordingDb();
  const store = await createMongoStore({ db, now: () => new Date(), newId: () => randomUUID(), ensureIndexes: false });
  const op = { $ne: null } as never;
  const abs = new Date(Date.UTC(2200, 0, 1));
  const attempts: Promise<unknown>[] = [
    store.users.findByEmail(op),
    store.users.findByEmail({ $regex: '.*' } as never),
    store.users.findById(op),
    store.users.findById({ $gt: '' } as never),
    store.users.update('u', 1, { email: op }),
    store.users.update('u', op, { displayName: 'x' }),
    store.users.update('u', 1, { displayName: 'x', $set: { systemRole: 'admin' } } as never),
    store.users.create({ email: 'a@b.c', displayName: 'x', passwordHash: 'h', systemRole: 'user', $where: '1' } as never),
    store.users.useTotpStep('u', op),
    store.users.useRecoveryCode('u', op),
    store.users.count({ systemRole: op }),
    store.sessions.findById(op),
    store.sessions.create({ userId: op, absoluteExpiresAt: abs, idleExpiresAt: abs }),
    store.sessions.touch('s', op),
    store.sessions.revokeAllForUser('u', 'x', { exceptSessionId: op }),
    store.sessions.findRefreshToken(op),
    store.sessions.rotateRefresh(op, { tokenHash: 'n', expiresAt: abs }),
    store.sessions.rotateRefresh('o', { tokenHash: op, expiresAt: abs }),
    store.apiKeys.findByPrefix(op),
    store.groups.findByName(op),
    store.groups.addMember('g', op),
    store.projects.listForPrincipals([{ kind: 'user', id: op }], { limit: 5 }),
    store.projects.setGrant('p', { kind: op, id: 'u' }, 'owner'),
    store.projects.setGrant('p', { kind: 'user', id: 'u' }, op),
    store.dashboards.update('d', 1, { name: op }),
    store.charts.create({ dashboardId: op, title: 't', code: '', lang: 'js', codeHash: 'h' }),
    store.datasets.findByName('p', op),
    store.renderCache.get({ codeHash: op, datasetVersionId: 'v', runtimeVersion: '1' }),
    store.audit.query({ action: op }, { limit: 5 }),
    store.audit.query({ actorUserId: op }, { limit: 5 }),
    store.audit.query({ since: op }, { limit: 5 }),
    store.counters.hit(op, 1000),
    store.counters.recordLoginFailure(op, { maxFailures: 5, lockMs: 1, forgetAfterMs: 1 }),
    store.users.list({ limit: 5, cursor: op }),
    store.users.list({ limit: op }),
    store.users.grantsHeld(op),
    store.users.erase(op, { pseudonym: 'erased-0123456789' }),
    store.users.erase('u', { pseudonym: op }),
    store.audit.query({ involvesUserId: op }, { limit: 5 }),
    store.audit.deleteBefore(op, 10),
    store.audit.deleteBefore(new Date(), op),
  ];
  for (const attempt of attempts) await assertStoreError(attempt, 'STORE_INVALID');
  assert.deepEqual(calls, [], 'no query reached the driver');
});

test('duplicate-key errors map to STORE_CONFLICT naming the constraint, never the driver message', () => {
  const dup = (collection: string, index: string) =>
    new MongoServerError({ message: `E11000 duplicate key error collection: plotbox.${collection} index: ${index} dup key: { x: "secret@example.com" }`, code: 11000 });
  const cases: [string, string, string][] = [
    ['users', 'users_email', 'users.email'],
    ['users', 'users_identity', 'users.identity'],
    ['api_keys', 'api_keys_prefix', 'api_keys.prefix'],
    ['groups', 'groups_name', 'groups.name'],
    ['datasets', 'datasets_project_name', 'datasets.project_name'],
    ['dashboards', 'dashboards_project_name', 'dashboards.project_name'],
    ['refresh_tokens', '_id_', 'refresh_tokens.token_hash'],
    ['users', '_id_', 'primary_key'],
  ];
  for (const [collection, index, constraint] of cases) {
    const mapped = mapMongoError(dup(collection, index));
    assert.ok(isStoreError(mapped, 'STORE_CONFLICT'));
    assert.equal(mapped.reason, constraint);
    assert.doesNotMatch(mapped.message, /E11000|secret/);
  }
  const network = mapMongoError(new MongoNetworkError('connect ECONNREFUSED 10.0.0.1:27017'));
  assert.ok(isStoreError(network, 'STORE_UNAVAILABLE'));
  assert.doesNotMatch(network.message, /ECONNREFUSED|10\.0\.0\.1/);
  const bug = new TypeError('a bug');
  assert.equal(mapMongoError(bug), bug, 'programming errors are not disguised');
});

test('indexes: every unique constraint has a unique index; TTL only on counters and settings', async () => {
  const created: Record<string, unknown[]> = {};
  const db = { collection: (name: string) => ({ createIndexes: (specs: unknown[]) => ((created[name] = specs), Promise.resolve([])) }) } as unknown as Db;
  await ensureIndexes(db);
  assert.deepEqual(Object.keys(created).sort(), Object.keys(MONGO_INDEXES).sort());
  const unique = Object.values(MONGO_INDEXES)
    .flat()
    .filter((i) => i.unique === true)
    .map((i) => i.name);
  const named = Object.keys(UNIQUE_INDEX_CONSTRAINTS).filter((k) => !k.endsWith('._id_'));
  assert.deepEqual([...unique].sort(), [...named].sort());
  const ttl = Object.entries(MONGO_INDEXES)
    .filter(([, list]) => list.some((i) => i.expireAfterSeconds !== undefined))
    .map(([c]) => c);
  assert.deepEqual(ttl.sort(), ['login_failures', 'rate_windows', 'settings']);
});

test('options are checked eagerly', async () => {
  await assertStoreError(createMongoStore({ db: {} as Db, now: () => new Date(), newId: () => 'x' }), 'STORE_INVALID');
  await assertStoreError(createMongoStore({ db: recordingDb().db, now: 1 as never, newId: () => 'x' }), 'STORE_INVALID');
  const { db } = recordingDb();
  const store = await createMongoStore({ db, now: () => new Date(), newId: () => 'x', ensureIndexes: false });
  await assertStoreError(store.ping(), 'STORE_UNAVAILABLE');
});
