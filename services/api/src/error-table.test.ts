// The one translation table: complete over every package's codes and closed reasons, and what a
// few representative errors become (status, code, safe message and details, never the package's
// internal message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_ERROR_CODES, AuthError } from '@plotbox/auth';
import { BLOB_ERROR_CODES, BlobError } from '@plotbox/blobs';
import { ConfigError } from '@plotbox/config';
import { DATASET_ERROR_CODES, DatasetError } from '@plotbox/datasets';
import { PlotboxError } from '@plotbox/errors';
import { STORE_CONSTRAINTS, STORE_ERROR_CODES, STORE_UNAVAILABLE_REASONS, StoreError } from '@plotbox/store';
import { ERROR_TABLE, toApiError } from './error-table.ts';
import { API_ERROR_CODES, ApiError } from './errors.ts';
import { INGEST_ERROR_CODES, IngestError } from './ingest/ingest-pool.ts';
import { StagingError } from './ingest/staging.ts';
import { OidcError } from './oidc.ts';

test('every package code has a row; closed reasons have one each; every row names an API code', () => {
  const codes = [...STORE_ERROR_CODES, ...AUTH_ERROR_CODES, ...BLOB_ERROR_CODES, ...DATASET_ERROR_CODES, ...INGEST_ERROR_CODES, 'CONFIG_INVALID', 'STAGING_FAILED', 'OIDC_DISCOVERY', 'OIDC_RESPONSE'];
  assert.deepEqual(Object.keys(ERROR_TABLE).sort(), [...codes].sort());
  assert.deepEqual(Object.keys(ERROR_TABLE.STORE_CONFLICT.byReason).sort(), [...STORE_CONSTRAINTS].sort());
  assert.deepEqual(Object.keys(ERROR_TABLE.STORE_UNAVAILABLE.byReason).sort(), [...STORE_UNAVAILABLE_REASONS].sort());
  const targets = Object.values(ERROR_TABLE).flatMap((row: unknown) => {
    const one = (t: unknown): string => (typeof t === 'string' ? t : (t as { code: string }).code);
    return typeof row === 'object' && row !== null && 'byReason' in row ? Object.values((row as { byReason: Record<string, unknown> }).byReason).map(one) : [one(row)];
  });
  for (const t of targets) assert.ok((API_ERROR_CODES as readonly string[]).includes(t), t);
});

test('store errors: by constraint and reason, never the driver message', () => {
  const email = toApiError(new StoreError('STORE_CONFLICT', 'constraint violated: users.email', { reason: 'users.email' }));
  assert.equal(email.code, 'USER_EMAIL_TAKEN');
  assert.equal(email.status, 409);
  const group = toApiError(new StoreError('STORE_CONFLICT', 'x', { reason: 'groups.name' }));
  assert.deepEqual([group.code, group.message], ['API_CONFLICT', 'A group with this name already exists.']);
  assert.equal(toApiError(new StoreError('STORE_CONFLICT', 'x', { reason: 'datasets.project_name' })).code, 'DATASET_NAME_TAKEN');
  assert.equal(toApiError(new StoreError('STORE_CONFLICT', 'x', { reason: 'last_owner' })).message, 'A project must keep at least one owner.');
  const full = toApiError(new StoreError('STORE_UNAVAILABLE', 'the database disk is full', { reason: 'storage_full' }));
  assert.deepEqual([full.code, full.status], ['STORAGE_FULL', 507]);
  const down = toApiError(new StoreError('STORE_UNAVAILABLE', 'database error: SQLITE_IOERR at /var/lib/x', { reason: 'database' }));
  assert.deepEqual([down.code, down.status], ['API_UNAVAILABLE', 503]);
  assert.doesNotMatch(down.message, /SQLITE|\/var/u);
  assert.ok(down.cause instanceof StoreError, 'the cause is kept for the log');
  const cursor = toApiError(new StoreError('STORE_INVALID', 'cursor: garbage', { reason: 'cursor' }));
  assert.equal(cursor.code, 'VALIDATION_FAILED');
  assert.deepEqual(cursor.details, { issues: [{ path: 'cursor', message: 'is not valid' }] });
  assert.equal(toApiError(new StoreError('STORE_VERSION_MISMATCH', 'x', { reason: 'chart' })).code, 'API_CONFLICT');
  assert.equal(toApiError(new StoreError('STORE_NOT_FOUND', 'x', { reason: 'group' })).code, 'API_NOT_FOUND');
});

