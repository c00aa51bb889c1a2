/**
 * Streaming JSON → typed columns, on @streamparser/json's tokenizer.
 *
 * Accepts an array of row objects (`[{"a":1,"b":"x"}, …]`) or an object of column arrays
 * (`{"a":[1, …], "b":["x", …]}`). Tokens drive a small state machine that types each scalar into
 * its column builder as it arrives, so no row object and no array of values is ever built. Every
 * limit is checked while reading: a nested value is refused at its first bracket (so
 * `[[[[…` costs nothing), rows and columns at the one past the cap, a string (or number) is
 * measured while it is still arriving, and the builders charge the decoded-size budget before they
 * grow.
 */
import { Tokenizer, TokenType, type ParsedTokenInfo } from '@streamparser/json';
import type { Column } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';
import { DecodeBudget, STORED_CHECK_MASK, assertColumnCount, assertRowCount, checkStoredSoFar, fieldTooLong, resolveLimits, type DatasetLimits } from './dataset-limits.ts';
import type { InferOptions } from './infer-columns.ts';
import { ValueColumnBuilder, type JsonScalar } from './value-column-builder.ts';
import { assertColumnName } from './validate-columns.ts';

/** Options of {@link createJsonReader} and `parseJsonRows`. */
export interface ParseJsonOptions extends InferOptions {
  readonly limits?: Partial<DatasetLimits>;
}

/** A push parser: `write` the input in pieces, then `end` for the columns. */
export interface JsonReader {
  /** Parse the next piece of the input (UTF-8 bytes, or text). */
  write(piece: Uint8Array | string): void;
  /** The input is complete: the typed columns. */
  end(): Column[];
}

/** Bytes fed to the tokenizer at once: a string still arriving is measured at least this often. */
const FEED_BYTES = 64 * 1024;
/** Longest number text accepted (a number is never legitimately longer). */
const MAX_NUMBER_CHARS = 1024;

type State =
  | 'start'
  // rows: `[` seen, a row `{` or `]` next (or, after a comma, a row only)
  | 'rows'
  | 'rows-next'
  | 'row-key'
  | 'row-key-next'
  | 'row-colon'
  | 'row-value'
  | 'row-after-value'
  | 'rows-after-row'
  // columns: `{` seen
  | 'cols-key'
  | 'cols-key-next'
  | 'cols-colon'
  | 'cols-open'
  | 'cols-value'
  | 'cols-value-next'
  | 'cols-after-value'
  | 'cols-after-column'
  | 'done';

const SCALARS = new Set<TokenType>([TokenType.STRING, TokenType.NUMBER, TokenType.TRUE, TokenType.FALSE, TokenType.NULL]);

/**
 * Create a streaming JSON reader (see `parseJsonRows` for the accepted shapes and typing rules).
 * @throws DatasetError (from `write` and `end`): DATASET_PARSE (invalid JSON or UTF-8),
 *   DATASET_EMPTY, DATASET_SCHEMA (a row that is not an object, a nested value, a repeated key, a
 *   column that is not an array or has another length: the message names the row and column),
 *   DATASET_TOO_LARGE (rows, columns, field length, decoded size).
 */
