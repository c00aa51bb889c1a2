/**
 * Arrow IPC codec: columns ↔ Arrow IPC **stream** format (apache-arrow).
 *
 * Stream rather than file format: it is what a stored version and the sandbox exchange, it needs
 * no footer (one less structure to trust on read), and its bytes are a pure function of the
 * columns. Encoding: strings as Dictionary<Utf8, Int32>, ints as Int32, floats as Float64, bools
 * as Bool, dates as Timestamp(ms, "UTC"); nulls as validity bitmaps; all fields nullable; no
 * metadata. Decoding accepts both stream and file format and most primitive types.
 */
import { createHash } from 'node:crypto';
import {
  Bool,
  Dictionary,
  Field,
  Float64,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeUnit,
  Timestamp,
  Type,
  Utf8,
  makeData,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { Column, ColumnarDataset } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';
import { resolveLimits, type DatasetLimits } from './dataset-limits.ts';
import { verifyArrowIPC } from './ipc-verify.ts';
import { assertColumnNames, assertValidColumns, canonicalizeColumn } from './validate-columns.ts';

const TWO_32 = 4294967296;

// ------------------------------------------------------------------------------------------
// Encoding
// ------------------------------------------------------------------------------------------

/** Options of {@link encodeArrowIPC}. */
export interface EncodeOptions {
  readonly limits?: Partial<DatasetLimits>;
}

/**
 * Encode columns as Arrow IPC stream bytes, in canonical form (see `canonicalizeColumn`), so
 * equal content always gives equal bytes.
 * @throws DatasetError DATASET_EMPTY, DATASET_SCHEMA or DATASET_TOO_LARGE for invalid columns.
 */
export function encodeArrowIPC(columns: readonly Column[], options: EncodeOptions = {}): Uint8Array {
  assertValidColumns(columns, resolveLimits(options.limits));
  return encodeCanonical(columns.map(canonicalizeColumn));
}

/** Encode columns already validated and canonical. */
export function encodeCanonical(columns: readonly Column[]): Uint8Array {
  const rowCount = columns.length === 0 ? 0 : columnLength(columns[0] as Column);
  const fields: Field[] = [];
  const children: Data[] = [];
  columns.forEach((column, i) => {
    const data = toArrowData(column, i, rowCount);
    fields.push(new Field(column.name, data.type, true));
    children.push(data);
  });
  const schema = new Schema(fields);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rowCount, nullCount: 0, children }));
  return tableToIPC(new Table(schema, [batch]), 'stream');
}

function columnLength(column: Column): number {
  return column.kind === 'string' ? column.codes.length : column.values.length;
}

function toArrowData(column: Column, index: number, n: number): Data {
  switch (column.kind) {
    case 'number':
      return makeData({ type: new Float64(), length: n, ...nulls(column.valid), data: column.values });
    case 'int':
      return makeData({ type: new Int32(), length: n, ...nulls(column.valid), data: column.values });
    case 'bool':
      return makeData({ type: new Bool(), length: n, ...nulls(column.valid), data: packBits(column.values) });
    case 'date': {
      // Epoch ms (whole, |ms| ≤ 8.64e15 < 2^53) → int64 little-endian, without a BigInt per row.
      const out = new BigInt64Array(n);
      const words = new Int32Array(out.buffer);
      const { values } = column;
      for (let i = 0; i < n; i++) {
        const ms = values[i] as number;
        const hi = Math.floor(ms / TWO_32);
        words[2 * i] = ms - hi * TWO_32;
        words[2 * i + 1] = hi;
      }
      return makeData({ type: new Timestamp(TimeUnit.MILLISECOND, 'UTC'), length: n, ...nulls(column.valid), data: out });
    }
    case 'string': {
      // Explicit dictionary id: apache-arrow's default is a process-wide counter, which would make the bytes depend on history.
      const type = new Dictionary(new Utf8(), new Int32(), index, false);
      let codes = column.codes;
      let valid: Uint8Array | undefined;
      if (codes.includes(-1)) {
        valid = new Uint8Array(n);
        codes = codes.slice();
        for (let i = 0; i < n; i++) {
          if ((codes[i] as number) < 0) codes[i] = 0; // indices under nulls must still be in range for strict readers
          else valid[i] = 1;
        }
      }
      const dictionary = vectorFromArray(column.dictionary as string[], new Utf8());
      return makeData({ type, length: n, ...nulls(valid), data: codes, dictionary });
    }
  }
}

