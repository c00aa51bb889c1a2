/**
 * The canonical Arrow IPC **stream** encoding of a dataset, written batch by batch.
 *
 * Rows are cut into record batches of bounded size (at most {@link MAX_BATCH_ROWS} rows and about
 * {@link TARGET_BATCH_BYTES} of values plus new dictionary strings), so a reader can show the first
 * rows by reading only the first batch. String columns are `Dictionary<Utf8, Int32>` whose
 * dictionary is written in pieces: before each batch, a delta holding the strings that batch uses
 * for the first time (the canonical dictionary is in first-use order, so the codes are global and
 * each batch's strings are already known when it is read). The first batch always carries an
 * initial (possibly empty) dictionary; later batches add a delta only when they introduce strings.
 *
 * Everything here is a pure function of the columns: equal content gives equal bytes.
 */
import {
  Bool,
  Dictionary,
  Field,
  Float64,
  Int32,
  Null,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimeUnit,
  Timestamp,
  Utf8,
  Vector,
  makeData,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { Column, StringColumn } from '@plotbox/sandbox-protocol';

const TWO_32 = 4294967296;
/** Most rows in one record batch. */
export const MAX_BATCH_ROWS = 65_536;
/** A batch closes once its values (or the dictionary strings it introduces) reach about this many bytes. */
export const TARGET_BATCH_BYTES = 1024 * 1024;

/**
 * A canonical string column with an empty dictionary has only nulls: it is written as an Arrow
 * Null column, which takes no bytes per row (a 776-byte upload of ten 1M-row Null columns must
 * not become a 41 MB blob).
 */
function isAllNull(column: Column): boolean {
  return column.kind === 'string' && column.dictionary.length === 0 && column.codes.length > 0;
}

/** Bytes per row of a column's values in the Arrow body (bools and validity bits rounded up). */
function valueWidth(column: Column): number {
  if (isAllNull(column)) return 0;
  switch (column.kind) {
    case 'number':
    case 'date':
      return 8;
    case 'int':
    case 'string':
      return 4;
    case 'bool':
      return 1;
  }
}

function columnLength(column: Column): number {
  return column.kind === 'string' ? column.codes.length : column.values.length;
}

/** Where each code of a canonical string column is first used, and its strings' UTF-8 sizes. */
interface DictionaryLayout {
  /** `firstUse[c]` = the first row with code `c` (increasing: the dictionary is in first-use order). */
  readonly firstUse: Int32Array;
  /** `bytesBefore[c]` = UTF-8 bytes of codes `0..c-1`. */
  readonly bytesBefore: Float64Array;
}

function dictionaryLayout(column: StringColumn): DictionaryLayout {
  const size = column.dictionary.length;
  const firstUse = new Int32Array(size).fill(-1);
  let next = 0;
  const { codes } = column;
  for (let i = 0; i < codes.length && next < size; i++) {
    const c = codes[i] as number;
    if (c >= next) {
      // Canonical form: a code is first used in order, so the first unseen code is always `next`.
      for (let k = next; k <= c; k++) firstUse[k] = i;
      next = c + 1;
    }
  }
  for (let k = next; k < size; k++) firstUse[k] = codes.length;
  const bytesBefore = new Float64Array(size + 1);
  // All ASCII (the common case, checked once): a string's UTF-8 size is its length.
  const ascii = Buffer.byteLength(column.dictionary.join(''), 'utf8') === column.dictionary.reduce((n, s) => n + s.length, 0);
  for (let k = 0; k < size; k++) {
    const s = column.dictionary[k] as string;
    bytesBefore[k + 1] = (bytesBefore[k] as number) + (ascii ? s.length : Buffer.byteLength(s, 'utf8')) + 4;
  }
  return { firstUse, bytesBefore };
}

/** Codes first used before `row`: the count of `firstUse` entries below it (binary search). */
function introducedBefore(layout: DictionaryLayout, row: number): number {
  let lo = 0;
  let hi = layout.firstUse.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((layout.firstUse[mid] as number) < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Row ranges of the record batches: at most {@link MAX_BATCH_ROWS} rows, about
 * {@link TARGET_BATCH_BYTES} of fixed-width values, and a new-dictionary budget of the same size
 * (a batch always holds at least one row). Zero rows give one empty batch.
 */
export function planBatches(columns: readonly Column[]): readonly (readonly [number, number])[] {
  const rows = columns.length === 0 ? 0 : columnLength(columns[0] as Column);
  if (rows === 0) return [[0, 0]];
  const rowBytes = columns.reduce((sum, c) => sum + valueWidth(c), 0);
  const maxRows = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(TARGET_BATCH_BYTES / Math.max(rowBytes, 1))));
  const layouts = columns.filter((c): c is StringColumn => c.kind === 'string' && c.dictionary.length > 0).map(dictionaryLayout);
  const newBytes = (from: number, to: number): number => {
    let total = 0;
    for (const l of layouts) total += (l.bytesBefore[introducedBefore(l, to)] as number) - (l.bytesBefore[introducedBefore(l, from)] as number);
    return total;
  };
  const out: [number, number][] = [];
  let start = 0;
  while (start < rows) {
    let end = Math.min(rows, start + maxRows);
    if (layouts.length > 0 && end - start > 1 && newBytes(start, end) > TARGET_BATCH_BYTES) {
      // The largest end whose new strings fit, but at least one row.
      let lo = start + 1;
      let hi = end;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (newBytes(start, mid) <= TARGET_BATCH_BYTES) lo = mid;
        else hi = mid - 1;
      }
      end = lo;
    }
    out.push([start, end]);
    start = end;
  }
  return out;
}

