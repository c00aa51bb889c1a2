/**
 * Detection of script-capable URLs in figure strings. Two rules (see README "URL rule"):
 *
 * 1. In URL positions (attributes plotly.js or its map library load or follow), a string is
 *    unsafe if it *is* a `javascript:`, `vbscript:` or `data:` URL — see {@link unsafeUrlScheme}.
 * 2. In every string that contains `<` (plotly renders a subset of HTML in all text, including
 *    tick labels from data and hover text), the value after any `=` (an attribute value, quoted
 *    or not) must not be such a URL, and tags that can run script or load content
 *    (`<script>`, `<iframe>`, `<img>`, `<svg>`, ...) and `on*=` event handler attributes are
 *    refused — see {@link unsafeMarkup}. Text like `Source data: census` passes: there is no
 *    `<` and it is not in a URL position.
 *
 * Both run in time linear in the string length.
 */

const SCHEMES = ['javascript:', 'vbscript:', 'data:'] as const;
const LONGEST_SCHEME = 11;

/**
 * Characters a browser strips or ignores around and inside a scheme, plus invisible ones an
 * attacker could use to split it: C0 controls and space, DEL and C1 controls, and Unicode
 * spaces / zero-width characters. Stricter than a browser on purpose.
 */
function isIgnorable(c: number): boolean {
  return (
    c <= 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0xad || c === 0x1680 || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x2064) || c === 0x3000 || c === 0xfeff
  );
}

/**
 * Named character references that decode to something relevant here: markup (`<`, `>`, quotes,
 * `&`), a scheme's `:`, or an ignorable.
 */
const NAMED_REFERENCES: ReadonlyMap<string, number> = new Map([
  ['lt', 0x3c],
  ['gt', 0x3e],
  ['amp', 0x26],
  ['quot', 0x22],
  ['apos', 0x27],
  ['sol', 0x2f],
  ['equals', 0x3d],
  ['colon', 0x3a],
  ['tab', 0x09],
  ['newline', 0x0a],
  ['nbsp', 0xa0],
  ['shy', 0xad],
  ['zerowidthspace', 0x200b],
  ['zwnj', 0x200c],
  ['zwj', 0x200d],
  ['lrm', 0x200e],
  ['rlm', 0x200f],
  ['nobreak', 0x2060],
  ['nonbreakingspace', 0xa0],
]);

const MAX_NAMED_REFERENCE = 16;

/**
 * Decodes the character reference starting at `s[at] === '&'`. Returns the code point and the
 * index after the reference, or undefined when it is not one (then `&` is a literal).
 * Numeric references are accepted without `;` (browsers do, in attribute values).
 */
function decodeReference(s: string, at: number, end: number): { cp: number; next: number } | undefined {
  let i = at + 1;
  if (i < end && s.charCodeAt(i) === 0x23 /* # */) {
    i++;
    let hex = false;
    if (i < end && (s.charCodeAt(i) | 0x20) === 0x78 /* x */) {
      hex = true;
      i++;
    }
    const digitsStart = i;
    let cp = 0;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (hex && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
      else break;
      // Saturate instead of overflowing: any out-of-range reference is U+FFFD in a browser.
      cp = Math.min(cp * (hex ? 16 : 10) + d, 0x110000);
    }
    if (i === digitsStart) return undefined;
    if (i < end && s.charCodeAt(i) === 0x3b /* ; */) i++;
    return { cp: cp > 0x10ffff || cp === 0 ? 0xfffd : cp, next: i };
  }
  let name = '';
  for (; i < end && name.length <= MAX_NAMED_REFERENCE; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    name += String.fromCharCode(c);
  }
  const cp = NAMED_REFERENCES.get(name);
  if (cp === undefined) return undefined;
  if (i < end && s.charCodeAt(i) === 0x3b) i++;
  return { cp, next: i };
}

/**
 * If `s.slice(start, end)` is a `javascript:`, `vbscript:` or `data:` URL — after skipping
 * ignorable characters anywhere in the scheme, decoding character references (`&#106;`,
 * `&#x6A`, `&colon;`) and ignoring ASCII case — returns that scheme, else undefined.
 * Stops after at most 11 significant characters.
 */
export function unsafeUrlScheme(s: string, start = 0, end = s.length): string | undefined {
  let prefix = '';
  let i = start;
  while (i < end) {
    let cp = s.charCodeAt(i);
    let next = i + 1;
    if (cp === 0x26 /* & */) {
      const ref = decodeReference(s, i, end);
      if (ref !== undefined) {
        cp = ref.cp;
        next = ref.next;
      }
    }
    i = next;
    if (isIgnorable(cp)) continue;
    if (cp >= 0x41 && cp <= 0x5a) cp |= 0x20;
    if (cp > 0x7f) return undefined;
    prefix += String.fromCharCode(cp);
    let candidate = false;
    for (const scheme of SCHEMES) {
      if (scheme.startsWith(prefix)) {
        if (scheme.length === prefix.length) return scheme.slice(0, -1);
        candidate = true;
      }
    }
    if (!candidate || prefix.length >= LONGEST_SCHEME) return undefined;
  }
  return undefined;
}