function nulls(valid: Uint8Array | undefined): { nullCount: number; nullBitmap?: Uint8Array } {
  if (valid === undefined) return { nullCount: 0 };
  let count = 0;
  for (let i = 0; i < valid.length; i++) if (valid[i] === 0) count++;
  return count === 0 ? { nullCount: 0 } : { nullCount: count, nullBitmap: packBits(valid) };
}

function packBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array((bytes.length + 7) >> 3);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
  return out;
}

// ------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------

/** Options of {@link decodeArrowIPC}. */
export interface DecodeOptions {
  /** Row cap (default 1,000,000); more is DATASET_TOO_LARGE, detected before any column is built. */
  readonly maxRows?: number;
  /** Column cap (default 1,000). */
  readonly maxColumns?: number;
  /** When given, the bytes must hash to it (DATASET_HASH_MISMATCH otherwise): a stored version checks its address. */
  readonly expectSha256?: string;
}

/**
 * Decode Arrow IPC bytes (stream or file format) into a ColumnarDataset whose `sha256` is the
 * hash of `bytes` exactly (for bytes made by {@link encodeArrowIPC}, the dataset's address).
 *
 * Numeric columns of the native width are zero-copy views into `bytes` (do not modify `bytes`
 * afterwards); dictionary strings are decoded once per dictionary entry, never per row.
 * Type mapping: Int8/16/32 and Uint8/16 → int; Int64, Uint32, Uint64, Float16/32/64 and Decimal
 * → number (64-bit integers and decimals beyond 2^53 lose precision); Date and Timestamp (any
 * unit, time zone ignored: values are UTC instants) → date; Bool → bool; Utf8, LargeUtf8 and
 * dictionaries of them → string; Null → an all-null string column. Anything else is
 * DATASET_SCHEMA naming the column and the type.
 * @throws DatasetError DATASET_PARSE for broken bytes (never a crash or a hang), DATASET_SCHEMA,
 *   DATASET_TOO_LARGE, DATASET_HASH_MISMATCH.
 */
export function decodeArrowIPC(bytes: Uint8Array, options: DecodeOptions = {}): ColumnarDataset {
  if (!(bytes instanceof Uint8Array)) throw new DatasetError('DATASET_PARSE', 'Arrow IPC input must be bytes');
  const limits = resolveLimits({ ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }), ...(options.maxColumns === undefined ? {} : { maxColumns: options.maxColumns }) });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (options.expectSha256 !== undefined && options.expectSha256.toLowerCase() !== sha256) {
    throw new DatasetError('DATASET_HASH_MISMATCH', 'dataset bytes do not match their sha256');
  }
  try {
    return decodeVerified(bytes, limits, sha256);
  } catch (error) {
    // Defence in depth: whatever slipped past the checks is still a parse error, not a crash.
    if (error instanceof DatasetError) throw error;
    throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC', { cause: error });
  }
}

function decodeVerified(bytes: Uint8Array, limits: DatasetLimits, sha256: string): ColumnarDataset {
  // Typed-array views need aligned offsets; a Buffer from Node's pool may not be.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { stream, rows } = verifyArrowIPC(aligned, limits);
  let table: Table;
  try {
    table = tableFromIPC(stream);
  } catch (error) {
    throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC', { cause: error });
  }
  if (table.numRows !== rows) throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC: batch lengths disagree');
  const fields = table.schema.fields;
  assertColumnNames(fields.map((f) => f.name));
  const columns = fields.map((field, i) => {
    const chunks = table.getChildAt(i)?.data ?? [];
    try {
      return decodeColumn(field.name, field.type, chunks, rows);
    } catch (error) {
      if (error instanceof DatasetError) throw error;
      throw new DatasetError('DATASET_PARSE', `column "${field.name}": not valid Arrow data`, { cause: error, column: field.name });
    }
  });
  return { sha256, rowCount: rows, columns };
}

type Chunk = Data<DataType>;

