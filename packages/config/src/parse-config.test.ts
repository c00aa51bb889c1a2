import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, KNOWN_PLOTBOX_VARIABLES, PRODUCTION_BOUNDS, describeConfig, parseConfig, redactConnectionString } from './index.ts';

const noFile = (): string => {
  throw new Error('no file');
};
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keysJson = JSON.stringify({
  keys: [{ kid: 'k1', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) }],
});
const prod = {
  PLOTBOX_ENV: 'production',
  PLOTBOX_PUBLIC_URL: 'https://plotbox.example.com',
  PLOTBOX_JWT_KEYS: keysJson,
  SANDBOX_TOKEN: 'x'.repeat(40),
  PLOTBOX_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64url'),
};

test('dev defaults: loopback 8080, dev keys in the data dir, SPEC §4 lifetimes and limits, frozen', () => {
  const c = parseConfig({}, noFile);
  assert.equal(c.env, 'dev');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.publicOrigin, 'http://127.0.0.1:8080');
  assert.equal(c.secureCookies, false);
  assert.deepEqual(c.jwt.keys, { source: 'dev', dir: '.data/keys' });
  assert.equal(c.jwt.accessTtlSec, 900);
  assert.deepEqual(c.session, { idleMs: 3_600_000, absoluteMs: 30 * 24 * 3_600_000 });
  assert.deepEqual(c.rateLimits.login, { limit: 10, windowMs: 60_000 });
  assert.deepEqual(c.rateLimits.api, { limit: 200, windowMs: 60_000 });
  assert.deepEqual(c.lockout, { maxFailures: 5, lockMs: 15 * 60_000 });
  assert.equal(c.maxBodyBytes, 1024 * 1024);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.jwt) && Object.isFrozen(c.rateLimits.login));
});

test('unknown PLOTBOX_ variables are refused; other prefixes are ignored', () => {
  assert.throws(() => parseConfig({ PLOTBOX_PROT: '1' }, noFile), /unknown setting PLOTBOX_PROT/);
  assert.doesNotThrow(() => parseConfig({ HOME: '/root', SANDBOX_WORKERS: '2' }, noFile));
});

test('production: requires keys, https public URL, sandbox token; refuses weak settings', () => {
  const c = parseConfig(prod, noFile);
  assert.equal(c.secureCookies, true);
  assert.equal(c.jwt.keys.source, 'configured');
  const { PLOTBOX_JWT_KEYS: _k, ...noKeys } = prod;
  assert.throws(() => parseConfig(noKeys, noFile), /PLOTBOX_JWT_KEYS/);
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_PUBLIC_URL: 'http://plotbox.example.com' }, noFile), /https/);
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_ACCESS_TOKEN_TTL_SEC: '5' }, noFile), /TTL/);
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_SESSION_IDLE_MIN: '1' }, noFile), /IDLE/);
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_ARGON2_MEMORY_KIB: '4096' }, noFile), /PLOTBOX_ARGON2_MEMORY_KIB/);
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_ARGON2_TIME_COST: '1' }, noFile), /PLOTBOX_ARGON2_TIME_COST/);
  const { SANDBOX_TOKEN: _t, ...noSandbox } = prod;
  assert.throws(() => parseConfig(noSandbox, noFile), /SANDBOX_TOKEN/);
  // the same weak values are fine in dev
  assert.doesNotThrow(() => parseConfig({ PLOTBOX_ACCESS_TOKEN_TTL_SEC: '5', PLOTBOX_ARGON2_MEMORY_KIB: '1024', PLOTBOX_ARGON2_TIME_COST: '1' }, noFile));
});

