import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFigure, createFigureChecker, type FigureCheckOptions } from './index.ts';
import { accepts, rejects, json } from '../test/figure-asserts.ts';

describe('URLs and markup', () => {
  test('javascript:, vbscript: and data: URLs in URL attributes, however obfuscated', () => {
    const image = (source: string): unknown => ({ data: [], layout: { images: [{ x: 0 }, { source }] } });
    for (const source of [
      'javascript:alert(1)',
      '  JAVASCRIPT:alert(1)',
      '\u0000\u001f\tjavascript:alert(1)',
      'java\nscript:alert(1)',
      'jav&#x09;ascript:alert(1)',
      '&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)',
      'vbscript:msgbox(1)',
      'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
      ' Data:text/html,<b>x</b>',
    ]) {
      rejects(image(source), 'layout.images[1].source', /(javascript|vbscript|data): URLs are not allowed/);
    }
    accepts(image('https://example.com/logo.png'));
    accepts(image('/static/logo.png'));
  });

  test('other URL positions: map styles and layers, geojson, image traces, button and slider args', () => {
    rejects({ data: [], layout: { map: { style: 'javascript:x' } } }, 'layout.map.style', /javascript: URLs/);
    rejects({ data: [], layout: { map: { style: { sources: { a: { tiles: ['data:,x'] } } } } } }, 'layout.map.style.sources.a.tiles[0]', /data: URLs/);
    rejects({ data: [], layout: { map2: { layers: [{ source: 'vbscript:x' }] } } }, 'layout.map2.layers[0].source', /vbscript: URLs/);
    rejects({ data: [{ type: 'choroplethmap', geojson: 'javascript:x' }] }, 'data[0].geojson', /javascript: URLs/);
    rejects({ data: [{ type: 'image', source: 'data:image/png;base64,iVBORw0KGgo=' }] }, 'data[0].source', /data: URLs/);
    rejects(
      { data: [], layout: { updatemenus: [{ buttons: [{ method: 'relayout', args: ['images[0].source', 'javascript:alert(1)'] }] }] } },
      'layout.updatemenus[0].buttons[0].args[1]',
      /javascript: URLs/,
    );
    rejects(
      { data: [], layout: { updatemenus: [{ buttons: [{ method: 'relayout', args: [{ 'images[0].source': 'javascript:x' }] }] }] } },
      'layout.updatemenus[0].buttons[0].args[0]["images[0].source"]',
      /javascript: URLs/,
    );
    rejects({ data: [], layout: { sliders: [{ steps: [{ args: ['x', 'data:,1'] }] }] } }, 'layout.sliders[0].steps[0].args[1]', /data: URLs/);
    rejects({ data: [], layout: { template: { layout: { images: [{ source: 'javascript:x' }] } } } }, 'layout.template.layout.images[0].source', /javascript: URLs/);
    accepts({ data: [{ type: 'choroplethmap', geojson: 'https://example.com/regions.geojson', locations: ['a'], z: [1] }], layout: { map: { style: 'open-street-map' } } });
  });

  test('hrefs in text are checked everywhere plotly renders text, including data', () => {
    rejects({ data: [], layout: { title: { text: 'See <a href="javascript:alert(1)">this</a>' } } }, 'layout.title.text', /javascript: URL in markup/);
    rejects({ data: [], layout: { xaxis2: { title: { text: "<a href=' &#106;avascript:x'>x</a>" } } } }, 'layout.xaxis2.title.text', /javascript: URL in markup/);
    rejects({ data: [{ x: ['ok', '<a href="vbscript:x">v</a>'] }] }, 'data[0].x[1]', /vbscript: URL in markup/);
    rejects({ data: [{ customdata: [{ note: '<a href="data:text/html,x">d</a>' }] }] }, 'data[0].customdata[0].note', /data: URL in markup/);
    rejects({ data: [], layout: { annotations: [{ text: '<img src=x onerror=alert(1)>' }] } }, 'layout.annotations[0].text', /<img> tag/);
    rejects({ data: [], layout: { map: { layers: [{ sourceattribution: '<b onmouseover="alert(1)">x</b>' }] } } }, 'layout.map.layers[0].sourceattribution', /event handler/);
  });

  test('ordinary text that mentions data: or javascript: passes', () => {
    accepts({
      data: [{ type: 'bar', name: 'data: raw', x: ['Data: Q1', 'javascript: usage'], y: [1, 2], hovertemplate: 'data: %{y}<extra></extra>' }],
      layout: {
        title: { text: 'Source data: census 2020' },
        xaxis: { title: { text: 'JavaScript: adoption' } },
        annotations: [{ text: 'Data: <a href="https://example.com/src">source</a> <b>bold</b> <NA>' }],
      },
    });
  });
});

