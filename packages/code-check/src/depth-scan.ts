/**
 * A cheap, linear pre-scan that bounds how deeply the parser will recurse, run BEFORE the parser
 * so that hostile input (100k `(`, 50k `!`, `a?b:c?d:...`) cannot overflow Babel's stack.
 *
 * Babel is a recursive-descent parser: every open bracket costs a handful of stack frames, and so
 * does every operator in one expression (binary operators, prefix operators, `?`, `=`, `=>`, `new`
 * and the `if`/`else` chain all recurse). Measured with the default V8 stack (Node 24), Babel
 * overflows at about 536 nested `(`, 390 in TypeScript mode, 414 nested `Array<`, 1,171 `=>`,
 * 1,562 `new`, 3,124 `else if`/`**`, 6,000-7,800 binary/prefix operators or `=`.
 *
 * The scan therefore computes a weighted depth: each open bracket (`(`, `[`, `{`, `${`) costs one
 * level, and each operator token costs a fraction of a level (by its measured stack cost) that is
 * added to the innermost bracket and released at the next `,` or `;` (or at a statement boundary
 * on a new line, or when the bracket closes); a TypeScript `<` costs a full level until its `>`,
 * the next `;` or the closing bracket. With the default limit of 100 levels the parser uses
 * at most about a third of the default stack. Strings, comments, template text and regular
 * expressions are skipped approximately; where the scan could be wrong it counts more, not less.
 * The caller still catches RangeError from the parser as a last line of defence.
 *
 * One more bound, for time rather than stack: in TypeScript, a `<` where an operand is expected
 * (`<T>x` assertion or `<T>(x) => x` generic arrow) makes Babel try an arrow function first and
 * backtrack, so nesting them (`(<T>(<T>(...`) costs exponential time (16 levels: ~1 s). At most
 * {@link MAX_TS_OPERAND_ANGLES} of them may be open at once, whatever `maxDepth` is.
 */

/** Where the limit was exceeded (1-based line and column, UTF-16 code units). */
export interface DepthExceeded {
  readonly line: number;
  readonly column: number;
}

/** Costs in eighths of a nesting level. */
const UNIT = 8;
const COST_BRACKET = UNIT;
const COST_TS_ANGLE = UNIT;
const COST_ARROW = 4;
const COST_NEW = 4;
const COST_STATEMENT_KEYWORD = 2;
const COST_HEAVY_OPERATOR = 2;
const COST_OPERATOR = 1;

/** How many operand-position `<` (TypeScript) may be open at once; 6 levels parse in ~20 ms. */
export const MAX_TS_OPERAND_ANGLES = 6;

const KIND_TOP = 0;
const KIND_PAREN = 1;
const KIND_BRACKET = 2;
const KIND_BRACE = 3;
const KIND_TEMPLATE = 4;

/** Word tokens after which the next token is an operand (so `/` starts a regex), with their cost. */
const OPERATOR_WORDS: ReadonlyMap<string, number> = new Map([
  ['new', COST_NEW],
  ['typeof', COST_OPERATOR],
  ['void', COST_OPERATOR],
  ['delete', COST_OPERATOR],
  ['await', COST_OPERATOR],
  ['yield', COST_OPERATOR],
  ['in', COST_OPERATOR],
  ['instanceof', COST_OPERATOR],
  ['of', COST_OPERATOR],
  ['as', COST_OPERATOR],
  ['satisfies', COST_OPERATOR],
  ['keyof', COST_OPERATOR],
  ['extends', COST_HEAVY_OPERATOR],
  ['if', COST_STATEMENT_KEYWORD],
  ['else', COST_STATEMENT_KEYWORD],
  ['while', COST_STATEMENT_KEYWORD],
  ['for', COST_STATEMENT_KEYWORD],
  ['do', COST_STATEMENT_KEYWORD],
  ['with', COST_STATEMENT_KEYWORD],
  ['return', 0],
  ['throw', 0],
  ['case', 0],
]);

/** Words that continue the previous statement even at the start of a line. */
const CONTINUATION_WORDS: ReadonlySet<string> = new Set(['else', 'in', 'instanceof', 'of', 'as', 'satisfies', 'extends', 'implements', 'keyof', 'is', 'catch', 'finally', 'while']);

function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 36 || c === 95 || c === 92 || c >= 0x80;
}

function isWhitespace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || (c >= 0x1680 && isUnicodeSpace(c));
}

function isUnicodeSpace(c: number): boolean {
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000;
}

