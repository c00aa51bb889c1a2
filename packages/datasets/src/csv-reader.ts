/**
 * Streaming CSV → typed columns, on papaparse's core parser.
 *
 * Bytes are pushed in pieces ({@link CsvReader.write}); each complete row is typed into its
 * column builder at once and its text dropped, so memory holds the columns being built, the
 * current piece and at most one incomplete row. Every limit is checked while reading: the header's
 * column count and names, the row count, each field's length (also inside an incomplete row, so
 * one endless quoted field is refused after `maxFieldChars` characters, not at its end), and the
 * decoded size (the builders charge their budget before they grow).
 */
import Papa from 'papaparse';
import type { Column } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';
import { DecodeBudget, MAX_COLUMN_NAME_CHARS, assertColumnCount, checkStoredSoFar, fieldTooLong, resolveLimits, STORED_CHECK_MASK, type DatasetLimits } from './dataset-limits.ts';
import type { InferOptions } from './infer-columns.ts';
import { TextColumnBuilder } from './text-column-builder.ts';
import { assertColumnNames } from './validate-columns.ts';

/** Options of {@link createCsvReader} and `parseCsv`. */
export interface ParseCsvOptions extends InferOptions {
  /** Field delimiter (default `,`). */
  readonly delimiter?: string;
  /** Field texts read as null (default: only the empty field). */
  readonly nullValues?: readonly string[];
  readonly limits?: Partial<DatasetLimits>;
}

/** A push parser: `write` the input in pieces, then `end` for the columns. */
export interface CsvReader {
  /** Parse the next piece of the input (UTF-8 bytes, or text). */
  write(piece: Uint8Array | string): void;
  /** The input is complete: the typed columns. */
  end(): Column[];
  /** Rows read so far (header excluded). */
  readonly rows: number;
}

const QUOTE = 34; // "
/** Below this many characters an incomplete row is just kept; above it, its fields are measured as it grows. */
const MEASURE_FROM = 4096;

interface PapaStep {
  readonly data: string[][];
  readonly errors: readonly { readonly type: string; readonly code: string }[];
  readonly meta: { readonly cursor: number };
}
interface PapaParser {
  parse(input: string, baseIndex: number, ignoreLastRow: boolean): PapaStep;
}
type PapaParserCtor = new (config: Record<string, unknown>) => PapaParser;

/**
 * Measures the fields of the incomplete row at the end of the buffered text as it grows, so a
 * field longer than the cap is refused while it arrives. Quote-aware: `""` inside quotes is one
 * character; a quoted field's value is what lies between its quotes.
 */
