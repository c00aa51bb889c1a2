import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withEpochs } from './epochs.ts';

test('withEpochs turns top-level Dates into epoch ms and keeps everything else as it is', () => {
  const nested = { at: new Date(5) };
  const out = withEpochs({ id: 'a', createdAt: new Date(1_700_000_000_123), revokedAt: null as Date | null, n: 3, nested });
  assert.deepEqual(out, { id: 'a', createdAt: 1_700_000_000_123, revokedAt: null, n: 3, nested });
  assert.equal(out.nested, nested, 'nested values are not copied or converted');
  const typed: number = out.createdAt;
  const nullable: number | null = out.revokedAt;
  assert.equal(typed + (nullable ?? 0), 1_700_000_000_123);
});
