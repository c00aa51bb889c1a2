import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFigure, createFigureChecker, DEFAULT_FIGURE_CHECK_OPTIONS, PLOTLY_VERSION, TRACE_TYPES } from './index.ts';
import type { FigureCheckOptions } from './index.ts';

/** Asserts the figure passes, and that the same object comes back. */
function accepts(figure: unknown, options?: FigureCheckOptions): void {
  const r = checkFigure(figure, options);
  if (!r.ok) assert.fail(`expected the figure to pass, got: ${r.error.message}`);
  assert.equal(r.figure, figure);
}

/** Asserts the figure is refused at `path`, with a message matching `message`. */
function rejects(figure: unknown, path: string, message: RegExp, options?: FigureCheckOptions): void {
  const r = checkFigure(figure, options);
  if (r.ok) assert.fail(`expected a rejection at ${path}`);
  assert.equal(r.error.code, 'FIGURE_INVALID');
  assert.equal(r.error.path, path, r.error.message);
  assert.match(r.error.message, message);
  assert.ok(r.error.message.startsWith(path === '' ? 'figure: ' : `${path}: `), r.error.message);
}

/** Round-trips through JSON, as the sandbox's output does. */
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('valid figures', () => {
  test('bar with a full layout', () => {
    accepts(
      json({
        data: [
          { type: 'bar', name: 'North', x: ['a', 'b', 'c'], y: [3, 1, 2], marker: { color: '#1f77b4', line: { color: 'black', width: 1 } }, text: ['3', '1', '2'], textposition: 'auto', hovertemplate: '%{x}: %{y}<extra></extra>' },
          { type: 'bar', name: 'South', x: ['a', 'b', 'c'], y: [1, 2, 3], orientation: 'v', offsetgroup: '2' },
        ],
        layout: {
          title: { text: 'Units by region', x: 0.5, font: { size: 18 } },
          xaxis: { title: { text: 'Region' }, categoryorder: 'total descending', tickangle: -45 },
          yaxis: { title: { text: 'Units' }, rangemode: 'tozero', gridcolor: '#eee' },
          barmode: 'group',
          bargap: 0.2,
          legend: { title: { text: 'Area' }, orientation: 'h', x: 0, y: 1.1 },
          margin: { l: 40, r: 20, t: 60, b: 40, pad: 4 },
          width: 800,
          height: 400,
          showlegend: true,
          annotations: [{ text: 'peak', x: 'a', y: 3, showarrow: true, arrowhead: 2, font: { color: 'red' } }],
        },
      }),
    );
  });

  test('scatter, line via mode, area via stackgroup and fill, on two axes', () => {
    accepts(
      json({
        data: [
          { type: 'scatter', mode: 'markers', x: [1, 2, 3], y: [2, 1, 3], marker: { size: [4, 8, 12], color: [1, 2, 3], colorscale: 'Viridis', showscale: true, colorbar: { title: { text: 'z' } } } },
          { type: 'scatter', mode: 'lines+markers', x: [1, 2, 3], y: [1, 2, 3], line: { dash: 'dot', shape: 'spline', width: 2 }, xaxis: 'x2', yaxis: 'y2' },
          { x: ['2024-01-01', '2024-01-02'], y: [1, 2], stackgroup: 'one', fill: 'tonexty', fillcolor: 'rgba(0,0,255,0.2)' },
          { x: ['2024-01-01', '2024-01-02'], y: [2, 3], stackgroup: 'one', groupnorm: 'percent' },
          { y: [1, null, 3], fill: 'tozeroy', connectgaps: false },
        ],
        layout: {
          xaxis: { domain: [0, 0.45] },
          xaxis2: { domain: [0.55, 1], anchor: 'y2', title: { text: 'second x' } },
          yaxis2: { anchor: 'x2', side: 'right', overlaying: 'y', type: 'log' },
          hovermode: 'x unified',
        },
      }),
    );
  });

  test('histogram, box with precomputed quartiles, pie, heatmap', () => {
    accepts(
      json({
        data: [
          { type: 'histogram', x: [1, 2, 2, 3, 3, 3], nbinsx: 10, histnorm: 'probability', xbins: { start: 0, end: 4, size: 0.5 }, marker: { line: { width: 0 } } },
          { type: 'box', name: 'precomputed', x: ['North', 'South'], q1: [1, 2], median: [2, 3], q3: [3, 4], lowerfence: [0, 1], upperfence: [4, 5], mean: [2.1, 3.2], boxpoints: false },
          { type: 'box', y: [1, 2, 3, 4, 50], boxpoints: 'outliers', boxmean: 'sd' },
          { type: 'pie', labels: ['a', 'b'], values: [60, 40], hole: 0.4, textinfo: 'label+percent', sort: false, marker: { colors: ['red', 'blue'] }, domain: { x: [0, 0.5], y: [0, 1] } },
          {
            type: 'heatmap',
            z: [
              [1, 2],
              [3, null],
            ],
            x: ['a', 'b'],
            y: ['c', 'd'],
            colorscale: [
              [0, 'rgb(0,0,255)'],
              [1, '#ff0000'],
            ],
            zmin: 0,
            zmax: 4,
            texttemplate: '%{z:.2f}',
            hoverongaps: false,
          },
          { type: 'heatmap', z: [[1]], colorscale: 'RdBu', reversescale: true, xaxis: 'x2', yaxis: 'y2' },
        ],
        layout: {
          boxmode: 'group',
          barmode: 'overlay',
          piecolorway: ['red', 'blue'],
          colorway: ['#111', '#222'],
          coloraxis: { colorscale: 'Blues' },
          coloraxis2: { colorscale: [[0, 'white'], [1, 'black']] },
          xaxis2: { anchor: 'y2' },
          yaxis2: { anchor: 'x2' },
          shapes: [{ type: 'line', x0: 0, x1: 1, y0: 0, y1: 1, xref: 'paper', yref: 'paper', line: { color: 'grey' } }],
          images: [{ source: 'https://example.com/logo.png', x: 0, y: 1, sizex: 0.1, sizey: 0.1, xref: 'paper', yref: 'paper' }],
          updatemenus: [{ buttons: [{ method: 'restyle', args: ['type', 'bar'], label: 'Bars' }] }],
          sliders: [{ steps: [{ method: 'relayout', args: ['title.text', 'step 1'], label: '1' }] }],
        },
      }),
    );
  });

  test('every trace type plotly knows is accepted with just its type', () => {
    assert.ok(TRACE_TYPES.length > 40);
    for (const type of ['bar', 'scatter', 'histogram', 'box', 'pie', 'heatmap', 'violin', 'scattergl', 'scatter3d', 'choropleth', 'sankey', 'table']) {
      assert.ok(TRACE_TYPES.includes(type), type);
    }
    accepts({ data: TRACE_TYPES.map((type) => ({ type })) });
  });

  test('a missing type means scatter; data may be empty; layout is optional', () => {
    accepts({ data: [{ x: [1], y: [2], mode: 'lines' }] });
    accepts({ data: [] });
    accepts({ data: [], layout: {} });
    rejects({ data: [{ labels: ['a'] }] }, 'data[0].labels', /unknown attribute "labels" for trace type "scatter"/);
  });

  test('subplot-specific layout, multiple legends, polar barmode, nested subplot ids', () => {
    accepts({
      data: [
        { type: 'barpolar', r: [1, 2], theta: [0, 90], subplot: 'polar2' },
        { type: 'scatter', y: [1], legend: 'legend2' },
      ],
      layout: {
        polar2: { barmode: 'overlay', radialaxis: { range: [0, 3] } },
        legend2: { x: 1, y: 0.5 },
        scene3: { xaxis: { title: { text: 'x' } } },
        geo2: { projection: { type: 'orthographic' } },
        xaxis: { rangeslider: { visible: true, yaxis2: { rangemode: 'auto' } } },
      },
    });
  });

  test('null means "not set" for values, objects and containers', () => {
    accepts(json({ data: [{ type: 'bar', x: [1, null], marker: null, name: null }], layout: { annotations: [null, { text: 'x' }], title: null, shapes: null } }));
  });

  test('a layout template (the shape plotly.py writes) is checked as layout and traces', () => {
    accepts(
      json({
        data: [{ type: 'bar', y: [1] }],
        layout: {
          template: {
            data: { bar: [{ type: 'bar', marker: { line: { color: 'white', width: 0.5 } } }], scatter: [{ marker: { colorbar: { outlinewidth: 0 } } }] },
            layout: { font: { color: '#2a3f5f' }, xaxis: { gridcolor: 'white' }, colorway: ['#636efa'] },
          },
        },
      }),
    );
  });

  test("plotly's typed array form {dtype, bdata, shape} is accepted for data arrays", () => {
    const bdata = Buffer.from(new Float64Array([1, 2, 3, 4]).buffer).toString('base64');
    accepts({ data: [{ type: 'heatmap', z: { dtype: 'f8', bdata, shape: '2,2' } }, { y: { dtype: 'float64', bdata } }, { marker: { size: { dtype: 'u1', bdata: 'AQID' } } }] });
    rejects({ data: [{ y: { dtype: 'f16', bdata } }] }, 'data[0].y.dtype', /unknown typed array dtype/);
    rejects({ data: [{ y: { dtype: 'f8', bdata: 'AAA' } }] }, 'data[0].y.bdata', /not valid base64/);
    rejects({ data: [{ y: { dtype: 'f8', bdata: 'AQID' } }] }, 'data[0].y.bdata', /not a whole number of f8 elements/);
    rejects({ data: [{ y: { dtype: 'f8', bdata, shape: '3,2' } }] }, 'data[0].y.shape', /does not match its 4 elements/);
    rejects({ data: [{ y: { dtype: 'f8', bdata, extra: 1 } }] }, 'data[0].y.extra', /unknown key "extra" in a typed array/);
    rejects({ data: [{ name: { dtype: 'f8', bdata } }] }, 'data[0].name', /expected a string value, got an object/);
  });

  test('exports the plotly.js version and the defaults', () => {
    assert.match(PLOTLY_VERSION, /^\d+\.\d+\.\d+/);
    assert.deepEqual(DEFAULT_FIGURE_CHECK_OPTIONS, { maxArrayLength: 1_000_000, maxTraces: 1_000, maxDepth: 64, maxStringLength: 1_000_000, maxValues: 10_000_000 });
  });
});