class PartialRowMeter {
  #pos = 0;
  #inQuotes = false;
  #fieldStart = true;
  #chars = 0;
  reset(): void {
    this.#pos = 0;
    this.#inQuotes = false;
    this.#fieldStart = true;
    this.#chars = 0;
  }
  /** Scan `text` from where the last call stopped; returns the longest field value seen so far in this row. */
  scan(text: string, delimiter: string, longest: number): number {
    const delim = delimiter.charCodeAt(0);
    let max = longest;
    let i = this.#pos;
    const n = text.length;
    // A quote at the very end may be the first half of an escaped quote: wait for the next character.
    const stop = text.charCodeAt(n - 1) === QUOTE ? n - 1 : n;
    while (i < stop) {
      const c = text.charCodeAt(i);
      if (this.#fieldStart) {
        this.#fieldStart = false;
        this.#chars = 0;
        if (c === QUOTE) {
          this.#inQuotes = true;
          i++;
          continue;
        }
      }
      if (this.#inQuotes) {
        if (c === QUOTE) {
          if (text.charCodeAt(i + 1) === QUOTE) {
            this.#chars++;
            i += 2;
            continue;
          }
          this.#inQuotes = false;
          i++;
          continue;
        }
        this.#chars++;
      } else if (c === delim && delimiter.length === 1) {
        this.#fieldStart = true;
      } else {
        this.#chars++;
      }
      if (this.#chars > max) max = this.#chars;
      i++;
    }
    this.#pos = i;
    return max;
  }
}

/**
 * Create a streaming CSV reader with a header row (see `parseCsv` for the format and the
 * typing rules).
 * @throws DatasetError (from `write` and `end`): DATASET_PARSE (invalid UTF-8, bad quoting, a row
 *   with another number of fields than the header: the message names the line), DATASET_EMPTY,
 *   DATASET_SCHEMA (bad or duplicate header names), DATASET_TOO_LARGE (rows, columns, field
 *   length, decoded size).
 */
export function createCsvReader(options: ParseCsvOptions = {}): CsvReader {
  const limits = resolveLimits(options.limits);
  const budget = new DecodeBudget(limits);
  const delimiter = options.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length === 0 || /["\r\n]/u.test(delimiter)) throw new TypeError('delimiter must be a non-empty string without quotes or line breaks');
  const nullValues = new Set(options.nullValues ?? ['']);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const meter = new PartialRowMeter();
  let newline: '\n' | '\r\n' | '\r' | undefined;
  let parser: PapaParser | undefined;
  let builders: TextColumnBuilder[] | undefined;
  let rows = 0;
  let pending = '';
  /** Line breaks in the text already dropped from `pending` (for 1-based line numbers). */
  let linesBefore = 0;
  /** Where the row being typed starts in `pending`. */
  let rowStart = 0;
  /** Parse again only once `pending` reaches this length (doubling: a long row is re-read O(1) times). */
  let parseAt = 0;
  let longestPartialField = 0;
  let started = false;
  let ended = false;
  let failure: DatasetError | undefined;

  const countBreaks = (text: string, from: number, to: number): number => {
    const nl = newline === '\r' ? '\r' : '\n';
    let count = 0;
    for (let at = text.indexOf(nl, from); at !== -1 && at < to; at = text.indexOf(nl, at + 1)) count++;
    return count;
  };
  const lineAt = (offset: number): number => linesBefore + countBreaks(pending, 0, offset) + 1;
  const fail = (error: DatasetError): never => {
    failure = error;
    throw error;
  };

  const onlyEmptyIsNull = nullValues.size === 1 && nullValues.has('');
  const onRow = (fields: string[], end: number): void => {
    const start = rowStart;
    rowStart = end;
    const count = fields.length;
    // A line with nothing on it is not a row (blank lines are skipped).
    if (count === 1 && (fields[0] as string).length === 0) return;
    const last = fields[count - 1] as string;
    // A stray CRLF in an LF file: the CR belongs to the line break, not to the last field.
    if (newline === '\n' && last.charCodeAt(last.length - 1) === 13) fields[count - 1] = last.slice(0, -1);
    for (let i = 0; i < count; i++) {
      if ((fields[i] as string).length > limits.maxFieldChars) {
        const column = builders?.[i]?.name;
        const at = lineAt(start);
        fail(fieldTooLong(limits, `line ${at}${column === undefined ? '' : `, column "${column}"`}`, { line: at, ...(column === undefined ? {} : { column }) }));
      }
    }
    if (builders === undefined) {
      try {
        assertColumnCount(fields.length, limits);
        assertColumnNames(fields);
      } catch (error) {
        fail(error as DatasetError);
      }
      builders = fields.map((name) => new TextColumnBuilder(name, options, budget));
      return;
    }
    if (count !== builders.length) {
      const at = lineAt(start);
      fail(new DatasetError('DATASET_PARSE', `a CSV row has ${count} fields, the header has ${builders.length} (line ${at})`, { line: at }));
    }
    if (++rows > limits.maxRows) {
      const at = lineAt(start);
      fail(new DatasetError('DATASET_TOO_LARGE', `the CSV has more than ${limits.maxRows} rows (line ${at})`, { line: at, limit: { name: 'rows', value: limits.maxRows } }));
    }
    for (let i = 0; i < count; i++) {
      const cell = fields[i] as string;
      (builders[i] as TextColumnBuilder).push((onlyEmptyIsNull ? cell.length === 0 : nullValues.has(cell)) ? null : cell);
    }
    if ((rows & STORED_CHECK_MASK) === 0) checkStoredSoFar(builders, rows, limits);
  };

  const step = (result: PapaStep): void => {
    const quoteError = result.errors.find((e) => e.type === 'Quotes');
    if (quoteError !== undefined) {
      const line = lineAt(rowStart);
      const what = quoteError.code === 'MissingQuotes' ? 'a quoted CSV field is never closed' : 'a quoted CSV field has text after its closing quote';
      fail(new DatasetError('DATASET_PARSE', `${what} (line ${line})`, { line }));
    }
    for (const row of result.data) onRow(row, result.meta.cursor);
  };

  const detectNewline = (text: string, final: boolean): boolean => {
    const lf = text.indexOf('\n');
    if (lf !== -1) newline = lf > 0 && text.charCodeAt(lf - 1) === 13 ? '\r\n' : '\n';
    else if (text.includes('\r') && (final || text.indexOf('\r') < text.length - 1)) newline = '\r';
    else if (final) newline = '\n';
    if (newline === undefined) return false;
    parser = new (Papa.Parser as unknown as PapaParserCtor)({ delimiter, newline, quoteChar: '"', escapeChar: '"', step });
    return true;
  };

  const run = (final: boolean): void => {
    if (parser === undefined && !detectNewline(pending, final)) {
      // No line break yet: the header alone is this long.
      if (pending.length > limits.maxColumns * (2 * MAX_COLUMN_NAME_CHARS + 3)) {
        fail(new DatasetError('DATASET_TOO_LARGE', `the CSV header is longer than ${limits.maxColumns} column names can be`, { line: 1, limit: { name: 'nameChars', value: MAX_COLUMN_NAME_CHARS } }));
      }
      return;
    }
    rowStart = 0;
    const result = (parser as PapaParser).parse(pending, 0, !final);
    if (final) {
      pending = '';
      return;
    }
    const cursor = result.meta.cursor;
    if (cursor > 0) {
      linesBefore += countBreaks(pending, 0, cursor);
      pending = pending.slice(cursor);
      meter.reset();
      longestPartialField = 0;
    }
    // An incomplete row is re-read whole on the next parse: wait until it has doubled.
    parseAt = pending.length >= MEASURE_FROM ? pending.length * 2 : 0;
    if (pending.length >= MEASURE_FROM) {
      longestPartialField = meter.scan(pending, delimiter, longestPartialField);
      if (longestPartialField > limits.maxFieldChars) {
        const line = lineAt(0);
        fail(fieldTooLong(limits, `line ${line}`, { line }));
      }
    }
  };

  const guard = (fn: () => void): void => {
    if (failure !== undefined) throw failure;
    if (ended) throw new Error('CSV reader already ended');
    try {
      fn();
    } catch (error) {
      if (error instanceof DatasetError) {
        failure = error;
        throw error;
      }
      if (error instanceof TypeError && (error as { code?: unknown }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
        failure = new DatasetError('DATASET_PARSE', 'the CSV is not valid UTF-8', { cause: error });
        throw failure;
      }
      throw error;
    }
  };

  return {
    get rows() {
      return rows;
    },
    write(piece) {
      guard(() => {
        let text = typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
        if (!started && text.length > 0) {
          started = true;
          // TextDecoder drops a UTF-8 BOM itself; a string may still start with one.
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        }
        pending += text;
        if (pending.length >= parseAt) run(false);
        else if (parseAt > 0) {
          // Waiting for the row to double: still measure its fields as it grows.
          longestPartialField = meter.scan(pending, delimiter, longestPartialField);
          if (longestPartialField > limits.maxFieldChars) {
            const line = lineAt(0);
            fail(fieldTooLong(limits, `line ${line}`, { line }));
          }
        }
      });
    },
    end() {
      let columns: Column[] = [];
      guard(() => {
        pending += decoder.decode();
        if (pending.length > 0) run(true);
        ended = true;
        if (builders === undefined) throw new DatasetError('DATASET_EMPTY', 'the CSV is empty: a header row is required');
        columns = builders.map((b) => b.finish());
      });
      return columns;
    },
  };
}