describe('limits', () => {
  test('arrays longer than maxArrayLength', () => {
    rejects({ data: [{ y: [1, 2, 3, 4] }] }, 'data[0].y', /array longer than 3 elements/, { maxArrayLength: 3 });
    accepts({ data: [{ y: [1, 2, 3] }] }, { maxArrayLength: 3 });
    rejects({ data: [{ meta: { a: 1, b: 2, c: 3, d: 4 } }] }, 'data[0].meta', /more than 3 keys/, { maxArrayLength: 3 });
  });

  test('more than maxTraces traces', () => {
    rejects({ data: Array.from({ length: 1001 }, () => ({ type: 'bar' })) }, 'data', /more than 1000 traces/);
    accepts({ data: Array.from({ length: 1000 }, () => ({ type: 'bar' })) });
    rejects({ data: [{}, {}, {}] }, 'data', /more than 2 traces/, { maxTraces: 2 });
  });

  test('nesting deeper than maxDepth', () => {
    // figure(0) > data(1) > data[0](2) > meta(3) > a(4)
    accepts({ data: [{ meta: { a: {} } }] }, { maxDepth: 4 });
    rejects({ data: [{ meta: { a: { b: 1 } } }] }, 'data[0].meta.a', /nested deeper than 3 levels/, { maxDepth: 3 });
  });

  test('strings (values and keys) longer than maxStringLength', () => {
    rejects({ data: [{ y: ['short', 'x'.repeat(11)] }] }, 'data[0].y[1]', /string longer than 10 characters/, { maxStringLength: 10 });
    rejects({ data: [], layout: { title: { text: 'x'.repeat(11) } } }, 'layout.title.text', /string longer than 10/, { maxStringLength: 10 });
    const longKey = 'k'.repeat(100);
    rejects({ data: [{ meta: { [longKey]: 1 } }] }, `data[0].meta["${'k'.repeat(64)}…"]`, /key longer than 10 characters/, { maxStringLength: 10 });
  });

  test('options are validated eagerly', () => {
    assert.throws(() => createFigureChecker({ maxDepth: 0 }), RangeError);
    assert.throws(() => createFigureChecker({ maxTraces: 1.5 }), RangeError);
    assert.throws(() => createFigureChecker({ maxArrayLength: Number.NaN }), RangeError);
    assert.throws(() => checkFigure({ data: [] }, { maxStringLength: -1 }), RangeError);
    assert.throws(() => createFigureChecker({ maxDeph: 3 } as FigureCheckOptions), /unknown figure check option maxDeph/);
    const strict = createFigureChecker({ maxTraces: 1 });
    assert.equal(strict({ data: [{}] }).ok, true);
    assert.equal(strict({ data: [{}, {}] }).ok, false);
  });
});