class ColumnReader {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  broken(what: string): DatasetError {
    return new DatasetError('DATASET_PARSE', `column "${this.name}": ${what}`, { column: this.name });
  }
  /**
   * Check a chunk's value buffer holds `stride` elements per row. An all-null chunk (apache-arrow
   * pads short columns with them) may have none: its values are never read.
   */
  values<T extends { length: number }>(chunk: Chunk, stride = 1): T {
    const values = chunk.values as T | undefined;
    if (allNull(chunk)) return (values ?? new Uint8Array(0)) as unknown as T;
    if (values === undefined || values.length < (chunk.offset + chunk.length) * stride) throw this.broken('value buffer shorter than its rows');
    return values;
  }
  /** Expand a chunk's validity bits into `valid` at `at`; returns whether any null was seen. */
  validity(chunk: Chunk, valid: Uint8Array, at: number): boolean {
    const bitmap = chunk.nullBitmap;
    if (bitmap === undefined || bitmap.length === 0 || chunk.nullCount === 0) {
      valid.fill(1, at, at + chunk.length);
      return false;
    }
    if (bitmap.length < (chunk.offset + chunk.length + 7) >> 3) throw this.broken('validity bitmap shorter than its rows');
    let any = false;
    const off = chunk.offset;
    for (let i = 0; i < chunk.length; i++) {
      const bit = off + i;
      const v = ((bitmap[bit >> 3] as number) >> (bit & 7)) & 1;
      valid[at + i] = v;
      if (v === 0) any = true;
    }
    return any;
  }
}

function allNull(chunk: Chunk): boolean {
  return chunk.length > 0 && chunk.nullCount === chunk.length;
}

function typeName(type: DataType): string {
  return String(type);
}

function decodeColumn(name: string, type: DataType, chunks: readonly Chunk[], rows: number): Column {
  const r = new ColumnReader(name);
  let total = 0;
  for (const chunk of chunks) {
    if (chunk.length < 0 || chunk.offset < 0) throw r.broken('bad chunk');
    total += chunk.length;
  }
  if (total !== rows) throw r.broken('length differs from the other columns');
  const unsupported = (): DatasetError => new DatasetError('DATASET_SCHEMA', `column "${name}" has Arrow type ${typeName(type)}, which is not supported (use numbers, strings, booleans, dates or timestamps)`, { column: name });
  const t = type as DataType & { bitWidth?: number; isSigned?: boolean; precision?: number; unit?: number; scale?: number };
  switch (type.typeId) {
    case Type.Int: {
      const bits = t.bitWidth as number;
      if (bits === 32 && t.isSigned === true) return numeric(r, 'int', chunks, rows, Int32Array, (v: Int32Array, i) => v[i] as number);
      if (bits < 32) return numeric(r, 'int', chunks, rows, undefined, (v: Int32Array, i) => v[i] as number);
      if (bits === 32) return numeric(r, 'number', chunks, rows, undefined, (v: Uint32Array, i) => v[i] as number);
      return numeric(r, 'number', chunks, rows, undefined, int64Reader(t.isSigned === true), 1);
    }
    case Type.Float: {
      if (t.precision === 2) return numeric(r, 'number', chunks, rows, Float64Array, (v: Float64Array, i) => v[i] as number);
      if (t.precision === 1) return numeric(r, 'number', chunks, rows, undefined, (v: Float32Array, i) => v[i] as number);
      return numeric(r, 'number', chunks, rows, undefined, (v: Uint16Array, i) => halfToNumber(v[i] as number));
    }
    case Type.Decimal: {
      const stride = (t.bitWidth ?? 128) / 32;
      if (!Number.isInteger(stride) || stride < 1) throw unsupported();
      const scale = 10 ** -(t.scale ?? 0);
      return numeric(r, 'number', chunks, rows, undefined, (v: Uint32Array, i) => decimalToNumber(v, i * stride, stride) * scale, stride);
    }
    case Type.Date: {
      if (t.unit === 0) return numeric(r, 'date', chunks, rows, undefined, (v: Int32Array, i) => (v[i] as number) * 86_400_000);
      return numeric(r, 'date', chunks, rows, undefined, int64Reader(true), 1);
    }
    case Type.Timestamp: {
      const read = int64Reader(true);
      const unit = t.unit as number;
      const factor = unit === 0 ? 1000 : unit === 1 ? 1 : unit === 2 ? 1e-3 : 1e-6;
      return numeric(r, 'date', chunks, rows, undefined, (v: BigInt64Array, i) => Math.floor(read(v, i) * factor));
    }
    case Type.Bool:
      return decodeBool(r, chunks, rows);
    case Type.Utf8:
    case Type.LargeUtf8:
      return decodeUtf8(r, chunks, rows);
    case Type.Dictionary: {
      const valueType = (type as Dictionary).dictionary;
      if (valueType.typeId !== Type.Utf8 && valueType.typeId !== Type.LargeUtf8) throw unsupported();
      return decodeDictionary(r, chunks, rows);
    }
    case Type.Null:
      return { name, kind: 'string', dictionary: [], codes: new Int32Array(rows).fill(-1) };
    default:
      throw unsupported();
  }
}