test('*_FILE secrets are read through the injected reader; both forms together are refused', () => {
  // secretlint-disable-next-line -- a made-up connection string: the test checks it is parsed and redacted
  const files: Record<string, string> = { '/run/keys.json': `${keysJson}\n`, '/run/pw': 'correct horse battery staple\n', '/run/mongo': 'mongodb://u:p4ss@db1:27017,db2/plotbox?tls=true\n' };
  const read = (p: string): string => {
    const v = files[p];
    if (v === undefined) throw new Error('ENOENT');
    return v;
  };
  const c = parseConfig(
    { ...prod, PLOTBOX_JWT_KEYS: undefined, PLOTBOX_JWT_KEYS_FILE: '/run/keys.json', PLOTBOX_ADMIN_EMAIL: 'a@example.com', PLOTBOX_ADMIN_PASSWORD_FILE: '/run/pw', MONGODB_URI_FILE: '/run/mongo' },
    read,
  );
  assert.equal(c.bootstrapAdmin?.password, 'correct horse battery staple');
  assert.equal(c.mongo?.dbName, 'plotbox');
  assert.throws(() => parseConfig({ PLOTBOX_ADMIN_EMAIL: 'a@example.com', PLOTBOX_ADMIN_PASSWORD: 'x', PLOTBOX_ADMIN_PASSWORD_FILE: '/run/pw' }, read), /not both/);
  assert.throws(() => parseConfig({ SANDBOX_TOKEN_FILE: '/nope' }, read), /SANDBOX_TOKEN_FILE cannot be read/);
});

test('error messages and describeConfig never contain secret values; connection strings show hosts only', () => {
  const secretPw = 'Sup3r-Secret-Admin-Passw0rd';
  // secretlint-disable-next-line -- a made-up connection string: the test checks it is parsed and redacted
  const mongoUri = 'mongodb://root:hunter2hunter2@mongo.internal:27017/pb?authSource=admin';
  const c = parseConfig({ ...prod, PLOTBOX_ADMIN_EMAIL: 'a@example.com', PLOTBOX_ADMIN_PASSWORD: secretPw, MONGODB_URI: mongoUri }, noFile);
  const described = JSON.stringify(describeConfig(c));
  for (const s of [secretPw, 'hunter2hunter2', 'root:', 'PRIVATE KEY', 'x'.repeat(40)]) assert.ok(!described.includes(s), s);
  assert.ok(described.includes('mongodb://mongo.internal:27017'));
  assert.equal(redactConnectionString('mongodb+srv://u:p@cluster0.example.net/db?x=1'), 'mongodb+srv://cluster0.example.net');
  // secretlint-disable-next-line -- a made-up connection string: the test checks it is parsed and redacted
  for (const bad of [{ MONGODB_URI: 'postgres://u:hunter2hunter2@h' }, { PLOTBOX_JWT_KEYS: '{"keys":[{"kid":"a","publicKeyPem":"hunter2hunter2"}]}' }]) {
    try {
      parseConfig(bad, noFile);
      assert.fail('should refuse');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(!err.message.includes('hunter2hunter2'), err.message);
    }
  }
});

test('malformed values are refused with the variable named', () => {
  assert.throws(() => parseConfig({ PLOTBOX_PORT: '80a' }, noFile), /PLOTBOX_PORT/);
  assert.throws(() => parseConfig({ PLOTBOX_PORT: '70000' }, noFile), /PLOTBOX_PORT/);
  assert.throws(() => parseConfig({ PLOTBOX_ENV: 'prod' }, noFile), /PLOTBOX_ENV/);
  assert.throws(() => parseConfig({ PLOTBOX_PUBLIC_URL: 'ftp://x' }, noFile), /http or https/);
  assert.throws(() => parseConfig({ PLOTBOX_PUBLIC_URL: 'https://u:p@x' }, noFile), /credentials/);
  assert.throws(() => parseConfig({ PLOTBOX_REQUIRE_2FA_FOR_ADMINS: 'maybe' }, noFile), /true or false/);
  assert.throws(() => parseConfig({ PLOTBOX_ADMIN_EMAIL: 'a@example.com' }, noFile), /go together/);
  assert.throws(() => parseConfig({ PLOTBOX_SESSION_IDLE_MIN: '120', PLOTBOX_SESSION_ABSOLUTE_HOURS: '1' }, noFile), /absolute/);
  assert.throws(() => parseConfig({ PLOTBOX_JWT_KEYS: keysJson, PLOTBOX_JWT_ACTIVE_KID: 'other' }, noFile), /ACTIVE_KID/);
});

