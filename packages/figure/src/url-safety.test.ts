import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCharacterReferences, unsafeMarkup, unsafeUrlScheme } from './url-safety.ts';

test('unsafeUrlScheme finds the three schemes, however they are dressed up', () => {
  const cases: [string, string][] = [
    ['javascript:alert(1)', 'javascript'],
    ['JavaScript:alert(1)', 'javascript'],
    ['  \t\n\u0000\u001f javascript:alert(1)', 'javascript'],
    ['\u00a0\u200b\ufeffjavascript:x', 'javascript'],
    ['java\tscript:x', 'javascript'],
    ['java script:x', 'javascript'],
    ['j\u200ba\u00adv\na\rscript:x', 'javascript'],
    ['&#106;avascript:x', 'javascript'],
    ['&#x6A;&#X61;vascript&colon;x', 'javascript'],
    ['&#0000106avascript:x', 'javascript'],
    ['javascript&#58;x', 'javascript'],
    ['&Tab;javascript&NewLine;:x', 'javascript'],
    ['VBScript:MsgBox(1)', 'vbscript'],
    ['data:text/html,<script>alert(1)</script>', 'data'],
    [' DATA:image/svg+xml;base64,PHN2Zz4=', 'data'],
    ['d&#97;ta:,x', 'data'],
  ];
  for (const [input, scheme] of cases) assert.equal(unsafeUrlScheme(input), scheme, JSON.stringify(input));
});

test('unsafeUrlScheme leaves ordinary URLs and text alone', () => {
  for (const s of [
    'https://example.com/a.png',
    'http://x/javascript:alert(1)',
    '/relative/data:thing',
    'mailto:a@b.c',
    'Source data: census',
    'datum: x',
    'javascrip',
    'javascript',
    '&#106;',
    '&amp;#106;avascript:x', // one level of decoding only, as a browser does
    '',
    'jаvascript:x', // Cyrillic а: not the ASCII scheme, and not one a browser would run
  ]) {
    assert.equal(unsafeUrlScheme(s), undefined, JSON.stringify(s));
  }
});

test('unsafeUrlScheme looks only at the given range', () => {
  const s = 'href="javascript:x"';
  assert.equal(unsafeUrlScheme(s, 6, s.length), 'javascript');
  assert.equal(unsafeUrlScheme(s, 6, 10), undefined);
});

test('unsafeMarkup finds script-capable URLs in attribute values', () => {
  for (const s of [
    '<a href="javascript:alert(1)">x</a>',
    "<a href='javascript:alert(1)'>x</a>",
    '<a href=javascript:alert(1)>x</a>',
    '<a HREF = " &#106;avascript:alert(1)">x</a>',
    'before <a href="vbscript:msgbox(1)">x</a> after',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<a target="_blank" href="java\tscript:x">x</a>',
    '<span style="x" xlink:href="javascript:x">y</span>',
    // A quoted value holding another tag: whichever way a parser splits it, the URL is found.
    '<a title=" <a href=\'javascript:x\'>">y</a>',
  ]) {
    assert.match(unsafeMarkup(s) ?? '', /URL in markup/, s);
  }
});

test('unsafeMarkup refuses unsafe tags and event handlers', () => {
  assert.equal(unsafeMarkup('<script>alert(1)</script>'), 'contains a <script> tag');
  assert.equal(unsafeMarkup('a <IMG src=x>'), 'contains a <img> tag');
  assert.equal(unsafeMarkup('</iframe>'), 'contains a <iframe> tag');
  assert.equal(unsafeMarkup('<svg/onload=alert(1)>'), 'contains a <svg> tag');
  assert.match(unsafeMarkup('<b onmouseover="alert(1)">x</b>') ?? '', /event handler/);
  assert.match(unsafeMarkup('<span\nonclick = x>y</span>') ?? '', /event handler/);
});

test('unsafeMarkup accepts the text plotly renders', () => {
  for (const s of [
    'plain text',
    'Source data: census',
    'Data: monthly totals',
    '<b>Source data:</b> census',
    'Revenue<br>per region<sup>2</sup>',
    '<a href="https://example.com/report?a=1&b=2" target="_blank">report</a>',
    '<span style="color:red">red</span>',
    '%{x}: %{y:.2f}<extra>data: %{customdata}</extra>',
    'x < 5 and y > 3',
    '<NA>',
    '<unknown>',
    'a<b',
    'once=upon a time <i>on</i>',
  ]) {
    assert.equal(unsafeMarkup(s), undefined, s);
  }
});

test('unsafeMarkup and unsafeUrlScheme take linear time on hostile strings', () => {
  const n = 1_000_000;
  const hostile = [
    '<' + 'a'.repeat(n),
    '<a ' + '= '.repeat(n / 2),
    '<a ' + '=\t&#32;j'.repeat(n / 8),
    '<a ' + 'on'.repeat(n / 2),
    '<' + '<'.repeat(n),
    '<a href="' + '&#0000000000'.repeat(n / 12),
    '<a ' + ' on-'.repeat(n / 4),
  ];
  for (const s of hostile) {
    const t0 = performance.now();
    unsafeMarkup(s);
    unsafeUrlScheme(s);
    const ms = performance.now() - t0;
    assert.ok(ms < 500, `${JSON.stringify(s.slice(0, 20))}… took ${ms.toFixed(0)} ms`);
  }
});

test('links in chart text may only point to http(s) addresses (viewers follow them)', () => {
  for (const s of ['<a href="https://example.com/x">x</a>', "<a href='http://example.com'>x</a>", '<a href=https://example.com>x</a>', '<a target="_blank" href="HTTPS://EXAMPLE.COM">x</a>'])
    assert.equal(unsafeMarkup(s), undefined, s);
  for (const s of [
    '<a href="mailto:team@example.com">mail us</a>',
    '<a href="/relative">x</a>',
    '<a href="#top">x</a>',
    '<a href="ftp://example.com">x</a>',
    '<a href="//evil.example">x</a>',
    '<a href="">x</a>',
    '<A HREF="tel:123">x</A>',
  ]) {
    assert.match(unsafeMarkup(s) ?? '', /not an http\(s\) address/u, s);
  }
});

test('markup written with character references is markup: &lt;img …&gt; and friends', () => {
  for (const s of [
    '&lt;img src=x onerror=alert(1)&gt;',
    '&#60;script&#62;alert(1)&#60;/script&#62;',
    '&#x3c;iframe src=https://evil.example&#x3e;',
    '&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;',
  ]) {
    assert.match(unsafeMarkup(s) ?? '', /character references/u, s);
  }
  assert.equal(unsafeMarkup('AT&amp;T &lt; 5 &gt; 3 &copy;'), undefined, 'ordinary entities are fine');
  assert.equal(decodeCharacterReferences('&lt;b&gt; &amp; &#65;&#x42; &unknown; &'), '<b> & AB &unknown; &');
});
