import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlotboxError, errorGuard, isCodeOf, isPlotboxError } from './plotbox-error.ts';

class ThingError extends PlotboxError<'THING_GONE' | 'THING_BUSY', 'soon' | 'later'> {
  constructor(code: 'THING_GONE' | 'THING_BUSY', message: string, options: { reason?: 'soon' | 'later'; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'ThingError';
  }
}
const isThingError = errorGuard(ThingError);

test('a subclass carries code, reason, cause, name and a stack', () => {
  const cause = new Error('driver said no');
  const e = new ThingError('THING_BUSY', 'busy', { reason: 'later', cause });
  assert.ok(e instanceof Error && e instanceof PlotboxError);
  assert.deepEqual([e.code, e.reason, e.cause, e.name, e.message], ['THING_BUSY', 'later', cause, 'ThingError', 'busy']);
  assert.match(String(e.stack), /ThingError: busy/u);
  const bare = new ThingError('THING_GONE', 'gone');
  assert.equal(bare.reason, undefined);
  assert.equal(Object.hasOwn(bare, 'cause'), false, 'no cause property when there is none');
});

test('one guard for every class: by class, optionally by code; never for look-alikes', () => {
  const e = new ThingError('THING_GONE', 'gone');
  assert.ok(isThingError(e));
  assert.ok(isThingError(e, 'THING_GONE'));
  assert.ok(!isThingError(e, 'THING_BUSY'));
  assert.ok(isPlotboxError(e));
  assert.ok(!isThingError(new PlotboxError('THING_GONE', 'x')), 'another class with the same code');
  assert.ok(!isPlotboxError({ code: 'THING_GONE', message: 'x' }), 'a plain object is not an error of ours');
  assert.ok(!isPlotboxError(Object.assign(new Error('x'), { code: 'ENOENT' })));
});

test('isCodeOf', () => {
  const codes = ['A_ONE', 'A_TWO'] as const;
  assert.ok(isCodeOf(codes, 'A_TWO'));
  assert.ok(!isCodeOf(codes, 'A_THREE') && !isCodeOf(codes, 1) && !isCodeOf(codes, null));
});

test('pure: the package imports nothing and reads no environment', () => {
  const dir = import.meta.dirname;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gu)) assert.ok(m[1]?.startsWith('./'), `${file} imports ${m[1]}`);
    assert.doesNotMatch(text, /process\.|globalThis/u, file);
  }
});
