import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDecoder as ShimDecoder, TextEncoder as ShimEncoder } from './text-codec-shim.ts';

test('the bundle-only UTF-8 codec agrees with the platform codec', () => {
  const samples = ['', 'plain', 'é ✓ 😀 中文', 'lone \ud800 surrogate', '\u0000\u007f\u0080\u07ff\u0800\uffff'];
  for (const s of samples) {
    const bytes = new ShimEncoder().encode(s);
    assert.deepEqual(bytes, new globalThis.TextEncoder().encode(s), s);
    assert.equal(new ShimDecoder().decode(bytes), new globalThis.TextDecoder().decode(bytes), s);
  }
  const malformed = Uint8Array.of(0x61, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x98, 0x80, 0xff);
  assert.equal(new ShimDecoder('utf-8').decode(malformed), new globalThis.TextDecoder().decode(malformed));
  assert.throws(() => new ShimDecoder('latin1'), RangeError);
});