test('metrics token: off by default, from a file, at least 32 characters, never described', () => {
  assert.equal(parseConfig({}, noFile).metricsToken, null);
  const token = 'm'.repeat(48);
  const c = parseConfig({ PLOTBOX_METRICS_TOKEN_FILE: '/run/metrics' }, (p) => {
    if (p !== '/run/metrics') throw new Error('ENOENT');
    return `${token}\n`;
  });
  assert.equal(c.metricsToken, token);
  assert.ok(!JSON.stringify(describeConfig(c)).includes(token));
  assert.throws(() => parseConfig({ PLOTBOX_METRICS_TOKEN: 'short' }, noFile), /at least 32/);
});

test('dataset limits, ingest and storage settings: defaults, ranges, production floors', () => {
  const c = parseConfig({}, noFile);
  assert.deepEqual(c.datasetLimits, { maxRows: 1_000_000, maxColumns: 1000, maxFieldChars: 65_536, maxDecodedBytes: 256 * 1024 * 1024, maxStoredBytes: 256 * 1024 * 1024 });
  assert.deepEqual(c.ingest, { workers: 1, queue: 2, memoryMb: 512, timeoutMs: 120_000, stagingDir: null, graceMs: 3_600_000 });
  assert.equal(c.minFreeDiskBytes, 256 * 1024 * 1024);
  const set = parseConfig(
    {
      PLOTBOX_DATASET_MAX_ROWS: '5000',
      PLOTBOX_DATASET_MAX_COLUMNS: '20',
      PLOTBOX_DATASET_MAX_FIELD_CHARS: '100',
      PLOTBOX_DATASET_MAX_DECODED_MB: '8',
      PLOTBOX_DATASET_MAX_STORED_MB: '4',
      PLOTBOX_INGEST_WORKERS: '2',
      PLOTBOX_INGEST_QUEUE: '0',
      PLOTBOX_INGEST_MEMORY_MB: '128',
      PLOTBOX_INGEST_TIMEOUT_SEC: '5',
      PLOTBOX_STAGING_DIR: '/var/tmp/pb',
      PLOTBOX_UPLOAD_GRACE_MIN: '0',
      PLOTBOX_MIN_FREE_DISK_MB: '0',
    },
    noFile,
  );
  assert.deepEqual(set.datasetLimits, { maxRows: 5000, maxColumns: 20, maxFieldChars: 100, maxDecodedBytes: 8 * 1024 * 1024, maxStoredBytes: 4 * 1024 * 1024 });
  assert.deepEqual(set.ingest, { workers: 2, queue: 0, memoryMb: 128, timeoutMs: 5000, stagingDir: '/var/tmp/pb', graceMs: 0 });
  assert.equal(set.minFreeDiskBytes, 0);
  assert.throws(() => parseConfig({ PLOTBOX_INGEST_WORKERS: '0' }, noFile), /PLOTBOX_INGEST_WORKERS/);
  assert.throws(() => parseConfig({ PLOTBOX_INGEST_MEMORY_MB: '8' }, noFile), /PLOTBOX_INGEST_MEMORY_MB/);
  assert.throws(() => parseConfig({ PLOTBOX_DATASET_MAX_ROWS: 'lots' }, noFile), /PLOTBOX_DATASET_MAX_ROWS/);
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_MIN_FREE_DISK_MB: '0' }, noFile), /PLOTBOX_MIN_FREE_DISK_MB/);
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_UPLOAD_GRACE_MIN: '1' }, noFile), /PLOTBOX_UPLOAD_GRACE_MIN/);
  assert.equal(parseConfig(prod, noFile).ingest.graceMs, 3_600_000);
  assert.ok(Object.isFrozen(c.ingest) && Object.isFrozen(c.datasetLimits));
  assert.deepEqual(describeConfig(c).ingest, c.ingest);
});