type Reader<V> = (values: V, i: number) => number;

function int64Reader(signed: boolean): Reader<BigInt64Array> {
  let cached: BigInt64Array | undefined;
  let words: Int32Array = new Int32Array(0);
  return (v, i) => {
    if (v !== cached) {
      cached = v;
      words = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    }
    const lo = (words[2 * i] as number) >>> 0;
    const hi = words[2 * i + 1] as number;
    return (signed ? hi : hi >>> 0) * TWO_32 + lo;
  };
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Two's-complement little-endian integer of `stride` 32-bit words → nearest double. */
function decimalToNumber(words: Uint32Array, at: number, stride: number): number {
  const negative = ((words[at + stride - 1] as number) & 0x80000000) !== 0;
  let value = 0;
  // Negative: sum the inverted words and add one (−x = ~x + 1), so small magnitudes stay exact.
  for (let k = stride - 1; k >= 0; k--) value = value * TWO_32 + (negative ? ~(words[at + k] as number) >>> 0 : (words[at + k] as number));
  return negative ? -(value + 1) : value;
}

type NumericKind = 'int' | 'number' | 'date';

/**
 * Build a numeric column from chunks. When `native` is the chunk's own array type and there is
 * one chunk, the values are a zero-copy view; otherwise each value goes through `read`.
 */
function numeric<V extends { length: number }>(
  r: ColumnReader,
  kind: NumericKind,
  chunks: readonly Chunk[],
  rows: number,
  native: (new (...args: never[]) => unknown) | undefined,
  read: Reader<V>,
  stride = 1,
): Column {
  const valid = new Uint8Array(rows);
  let anyNull = false;
  const only = chunks.length === 1 ? chunks[0] : undefined;
  if (only !== undefined && native !== undefined && only.values instanceof native) {
    const values = r.values<Float64Array | Int32Array>(only, stride);
    anyNull = r.validity(only, valid, 0);
    const view = values.subarray(only.offset, only.offset + only.length);
    return finishNumeric(r.name, kind, view, anyNull ? valid : undefined);
  }
  const out = kind === 'int' ? new Int32Array(rows) : new Float64Array(rows);
  let at = 0;
  for (const chunk of chunks) {
    const values = r.values<V>(chunk, stride);
    if (r.validity(chunk, valid, at)) anyNull = true;
    const off = chunk.offset;
    for (let i = 0; i < chunk.length; i++) out[at + i] = valid[at + i] === 0 ? 0 : read(values, off + i);
    at += chunk.length;
  }
  return finishNumeric(r.name, kind, out, anyNull ? valid : undefined);
}

function finishNumeric(name: string, kind: NumericKind, values: Float64Array | Int32Array, valid: Uint8Array | undefined): Column {
  const extra = valid === undefined ? {} : { valid };
  if (kind === 'int') return { name, kind, values: values as Int32Array, ...extra };
  return { name, kind, values: values as Float64Array, ...extra };
}

function decodeBool(r: ColumnReader, chunks: readonly Chunk[], rows: number): Column {
  const values = new Uint8Array(rows);
  const valid = new Uint8Array(rows);
  let anyNull = false;
  let at = 0;
  for (const chunk of chunks) {
    const bits = (chunk.values ?? new Uint8Array(0)) as Uint8Array;
    if (!allNull(chunk) && bits.length < (chunk.offset + chunk.length + 7) >> 3) throw r.broken('value buffer shorter than its rows');
    if (r.validity(chunk, valid, at)) anyNull = true;
    for (let i = 0; i < chunk.length; i++) {
      const bit = chunk.offset + i;
      values[at + i] = valid[at + i] === 0 ? 0 : ((bits[bit >> 3] as number) >> (bit & 7)) & 1;
    }
    at += chunk.length;
  }
  return { name: r.name, kind: 'bool', values, ...(anyNull ? { valid } : {}) };
}

/** Decode entries of a Utf8/LargeUtf8 chunk, calling `each(rowIndex, text | null)`. */
function forEachUtf8(r: ColumnReader, chunk: Chunk, each: (i: number, text: string | null) => void): void {
  if (allNull(chunk)) {
    for (let i = 0; i < chunk.length; i++) each(i, null);
    return;
  }
  const data = chunk.values as Uint8Array;
  const offsets = chunk.valueOffsets as Int32Array | BigInt64Array | undefined;
  if (offsets === undefined || offsets.length < chunk.offset + chunk.length + 1) throw r.broken('string offsets shorter than its rows');
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const valid = new Uint8Array(chunk.length);
  r.validity(chunk, valid, 0);
  const big = offsets instanceof BigInt64Array;
  for (let i = 0; i < chunk.length; i++) {
    if (valid[i] === 0) {
      each(i, null);
      continue;
    }
    const j = chunk.offset + i;
    const start = big ? Number(offsets[j]) : (offsets[j] as number);
    const end = big ? Number(offsets[j + 1]) : (offsets[j + 1] as number);
    if (!(start >= 0 && start <= end && end <= data.length)) throw r.broken(`string ${j} lies outside its buffer`);
    each(i, text.toString('utf8', start, end));
  }
}

function decodeUtf8(r: ColumnReader, chunks: readonly Chunk[], rows: number): Column {
  const codes = new Int32Array(rows);
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  let at = 0;
  for (const chunk of chunks) {
    const base = at;
    forEachUtf8(r, chunk, (i, s) => {
      if (s === null) {
        codes[base + i] = -1;
        return;
      }
      let code = index.get(s);
      if (code === undefined) {
        code = dictionary.length;
        dictionary.push(s);
        index.set(s, code);
      }
      codes[base + i] = code;
    });
    at += chunk.length;
  }
  return { name: r.name, kind: 'string', dictionary, codes };
}

/** Strings of a dictionary vector (its own chunks), null entries as null. */
function dictionaryStrings(r: ColumnReader, dictionary: { readonly data: readonly Chunk[] } | undefined): (string | null)[] {
  if (dictionary === undefined) throw r.broken('dictionary missing');
  const out: (string | null)[] = [];
  for (const chunk of dictionary.data) forEachUtf8(r, chunk, (_i, s) => out.push(s));
  return out;
}

function decodeDictionary(r: ColumnReader, chunks: readonly Chunk[], rows: number): Column {
  // Chunks usually share one dictionary; deltas and replacements give others, merged by string.
  const merged: string[] = [];
  const mergedIndex = new Map<string, number>();
  const remaps = new Map<unknown, Int32Array>();
  const remapFor = (chunk: Chunk): Int32Array => {
    const dict = chunk.dictionary as { readonly data: readonly Chunk[] } | undefined;
    let remap = remaps.get(dict);
    if (remap === undefined) {
      const strings = dictionaryStrings(r, dict);
      remap = new Int32Array(strings.length);
      strings.forEach((s, k) => {
        if (s === null) {
          (remap as Int32Array)[k] = -1;
          return;
        }
        let code = mergedIndex.get(s);
        if (code === undefined) {
          code = merged.length;
          merged.push(s);
          mergedIndex.set(s, code);
        }
        (remap as Int32Array)[k] = code;
      });
      remaps.set(dict, remap);
    }
    return remap;
  };
  const only = chunks.length === 1 ? chunks[0] : undefined;
  if (only !== undefined && only.values instanceof Int32Array && only.offset === 0 && (only.nullBitmap === undefined || only.nullBitmap.length === 0 || only.nullCount === 0)) {
    // Fast path (what encodeArrowIPC writes without nulls): codes used as they are when the dictionary maps to itself.
    const remap = remapFor(only);
    const values = r.values<Int32Array>(only);
    const size = remap.length;
    const identity = remap.every((c, k) => c === k);
    const view = values.subarray(0, only.length);
    for (let i = 0; i < view.length; i++) {
      const c = view[i] as number;
      if (c < 0 || c >= size) throw r.broken(`row ${i} has dictionary index ${c}, outside its dictionary`);
    }
    if (identity) return { name: r.name, kind: 'string', dictionary: merged, codes: view };
  }
  const codes = new Int32Array(rows);
  const valid = new Uint8Array(rows);
  let at = 0;
  for (const chunk of chunks) {
    const remap = remapFor(chunk);
    const values = r.values<ArrayLike<number | bigint>>(chunk);
    r.validity(chunk, valid, at);
    const size = remap.length;
    for (let i = 0; i < chunk.length; i++) {
      if (valid[at + i] === 0) {
        codes[at + i] = -1;
        continue;
      }
      const c = Number(values[chunk.offset + i]);
      if (!(c >= 0 && c < size)) throw r.broken(`row ${at + i} has dictionary index ${c}, outside its dictionary`);
      codes[at + i] = remap[c] as number;
    }
    at += chunk.length;
  }
  return { name: r.name, kind: 'string', dictionary: merged, codes };
}
