import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAuthError } from './auth-error.ts';
import { createTotp, totpError } from './totp.ts';
import type { TotpAlgorithm } from './totp.ts';

// RFC 4648 base32 of the RFC 6238 Appendix B seeds.
const base32 = (ascii: string): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of Buffer.from(ascii, 'latin1')) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
};
const SEEDS: Record<TotpAlgorithm, string> = {
  SHA1: base32('12345678901234567890'),
  SHA256: base32('12345678901234567890123456789012'),
  SHA512: base32('1234567890123456789012345678901234567890123456789012345678901234'),
};

// RFC 6238 Appendix B: time (s) → code per algorithm.
const VECTORS: Array<[number, Record<TotpAlgorithm, string>]> = [
  [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
  [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
  [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

test('RFC 6238 Appendix B test vectors (SHA1, SHA256, SHA512; 8 digits)', () => {
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    for (const [seconds, codes] of VECTORS) {
      const totp = createTotp({ issuer: 'Plotbox', algorithm, digits: 8, window: 0, now: () => seconds * 1000 });
      assert.equal(totp.generate(SEEDS[algorithm]), codes[algorithm], `${algorithm} @ ${seconds}`);
      assert.deepEqual(totp.verify(SEEDS[algorithm], codes[algorithm]), { ok: true, step: Math.floor(seconds / 30) });
    }
  }
});

test('±1 step window, and nothing beyond', () => {
  const clock = { t: 1_750_000_005_000 };
  const totp = createTotp({ issuer: 'Plotbox', now: () => clock.t });
  const secret = totp.generateSecret();
  const step = totp.currentStep();
  const at = (s: number) => totp.generate(secret, s * 30_000);
  assert.deepEqual(totp.verify(secret, at(step)), { ok: true, step });
  assert.deepEqual(totp.verify(secret, at(step - 1)), { ok: true, step: step - 1 });
  assert.deepEqual(totp.verify(secret, at(step + 1)), { ok: true, step: step + 1 });
  for (const s of [step - 2, step + 2]) {
    const code = at(s);
    // Skip the 1-in-a-million collision with a code inside the window.
    if ([step - 1, step, step + 1].some((w) => at(w) === code)) continue;
    assert.deepEqual(totp.verify(secret, code), { ok: false, reason: 'invalid' });
  }
});

test('a used step (or an earlier one) is refused as replay', () => {
  const clock = { t: 1_750_000_005_000 };
  const totp = createTotp({ issuer: 'Plotbox', now: () => clock.t });
  const secret = totp.generateSecret();
  const code = totp.generate(secret);
  const first = totp.verify(secret, code);
  assert.ok(first.ok);
  assert.deepEqual(totp.verify(secret, code, first.step), { ok: false, reason: 'replay' });
  // Still a replay 30 s later, when that code is in the "previous step" slot of the window.
  clock.t += 30_000;
  assert.deepEqual(totp.verify(secret, code, first.step), { ok: false, reason: 'replay' });
  // The next code is fine.
  assert.deepEqual(totp.verify(secret, totp.generate(secret), first.step), { ok: true, step: first.step + 1 });
  assert.equal(totpError('replay').code, 'AUTH_TOTP_REPLAY');
  assert.equal(totpError('invalid').code, 'AUTH_TOTP_INVALID');
});

test('malformed codes and secrets are invalid, never a throw', () => {
  const totp = createTotp({ issuer: 'Plotbox', now: () => 1_750_000_000_000 });
  const secret = totp.generateSecret();
  const code = totp.generate(secret);
  assert.deepEqual(totp.verify(secret, `${code.slice(0, 3)} ${code.slice(3)}`).ok, true);
  for (const bad of ['', '12345', '1234567', 'abcdef', `${code}0`, ' '.repeat(6), '１２３４５６', 'x'.repeat(1_000_000), undefined, null, 123456, {}]) {
    assert.equal(totp.verify(secret, bad).ok, false, String(bad).slice(0, 10));
  }
  for (const badSecret of ['', 'not base32!', '0189', undefined as never]) assert.deepEqual(totp.verify(badSecret, code), { ok: false, reason: 'invalid' });
});

test('secrets and provisioning URIs', () => {
  const totp = createTotp({ issuer: 'Plotbox', randomBytes: (n) => new Uint8Array(n).fill(0xff) });
  assert.equal(totp.generateSecret(), '7'.repeat(32));
  const real = createTotp({ issuer: 'Plotbox' });
  const secret = real.generateSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.notEqual(secret, real.generateSecret());
  const uri = new URL(real.provisioningUri(secret, 'alice@example.com'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(decodeURIComponent(uri.pathname), '/Plotbox:alice@example.com');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.equal(uri.searchParams.get('issuer'), 'Plotbox');
  assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
  assert.throws(() => real.provisioningUri(secret, 'a:b'), TypeError);
});

test('bad options throw AUTH_CONFIG at construction', () => {
  for (const options of [
    { issuer: '' },
    { issuer: 'a:b' },
    { issuer: 'P', algorithm: 'MD5' as never },
    { issuer: 'P', digits: 4 },
    { issuer: 'P', period: 1 },
    { issuer: 'P', window: 10 },
    { issuer: 'P', secretBytes: 8 },
  ]) {
    assert.throws(
      () => createTotp(options),
      (e: unknown) => isAuthError(e, 'AUTH_CONFIG'),
      JSON.stringify(options),
    );
  }
});