test('production refuses every weak security setting, naming it; the defaults pass; dev accepts them', () => {
  // The settings found accepted from outside (issue: production accepts weak settings).
  const weak: Record<string, string>[] = [
    { PLOTBOX_LOGIN_RATE_LIMIT: '100', PLOTBOX_LOGIN_RATE_WINDOW_SEC: '1' },
    { PLOTBOX_LOCKOUT_MAX_FAILURES: '20', PLOTBOX_LOCKOUT_MIN: '1' },
    { PLOTBOX_LOCKOUT_MIN: '1' },
    { PLOTBOX_SESSION_IDLE_MIN: String(7 * 24 * 60) },
    { PLOTBOX_SESSION_ABSOLUTE_HOURS: String(365 * 24) },
    { PLOTBOX_API_RATE_LIMIT: '1000000' },
    { PLOTBOX_API_RATE_LIMIT: '5000', PLOTBOX_API_RATE_WINDOW_SEC: '10' },
    { PLOTBOX_LOGIN_RATE_LIMIT: '30', PLOTBOX_LOGIN_RATE_WINDOW_SEC: '59' },
    { PLOTBOX_AUTH_FAILURE_LIMIT: '1000' },
    { PLOTBOX_AUTH_FAILURE_WINDOW_SEC: '5' },
    { PLOTBOX_SETUP_TOKEN_TTL_MIN: String(7 * 24 * 60) },
    { PLOTBOX_TRUST_PROXY_HOPS: '5' },
    { PLOTBOX_ACCESS_TOKEN_TTL_SEC: '86400' },
  ];
  for (const env of weak) {
    const name = Object.keys(env).at(-1) ?? '';
    assert.throws(
      () => parseConfig({ ...prod, ...env }, noFile),
      (err: unknown) => err instanceof ConfigError && err.message.includes('production') && Object.keys(env).some((k) => err.message.includes(k)),
      JSON.stringify(env),
    );
    assert.doesNotThrow(() => parseConfig({ ...env }, noFile), `dev accepts ${name}`);
  }
  const c = parseConfig(prod, noFile);
  assert.deepEqual(c.rateLimits.authFailures, { limit: 30, windowMs: 300_000 });
  // Every bound is a real range, and the production defaults sit inside it.
  for (const [name, { min, max }] of Object.entries(PRODUCTION_BOUNDS)) assert.ok(min <= max && KNOWN_PLOTBOX_VARIABLES.includes(name), name);
});

test('secrets key: required in production; one key in base64url, base64 or hex, or a ring with an active key', () => {
  const { PLOTBOX_SECRETS_KEY: _k, ...noKey } = prod;
  assert.throws(() => parseConfig(noKey, noFile), /PLOTBOX_SECRETS_KEY/);
  assert.deepEqual(parseConfig({}, noFile).secretsKey, { source: 'dev', dir: '.data/keys' });
  const raw = Buffer.alloc(32, 9);
  for (const text of [raw.toString('base64url'), raw.toString('base64'), raw.toString('hex'), `${raw.toString('hex')}\n`]) {
    assert.deepEqual(parseConfig({ PLOTBOX_SECRETS_KEY: text }, noFile).secretsKey, { source: 'configured', keys: [{ id: null, key: raw.toString('base64url') }], activeId: null });
  }
  const ring = {
    activeKeyId: 'k2',
    keys: [
      { id: 'k1', key: Buffer.alloc(32, 1).toString('hex') },
      { id: 'k2', key: Buffer.alloc(32, 2).toString('base64url') },
    ],
  };
  const c = parseConfig({ PLOTBOX_SECRETS_KEY: JSON.stringify(ring) }, noFile);
  assert.equal(c.secretsKey.source === 'configured' ? c.secretsKey.activeId : null, 'k2');
  const described = JSON.stringify(describeConfig(c));
  assert.ok(!described.includes(Buffer.alloc(32, 2).toString('base64url')) && described.includes('k2'), 'ids, never key material');
  for (const bad of [
    'short',
    Buffer.alloc(16).toString('hex'),
    JSON.stringify({ keys: [] }),
    JSON.stringify({ activeKeyId: 'k9', keys: ring.keys }),
    JSON.stringify({ keys: [ring.keys[0], ring.keys[0]] }),
    JSON.stringify({ activeKeyId: 'a', keys: [{ id: 'a b', key: ring.keys[1]?.key }] }),
  ]) {
    assert.throws(
      () => parseConfig({ PLOTBOX_SECRETS_KEY: bad }, noFile),
      (err: unknown) => err instanceof ConfigError && !err.message.includes(Buffer.alloc(32, 1).toString('hex')),
      bad,
    );
  }
});

