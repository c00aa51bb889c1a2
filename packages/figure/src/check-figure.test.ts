import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_FIGURE_CHECK_OPTIONS, PLOTLY_VERSION, TRACE_TYPES } from './index.ts';
import { accepts, rejects, json } from '../test/figure-asserts.ts';

describe('valid figures', () => {
  test('bar with a full layout', () => {
    accepts(
      json({
        data: [
          {
            type: 'bar',
            name: 'North',
            x: ['a', 'b', 'c'],
            y: [3, 1, 2],
            marker: { color: '#1f77b4', line: { color: 'black', width: 1 } },
            text: ['3', '1', '2'],
            textposition: 'auto',
            hovertemplate: '%{x}: %{y}<extra></extra>',
          },
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
          coloraxis2: {
            colorscale: [
              [0, 'white'],
              [1, 'black'],
            ],
          },
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
    rejects(
      new (class Fig {
        data = [];
      })(),
      '',
      /class instance is not allowed/,
    );
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
    rejects(
      {
        data: [
          {
            type: 'heatmap',
            z: [
              [1, 2],
              [3, NaN],
            ],
          },
        ],
      },
      'data[0].z[1][1]',
      /NaN/,
    );
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
