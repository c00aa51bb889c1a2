import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import { checkCode, type CheckResult } from './index.ts';

function assertOk(result: CheckResult, source: string): string {
  assert.ok(result.ok, `expected ok for:\n${source}\ngot ${JSON.stringify(result)}`);
  return result.js;
}

// ---------------------------------------------------------------------------------------------
// Syntax errors
// ---------------------------------------------------------------------------------------------

describe('syntax errors', () => {
  test('CODE_SYNTAX with a cleaned message and the right position', () => {
    const result = checkCode('const a = 1;\nconst b = (2;');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.code, 'CODE_SYNTAX');
    assert.deepEqual(
      result.diagnostics.map((d) => [d.rule, d.line, d.column]),
      [['syntax', 2, 13]],
    );
    assert.doesNotMatch(result.diagnostics[0]?.message ?? '', /\(\d+:\d+\)|plugin|sourceType|babel/i);
  });

  test('experimental syntax gets a plain message, not a parser-plugin hint', () => {
    for (const source of ['x = <div/>', 'x = a |> b', '@dec class A {}']) {
      const result = checkCode(source);
      assert.ok(!result.ok && result.code === 'CODE_SYNTAX', source);
      assert.doesNotMatch(result.diagnostics[0]?.message ?? '', /plugin/i);
    }
  });

  test('is strict code: top-level return, and syntax only sloppy mode allows, are syntax errors with a position', () => {
    assert.equal(checkCode('return 1').ok, false);
    for (const [code, line] of [
      ['var let = 1;', 1],
      ['const a = 1;\nx = 010;', 2],
      ['function f(a, a) {}', 1],
      ['let y = 1;\ndelete y;', 2],
      ['const static = 1;', 1],
    ] as const) {
      const result = checkCode(code);
      assert.equal(result.ok, false, code);
      if (result.ok) continue;
      assert.equal(result.code, 'CODE_SYNTAX', code);
      assert.equal(result.diagnostics[0]?.line, line, code);
    }
  });

  test('TypeScript in lang js is a syntax error', () => {
    const result = checkCode('let x: number = 1');
    assert.ok(!result.ok && result.code === 'CODE_SYNTAX');
  });
});

// ---------------------------------------------------------------------------------------------
// HTML-like comments: Babel and V8 (classic script) must not disagree on what runs.
// ---------------------------------------------------------------------------------------------

describe('HTML-like comments', () => {
  const cases = ['x = 1 <!-- y\nz = 2', 'x = 1;\n--> gone\ny = 2', '/*\n*/ --> hidden', 'x = 1 /* a */ --> b', 'a<!--b', 'if (a<!--b) {}'];
  for (const source of cases) {
    test(`rejected (or a syntax error), never accepted: ${JSON.stringify(source)}`, () => {
      const result = checkCode(source);
      assert.equal(result.ok, false);
      if (!result.ok) assert.ok(result.code === 'CODE_SYNTAX' || result.diagnostics.some((d) => d.rule === 'no-html-comment'));
    });
  }
  test('V8 does treat them as comments in a classic script (why they are rejected)', () => {
    const context = vm.createContext({});
    assert.equal(new vm.Script('var x = 1 <!-- x = 2\n; x').runInContext(context), 1);
    assert.equal(new vm.Script('var y = 1;\n--> y = 2\ny').runInContext(context), 1);
  });
  test('inside strings, templates, regexes and comments they are refused too (the sandbox refuses them anywhere), each with its position', () => {
    const result = checkCode('x = "<!--"; y = `-->`;\nz = /<!--/; // -->');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.diagnostics.map((d) => [d.rule, d.line, d.column]),
      [
        ['no-html-comment', 1, 6],
        ['no-html-comment', 1, 18],
        ['no-html-comment', 2, 6],
        ['no-html-comment', 2, 16],
      ],
    );
    assert.match(result.diagnostics[0]?.message ?? '', /not even inside a string/);
  });
  test('the text import( is refused anywhere too, even in a string or a comment', () => {
    for (const code of ["fig = px.bar(df, { x: 'region', title: 'import (csv)' });", '// import(\nfig = 1;', 'fig = `import//`;']) {
      const result = checkCode(code);
      assert.equal(result.ok, false, code);
      if (!result.ok) assert.equal(result.diagnostics[0]?.rule, 'no-import', code);
    }
    assertOk(checkCode("fig = px.bar(df, { x: 'region', title: 'important (csv)', y: data.x?.import });"), '');
  });
});

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