describe('figure shape', () => {
  test('not an object', () => {
    for (const v of [null, undefined, 42, 'fig', true, [], () => ({ data: [] })]) rejects(v, '', /a figure must be an object/);
    rejects(new (class Fig {
      data = [];
    })(), '', /class instance is not allowed/);
  });

  test('no data array', () => {
    rejects({}, 'data', /needs a data array/);
    rejects({ layout: {} }, 'data', /needs a data array/);
    rejects({ data: undefined }, 'data', /needs a data array/);
    rejects({ data: null }, 'data', /expected an array, got null/);
    rejects({ data: { type: 'bar' } }, 'data', /expected an array, got an object/);
    rejects({ data: [1] }, 'data[0]', /expected an object, got a number/);
    rejects({ data: [null] }, 'data[0]', /expected an object, got null/);
    rejects({ data: [[]] }, 'data[0]', /expected an object, got an array/);
  });

  test('unknown top-level keys; frames are not supported', () => {
    rejects({ data: [], config: {} }, 'config', /unknown figure key "config" \(allowed: data, layout\)/);
    rejects({ data: [], frames: [] }, 'frames', /frames \(animations\) are not supported/);
    rejects({ data: [], layout: null }, 'layout', /expected an object, got null/);
    rejects({ data: [], layout: [] }, 'layout', /expected an object, got an array/);
  });

  test('unknown or malformed trace types', () => {
    rejects({ data: [{ type: 'bar' }, { type: 'barr', y: [1] }] }, 'data[1].type', /unknown trace type "barr"/);
    rejects({ data: [{ type: 7 }] }, 'data[0].type', /trace type must be a string, got a number/);
    rejects({ data: [{ type: 'constructor' }] }, 'data[0].type', /unknown trace type "constructor"/);
    rejects({ data: [{ type: '__proto__' }] }, 'data[0].type', /unknown trace type "__proto__"/);
  });
});

