// The web editor's px reference and completions agree with the runtime that checks the options:
// every builder listed with its options, every listed option accepted by the sandbox's px, and
// completion inside `px.<builder>(table, { … })` offering exactly the options not given yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EditorState } from '@codemirror/state';
import { javascript } from '@codemirror/lang-javascript';
import { CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { ensureSyntaxTree } from '@codemirror/language';
import { px } from '@plotbox/sandbox-runtime';

const WEB = resolve(import.meta.dirname, '../services/api/web/src/editor');

interface Reference {
  PX: readonly { name: string; detail: string; example: string }[];
  PX_COMMON_OPTIONS: string;
  pxOptions(name: string): readonly { name: string; detail: string; own: boolean }[];
}
interface Editor {
  codeModeCompletions(columns: () => readonly { name: string; type: string }[]): (ctx: CompletionContext) => CompletionResult | null;
}

// The web sources are a browser bundle's (a project of their own): loaded at run time, not type-checked from here.
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(resolve(WEB, file)).href)) as T;

test('the reference lists every member of the runtime’s px, each builder with all of its options', async () => {
  const ref = await load<Reference>('reference.ts');
  assert.deepEqual(ref.PX.map((e) => e.name).sort(), Object.keys(px).sort());
  assert.equal(ref.PX_COMMON_OPTIONS, 'title, labels, colors, width, height');
  for (const e of ref.PX) {
    const options = ref.pxOptions(e.name);
    if (typeof (px as unknown as Record<string, unknown>)[e.name] !== 'function' || ['corr', 'figure'].includes(e.name)) {
      assert.equal(options.length, 0, e.name);
      continue;
    }
    assert.ok(options.length > 5, e.name);
    for (const o of options) {
      assert.ok(o.detail.length > 0, `${e.name}.${o.name} has a description`);
      if (o.own) assert.ok(e.detail.includes(o.name), `${e.name}'s signature shows ${o.name}`);
      // The sandbox's px accepts it (whatever it then says about the probe value).
      const build = (px as unknown as Record<string, (t: unknown, o: unknown) => unknown>)[e.name] as (t: unknown, o: unknown) => unknown;
      try {
        build({ a: [1] }, { [o.name]: Symbol('probe') });
      } catch (err) {
        assert.doesNotMatch((err as Error).message, /unknown option/, `${e.name}: ${o.name}`);
      }
    }
    assert.match(e.example, new RegExp(`px\\.${e.name}\\(`), `${e.name}'s example uses it`);
  }
  assert.ok(ref.PX.find((e) => e.name === 'scatter')?.detail.includes('facet_*'));
});

test('completion inside a builder’s options object offers its options not given yet, its own first', async () => {
  const editor = await load<Editor>('code-editor.ts');
  const source = editor.codeModeCompletions(() => [{ name: 'region', type: 'string' }]);
  const complete = (doc: string): CompletionResult | null => {
    const state = EditorState.create({ doc, extensions: [javascript()] });
    ensureSyntaxTree(state, state.doc.length, 5000);
    return source(new CompletionContext(state, doc.length, true));
  };
  const violin = complete("fig = px.violin(df, { x: 'region', bo");
  assert.ok(violin);
  const labels = violin.options.map((o) => o.label);
  assert.equal(violin.from, "fig = px.violin(df, { x: 'region', ".length);
  for (const o of ['box', 'points', 'violinmode', 'bandwidth', 'y', 'color', 'facet_col', 'title']) assert.ok(labels.includes(o), o);
  assert.ok(!labels.includes('x'), 'x is given already');
  assert.ok(!labels.includes('trendline'), 'not a violin option');
  assert.equal(violin.options.find((o) => o.label === 'box')?.apply, 'box: ');
  assert.equal(violin.options.find((o) => o.label === 'box')?.boost, 1);
  assert.equal(violin.options.find((o) => o.label === 'title')?.boost, 0);
  assert.match(String(violin.options.find((o) => o.label === 'bandwidth')?.detail), /Silverman/);
  const multiline = complete("fig = px.scatter(df, {\n  x: 'price',\n  y: 'cost',\n  ");
  assert.ok(multiline?.options.some((o) => o.label === 'trendline' && o.detail?.includes('ols')));
  // Not a key position, not an options object, or the matrix argument: the usual completions.
  for (const doc of ['fig = px.bar(df, { x: fo', 'fig = px.heatmap({ ', 'fig = px.scatter(df, { trendline_options: { fr', 'fig = foo(df, { ']) {
    const r = complete(doc);
    assert.ok(r === null || !r.options.some((o) => o.label === 'title'), doc);
  }
});

test('the danfo runtime: its globals in the reference and completion, dfd and danfo frame members, no aq or op', async () => {
  const ref = await load<{ globalsOf(runtime: string): readonly { name: string; detail: string; example: string }[]; RUNTIME_CHOICES: readonly { name: string }[] }>('reference.ts');
  const editor = await load<{ codeModeCompletions(columns: () => readonly { name: string; type: string }[], runtime?: () => string): (ctx: CompletionContext) => CompletionResult | null }>(
    'code-editor.ts',
  );
  assert.deepEqual(
    ref.RUNTIME_CHOICES.map((r) => r.name),
    ['arquero', 'danfo'],
  );
  assert.deepEqual(
    ref.globalsOf('danfo').map((g) => g.name),
    ['df', 'dfd', 'data', 'px', 'fig'],
  );
  assert.deepEqual(
    ref.globalsOf('arquero').map((g) => g.name),
    ['df', 'aq', 'op', 'data', 'px', 'fig'],
  );
  for (const g of ref.globalsOf('danfo')) assert.ok(g.detail.length > 10 && g.example.length > 5, g.name);
  const complete = (doc: string, runtime: string): CompletionResult | null => {
    const source = editor.codeModeCompletions(
      () => [{ name: 'region', type: 'string' }],
      () => runtime,
    );
    const state = EditorState.create({ doc, extensions: [javascript()] });
    ensureSyntaxTree(state, state.doc.length, 5000);
    return source(new CompletionContext(state, doc.length, true));
  };
  const bare = complete('const x = d', 'danfo')?.options.map((o) => o.label) ?? [];
  assert.ok(bare.includes('dfd') && bare.includes('df') && !bare.includes('aq') && !bare.includes('op'), bare.join(','));
  assert.ok(!(complete('const x = d', 'arquero')?.options.map((o) => o.label) ?? []).includes('dfd'));
  const dfd = complete('const s = new dfd.Se', 'danfo')?.options.map((o) => o.label) ?? [];
  assert.ok(dfd.includes('Series') && dfd.includes('DataFrame') && dfd.includes('concat'), dfd.join(','));
  const frame = complete('const g = df.gr', 'danfo')?.options.map((o) => o.label) ?? [];
  assert.ok(frame.includes('groupby') && frame.includes('sortValues') && !frame.includes('rollup'), frame.join(','));
  assert.ok((complete('const g = df.gr', 'arquero')?.options.map((o) => o.label) ?? []).includes('rollup'));
  assert.equal(complete('op.su', 'danfo'), null, 'no arquero operators under danfo');
  assert.equal(complete('dfd.Se', 'arquero'), null, 'no dfd under arquero');
});