test('auth, blob and config errors', () => {
  const policy = toApiError(new AuthError('AUTH_PASSWORD_POLICY', 'password refused: common', { reason: 'common' }));
  assert.deepEqual([policy.code, policy.status, policy.details], ['AUTH_PASSWORD_POLICY', 422, { reason: 'common' }]);
  assert.equal(toApiError(new AuthError('AUTH_EXPIRED', 'jwt expired')).code, 'AUTH_TOKEN_EXPIRED');
  assert.equal(toApiError(new AuthError('AUTH_TOTP_REPLAY', 'used', { reason: 'replay' })).code, 'AUTH_TOTP_REPLAY');
  assert.equal(toApiError(new AuthError('AUTH_KEY_CONFIG', 'bad key')).status, 500);
  assert.equal(toApiError(new BlobError('BLOB_STORAGE_FULL', 'full')).code, 'STORAGE_FULL');
  assert.equal(toApiError(new BlobError('BLOB_UNAVAILABLE', 'endpoint down')).code, 'API_UNAVAILABLE');
  const missing = toApiError(new BlobError('BLOB_NOT_FOUND', 'no blob datasets/p/x'));
  assert.deepEqual([missing.code, missing.message], ['API_INTERNAL', 'A stored file could not be read.']);
  assert.equal(toApiError(new ConfigError('PLOTBOX_X must be a number')).code, 'API_INTERNAL');
});

test('dataset and ingest errors keep their position and limit; staging and single sign-on errors by reason and kind', () => {
  const parse = toApiError(new DatasetError('DATASET_PARSE', 'row 3 has 2 fields, the header 3.', { line: 3 }));
  assert.equal(parse.code, 'DATASET_INVALID');
  assert.equal(parse.message, 'The upload is not a valid dataset: row 3 has 2 fields, the header 3.');
  assert.deepEqual(parse.details, { reason: 'parse', line: 3 });
  assert.deepEqual(toApiError(new DatasetError('DATASET_SCHEMA', 'duplicate column "a"', { column: 'a' })).details, { reason: 'schema', column: 'a' });
  const big = toApiError(new DatasetError('DATASET_TOO_LARGE', 'more than 10 rows', { row: 10, limit: { name: 'rows', value: 10 } }));
  assert.deepEqual([big.code, big.details], ['DATASET_TOO_LARGE', { row: 10, limit: { name: 'rows', value: 10 } }]);
  const memory = toApiError(new IngestError('INGEST_MEMORY', 'oom', { limit: { name: 'ingestMemoryMb', value: 256 } }));
  assert.equal(memory.code, 'DATASET_TOO_LARGE');
  assert.match(memory.message, /256 MiB/u);
  assert.deepEqual(memory.details, { limit: { name: 'ingestMemoryMb', value: 256 } });
  assert.deepEqual(toApiError(new IngestError('INGEST_CRASHED', 'exit 1')).details, { reason: 'parse' });
  assert.equal(toApiError(new IngestError('INGEST_STORAGE_FULL', 'no space')).code, 'STORAGE_FULL');
  assert.equal(toApiError(new StagingError('aborted', 'the body ended early')).code, 'VALIDATION_FAILED');
  assert.equal(toApiError(new StagingError('storage_full', 'ENOSPC')).code, 'STORAGE_FULL');
  assert.equal(toApiError(new OidcError('discovery', 'OAUTH_RESPONSE_IS_NOT_CONFORM')).code, 'AUTH_SSO_UNAVAILABLE');
  assert.equal(toApiError(new OidcError('response', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED')).code, 'AUTH_SSO_FAILED');
});

test('anything else: API errors as they are, a full disk however reported, the rest API_INTERNAL', () => {
  const own = new ApiError('RATE_LIMITED', { retryAfterSec: 3 });
  assert.equal(toApiError(own), own);
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  assert.equal(toApiError(enospc).code, 'STORAGE_FULL');
  const bug = toApiError(new TypeError('undefined is not a function'));
  assert.deepEqual([bug.code, bug.status, bug.message], ['API_INTERNAL', 500, 'Internal error.']);
  // A Plotbox error the table does not know, or a reason outside its closed set: internal, not guessed.
  assert.equal(toApiError(new PlotboxError('SOMETHING_NEW', 'x')).code, 'API_INTERNAL');
  assert.equal(toApiError(new StoreError('STORE_CONFLICT', 'x', { reason: 'no_such_constraint' as 'reference' })).code, 'API_INTERNAL');
});
