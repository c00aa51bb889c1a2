import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_KEY_INPUTS,
  AUDIT_INPUTS,
  CHART_INPUTS,
  COUNTER_INPUTS,
  DASHBOARD_INPUTS,
  DATASET_INPUTS,
  GROUP_INPUTS,
  PROJECT_INPUTS,
  RENDER_CACHE_INPUTS,
  SESSION_INPUTS,
  SETTING_INPUTS,
  StoreError,
  USER_INPUTS,
  assembleRepository,
  checkPage,
  encodeCursor,
  isStoreError,
  pageOf,
} from './index.ts';
import type { RunOperation } from './index.ts';

const ALL_INPUTS = {
  users: USER_INPUTS,
  sessions: SESSION_INPUTS,
  apiKeys: API_KEY_INPUTS,
  groups: GROUP_INPUTS,
  projects: PROJECT_INPUTS,
  dashboards: DASHBOARD_INPUTS,
  charts: CHART_INPUTS,
  datasets: DATASET_INPUTS,
  renderCache: RENDER_CACHE_INPUTS,
  audit: AUDIT_INPUTS,
  counters: COUNTER_INPUTS,
  settings: SETTING_INPUTS,
} as const;

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return isStoreError(e) ? `${e.code}:${e.reason ?? ''}` : `other: ${String(e)}`;
  }
  return 'accepted';
};

test('assembleRepository: each operation runs its check inside the runner, and the body sees only the checked input', async () => {
  const ran: string[] = [];
  const run: RunOperation = async (fn) => {
    ran.push('run');
    try {
      return await fn();
    } catch (error) {
      ran.push('mapped');
      throw error;
    }
  };
  const seen: unknown[] = [];
  const repo = assembleRepository(
    {
      get: (id: unknown) =>
        typeof id === 'string'
          ? id.toUpperCase()
          : (() => {
              throw new StoreError('STORE_INVALID', 'id', { reason: 'id' });
            })(),
    },
    run,
    {
      get: (id) => {
        seen.push(id);
        return { id };
      },
    },
  );
  assert.deepEqual(await repo.get('abc'), { id: 'ABC' });
  assert.deepEqual(seen, ['ABC']);
  await assert.rejects(repo.get({ $ne: null }), (e: unknown) => isStoreError(e, 'STORE_INVALID'));
  assert.deepEqual(seen, ['ABC'], 'a refused argument never reaches the body');
  assert.deepEqual(ran, ['run', 'run', 'mapped'], 'the check runs inside the runner, so its error is handled like any other');
  assert.throws(() => assembleRepository({ get: () => 1 }, run, {} as never), /no body for the store operation get/);
});

test('input checks: every operation of every repository refuses operator-shaped arguments', () => {
  const op = { $ne: null };
  let operations = 0;
  for (const [repository, checks] of Object.entries(ALL_INPUTS)) {
    for (const [name, check] of Object.entries(checks) as [string, (...args: unknown[]) => unknown][]) {
      if (check.length === 0) continue; // prune(): no arguments
      operations += 1;
      const args = Array.from({ length: check.length }, () => op);
      assert.match(
        codeOf(() => check(...args)),
        /^STORE_INVALID:/u,
        `${repository}.${name}`,
      );
    }
  }
  assert.ok(operations >= 70, `${operations} operations checked`);
});

test('input checks: the checked values are what adapters bind (ids, epoch ms, serialized JSON, decoded cursors)', () => {
  assert.deepEqual(USER_INPUTS.update('u1', 3, { email: 'A@B.c', passwordChangedAt: new Date(5) }), {
    id: 'u1',
    expectedVersion: 3,
    patch: { email: 'A@B.c', emailKey: 'a@b.c', passwordChangedAt: 5 },
  });
  assert.equal(
    codeOf(() => USER_INPUTS.update('u1', 0, {})),
    'STORE_INVALID:expectedVersion',
  );
  assert.equal(
    codeOf(() => USER_INPUTS.update({ $gt: '' }, 0, { nope: 1 })),
    'STORE_INVALID:id',
    'arguments are checked in order',
  );
  assert.deepEqual(USER_INPUTS.count(undefined), { systemRole: null, disabled: null });
  assert.deepEqual(USER_INPUTS.count({ systemRole: 'admin', disabled: false }), { systemRole: 'admin', disabled: false });
  assert.equal(
    codeOf(() => USER_INPUTS.count({ role: 'admin' })),
    'STORE_INVALID:filter',
  );
  assert.deepEqual(DATASET_INPUTS.setCurrentVersion('d', 'v'), { datasetId: 'd', versionId: 'v', expectedVersion: null });
  assert.deepEqual(DASHBOARD_INPUTS.update('d', 1, { layout: { a: [1] } }), { id: 'd', expectedVersion: 1, patch: { layout: '{"a":[1]}' } });
  assert.deepEqual(PROJECT_INPUTS.listForPrincipals([{ kind: 'group', id: 'g' }], { limit: 5 }).principalKeys, ['group:g']);
  assert.deepEqual(SETTING_INPUTS.put('k', { x: 1 }, { expiresAt: new Date(9) }), { key: 'k', value: '{"x":1}', expiresAt: 9 });
  assert.equal(AUDIT_INPUTS.append({ actor: { kind: 'system', userId: null }, action: 'x', outcome: 'success', details: { cached: true } }).cached, true);
  assert.equal(AUDIT_INPUTS.append({ actor: { kind: 'system', userId: null }, action: 'x', outcome: 'success', details: { nested: { cached: true } } }).cached, false);
  const desc = AUDIT_INPUTS.query({ newestFirst: true }, { limit: 2, cursor: encodeCursor('audit-desc', { t: 1, id: 'e' }) });
  assert.deepEqual(desc.page, { list: 'audit-desc', limit: 2, after: { t: 1, id: 'e' }, descending: true });
  assert.equal(
    codeOf(() => AUDIT_INPUTS.query({}, { limit: 2, cursor: encodeCursor('audit-desc', { t: 1, id: 'e' }) })),
    'STORE_INVALID:cursor',
    'a cursor of one order is refused by the other',
  );
});

test('pages: checkPage decodes the cursor of its own list; pageOf makes the next one', () => {
  assert.deepEqual(checkPage({ limit: 3 }, 'users'), { list: 'users', limit: 3, after: null, descending: false });
  assert.equal(
    codeOf(() => checkPage({ limit: 3, cursor: encodeCursor('groups', { t: 1, id: 'x' }) }, 'users')),
    'STORE_INVALID:cursor',
  );
  assert.equal(
    codeOf(() => checkPage({ limit: 0 }, 'users')),
    'STORE_INVALID:limit',
  );
  const page = pageOf([1, 2, 3, 4], checkPage({ limit: 3 }, 'n'), (x) => ({ t: x, id: String(x) }));
  assert.deepEqual(page.items, [1, 2, 3]);
  assert.deepEqual(checkPage({ limit: 3, cursor: page.nextCursor }, 'n').after, { t: 3, id: '3' });
});