/**
 * Entries `from..to` of a dictionary as one Utf8 Data: the strings joined and encoded at once
 * (apache-arrow's builder encodes string by string, which was most of the time spent writing a
 * column of a million distinct strings). The IPC bytes are the same as the builder's.
 */
function utf8Piece(dictionary: readonly string[], from: number, to: number): Data<Utf8> {
  const n = to - from;
  const offsets = new Int32Array(n + 1);
  const strings = dictionary.slice(from, to);
  const joined = strings.join('');
  let data = Buffer.from(joined, 'utf8');
  let at = 0;
  if (data.byteLength === joined.length) {
    for (let k = 0; k < n; k++) {
      offsets[k] = at;
      at += (strings[k] as string).length;
    }
  } else {
    for (let k = 0; k < n; k++) {
      offsets[k] = at;
      at += Buffer.byteLength(strings[k] as string, 'utf8');
    }
    if (at !== data.byteLength) {
      // Lone surrogates on both sides of a join pair up in the joined text: encode one by one.
      data = Buffer.concat(strings.map((s) => Buffer.from(s, 'utf8')));
    }
  }
  offsets[n] = at;
  return makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

function packBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array((bytes.length + 7) >> 3);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
  return out;
}

function nulls(valid: Uint8Array | undefined): { nullCount: number; nullBitmap?: Uint8Array } {
  if (valid === undefined) return { nullCount: 0 };
  let count = 0;
  for (let i = 0; i < valid.length; i++) if (valid[i] === 0) count++;
  return count === 0 ? { nullCount: 0 } : { nullCount: count, nullBitmap: packBits(valid) };
}

/** Per string column: the dictionary pieces written so far, one per batch that introduced strings. */
interface DictionaryState {
  readonly layout: DictionaryLayout;
  readonly pieces: Data<Utf8>[];
  /** Codes already in `pieces`. */
  written: number;
}

