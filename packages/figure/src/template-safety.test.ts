import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFigure } from './check-figure.ts';
import { templateProblem } from './template-safety.ts';

const refused = (figure: unknown, where: RegExp): void => {
  const r = checkFigure(figure);
  assert.equal(r.ok, false, JSON.stringify(figure).slice(0, 200));
  if (!r.ok) assert.match(r.error.message, where);
};

test("markup assembled by plotly from a template and the trace's values is refused on the host", () => {
  // Each string alone is harmless; the filled-in hover label is an <img onerror>.
  refused(
    { data: [{ type: 'bar', x: ['a'], y: [1], customdata: ['<im'], text: ['g src=x onerror=alert(1)>'], hovertemplate: '%{customdata}%{text}' }] },
    /data\[0\]\.customdata\[0\]: text that a hovertemplate/u,
  );
  // A placeholder inside a tag: the data could be a javascript: URL, or finish the tag.
  refused(
    { data: [{ type: 'scatter', x: [1], y: [1], customdata: ['javascript:alert(1)'], hovertemplate: '<a href="%{customdata}">go</a>' }] },
    /hovertemplate: (a %\{…\} placeholder inside markup|text contains a link that is not an http\(s\) address)/u,
  );
  refused({ data: [{ type: 'scatter', x: [1], y: [1], customdata: ['javascript:alert(1)'], hovertemplate: '<a href="https://x.example/%{customdata}">go</a>' }] }, /placeholder inside markup/u);
  refused({ data: [{ type: 'scatter', x: [1], y: [1], texttemplate: '<b %{text}>x</b>', text: ['onclick=1'] }] }, /placeholder inside markup/u);
  refused({ data: [{ type: 'scatter', x: [1], y: [1], texttemplate: ['ok', '<%{text}'], text: ['img src=x onerror=alert(1)'] }] }, /texttemplate\[1\]: a %\{…\} placeholder inside markup/u);
  // Nested customdata, meta, entity-written markup, a value ending in '<' that the template completes.
  refused({ data: [{ type: 'scatter', x: [1], y: [1], customdata: [[1, '<script>']], hovertemplate: '%{customdata[1]}' }] }, /customdata\[0\]\[1\]/u);
  refused({ data: [{ type: 'scatter', x: [1], y: [1], meta: ['&lt;img src=x onerror=alert(1)&gt;'], hovertemplate: '%{meta[0]}' }] }, /data\[0\]\.meta\[0\]/u);
  refused({ data: [{ type: 'scatter', x: [1], y: [1], hovertemplate: '%{meta}' }], layout: { meta: '<svg onload=alert(1)>' } }, /layout\.meta/u);
  refused({ data: [{ type: 'bar', x: ['a'], y: [1], text: ['<'], hovertemplate: '%{text}img src=x onerror=alert(1)>' }] }, /data\[0\]\.text\[0\]/u);
  // Layout items fill their own templates (shape labels).
  refused({ data: [], layout: { shapes: [{ type: 'line', x0: 0, x1: 1, y0: 0, y1: 1, name: '<b onmouseover=1>', label: { texttemplate: '%{name}' } }] } }, /layout\.shapes\[0\]/u);
});

test('ordinary templates and data pass: markup in the template text, comparisons in the data', () => {
  const ok = [
    { data: [{ type: 'bar', x: ['<5 years', '5 < x < 10', 'a > b'], y: [1, 2, 3], hovertemplate: '<b>%{x}</b><br>units: %{y}<extra></extra>' }] },
    { data: [{ type: 'scatter', x: [1], y: [1], text: ['AT&amp;T'], texttemplate: '%{text}', hovertemplate: '<i>%{x:.2f}</i>' }] },
    // No placeholder: data may carry plotly's own markup (it is checked string by string).
    { data: [{ type: 'bar', x: ['<b>North</b>'], y: [1], hovertemplate: 'units<extra></extra>' }] },
    // A template in one trace does not constrain another trace's text.
    {
      data: [
        { type: 'bar', x: ['a'], y: [1], hovertemplate: '%{y}' },
        { type: 'bar', x: ['<b>b</b>'], y: [2] },
      ],
      layout: { title: { text: '<b>Sales</b> by <i>region</i>' } },
    },
  ];
  for (const figure of ok) {
    const r = checkFigure(figure);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
  }
  assert.equal(templateProblem({ data: [{ x: new Array(100_000).fill(1), hovertemplate: '%{x}' }] }), undefined, 'long numeric arrays cost a loop');
});
