import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { AuthError, isAuthError } from './auth-error.ts';
import { createKeySet, generateDevKeyPair } from './key-set.ts';
import { createTokenService } from './token-service.ts';
import type { TokenServiceOptions } from './token-service.ts';

const ours = generateDevKeyPair();
const old = generateDevKeyPair();
const foreign = generateDevKeyPair();
const keySet = createKeySet({ keys: [ours, old], activeKid: ours.kid });
const T0 = 1_750_000_000_000;
const ISS = 'https://plotbox.test';
const AUD = 'plotbox-api';

function service(overrides: Partial<TokenServiceOptions> & { clock?: { t: number } } = {}) {
  const clock = overrides.clock ?? { t: T0 };
  let n = 0;
  return createTokenService({ keySet, issuer: ISS, audience: AUD, now: () => clock.t, newId: () => `jti-${++n}`, ...overrides });
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(T0 / 1000);
  return { iss: ISS, aud: AUD, sub: 'user-1', sid: 'session-1', iat, exp: iat + 900, jti: 'j1', ...extra };
}

/** A compact JWS with any header and payload, signed by `signer` over `header.payload`. */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, signer: (input: string) => string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer(input)}`;
}

const rs256 = (key: KeyObject | string) => (input: string) => sign('sha256', Buffer.from(input), key).toString('base64url');

function assertCode(fn: () => unknown, code: 'AUTH_INVALID_TOKEN' | 'AUTH_EXPIRED', label?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AuthError, `${label ?? ''}: not an AuthError: ${String(e)}`);
    assert.equal(e.code, code, label);
    return true;
  });
}

test('issues RS256 tokens with the expected header and claims, and verifies them', () => {
  const tokens = service();
  const issued = tokens.issueAccessToken({ sub: 'user-1', sid: 'session-1' });
  assert.equal(issued.jti, 'jti-1');
  assert.equal(issued.expiresAt, (Math.floor(T0 / 1000) + 900) * 1000);
  const [h, p] = issued.token.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(h!, 'base64url').toString()), { alg: 'RS256', typ: 'JWT', kid: ours.kid });
  assert.deepEqual(Object.keys(JSON.parse(Buffer.from(p!, 'base64url').toString())).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
  const verified = tokens.verifyAccessToken(issued.token);
  assert.deepEqual({ ...verified }, { iss: ISS, aud: AUD, sub: 'user-1', sid: 'session-1', iat: Math.floor(T0 / 1000), exp: Math.floor(T0 / 1000) + 900, jti: 'jti-1' });
  assert.equal(tokens.issueAccessToken({ sub: 'u', sid: 's' }).jti, 'jti-2');
});

test('a token signed by a rotated-out (still configured) key verifies; after removal it does not', () => {
  const signedByOld = forge({ alg: 'RS256', typ: 'JWT', kid: old.kid }, claims(), rs256(old.privateKeyPem));
  assert.equal(service().verifyAccessToken(signedByOld).sub, 'user-1');
  const rotated = createKeySet({ keys: [ours], activeKid: ours.kid });
  assertCode(() => service({ keySet: rotated }).verifyAccessToken(signedByOld), 'AUTH_INVALID_TOKEN');
});

test('expiry uses the injected clock with a 5 s tolerance', () => {
  const clock = { t: T0 };
  const tokens = service({ clock });
  const { token } = tokens.issueAccessToken({ sub: 'u', sid: 's' });
  clock.t = T0 + 900_000 + 4_000;
  assert.equal(tokens.verifyAccessToken(token).sub, 'u');
  clock.t = T0 + 900_000 + 5_000;
  assertCode(() => tokens.verifyAccessToken(token), 'AUTH_EXPIRED');
});

test('forged and malformed tokens are refused with AUTH_INVALID_TOKEN', () => {
  const tokens = service();
  const good = tokens.issueAccessToken({ sub: 'user-1', sid: 'session-1' }).token;
  const [gh, gp, gs] = good.split('.') as [string, string, string];
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
  const hdr = (extra: Record<string, unknown> = {}) => ({ alg: 'RS256', typ: 'JWT', kid: ours.kid, ...extra });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ourPrivate = createPrivateKey(ours.privateKeyPem);

  const cases: Record<string, string> = {
    'alg none, empty signature': `${b64({ alg: 'none', typ: 'JWT' })}.${gp}.`,
    'alg None, empty signature': `${b64({ alg: 'None', kid: ours.kid })}.${gp}.`,
    'alg NONE, empty signature': `${b64({ alg: 'NONE', kid: ours.kid })}.${gp}.`,
    'alg none with our kid and the real signature': `${b64({ alg: 'none', kid: ours.kid })}.${gp}.${gs}`,
    'alg none, no signature segment': `${b64({ alg: 'none' })}.${gp}`,
    'HS256 with the public key PEM as HMAC secret': forge(hdr({ alg: 'HS256' }), claims(), (i) => createHmac('sha256', ours.publicKeyPem).update(i).digest('base64url')),
    'HS256 with the JWK n as secret': forge(hdr({ alg: 'HS256' }), claims(), (i) => createHmac('sha256', keySet.toJwks().keys[0]!.n).update(i).digest('base64url')),
    'tampered payload (sub changed)': `${gh}.${b64(claims({ sub: 'admin', jti: 'jti-1' }))}.${gs}`,
    'foreign RSA key with our kid': forge(hdr(), claims(), rs256(foreign.privateKeyPem)),
    'foreign RSA key with its own (unknown) kid': forge(hdr({ kid: foreign.kid }), claims(), rs256(foreign.privateKeyPem)),
    'embedded jwk header (attacker key), no kid': forge({ alg: 'RS256', jwk: attackerJwk }, claims(), rs256(attacker.privateKey)),
    'embedded jwk header (attacker key), our kid': forge(hdr({ jwk: { ...attackerJwk, kid: ours.kid } }), claims(), rs256(attacker.privateKey)),
    'jku header to attacker JWKS': forge(hdr({ jku: 'https://evil.test/jwks.json' }), claims(), rs256(attacker.privateKey)),
    'x5u header': forge(hdr({ x5u: 'https://evil.test/cert.pem' }), claims(), rs256(attacker.privateKey)),
    'RS512 with our key': forge(hdr({ alg: 'RS512' }), claims(), (i) => sign('sha512', Buffer.from(i), ourPrivate).toString('base64url')),
    'PS256 with our key': forge(hdr({ alg: 'PS256' }), claims(), (i) =>
      sign('sha256', Buffer.from(i), { key: ourPrivate, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }).toString('base64url'),
    ),
    'ES256 with an EC key': forge(hdr({ alg: 'ES256' }), claims(), (i) => sign('sha256', Buffer.from(i), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')),
    'crit header': forge(hdr({ crit: ['exp'] }), claims(), rs256(ourPrivate)),
    'typ not JWT': forge(hdr({ typ: 'at+jwt+evil' }), claims(), rs256(ourPrivate)),
    'no kid': forge({ alg: 'RS256', typ: 'JWT' }, claims(), rs256(ourPrivate)),
    'unknown kid': forge(hdr({ kid: 'nope' }), claims(), rs256(ourPrivate)),
    'kid ../../etc/passwd': forge(hdr({ kid: '../../etc/passwd' }), claims(), rs256(ourPrivate)),
    'kid 10 KB': forge(hdr({ kid: 'k'.repeat(10_240) }), claims(), rs256(ourPrivate)),
    'kid __proto__': forge(hdr({ kid: '__proto__' }), claims(), rs256(ourPrivate)),
    'kid constructor': forge(hdr({ kid: 'constructor' }), claims(), rs256(ourPrivate)),
    'kid number': forge(hdr({ kid: 1 }), claims(), rs256(ourPrivate)),
    'kid object': forge(hdr({ kid: { toString: ours.kid } }), claims(), rs256(ourPrivate)),
    'kid array': forge(hdr({ kid: [ours.kid] }), claims(), rs256(ourPrivate)),
    'kid null': forge(hdr({ kid: null }), claims(), rs256(ourPrivate)),
    'header is an array': `${b64([ours.kid])}.${gp}.${gs}`,
    'header is not JSON': `${Buffer.from('{alg:RS256').toString('base64url')}.${gp}.${gs}`,
    'payload is not JSON': forge(hdr(), claims(), rs256(ourPrivate)).replace(/\.[^.]+\./, `.${Buffer.from('not json').toString('base64url')}.`),
    'wrong issuer': forge(hdr(), claims({ iss: 'https://evil.test' }), rs256(ourPrivate)),
    'wrong audience': forge(hdr(), claims({ aud: 'other-api' }), rs256(ourPrivate)),
    'audience array': forge(hdr(), claims({ aud: [AUD, 'other'] }), rs256(ourPrivate)),
    'missing exp': forge(hdr(), claims({ exp: undefined }), rs256(ourPrivate)),
    'exp a string': forge(hdr(), claims({ exp: '9999999999' }), rs256(ourPrivate)),
    'missing iat': forge(hdr(), claims({ iat: undefined }), rs256(ourPrivate)),
    'missing sub': forge(hdr(), claims({ sub: undefined }), rs256(ourPrivate)),
    'empty sub': forge(hdr(), claims({ sub: '' }), rs256(ourPrivate)),
    'sub a number': forge(hdr(), claims({ sub: 1 }), rs256(ourPrivate)),
    'missing sid': forge(hdr(), claims({ sid: undefined }), rs256(ourPrivate)),
    'missing jti': forge(hdr(), claims({ jti: undefined }), rs256(ourPrivate)),
    'nbf in the future': forge(hdr(), claims({ nbf: Math.floor(T0 / 1000) + 60 }), rs256(ourPrivate)),
    'nbf not a number': forge(hdr(), claims({ nbf: 'soon' }), rs256(ourPrivate)),
    'iat far in the future': forge(hdr(), claims({ iat: Math.floor(T0 / 1000) + 3600, exp: Math.floor(T0 / 1000) + 4500 }), rs256(ourPrivate)),
    'signature truncated': good.slice(0, -10),
    'signature of another of our tokens': `${gh}.${gp}.${tokens.issueAccessToken({ sub: 'x', sid: 'y' }).token.split('.')[2]}`,
  };
  for (const [label, token] of Object.entries(cases)) assertCode(() => tokens.verifyAccessToken(token), 'AUTH_INVALID_TOKEN', label);
  // The control: the same forge() with our key and a proper header passes, so the refusals above
  // are down to the one thing each case changes.
  assert.equal(tokens.verifyAccessToken(forge(hdr(), claims(), rs256(ourPrivate))).sub, 'user-1');
  assert.equal(tokens.verifyAccessToken(forge(hdr(), claims({ nbf: Math.floor(T0 / 1000) }), rs256(ourPrivate))).sub, 'user-1');
  assert.ok(createPublicKey(ours.publicKeyPem));
});

test('an expired forged token is still AUTH_INVALID_TOKEN (signature before expiry)', () => {
  const expired = claims({ iat: 1000, exp: 2000 });
  assertCode(() => service().verifyAccessToken(forge({ alg: 'RS256', kid: ours.kid }, expired, rs256(foreign.privateKeyPem))), 'AUTH_INVALID_TOKEN');
  assertCode(() => service().verifyAccessToken(forge({ alg: 'RS256', kid: ours.kid }, expired, rs256(ours.privateKeyPem))), 'AUTH_EXPIRED');
});

test('any input at all gives an AuthError, never another exception', () => {
  const tokens = service();
  const inputs: unknown[] = [
    '',
    '.',
    '..',
    '...',
    'a.b.c',
    'a.b.',
    '.b.c',
    'a..c',
    'x'.repeat(1024 * 1024),
    `${'a'.repeat(4000)}.${'b'.repeat(4000)}.c`,
    randomBytes(256).toString('latin1'),
    randomBytes(64).toString('base64'),
    '\u0000.\u0000.\u0000',
    'e30.e30.e30',
    'bnVsbA.bnVsbA.bnVsbA',
    'eyJhbGciOiJSUzI1NiJ9.e30.' + 'A'.repeat(342),
    undefined,
    null,
    42,
    {},
    [],
    Symbol('t'),
    () => 'x',
    new String('a.b.c'),
  ];
  for (let i = 0; i < 300; i++) {
    const parts = Array.from({ length: 3 }, () => randomBytes(Math.floor(Math.random() * 80)).toString('base64url'));
    inputs.push(parts.join('.'));
    inputs.push(randomBytes(Math.floor(Math.random() * 200)).toString('utf8'));
  }
  for (const input of inputs) {
    assert.throws(
      () => tokens.verifyAccessToken(input),
      (e: unknown) => isAuthError(e, 'AUTH_INVALID_TOKEN'),
    );
  }
});

test('factory validates options eagerly', () => {
  const bad: Array<Partial<TokenServiceOptions>> = [
    { keySet: { activeKid: 'x', kids: ['x'], publicKey: () => undefined, toJwks: () => ({ keys: [] }) } },
    { keySet: 'hs256-shared-secret' as never },
    { keySet: ours.privateKeyPem as never },
  ];
  for (const overrides of bad)
    assert.throws(
      () => service(overrides),
      (e: unknown) => isAuthError(e, 'AUTH_KEY_CONFIG'),
    );
  for (const overrides of [{ issuer: '' }, { audience: '' }, { accessTtlSec: 0 }, { accessTtlSec: 1.5 }, { clockToleranceSec: -1 }, { now: 5 as never }]) {
    assert.throws(
      () => service(overrides),
      (e: unknown) => isAuthError(e, 'AUTH_CONFIG'),
      JSON.stringify(overrides),
    );
  }
  assert.throws(
    () => createTokenService(undefined as never),
    (e: unknown) => isAuthError(e, 'AUTH_CONFIG'),
  );
  assert.throws(() => service().issueAccessToken({ sub: '', sid: 's' }), TypeError);
});