describe('unknown attributes', () => {
  test('in traces, nested objects and array containers', () => {
    rejects({ data: [{ type: 'bar', colour: 'red' }] }, 'data[0].colour', /unknown attribute "colour" for trace type "bar"/);
    rejects({ data: [{ type: 'bar' }, { type: 'bar' }, { type: 'bar', marker: { line: { colour: 'red' } } }] }, 'data[2].marker.line.colour', /unknown attribute "colour" for trace type "bar"/);
    rejects({ data: [{ type: 'pie', mode: 'lines' }] }, 'data[0].mode', /for trace type "pie"/);
    rejects({ data: [], layout: { xaxis2: { title: { txt: 'x' } } } }, 'layout.xaxis2.title.txt', /unknown attribute "txt" in layout/);
    rejects({ data: [], layout: { annotations: [{ text: 'a' }, { txt: 'b' }] } }, 'layout.annotations[1].txt', /unknown attribute "txt"/);
    rejects({ data: [], layout: { updatemenus: [{ buttons: [{ lable: 'x' }] }] } }, 'layout.updatemenus[0].buttons[0].lable', /unknown attribute/);
    rejects({ data: [], layout: { titel: { text: 'x' } } }, 'layout.titel', /unknown attribute "titel" in layout/);
  });

  test('subplot ids follow plotly: xaxis2 yes, xaxis1 / xaxis02 / margin2 no', () => {
    accepts({ data: [], layout: { xaxis2: {}, yaxis10: {}, scene2: {}, geo2: {}, polar3: {}, ternary2: {}, map2: {}, smith2: {}, coloraxis2: {}, legend3: {} } });
    rejects({ data: [], layout: { xaxis1: {} } }, 'layout.xaxis1', /unknown attribute "xaxis1"/);
    rejects({ data: [], layout: { xaxis02: {} } }, 'layout.xaxis02', /unknown attribute/);
    rejects({ data: [], layout: { margin2: {} } }, 'layout.margin2', /unknown attribute/);
    rejects({ data: [{ marker2: {} }] }, 'data[0].marker2', /unknown attribute/);
  });

  test('__proto__, constructor and prototype are always unknown, also from JSON.parse', () => {
    rejects(JSON.parse('{"data": [], "__proto__": {"polluted": true}}'), '__proto__', /"__proto__" is not allowed as a key/);
    rejects(JSON.parse('{"data": [{"type": "bar", "__proto__": {"x": [1]}}]}'), 'data[0].__proto__', /not allowed/);
    rejects(JSON.parse('{"data": [], "layout": {"xaxis": {"__proto__": {}}}}'), 'layout.xaxis.__proto__', /not allowed/);
    rejects(JSON.parse('{"data": [{"customdata": [{"__proto__": {"isAdmin": true}}]}]}'), 'data[0].customdata[0].__proto__', /not allowed/);
    rejects({ data: [{ meta: { constructor: { prototype: {} } } }] }, 'data[0].meta.constructor', /"constructor" is not allowed/);
    rejects({ data: [{ meta: { a: { prototype: 1 } } }] }, 'data[0].meta.a.prototype', /"prototype" is not allowed/);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  test('template trace types and keys are checked', () => {
    rejects({ data: [], layout: { template: { data: { barr: [] } } } }, 'layout.template.data.barr', /unknown trace type "barr"/);
    rejects({ data: [], layout: { template: { data: { bar: [{ type: 'pie' }] } } } }, 'layout.template.data.bar[0].type', /must have that type/);
    rejects({ data: [], layout: { template: { data: { bar: [{ colour: 1 }] } } } }, 'layout.template.data.bar[0].colour', /for trace type "bar"/);
    rejects({ data: [], layout: { template: { layout: { titel: {} } } } }, 'layout.template.layout.titel', /unknown attribute/);
    rejects({ data: [], layout: { template: { style: {} } } }, 'layout.template.style', /unknown template key/);
    rejects({ data: [], layout: { template: 'plotly_dark' } }, 'layout.template', /expected an object, got a string/);
  });
});

describe('value shapes', () => {
  test('an object where the schema has a value', () => {
    rejects({ data: [{ type: 'bar' }, { type: 'bar' }, { type: 'bar', marker: { line: { color: { r: 255 } } } }] }, 'data[2].marker.line.color', /expected a color value or an array, got an object/);
    rejects({ data: [{ x: { 0: 1 } }] }, 'data[0].x', /expected a data_array value or an array, got an object/);
  });

  test('an array where the schema allows no array', () => {
    rejects({ data: [{ name: ['a', 'b'] }] }, 'data[0].name', /expected a string value, got an array/);
    rejects({ data: [], layout: { title: { text: ['a'] } } }, 'layout.title.text', /expected a string value, got an array/);
    rejects({ data: [], layout: { xaxis: { title: [] } } }, 'layout.xaxis.title', /expected an object, got an array/);
  });

  test('a value where the schema has an object or array container', () => {
    rejects({ data: [], layout: { title: 'Sales' } }, 'layout.title', /expected an object, got a string/);
    rejects({ data: [{ marker: 'red' }] }, 'data[0].marker', /expected an object, got a string/);
    rejects({ data: [], layout: { annotations: { text: 'x' } } }, 'layout.annotations', /expected an array, got an object/);
    rejects({ data: [], layout: { annotations: ['x'] } }, 'layout.annotations[0]', /expected an object, got a string/);
  });
});

describe('JSON data only', () => {
  test('functions, symbols and bigints', () => {
    rejects({ data: [{ marker: { color: () => 'red' } }] }, 'data[0].marker.color', /function values are not allowed/);
    rejects({ data: [{ y: [1, Symbol('x')] }] }, 'data[0].y[1]', /symbol values are not allowed/);
    rejects({ data: [{ y: [1n] }] }, 'data[0].y[0]', /bigint values are not allowed/);
    rejects({ data: [], layout: { meta: { f() {} } } }, 'layout.meta.f', /function values/);
  });

  test('undefined and holes in arrays; undefined properties are ignored like JSON.stringify does', () => {
    rejects({ data: [{ y: [1, undefined, 3] }] }, 'data[0].y[1]', /undefined \(or a hole\)/);
    // eslint-disable-next-line no-sparse-arrays
    rejects({ data: [{ y: [1, , 3] }] }, 'data[0].y[1]', /undefined \(or a hole\)/);
    rejects({ data: [{ type: 'bar' }, undefined] }, 'data[1]', /undefined \(or a hole\)/);
    accepts({ data: [{ y: [1], name: undefined }], layout: undefined });
  });

  test('non-finite numbers', () => {
    rejects({ data: [{ y: [1, 2, NaN] }] }, 'data[0].y[2]', /NaN is not allowed/);
    rejects({ data: [{ y: [Infinity] }] }, 'data[0].y[0]', /Infinity is not allowed/);
    rejects({ data: [], layout: { width: -Infinity } }, 'layout.width', /-Infinity is not allowed/);
    rejects({ data: [{ type: 'heatmap', z: [[1, 2], [3, NaN]] }] }, 'data[0].z[1][1]', /NaN/);
  });

  test('class instances, typed arrays and other non-plain objects', () => {
    rejects({ data: [{ x: [new Date(0)] }] }, 'data[0].x[0]', /a Date is not allowed/);
    rejects({ data: [{ y: new Float64Array(3) }] }, 'data[0].y', /a Float64Array is not allowed/);
    rejects({ data: [{ meta: new Map() }] }, 'data[0].meta', /a Map is not allowed/);
    rejects({ data: [{ marker: new (class Marker {})() }] }, 'data[0].marker', /class instance is not allowed/);
    rejects({ data: [{ meta: /x/ }] }, 'data[0].meta', /a RegExp is not allowed/);
    class MyArray extends Array {}
    rejects({ data: [{ y: MyArray.from([1]) }] }, 'data[0].y', /not allowed/);
    const bare = Object.create(null) as Record<string, unknown>;
    bare['color'] = 'red';
    accepts({ data: [{ marker: bare }] });
  });

  test('getters are refused without being called', () => {
    let calls = 0;
    const trace = {
      type: 'bar',
      get y() {
        calls++;
        return [1];
      },
    };
    rejects({ data: [trace] }, 'data[0].y', /accessor properties/);
    const typed = {
      get type() {
        calls++;
        return 'bar';
      },
    };
    rejects({ data: [typed] }, 'data[0].type', /accessor properties/);
    assert.equal(calls, 0);
  });

  test('proxies that throw are reported, not thrown', () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('boom');
        },
      },
    );
    rejects({ data: [{ marker: hostile }] }, 'data[0].marker', /could not be read/);
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    rejects(revocable.proxy, '', /could not be read/);
  });
});

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
    rejects({ data: [], layout: { updatemenus: [{ buttons: [{ method: 'relayout', args: ['images[0].source', 'javascript:alert(1)'] }] }] } }, 'layout.updatemenus[0].buttons[0].args[1]', /javascript: URLs/);
    rejects({ data: [], layout: { updatemenus: [{ buttons: [{ method: 'relayout', args: [{ 'images[0].source': 'javascript:x' }] }] }] } }, 'layout.updatemenus[0].buttons[0].args[0]["images[0].source"]', /javascript: URLs/);
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
  test('a 10^6-deep nested array stops at maxDepth without touching the stack', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    const t0 = performance.now();
    const r = checkFigure({ data: [{ customdata: deep }] });
    assert.ok(performance.now() - t0 < 5000, "a hang guard, not a benchmark");
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

  test('shared references are checked where they appear; a shared-reference bomb hits maxValues', () => {
    const marker = { color: 'red' };
    accepts({ data: [{ marker }, { marker }] });
    // The same object is checked against the schema at each place it appears.
    const line = { width: 2, shape: 'spline' };
    rejects({ data: [{ type: 'scatter', line }, { type: 'scatter', marker: { line } }] }, 'data[1].marker.line.shape', /unknown attribute "shape" for trace type "scatter"/);
    // 2^60 paths through 60 small arrays: JSON.stringify would never finish; the check stops at the budget.
    let bomb: unknown[] = [1];
    for (let i = 0; i < 60; i++) bomb = [bomb, bomb];
    const t0 = performance.now();
    const r = checkFigure({ data: [{ customdata: bomb }] });
    const ms = performance.now() - t0;
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /more than 10000000 values in the figure/);
    assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
    // figure 2 + data 3 + data[0] 2 + y 4 + data[1] 2 = 13, then y 4 more.
    rejects({ data: [{ y: [1, 2, 3] }, { y: [4, 5, 6] }] }, 'data[1].y', /more than 14 values/, { maxValues: 14 });
    accepts({ data: [{ y: [1, 2, 3] }, { y: [4, 5, 6] }] }, { maxValues: 17 });
  });

  test('a 2^24-length sparse array is refused at once', () => {
    const sparse: number[] = [];
    sparse.length = 2 ** 24;
    sparse[2 ** 24 - 1] = 1;
    let t0 = performance.now();
    rejects({ data: [{ y: sparse }] }, 'data[0].y', /array longer than 1000000 elements/);
    assert.ok(performance.now() - t0 < 50);
    // With the length allowed, the first hole stops the walk.
    t0 = performance.now();
    rejects({ data: [{ y: sparse }] }, 'data[0].y[0]', /hole/, { maxArrayLength: 2 ** 25, maxValues: 2 ** 26 });
    // And the value budget refuses it too.
    rejects({ data: [{ y: sparse }] }, 'data[0].y', /more than 10000000 values/, { maxArrayLength: 2 ** 25 });
    assert.ok(performance.now() - t0 < 50);
  });

  test('many objects and long strings stay linear', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [i, `r${i}`, { k: i }]);
    let t0 = performance.now();
    accepts({ data: [{ customdata: rows }] });
    assert.ok(performance.now() - t0 < 1000);
    t0 = performance.now();
    accepts({ data: [], layout: { title: { text: '<b>' + 'a='.repeat(400_000) + '</b>' } } });
    assert.ok(performance.now() - t0 < 500);
  });
});

test('speed: 8 traces × 100k numbers (x and y) check in a few ms', () => {
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
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    assert.equal(checkFigure(figure).ok, true);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[3] as number;
  // Typically ~1.5 ms on an idle core; the bound is loose for shared CI machines.
  assert.ok(median < 100, `median ${median.toFixed(1)} ms`);
});