/**
 * `s` with its character references decoded (`&lt;img` → `<img`, `&#x6A;` → `j`), the way a
 * browser would read it; references this module does not know are left as they are.
 */
export function decodeCharacterReferences(s: string): string {
  let amp = s.indexOf('&');
  if (amp === -1) return s;
  let out = '';
  let from = 0;
  while (amp !== -1) {
    const ref = decodeReference(s, amp, s.length);
    if (ref === undefined) {
      amp = s.indexOf('&', amp + 1);
      continue;
    }
    out += s.slice(from, amp) + String.fromCodePoint(ref.cp);
    from = ref.next;
    amp = s.indexOf('&', from);
  }
  return out + s.slice(from);
}

/** Tags that can run script, load content or restyle the page; plotly renders none of them. */
const UNSAFE_TAGS: ReadonlySet<string> = new Set([
  'applet',
  'audio',
  'base',
  'button',
  'embed',
  'form',
  'frame',
  'frameset',
  'iframe',
  'image',
  'img',
  'input',
  'link',
  'math',
  'meta',
  'noscript',
  'object',
  'picture',
  'portal',
  'script',
  'select',
  'source',
  'style',
  'svg',
  'template',
  'textarea',
  'track',
  'video',
]);

// An `on...=` attribute (event handler) inside a tag; linear (no nested quantifiers).
const EVENT_HANDLER = /[\s"'/]on[a-z-]+\s*=/i;

function isTagNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x3a;
}

/**
 * Checks a text string for markup plotly (or MapLibre's attribution box, which uses innerHTML)
 * could turn into script: a script-capable URL as any attribute value, an unsafe tag, or an
 * event handler attribute. Returns a description of the problem, or undefined if none.
 * Strings without `<` are never markup and return at once.
 */
export function unsafeMarkup(s: string): string | undefined {
  const plain = markupProblem(s);
  if (plain !== undefined || !s.includes('&')) return plain;
  // Markup written with character references (`&lt;img src=x onerror=...&gt;`) is markup too.
  const decoded = markupProblem(decodeCharacterReferences(s));
  return decoded === undefined ? undefined : `${decoded} (written with character references)`;
}

/** A link's target must be an http(s) address: links in charts are followed by viewers. */
const HREF = /\bhref\s*=\s*["'`]?/iu;

function linkProblem(attributes: string): string | undefined {
  const m = HREF.exec(attributes);
  if (m === null) return undefined;
  let i = m.index + m[0].length;
  while (i < attributes.length && isIgnorable(attributes.charCodeAt(i))) i++;
  const scheme = unsafeUrlScheme(attributes, i, attributes.length);
  if (scheme !== undefined) return `contains a ${scheme}: URL in markup`;
  // Ignorable characters anywhere in the scheme are skipped, as a browser would (`ht\ttp:`).
  const decoded = decodeCharacterReferences(attributes.slice(i, i + 40));
  let head = '';
  for (let j = 0; j < decoded.length && head.length < 8; j++) if (!isIgnorable(decoded.charCodeAt(j))) head += decoded.charAt(j).toLowerCase();
  return head.startsWith('http://') || head.startsWith('https://') ? undefined : 'contains a link that is not an http(s) address';
}

function markupProblem(s: string): string | undefined {
  let lt = s.indexOf('<');
  if (lt === -1) return undefined;
  // Tags: every `<` or `</` followed by a name. The tag's attributes run to the next `<` (not
  // the next `>`, which may sit inside a quoted value), so segments never overlap: linear.
  while (lt !== -1) {
    let i = lt + 1;
    if (i < s.length && s.charCodeAt(i) === 0x2f /* / */) i++;
    const nameStart = i;
    while (i < s.length && isTagNameChar(s.charCodeAt(i))) i++;
    const next = s.indexOf('<', Math.max(i, lt + 1));
    if (i > nameStart) {
      const name = s.slice(nameStart, Math.min(i, nameStart + 16)).toLowerCase();
      if (UNSAFE_TAGS.has(name)) return `contains a <${name}> tag`;
      const attributes = s.slice(i, next === -1 ? s.length : next);
      if (EVENT_HANDLER.test(attributes)) return 'contains an event handler attribute (on...=)';
      if (name === 'a') {
        const link = linkProblem(attributes);
        if (link !== undefined) return link;
      }
    }
    lt = next;
  }
  // Attribute values: whatever follows `=` (then optional ignorables and one quote).
  // Each scan stops after a few significant characters, so the whole pass is linear.
  let eq = s.indexOf('=');
  while (eq !== -1) {
    let i = eq + 1;
    while (i < s.length && isIgnorable(s.charCodeAt(i))) i++;
    const q = s.charCodeAt(i);
    if (q === 0x22 || q === 0x27 || q === 0x60) i++;
    const scheme = unsafeUrlScheme(s, i, s.length);
    if (scheme !== undefined) return `contains a ${scheme}: URL in markup`;
    eq = s.indexOf('=', eq + 1);
  }
  return undefined;
}