export function createJsonReader(options: ParseJsonOptions = {}): JsonReader {
  const limits = resolveLimits(options.limits);
  const budget = new DecodeBudget(limits);
  // Buffered strings and numbers: measured about a quarter faster than the default on row JSON.
  const tokenizer = new Tokenizer({ emitPartialTokens: true, stringBufferSize: 64 * 1024, numberBufferSize: 64 });
  const builders: ValueColumnBuilder[] = [];
  const byName = new Map<string, number>();
  let state: State = 'start';
  let rows = 0;
  let written = 0;
  let sawInput = false;
  let failure: DatasetError | undefined;
  let deferred: DatasetError | undefined;
  // rows mode
  let rowSet = new Uint8Array(0);
  let setInRow = 0;
  let key = -1;
  // columns mode
  let current: ValueColumnBuilder | undefined;
  let firstLength = -1;

  const schema = (message: string, where: { readonly row?: number; readonly column?: string } = {}): never => {
    throw new DatasetError('DATASET_SCHEMA', message, where);
  };
  const nested = (token: TokenType, row: number, column: string): never =>
    schema(`column "${column}", row ${row + 1}: ${token === TokenType.LEFT_BRACKET ? 'an array' : 'an object'} is not a supported cell value (use numbers, strings, booleans or null)`, {
      row,
      column,
    });
  const scalar = (info: ParsedTokenInfo): JsonScalar => {
    const v = info.value;
    return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
  };
  const addColumn = (name: string, backfill: number): ValueColumnBuilder => {
    assertColumnCount(builders.length + 1, limits);
    assertColumnName(name, builders.length);
    const builder = new ValueColumnBuilder(name, options, budget);
    builder.pushNulls(backfill);
    byName.set(name, builders.length);
    builders.push(builder);
    return builder;
  };
  const unexpected = (info: ParsedTokenInfo): never => {
    throw new DatasetError('DATASET_PARSE', `invalid JSON: unexpected ${describe(info.token)} at byte ${info.offset}`);
  };

  const endRow = (): void => {
    if (setInRow !== builders.length) {
      for (let c = 0; c < builders.length; c++) if (rowSet[c] === 0) (builders[c] as ValueColumnBuilder).push(null);
    }
    rowSet.fill(0, 0, builders.length);
    setInRow = 0;
    rows++;
    if ((rows & STORED_CHECK_MASK) === 0) checkStoredSoFar(builders, rows, limits);
  };

  const onToken = (info: ParsedTokenInfo): void => {
    if (info.partial === true) {
      // Still arriving: measure it now, so one endless string costs at most the cap.
      if (info.token === TokenType.STRING && (info.value as string).length > limits.maxFieldChars) throw fieldTooLong(limits, tokenPlace(), where());
      // The tokenizer swallows what its partial-number callback throws: hand the error over instead.
      if (info.token === TokenType.NUMBER && written - info.offset > MAX_NUMBER_CHARS)
        deferred ??= new DatasetError('DATASET_PARSE', `invalid JSON: a number longer than ${MAX_NUMBER_CHARS} characters at byte ${info.offset}`);
      return;
    }
    const t = info.token;
    switch (state) {
      case 'start':
        if (t === TokenType.LEFT_BRACKET) state = 'rows';
        else if (t === TokenType.LEFT_BRACE) state = 'cols-key';
        else schema('expected a JSON array of row objects or an object of column arrays');
        return;
      // ------------------------------------------------------------------ rows
      case 'rows':
      case 'rows-next':
        if (t === TokenType.RIGHT_BRACKET && state === 'rows') {
          if (rows === 0) throw new DatasetError('DATASET_EMPTY', 'there are no rows');
          state = 'done';
          return;
        }
        if (t !== TokenType.LEFT_BRACE) {
          if (SCALARS.has(t) || t === TokenType.LEFT_BRACKET) schema(`row ${rows + 1} is not an object`, { row: rows });
          unexpected(info);
        }
        assertRowCount(rows + 1, limits);
        state = 'row-key';
        return;
      case 'row-key':
      case 'row-key-next': {
        if (t === TokenType.RIGHT_BRACE && state === 'row-key') {
          endRow();
          state = 'rows-after-row';
          return;
        }
        if (t !== TokenType.STRING) unexpected(info);
        const name = info.value as string;
        let index = byName.get(name);
        if (index === undefined) {
          addColumn(name, rows);
          index = builders.length - 1;
          if (rowSet.length < builders.length) {
            const grown = new Uint8Array(Math.max(16, rowSet.length * 2));
            grown.set(rowSet);
            rowSet = grown;
          }
        }
        if (rowSet[index] === 1) schema(`row ${rows + 1} has the key "${name}" twice`, { row: rows, column: name });
        key = index;
        state = 'row-colon';
        return;
      }
      case 'row-colon':
        if (t !== TokenType.COLON) unexpected(info);
        state = 'row-value';
        return;
      case 'row-value': {
        const builder = builders[key] as ValueColumnBuilder;
        if (t === TokenType.LEFT_BRACE || t === TokenType.LEFT_BRACKET) nested(t, rows, builder.name);
        if (!SCALARS.has(t)) unexpected(info);
        if (t === TokenType.STRING && (info.value as string).length > limits.maxFieldChars)
          throw fieldTooLong(limits, `column "${builder.name}", row ${rows + 1}`, { row: rows, column: builder.name });
        builder.push(scalar(info));
        rowSet[key] = 1;
        setInRow++;
        state = 'row-after-value';
        return;
      }
      case 'row-after-value':
        if (t === TokenType.COMMA) state = 'row-key-next';
        else if (t === TokenType.RIGHT_BRACE) {
          endRow();
          state = 'rows-after-row';
        } else unexpected(info);
        return;
      case 'rows-after-row':
        if (t === TokenType.COMMA) state = 'rows-next';
        else if (t === TokenType.RIGHT_BRACKET) state = 'done';
        else unexpected(info);
        return;
      // ------------------------------------------------------------------ columns
      case 'cols-key':
      case 'cols-key-next': {
        if (t === TokenType.RIGHT_BRACE && state === 'cols-key') {
          if (builders.length === 0) throw new DatasetError('DATASET_EMPTY', 'the object has no columns');
          state = 'done';
          return;
        }
        if (t !== TokenType.STRING) unexpected(info);
        const name = info.value as string;
        if (byName.has(name)) schema(`two columns are named "${name}"`, { column: name });
        current = addColumn(name, 0);
        state = 'cols-colon';
        return;
      }
      case 'cols-colon':
        if (t !== TokenType.COLON) unexpected(info);
        state = 'cols-open';
        return;
      case 'cols-open':
        if (t !== TokenType.LEFT_BRACKET) {
          const name = (current as ValueColumnBuilder).name;
          if (SCALARS.has(t) || t === TokenType.LEFT_BRACE) schema(`column "${name}" is not an array`, { column: name });
          unexpected(info);
        }
        state = 'cols-value';
        return;
      case 'cols-value':
      case 'cols-value-next': {
        const builder = current as ValueColumnBuilder;
        if (t === TokenType.RIGHT_BRACKET && state === 'cols-value') {
          finishColumn(builder);
          state = 'cols-after-column';
          return;
        }
        if (t === TokenType.LEFT_BRACE || t === TokenType.LEFT_BRACKET) nested(t, builder.rows, builder.name);
        if (!SCALARS.has(t)) unexpected(info);
        const row = builder.rows;
        if (firstLength >= 0 && row >= firstLength) schema(`column "${builder.name}" has more values than the first column (${firstLength})`, { column: builder.name });
        assertRowCount(row + 1, limits);
        if (t === TokenType.STRING && (info.value as string).length > limits.maxFieldChars) throw fieldTooLong(limits, `column "${builder.name}", row ${row + 1}`, { row, column: builder.name });
        builder.push(scalar(info));
        if ((builder.rows & STORED_CHECK_MASK) === 0) checkStoredSoFar(builders, Math.max(builder.rows, firstLength), limits);
        state = 'cols-after-value';
        return;
      }
      case 'cols-after-value':
        if (t === TokenType.COMMA) state = 'cols-value-next';
        else if (t === TokenType.RIGHT_BRACKET) {
          finishColumn(current as ValueColumnBuilder);
          state = 'cols-after-column';
        } else unexpected(info);
        return;
      case 'cols-after-column':
        if (t === TokenType.COMMA) state = 'cols-key-next';
        else if (t === TokenType.RIGHT_BRACE) state = 'done';
        else unexpected(info);
        return;
      case 'done':
        unexpected(info);
    }
  };

  const isDone = (): boolean => state === 'done';
  const finishColumn = (builder: ValueColumnBuilder): void => {
    if (firstLength < 0) firstLength = builder.rows;
    else if (builder.rows !== firstLength) schema(`column "${builder.name}" has ${builder.rows} values, the first column has ${firstLength}`, { column: builder.name });
  };

  /** Where the token being read is, for messages. */
  const tokenPlace = (): string => {
    if (state.startsWith('row')) return `row ${rows + 1}`;
    if (current !== undefined) return `column "${current.name}", row ${current.rows + 1}`;
    return 'a key';
  };
  const where = (): { row?: number; column?: string } => {
    if (state === 'row-value' || state === 'row-after-value') return { row: rows, column: (builders[key] as ValueColumnBuilder).name };
    if (state.startsWith('row')) return { row: rows };
    if (current !== undefined) return { row: current.rows, column: current.name };
    return {};
  };

  tokenizer.onToken = onToken;
  // Errors thrown from onToken pass through the tokenizer's error hook: rethrow them as they are.
  tokenizer.onError = (error: Error): void => {
    throw error;
  };

  const guard = (fn: () => void): void => {
    if (failure !== undefined) throw failure;
    try {
      fn();
    } catch (error) {
      failure =
        error instanceof DatasetError ? error : new DatasetError('DATASET_PARSE', `invalid JSON: ${error instanceof Error ? error.message.split('\n')[0] : 'unreadable input'}`, { cause: error });
      throw failure;
    }
  };

  return {
    write(piece) {
      guard(() => {
        const bytes = typeof piece === 'string' ? new TextEncoder().encode(piece) : piece;
        for (let at = 0; at < bytes.byteLength; at += FEED_BYTES) {
          const part = bytes.subarray(at, Math.min(bytes.byteLength, at + FEED_BYTES));
          if (!sawInput && !isBlank(part)) sawInput = true;
          written += part.byteLength;
          tokenizer.write(part);
          if (deferred !== undefined) throw deferred;
        }
      });
    },
    end() {
      let columns: Column[] = [];
      guard(() => {
        if (!sawInput) throw new DatasetError('DATASET_EMPTY', 'the JSON is empty');
        // A trailing number only ends (and is typed) when the tokenizer is told the input is over.
        if (!tokenizer.isEnded) tokenizer.end();
        if (!isDone()) throw new DatasetError('DATASET_PARSE', 'invalid JSON: the input ends before the JSON is complete');
        if (builders.length === 0) throw new DatasetError('DATASET_EMPTY', 'the rows have no keys: a dataset needs at least one column');
        columns = builders.map((b) => b.finish());
      });
      return columns;
    },
  };
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf) return false;
  return true;
}

function describe(token: TokenType): string {
  switch (token) {
    case TokenType.LEFT_BRACE:
      return '"{"';
    case TokenType.RIGHT_BRACE:
      return '"}"';
    case TokenType.LEFT_BRACKET:
      return '"["';
    case TokenType.RIGHT_BRACKET:
      return '"]"';
    case TokenType.COLON:
      return '":"';
    case TokenType.COMMA:
      return '","';
    case TokenType.STRING:
      return 'a string';
    case TokenType.NUMBER:
      return 'a number';
    default:
      return 'a value';
  }
}