/**
 * Returns where the weighted nesting depth of `source` first exceeds `maxDepth`, or `null`.
 * `ts`: TypeScript mode, where `<` may open a type argument list and costs a full level.
 */
export function findExcessiveDepth(source: string, maxDepth: number, ts: boolean): DepthExceeded | null {
  const limit = maxDepth * UNIT;
  const n = source.length;
  const kinds: number[] = [KIND_TOP];
  const ops: number[] = [0];
  const angles: number[] = [0];
  const casts: number[] = [0];
  let total = 0;
  let castTotal = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  // Does the previous significant token end an operand (so `/` is division, a newline may end a statement)?
  let afterOperand = false;
  let newlineSeen = false;
  let inTemplateText = false;

  const exceeded = (at: number): DepthExceeded => ({ line, column: at - lineStart + 1 });
  const newline = (at: number): void => {
    // \r\n counts once
    if (source.charCodeAt(at) === 13 && source.charCodeAt(at + 1) === 10) return;
    line++;
    lineStart = at + 1;
  };
  const addCost = (cost: number): void => {
    const top = ops.length - 1;
    ops[top] = (ops[top] ?? 0) + cost;
    total += cost;
  };
  const resetTop = (): void => {
    const top = ops.length - 1;
    total -= (ops[top] ?? 0) + (angles[top] ?? 0);
    castTotal -= casts[top] ?? 0;
    ops[top] = 0;
    angles[top] = 0;
    casts[top] = 0;
  };
  const push = (kind: number): void => {
    kinds.push(kind);
    ops.push(0);
    angles.push(0);
    casts.push(0);
    total += COST_BRACKET;
  };
  const pop = (): number => {
    if (kinds.length === 1) return KIND_TOP;
    total -= (ops.pop() ?? 0) + (angles.pop() ?? 0) + COST_BRACKET;
    castTotal -= casts.pop() ?? 0;
    return kinds.pop() ?? KIND_TOP;
  };

  while (i < n) {
    if (inTemplateText) {
      // Template text: runs to the closing backtick or to `${`.
      const c = source.charCodeAt(i);
      if (c === 96) {
        inTemplateText = false;
        afterOperand = true;
        i++;
      } else if (c === 92) {
        if (isLineTerminator(source.charCodeAt(i + 1))) newline(i + 1);
        i += 2;
      } else if (c === 36 && source.charCodeAt(i + 1) === 123) {
        inTemplateText = false;
        push(KIND_TEMPLATE);
        if (total > limit) return exceeded(i);
        afterOperand = false;
        i += 2;
      } else {
        if (isLineTerminator(c)) newline(i);
        i++;
      }
      continue;
    }

    const c = source.charCodeAt(i);
    if (isLineTerminator(c)) {
      newline(i);
      newlineSeen = true;
      i++;
      continue;
    }
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    const next = source.charCodeAt(i + 1);
    if (c === 47 && next === 47) {
      // line comment
      while (i < n && !isLineTerminator(source.charCodeAt(i))) i++;
      continue;
    }
    if (c === 47 && next === 42) {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      for (let j = i + 2; j < stop; j++) {
        if (isLineTerminator(source.charCodeAt(j))) {
          newline(j);
          newlineSeen = true;
        }
      }
      i = stop;
      continue;
    }

    const tokenStart = i;
    const wasNewline = newlineSeen;
    newlineSeen = false;

    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(source.charCodeAt(j))) j++;
      const word = source.slice(i, j);
      i = j;
      const isNumber = c >= 48 && c <= 57;
      if (wasNewline && afterOperand && !isNumber && !CONTINUATION_WORDS.has(word)) {
        const kind = kinds[kinds.length - 1];
        if (kind === KIND_TOP || kind === KIND_BRACE) resetTop();
      }
      const cost = isNumber ? undefined : OPERATOR_WORDS.get(word);
      if (cost === undefined) {
        afterOperand = true;
      } else {
        afterOperand = false;
        addCost(cost);
        if (total > limit) return exceeded(tokenStart);
      }
      continue;
    }

    if (c === 39 || c === 34) {
      // string literal; an unterminated one ends at the line end
      i++;
      while (i < n) {
        const d = source.charCodeAt(i);
        if (d === c) {
          i++;
          break;
        }
        if (d === 92) {
          if (isLineTerminator(source.charCodeAt(i + 1))) newline(i + 1);
          i += 2;
          continue;
        }
        if (isLineTerminator(d)) break;
        i++;
      }
      afterOperand = true;
      continue;
    }

    if (c === 96) {
      inTemplateText = true;
      i++;
      continue;
    }

    if (c === 47 && !afterOperand) {
      // regular expression literal: to the unescaped `/` outside a class, or the line end
      i++;
      let inClass = false;
      while (i < n) {
        const d = source.charCodeAt(i);
        if (isLineTerminator(d)) break;
        i++;
        if (d === 92) i++;
        else if (d === 91) inClass = true;
        else if (d === 93) inClass = false;
        else if (d === 47 && !inClass) break;
      }
      afterOperand = true;
      continue;
    }

    if (c === 46 && next >= 48 && next <= 57) {
      // number starting with a dot
      i++;
      while (i < n && isWordChar(source.charCodeAt(i))) i++;
      afterOperand = true;
      continue;
    }

    // punctuators
    i++;
    switch (c) {
      case 40: // (
      case 91: // [
      case 123: // {
        push(c === 40 ? KIND_PAREN : c === 91 ? KIND_BRACKET : KIND_BRACE);
        if (total > limit) return exceeded(tokenStart);
        afterOperand = false;
        break;
      case 41: // )
      case 93: // ]
        pop();
        afterOperand = true;
        break;
      case 125: {
        // }
        const kind = pop();
        if (kind === KIND_TEMPLATE) {
          inTemplateText = true;
        }
        afterOperand = true;
        break;
      }
      case 44: {
        // , ends an operand list entry; not a type argument list (`Map<K, V>`) or assertion
        const top = ops.length - 1;
        total -= ops[top] ?? 0;
        ops[top] = 0;
        afterOperand = false;
        break;
      }
      case 59: // ;
        resetTop();
        afterOperand = false;
        break;
      case 46: // . or ...
        if (next === 46) i += 2;
        afterOperand = false;
        break;
      case 58: // :
        afterOperand = false;
        break;
      case 61: // = == === =>
        if (next === 62) {
          i++;
          addCost(COST_ARROW);
        } else {
          while (source.charCodeAt(i) === 61) i++;
          addCost(COST_OPERATOR);
        }
        afterOperand = false;
        break;
      case 63: // ? ?. ?? ??=
        if (next === 46 && !(source.charCodeAt(i + 1) >= 48 && source.charCodeAt(i + 1) <= 57)) {
          i++;
          afterOperand = false;
          break;
        }
        if (next === 63) {
          i++;
          if (source.charCodeAt(i) === 61) i++;
          addCost(COST_OPERATOR);
        } else {
          addCost(COST_HEAVY_OPERATOR);
        }
        afterOperand = false;
        break;
      case 42: // * ** *= **=
        if (next === 42) {
          i++;
          addCost(COST_HEAVY_OPERATOR);
        } else addCost(COST_OPERATOR);
        if (source.charCodeAt(i) === 61) i++;
        afterOperand = false;
        break;
      case 60: // <
        if (ts) {
          const top = angles.length - 1;
          angles[top] = (angles[top] ?? 0) + COST_TS_ANGLE;
          total += COST_TS_ANGLE;
          if (!afterOperand) {
            casts[top] = (casts[top] ?? 0) + 1;
            castTotal++;
            if (castTotal > MAX_TS_OPERAND_ANGLES) return exceeded(tokenStart);
          }
        } else addCost(COST_OPERATOR);
        afterOperand = false;
        break;
      case 62: {
        // > >> >>> >= : in TypeScript each `>` may close a type argument list
        let j = i - 1;
        while (source.charCodeAt(j) === 62) j++;
        const closers = j - (i - 1);
        i = j;
        if (source.charCodeAt(i) === 61) i++;
        const top = angles.length - 1;
        if (ts && (angles[top] ?? 0) > 0) {
          const refund = Math.min(angles[top] ?? 0, closers * COST_TS_ANGLE);
          angles[top] = (angles[top] ?? 0) - refund;
          total -= refund;
        } else addCost(COST_OPERATOR);
        afterOperand = false;
        break;
      }
      case 35: // # (private name)
        afterOperand = false;
        break;
      default:
        // every other operator: ! ~ + - % & | ^ @ and their doubled/compound forms (++ && |= !==),
        // one token at a time so that `+-+-x` or `!!!!x` counts every operator
        if ((c === 43 || c === 45 || c === 38 || c === 124) && next === c) i++;
        if (source.charCodeAt(i) === 61) i++;
        if (c === 33 && source.charCodeAt(i) === 61) i++;
        addCost(COST_OPERATOR);
        afterOperand = false;
        break;
    }
    if (total > limit) return exceeded(tokenStart);
  }
  return null;
}
