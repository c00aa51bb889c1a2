import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnsFromObject } from './columns-from-values.ts';
import { profileColumns } from './profile-columns.ts';

test('profile: count, nulls, min/max, distinct', () => {
  const cols = columnsFromObject({ n: [3, null, -1.5, 7], s: ['b', 'a', null, 'b'], e: [null, null, null, null], d: [new Date(5), null, new Date(2), new Date(9)] });
  assert.deepEqual(profileColumns(cols), [
    { name: 'n', kind: 'number', count: 3, nulls: 1, min: -1.5, max: 7 },
    { name: 's', kind: 'string', count: 3, nulls: 1, distinct: 2, min: 'a', max: 'b' },
    { name: 'e', kind: 'string', count: 0, nulls: 4, distinct: 0 },
    { name: 'd', kind: 'date', count: 3, nulls: 1, min: 2, max: 9 },
  ]);
});
