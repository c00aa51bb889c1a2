import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateSchemaText, locatePlotly, SCHEMA_PATH } from '../scripts/generate-schema.ts';
import { childSchema, isArrayContainer, isLeaf, LAYOUT_SCHEMA, PLOTLY_VERSION, traceSchema, TRACE_TYPES } from './plotly-schema.ts';
import type { SchemaNode } from './plotly-schema.ts';

test('the committed schema is for the installed plotly.js-dist', () => {
  assert.equal(PLOTLY_VERSION, locatePlotly().version);
});

test('regenerating the schema from the installed plotly.js-dist gives the committed file byte for byte', () => {
  // Evaluates the 10 MB browser bundle in node:vm: a few seconds. If this fails after an
  // upgrade, run: node_modules/.bin/node packages/figure/scripts/generate-schema.ts
  assert.equal(generateSchemaText(), readFileSync(SCHEMA_PATH, 'utf8'));
});

function at(node: SchemaNode | undefined, ...steps: string[]): SchemaNode | undefined {
  for (const step of steps) {
    if (node === undefined) return undefined;
    if (step === '[]') node = isArrayContainer(node) ? node.items : undefined;
    else node = isLeaf(node) || isArrayContainer(node) ? undefined : childSchema(node, step);
  }
  return node;
}

test('the schema has the shapes the check relies on', () => {
  assert.deepEqual(TRACE_TYPES, [...TRACE_TYPES].sort());
  const bar = traceSchema('bar');
  assert.ok(bar !== undefined);
  assert.deepEqual(at(bar, 'x'), { valType: 'data_array' });
  assert.deepEqual(at(bar, 'marker', 'line', 'color'), { valType: 'color', arrayOk: true });
  assert.deepEqual(at(bar, 'name'), { valType: 'string' });
  assert.equal(at(bar, 'type'), undefined, 'type is handled by the check, not the schema');
  assert.deepEqual((at(bar, 'orientation') as { values?: unknown[] }).values, ['v', 'h']);
  // Subplots, trace layout attributes merged in, array containers, URL marks.
  assert.equal(at(LAYOUT_SCHEMA, 'xaxis2'), at(LAYOUT_SCHEMA, 'xaxis'));
  assert.equal(at(LAYOUT_SCHEMA, 'xaxis1'), undefined);
  assert.equal(at(LAYOUT_SCHEMA, 'margin2'), undefined);
  assert.ok(at(LAYOUT_SCHEMA, 'barmode') !== undefined && at(LAYOUT_SCHEMA, 'boxmode') !== undefined);
  assert.ok(at(LAYOUT_SCHEMA, 'polar', 'barmode') !== undefined);
  assert.ok(isArrayContainer(at(LAYOUT_SCHEMA, 'annotations') as SchemaNode));
  assert.deepEqual(at(LAYOUT_SCHEMA, 'images', '[]', 'source'), { valType: 'string', url: true });
  assert.equal((at(traceSchema('choropleth'), 'geojson') as { url?: boolean }).url, true);
  assert.equal((at(traceSchema('image'), 'source') as { url?: boolean }).url, true);
  assert.equal((at(traceSchema('sankey'), 'link', 'source') as { url?: boolean }).url, undefined);
  assert.equal(at(LAYOUT_SCHEMA, 'constructor'), undefined);
  assert.equal(traceSchema('constructor'), undefined);
});

test('the schema file stays small', () => {
  const bytes = readFileSync(SCHEMA_PATH).length;
  assert.ok(bytes < 700_000, `${bytes} bytes`);
});