test('IP allowlist: IPv4 and IPv6 ranges and addresses, normalised; IPv4-mapped ranges as IPv4; junk refused', () => {
  assert.equal(parseConfig({}, noFile).allowCidrs, null);
  const c = parseConfig({ PLOTBOX_ALLOW_CIDRS: ' 10.1.2.3/8, 192.0.2.7 ,2001:db8::1/32,::1, ::ffff:198.51.100.0/120,10.0.0.0/8' }, noFile);
  assert.deepEqual(c.allowCidrs, ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32', '::1/128', '198.51.100.0/24']);
  for (const bad of ['', ',', '10.0.0.0/33', 'example.com', '10.0.0.0/8;rm', '::/129', '1.2.3']) {
    assert.throws(
      () => parseConfig({ PLOTBOX_ALLOW_CIDRS: bad === '' ? ' ' : bad }, noFile),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith('PLOTBOX_ALLOW_CIDRS'),
      bad,
    );
  }
});

test('password expiry and the inactivity sweep: off by default, days; production bounds allow 0 (off)', () => {
  const d = parseConfig({}, noFile);
  assert.equal(d.passwordMaxAgeMs, null);
  assert.equal(d.disableInactiveMs, null);
  const c = parseConfig({ PLOTBOX_PASSWORD_MAX_AGE_DAYS: '90', PLOTBOX_DISABLE_INACTIVE_DAYS: '1' }, noFile);
  assert.equal(c.passwordMaxAgeMs, 90 * 86_400_000);
  assert.equal(c.disableInactiveMs, 86_400_000);
  assert.doesNotThrow(() => parseConfig({ ...prod, PLOTBOX_PASSWORD_MAX_AGE_DAYS: '0', PLOTBOX_DISABLE_INACTIVE_DAYS: '0' }, noFile));
  assert.doesNotThrow(() => parseConfig({ ...prod, PLOTBOX_PASSWORD_MAX_AGE_DAYS: '365', PLOTBOX_DISABLE_INACTIVE_DAYS: '90' }, noFile));
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_PASSWORD_MAX_AGE_DAYS: '1' }, noFile), /PLOTBOX_PASSWORD_MAX_AGE_DAYS must be between 30 and 3650 \(or 0: off\) in production/);
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_DISABLE_INACTIVE_DAYS: '2' }, noFile), /PLOTBOX_DISABLE_INACTIVE_DAYS/);
  assert.throws(() => parseConfig({ PLOTBOX_PASSWORD_MAX_AGE_DAYS: '-1' }, noFile), /PLOTBOX_PASSWORD_MAX_AGE_DAYS must be a whole number/);
});