describe('limits', () => {
  const fast = (source: string, options: Parameters<typeof checkCode>[1], code: string): void => {
    const started = performance.now();
    const result = checkCode(source, options);
    const ms = performance.now() - started;
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.code, code, JSON.stringify(result.diagnostics));
    // A hang guard, not a benchmark: generous for loaded CI machines.
    assert.ok(ms < 5000, `took ${ms} ms`);
  };

  test('size is measured in UTF-8 bytes before anything else', () => {
    const result = checkCode('x = "' + 'é'.repeat(40_000) + '"'); // 40k chars, 80k bytes
    assert.ok(!result.ok && result.code === 'CODE_TOO_LARGE');
    if (!result.ok) {
      assert.deepEqual([result.diagnostics[0]?.line, result.diagnostics[0]?.column], [1, 1]);
      assert.match(result.diagnostics[0]?.message ?? '', /65536 bytes/);
    }
    assert.ok(checkCode('x = "' + 'a'.repeat(60_000) + '"').ok);
    assert.equal(checkCode('x = 1;', { maxBytes: 5 }).ok, false);
    assert.ok(checkCode('x = 1;', { maxBytes: 6 }).ok);
  });

  test('a 10 MB string is refused fast', () => fast('x = "' + 'a'.repeat(10_000_000) + '"', {}, 'CODE_TOO_LARGE'));

  const deep: Array<[string, string]> = [
    ['100k (', '('.repeat(100_000)],
    ['100k [', '['.repeat(100_000)],
    ['100k {', '{'.repeat(100_000)],
    ['50k !', 'x = ' + '!'.repeat(50_000) + 'x'],
    ['50k - -', 'x = ' + '- '.repeat(50_000) + 'x'],
    ['-(-(-(', 'x = ' + '-('.repeat(50_000) + 'x' + ')'.repeat(50_000)],
    ['nested templates', 'x = ' + '`${'.repeat(30_000) + '1' + '}`'.repeat(30_000)],
    ['arrow chain', 'x = ' + 'a => '.repeat(30_000) + '1'],
    ['ternary chain', 'x = ' + 'a ? b : '.repeat(30_000) + 'c'],
    ['ternary in consequent', 'x = ' + 'a ? '.repeat(20_000) + 'b' + ' : c'.repeat(20_000)],
    ['assignment chain', 'a = '.repeat(50_000) + '1'],
    ['binary chain over lines', 'x = ' + 'a +\n'.repeat(50_000) + '1'],
    ['new chain', 'x = ' + 'new '.repeat(30_000) + 'X'],
    ['typeof chain', 'x = ' + 'typeof '.repeat(30_000) + 'x'],
    ['else-if chain', 'if (a) {} else '.repeat(30_000) + '{}'],
    ['nested functions', 'x = ' + 'function () { return '.repeat(20_000) + '1' + ' }'.repeat(20_000)],
  ];
  for (const [name, source] of deep) {
    for (const lang of ['js', 'ts'] as const) {
      test(`${name} (${lang}) → CODE_TOO_DEEP, fast, no throw`, () => fast(source, { maxBytes: 2_000_000, lang }, 'CODE_TOO_DEEP'));
    }
  }
  test('TypeScript type nesting and nested angle-bracket assertions (exponential in Babel) are bounded', () => {
    fast('let x: ' + 'Array<'.repeat(20_000) + 'T' + '>'.repeat(20_000), { maxBytes: 2_000_000, lang: 'ts' }, 'CODE_TOO_DEEP');
    fast('let x: ' + 'Map<K, '.repeat(20_000) + 'T' + '>'.repeat(20_000), { maxBytes: 2_000_000, lang: 'ts' }, 'CODE_TOO_DEEP');
    fast('x = ' + '(<T>'.repeat(40) + 'y' + ')'.repeat(40), { lang: 'ts' }, 'CODE_TOO_DEEP');
    fast('x = ' + '<T>(a, '.repeat(40) + 'y' + ')'.repeat(40), { lang: 'ts' }, 'CODE_TOO_DEEP');
  });
  test('the position of CODE_TOO_DEEP is where the limit was exceeded', () => {
    const result = checkCode('x = 1;\n' + '('.repeat(200), { maxDepth: 10 });
    assert.ok(!result.ok && result.code === 'CODE_TOO_DEEP');
    if (!result.ok) assert.deepEqual([result.diagnostics[0]?.line, result.diagnostics[0]?.column], [2, 11]);
  });
  test('ordinary nesting and long flat code pass', () => {
    assertOk(checkCode('x = ' + '('.repeat(60) + '1' + ')'.repeat(60)), '');
    const rows = Array.from({ length: 2000 }, (_, i) => `{ a: ${i}, b: 'r${i}' }`).join(',\n');
    assertOk(checkCode(`const rows = [\n${rows}\n];`), '');
    const lines = Array.from({ length: 1500 }, (_, i) => `const v${i} = a + b * c - d / e`).join('\n');
    assertOk(checkCode(lines), '');
    const chain = 'if (a) {} ' + Array.from({ length: 150 }, () => 'else if (b) {}').join(' ');
    assertOk(checkCode(chain), '');
  });
  test('a stack overflow in the parser is still a typed result', () => {
    // Run from deep inside a recursion so the parser runs out of stack although the pre-scan passes.
    const recurse = (n: number): CheckResult => (n === 0 ? checkCode('x = ' + '('.repeat(90) + '1' + ')'.repeat(90)) : recurse(n - 1));
    let result: CheckResult | undefined;
    for (let depth = 1000; depth < 20_000 && (result === undefined || result.ok); depth += 500) {
      try {
        result = recurse(depth);
      } catch {
        break; // overflowed in our own recursion before reaching the parser
      }
    }
    assert.ok(result !== undefined && !result.ok && result.code === 'CODE_TOO_DEEP', JSON.stringify(result));
  });
  test('options are validated', () => {
    assert.throws(() => checkCode('x', { maxBytes: 0 }), TypeError);
    assert.throws(() => checkCode('x', { maxDepth: 1.5 }), TypeError);
    assert.throws(() => checkCode('x', { lang: 'py' as 'js' }), TypeError);
  });
});