function batchData(column: Column, index: number, from: number, to: number, dict: DictionaryState | undefined): Data {
  const n = to - from;
  switch (column.kind) {
    case 'number':
      return makeData({ type: new Float64(), length: n, ...nulls(column.valid?.subarray(from, to)), data: column.values.subarray(from, to) });
    case 'int':
      return makeData({ type: new Int32(), length: n, ...nulls(column.valid?.subarray(from, to)), data: column.values.subarray(from, to) });
    case 'bool':
      return makeData({ type: new Bool(), length: n, ...nulls(column.valid?.subarray(from, to)), data: packBits(column.values.subarray(from, to)) });
    case 'date': {
      // Epoch ms (whole, |ms| ≤ 8.64e15 < 2^53) → int64 little-endian, without a BigInt per row.
      const out = new BigInt64Array(n);
      const words = new Int32Array(out.buffer);
      const { values } = column;
      for (let i = 0; i < n; i++) {
        const ms = values[from + i] as number;
        const hi = Math.floor(ms / TWO_32);
        words[2 * i] = ms - hi * TWO_32;
        words[2 * i + 1] = hi;
      }
      return makeData({ type: new Timestamp(TimeUnit.MILLISECOND, 'UTC'), length: n, ...nulls(column.valid?.subarray(from, to)), data: out });
    }
    case 'string': {
      if (isAllNull(column)) return makeData({ type: new Null(), length: n, nullCount: n });
      // Explicit dictionary id: apache-arrow's default is a process-wide counter, which would make the bytes depend on history.
      const type = new Dictionary(new Utf8(), new Int32(), index, false);
      let codes = column.codes.subarray(from, to);
      let valid: Uint8Array | undefined;
      if (codes.includes(-1)) {
        valid = new Uint8Array(n);
        codes = codes.slice();
        for (let i = 0; i < n; i++) {
          if ((codes[i] as number) < 0)
            codes[i] = 0; // indices under nulls must still be in range for strict readers
          else valid[i] = 1;
        }
      }
      const state = dict as DictionaryState;
      const upTo = introducedBefore(state.layout, to);
      if (state.pieces.length === 0 || upTo > state.written) {
        state.pieces.push(utf8Piece(column.dictionary, state.written, upTo));
        state.written = upTo;
      }
      return makeData({ type, length: n, ...nulls(valid), data: codes, dictionary: new Vector([...state.pieces]) });
    }
  }
}

/** A stream writer that hands every byte it produces to `onChunk`, synchronously. */
class ChunkWriter extends RecordBatchStreamWriter {
  onChunk: (bytes: Uint8Array) => void = () => undefined;
  protected override _write(chunk: unknown): this {
    if (!this._started) return this;
    let bytes: Uint8Array;
    if (typeof chunk === 'string') bytes = new TextEncoder().encode(chunk);
    else if (ArrayBuffer.isView(chunk)) bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
    else return this;
    if (bytes.byteLength > 0) {
      this.onChunk(bytes);
      this._position += bytes.byteLength;
    }
    return this;
  }
}

/**
 * Write columns (already validated and canonical) as canonical Arrow IPC stream bytes, handing
 * each piece to `onChunk` as it is produced (pieces may be views of the columns' own arrays:
 * consume or copy them before returning). Returns the number of bytes written.
 */
export function writeCanonical(columns: readonly Column[], onChunk: (bytes: Uint8Array) => void): number {
  const plan = planBatches(columns);
  const dicts = columns.map((c): DictionaryState | undefined => (c.kind === 'string' && !isAllNull(c) ? { layout: dictionaryLayout(c), pieces: [], written: 0 } : undefined));
  let fields: Field[] | undefined;
  let schema: Schema | undefined;
  const writer = new ChunkWriter();
  let total = 0;
  writer.onChunk = (bytes) => {
    total += bytes.byteLength;
    onChunk(bytes);
  };
  for (const [from, to] of plan) {
    const children = columns.map((c, i) => batchData(c, i, from, to, dicts[i]));
    if (fields === undefined) {
      fields = columns.map((c, i) => new Field(c.name, (children[i] as Data).type as DataType, true));
      schema = new Schema(fields);
      writer.reset(undefined, schema);
    }
    writer.write(new RecordBatch(schema as Schema, makeData({ type: new Struct(fields), length: to - from, nullCount: 0, children })));
  }
  writer.finish();
  return total;
}

/** {@link writeCanonical} into one buffer. */
export function encodeCanonical(columns: readonly Column[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const total = writeCanonical(columns, (bytes) => parts.push(bytes));
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * A lower bound of the canonical stored size, from the shape alone (values at their width,
 * dictionaries not counted): enough to refuse early an input that cannot fit.
 */
export function storedSizeLowerBound(kinds: readonly Column['kind'][], rows: number): number {
  // Callers leave out columns that may be all null: those store nothing per row.
  let perRow = 0;
  for (const kind of kinds) perRow += kind === 'number' || kind === 'date' ? 8 : kind === 'bool' ? 0.125 : 4;
  return Math.floor(perRow * rows);
}