test('single sign-on: off by default; issuer, client, scopes, group map, admin groups; secrets never described', () => {
  assert.equal(parseConfig({}, noFile).oidc, null);
  const base = { PLOTBOX_OIDC_ISSUER: 'https://sso.example.com/realms/acme', PLOTBOX_OIDC_CLIENT_ID: 'plotbox' };
  const c = parseConfig(
    {
      ...prod,
      ...base,
      PLOTBOX_OIDC_CLIENT_SECRET_FILE: '/run/secrets/oidc',
      PLOTBOX_OIDC_SCOPES: 'openid email profile groups',
      PLOTBOX_OIDC_GROUP_MAP: '{"/analysts": "Analysts", "/ops": ["Ops", "Analysts"]}',
      PLOTBOX_OIDC_ADMIN_GROUPS: '/plotbox-admins, /root',
      PLOTBOX_OIDC_NAME: 'Acme SSO',
      PLOTBOX_LOCAL_LOGIN: 'false',
    },
    (path) => (path === '/run/secrets/oidc' ? 's3cr3t-client-value\n' : noFile()),
  );
  assert.ok(c.oidc !== null);
  assert.equal(c.oidc.issuer, 'https://sso.example.com/realms/acme');
  assert.equal(c.oidc.clientSecret, 's3cr3t-client-value');
  assert.deepEqual(c.oidc.scopes, ['openid', 'email', 'profile', 'groups']);
  assert.deepEqual(c.oidc.groupMap, { '/analysts': ['Analysts'], '/ops': ['Ops', 'Analysts'] });
  assert.deepEqual(c.oidc.adminGroups, ['/plotbox-admins', '/root']);
  assert.equal(c.oidc.redirectUri, 'https://plotbox.example.com/api/auth/oidc/callback');
  assert.equal(c.oidc.allowHttp, false);
  assert.equal(c.oidc.linkByEmail, false, 'linking by email is opt-in');
  assert.equal(c.oidc.autoCreate, true);
  assert.equal(c.oidc.defaultRole, 'user');
  assert.equal(c.localLogin, false);
  assert.doesNotMatch(JSON.stringify(describeConfig(c)), /s3cr3t/);
  assert.equal(parseConfig({ ...base }, noFile).oidc?.displayName, 'sso.example.com');
  assert.equal(parseConfig({ ...base }, noFile).oidc?.allowHttp, true, 'dev may use a plain-http provider');

  const refused: [Record<string, string>, RegExp][] = [
    [{ PLOTBOX_OIDC_CLIENT_ID: 'x' }, /needs PLOTBOX_OIDC_ISSUER/],
    [{ PLOTBOX_OIDC_CLIENT_SECRET: 'x' }, /PLOTBOX_OIDC_CLIENT_SECRET needs PLOTBOX_OIDC_ISSUER/],
    [{ PLOTBOX_OIDC_ISSUER: 'https://sso.example.com' }, /PLOTBOX_OIDC_CLIENT_ID is required/],
    [{ ...base, PLOTBOX_OIDC_ISSUER: 'ftp://sso.example.com' }, /must be an https URL/],
    [{ ...base, PLOTBOX_OIDC_ISSUER: 'https://sso.example.com/?x=1' }, /query/],
    [{ ...base, PLOTBOX_OIDC_SCOPES: 'email profile' }, /must include openid/],
    [{ ...base, PLOTBOX_OIDC_GROUP_MAP: '["a"]' }, /must be a JSON object/],
    [{ ...base, PLOTBOX_OIDC_GROUP_MAP: '{"a": ""}' }, /GROUP_MAP: the entry for "a"/],
    [{ ...base, PLOTBOX_OIDC_GROUP_MAP: '{"a": [1]}' }, /GROUP_MAP/],
    [{ ...base, PLOTBOX_OIDC_GROUP_MAP: '{' }, /must be JSON/],
    [{ ...base, PLOTBOX_OIDC_DEFAULT_ROLE: 'admin' }, /user or viewer/],
    [{ ...base, PLOTBOX_OIDC_LINK_BY_EMAIL: 'perhaps' }, /PLOTBOX_OIDC_LINK_BY_EMAIL must be true or false/],
    [{ PLOTBOX_LOCAL_LOGIN: 'false' }, /needs single sign-on/],
    [{ ...prod, ...base, PLOTBOX_OIDC_ISSUER: 'http://sso.example.com' }, /https in production/],
    [{ ...base, PLOTBOX_OIDC_CLIENT_SECRET: 'a', PLOTBOX_OIDC_CLIENT_SECRET_FILE: '/x' }, /not both/],
  ];
  for (const [env, message] of refused)
    assert.throws(
      () => parseConfig(env, noFile),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
      JSON.stringify(env),
    );
});

test('audit retention: kept forever by default, days; production allows 0 (forever) or at least 90 days', () => {
  assert.equal(parseConfig({}, noFile).auditRetentionMs, null);
  const c = parseConfig({ PLOTBOX_AUDIT_RETENTION_DAYS: '1' }, noFile);
  assert.equal(c.auditRetentionMs, 86_400_000);
  assert.equal(describeConfig(c).auditRetentionDays, 1);
  assert.equal(describeConfig(parseConfig({}, noFile)).auditRetentionDays, 'forever');
  assert.doesNotThrow(() => parseConfig({ ...prod, PLOTBOX_AUDIT_RETENTION_DAYS: '0' }, noFile));
  assert.doesNotThrow(() => parseConfig({ ...prod, PLOTBOX_AUDIT_RETENTION_DAYS: '400' }, noFile));
  assert.throws(() => parseConfig({ ...prod, PLOTBOX_AUDIT_RETENTION_DAYS: '30' }, noFile), /PLOTBOX_AUDIT_RETENTION_DAYS must be between 90 and 36500 \(or 0: off\) in production/);
  assert.throws(() => parseConfig({ PLOTBOX_AUDIT_RETENTION_DAYS: 'a year' }, noFile), /PLOTBOX_AUDIT_RETENTION_DAYS must be a whole number/);
});
