import { test } from 'node:test';
import assert from 'node:assert/strict';
import { px } from '../px.ts';
import { templateText } from './templates.ts';

type Obj = Record<string, unknown>;

test('text px writes into a template can neither open markup nor start a placeholder', () => {
  assert.equal(templateText('a<b>&%{x}'), 'a&lt;b&gt;&amp;%&#123;x}');
  const fig = px.histogram({ p: [1, 2, 3] }, { x: 'p', labels: { p: 'price %{y} 5>3' } });
  const tpl = fig.data[0]?.['hovertemplate'] as string;
  assert.ok(tpl.startsWith('price %&#123;y} 5&gt;3: %{hovertext}'), tpl);
  assert.equal((tpl.match(/%\{/g) ?? []).length, 2, 'only px’s own placeholders (hovertext and y), none from the label');
  // A label that could open markup is also the trace's name: the trace falls back to the default hover.
  assert.equal(px.histogram({ p: [1] }, { x: 'p', labels: { p: 'price <usd>' } }).data[0]?.['hovertemplate'], undefined);
});

test('a trace whose data could open markup gets Plotly’s default hover instead of its template', () => {
  const hostile = { x: [1, 2, 3, 4], g: ['<img src=x onerror=alert(1)>', 'ok', '&lt;b', 'ok'] };
  const fig = px.histogram(hostile, { x: 'x', color: 'g' });
  const byName = Object.fromEntries(fig.data.map((t) => [t['name'], t]));
  assert.equal((byName['<img src=x onerror=alert(1)>'] as Obj)['hovertemplate'], undefined);
  assert.equal((byName['&lt;b'] as Obj)['hovertemplate'], undefined, 'character references count too');
  assert.equal(typeof (byName['ok'] as Obj)['hovertemplate'], 'string', 'other traces keep theirs');
  const timeline = px.timeline({ s: ['2024-01-01'], e: ['2024-01-02'], t: ['<b>task'] }, { x_start: 's', x_end: 'e', y: 't' });
  assert.equal(timeline.data[0]?.['hovertemplate'], undefined);
});