describe('hostile input', () => {
  // Hang guards are test timeouts, never timed assertions: how fast the check is, bench/ says.
  test('a 10^6-deep nested array stops at maxDepth without touching the stack', { timeout: 30_000 }, () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    const r = checkFigure({ data: [{ customdata: deep }] });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.error.message, /nested deeper than 64 levels/);
      // figure (0) > data (1) > data[0] (2) > customdata (3) > 62 more levels reach depth 65
      assert.equal(r.error.path, `data[0].customdata${'[0]'.repeat(62)}`);
    }
  });

  test('deep nesting is refused even with a huge maxDepth, iteratively', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    const r = checkFigure({ data: [{ meta: deep }] }, { maxDepth: 1_000_000 });
    assert.equal(r.ok, true); // 200k levels walked without recursion
  });

  test('cycles', () => {
    const meta: Record<string, unknown> = { a: 1 };
    meta['self'] = meta;
    rejects({ data: [{ meta }] }, 'data[0].meta.self', /cycle: a value contains itself/);
    const data: unknown[] = [];
    data.push({ customdata: data });
    rejects({ data }, 'data[0].customdata', /cycle/);
    const a: unknown[] = [];
    const b: unknown[] = [a];
    a.push(1, b);
    rejects({ data: [{ customdata: a }] }, 'data[0].customdata[1][0]', /cycle/);
  });

  test('shared references are checked where they appear; a shared-reference bomb hits maxValues', { timeout: 30_000 }, () => {
    const marker = { color: 'red' };
    accepts({ data: [{ marker }, { marker }] });
    // The same object is checked against the schema at each place it appears.
    const line = { width: 2, shape: 'spline' };
    rejects(
      {
        data: [
          { type: 'scatter', line },
          { type: 'scatter', marker: { line } },
        ],
      },
      'data[1].marker.line.shape',
      /unknown attribute "shape" for trace type "scatter"/,
    );
    // 2^60 paths through 60 small arrays: JSON.stringify would never finish; the check stops at the budget.
    let bomb: unknown[] = [1];
    for (let i = 0; i < 60; i++) bomb = [bomb, bomb];
    const r = checkFigure({ data: [{ customdata: bomb }] });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /more than 10000000 values in the figure/);
    // figure 2 + data 3 + data[0] 2 + y 4 + data[1] 2 = 13, then y 4 more.
    rejects({ data: [{ y: [1, 2, 3] }, { y: [4, 5, 6] }] }, 'data[1].y', /more than 14 values/, { maxValues: 14 });
    accepts({ data: [{ y: [1, 2, 3] }, { y: [4, 5, 6] }] }, { maxValues: 17 });
  });

  test('a 2^24-length sparse array is refused without walking it', { timeout: 30_000 }, () => {
    const sparse: number[] = [];
    sparse.length = 2 ** 24;
    sparse[2 ** 24 - 1] = 1;
    rejects({ data: [{ y: sparse }] }, 'data[0].y', /array longer than 1000000 elements/);
    // With the length allowed, the first hole stops the walk.
    rejects({ data: [{ y: sparse }] }, 'data[0].y[0]', /hole/, { maxArrayLength: 2 ** 25, maxValues: 2 ** 26 });
    // And the value budget refuses it too.
    rejects({ data: [{ y: sparse }] }, 'data[0].y', /more than 10000000 values/, { maxArrayLength: 2 ** 25 });
  });

  test('many objects and long strings are accepted', { timeout: 30_000 }, () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [i, `r${i}`, { k: i }]);
    accepts({ data: [{ customdata: rows }] });
    accepts({ data: [], layout: { title: { text: '<b>' + 'a='.repeat(400_000) + '</b>' } } });
  });
});

test('8 traces × 100k numbers (x and y) are accepted (its speed: bench/)', { timeout: 30_000 }, () => {
  const figure = json({
    data: Array.from({ length: 8 }, (_, t) => ({
      type: 'scatter',
      mode: 'lines',
      name: `trace ${t}`,
      x: Array.from({ length: 100_000 }, (_, i) => i),
      y: Array.from({ length: 100_000 }, (_, i) => Math.sin(i / 100) * t),
    })),
    layout: { title: { text: 'speed' } },
  });
  assert.equal(checkFigure(figure).ok, true);
});
