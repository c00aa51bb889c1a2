/**
 * UTF-8 `TextEncoder` / `TextDecoder` for the isolate bundle only. A bare V8 context has neither,
 * and arquero's Arrow library (flechette) constructs both when it loads; esbuild's `inject`
 * (see build.mjs) points those references here instead of at missing globals, so the bundle
 * still defines no global. Only `encode` and `decode` of UTF-8 are supported — all flechette uses.
 */

export class TextEncoder {
  readonly encoding = 'utf-8';

  /** UTF-8 bytes of `input`; lone surrogates become U+FFFD, as the WHATWG encoder does. */
  encode(input = ''): Uint8Array {
    const s = String(input);
    const bytes: number[] = [];
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = s.charCodeAt(i + 1);
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else c = 0xfffd;
      }
      if (c < 0x80) bytes.push(c);
      else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return Uint8Array.from(bytes);
  }
}

export class TextDecoder {
  readonly encoding = 'utf-8';

  constructor(label = 'utf-8') {
    if (String(label).toLowerCase().replace('-', '') !== 'utf8') throw new RangeError(`TextDecoder: only utf-8 is supported, not ${String(label)}`);
  }

  /** The string encoded by UTF-8 `input`; malformed sequences become U+FFFD. */
  decode(input?: ArrayBuffer | ArrayBufferView): string {
    if (input === undefined) return '';
    const b = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    let out = '';
    const units: number[] = [];
    const flush = (): void => {
      out += String.fromCharCode(...units);
      units.length = 0;
    };
    for (let i = 0; i < b.length;) {
      const c = b[i] as number;
      let cp = 0xfffd;
      let need = 0;
      if (c < 0x80) cp = c;
      else if (c >= 0xc2 && c < 0xe0) {
        need = 1;
        cp = c & 31;
      } else if (c >= 0xe0 && c < 0xf0) {
        need = 2;
        cp = c & 15;
      } else if (c >= 0xf0 && c < 0xf5) {
        need = 3;
        cp = c & 7;
      }
      let j = 1;
      for (; j <= need; j++) {
        const d = b[i + j];
        if (d === undefined || (d & 0xc0) !== 0x80) break;
        cp = (cp << 6) | (d & 63);
      }
      if (j <= need || (need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff))) {
        cp = 0xfffd;
        j = Math.max(1, j);
      }
      i += need === 0 ? 1 : j;
      if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 1023));
      else units.push(cp);
      if (units.length >= 8192) flush();
    }
    flush();
    return out;
  }
}
