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
import { RecordBatchReader, Table, Type, type Data, type DataType, type Dictionary, type RecordBatch } from 'apache-arrow';
import type { Column, ColumnarDataset } from '@plotbox/sandbox-protocol';
import { encodeCanonical, storedSizeLowerBound } from './arrow-encode.ts';
import { DatasetError } from './dataset-error.ts';
import { DecodeBudget, resolveLimits, storedTooLarge, fieldTooLong, type DatasetLimits } from './dataset-limits.ts';
import { verifyArrowIPC } from './ipc-verify.ts';
import { assertColumnNames, assertValidColumns, canonicalizeColumn, markUniqueDictionary } from './validate-columns.ts';

const TWO_32 = 4294967296;

// ------------------------------------------------------------------------------------------
// Encoding
// ------------------------------------------------------------------------------------------

/** Options of {@link encodeArrowIPC}. */
export interface EncodeOptions {
  readonly limits?: Partial<DatasetLimits>;
}

/**
 * Encode columns as Arrow IPC stream bytes, in canonical form (see `canonicalizeColumn` and
 * `arrow-encode.ts`), so equal content always gives equal bytes.
 * @throws DatasetError DATASET_EMPTY, DATASET_SCHEMA or DATASET_TOO_LARGE for invalid columns.
 */
export function encodeArrowIPC(columns: readonly Column[], options: EncodeOptions = {}): Uint8Array {
  assertValidColumns(columns, resolveLimits(options.limits));
  return encodeCanonical(columns.map(canonicalizeColumn));
}

export { encodeCanonical };

// ------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------

/** Options of {@link decodeArrowIPC}. */
export interface DecodeOptions {
  /** Row cap (default 1,000,000); more is DATASET_TOO_LARGE, detected before any column is built. */
  readonly maxRows?: number;
  /** Column cap (default 1,000). */
  readonly maxColumns?: number;
  /**
   * The full ingest limits, for untrusted input: with them, the decoded size (rows × the width
   * of each column, before anything is allocated, then every dictionary string), the stored size
   * (a lower bound from the shape) and the length of every string are checked too. Without them
   * (stored versions, which passed these checks when they were uploaded) only rows and columns are.
   */
  readonly limits?: Partial<DatasetLimits>;
  /** When given, the bytes must hash to it (DATASET_HASH_MISMATCH otherwise): a stored version checks its address. */
  readonly expectSha256?: string;
}

/**
 * Decode Arrow IPC bytes (stream or file format) into a ColumnarDataset whose `sha256` is the
 * hash of `bytes` exactly (for bytes made by {@link encodeArrowIPC}, the dataset's address).
 *
 * Numeric columns of the native width are zero-copy views into `bytes` when there is one record
 * batch (do not modify `bytes` afterwards); dictionary strings are decoded once per dictionary
 * entry, never per row, including dictionaries sent as deltas.
 * Type mapping: Int8/16/32 and Uint8/16 → int; Int64, Uint32, Uint64, Float16/32/64 and Decimal
 * → number (64-bit integers and decimals beyond 2^53 lose precision); Date and Timestamp (any
 * unit, time zone ignored: values are UTC instants) → date; Bool → bool; Utf8, LargeUtf8 and
 * dictionaries of them → string; Null → an all-null string column. Anything else (nested types,
 * binary, time of day, intervals, dictionaries of non-strings) is DATASET_SCHEMA naming the
 * column and the type, refused from the schema before any batch is read. Every column must have
 * exactly as many values as the batches have rows.
 * @throws DatasetError DATASET_PARSE for broken bytes (never a crash or a hang), DATASET_SCHEMA,
 *   DATASET_TOO_LARGE, DATASET_HASH_MISMATCH.
 */
export function decodeArrowIPC(bytes: Uint8Array, options: DecodeOptions = {}): ColumnarDataset {
  if (!(bytes instanceof Uint8Array)) throw new DatasetError('DATASET_PARSE', 'Arrow IPC input must be bytes');
  const limits = resolveLimits({
    ...options.limits,
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    ...(options.maxColumns === undefined ? {} : { maxColumns: options.maxColumns }),
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (options.expectSha256 !== undefined && options.expectSha256.toLowerCase() !== sha256) {
    throw new DatasetError('DATASET_HASH_MISMATCH', 'dataset bytes do not match their sha256');
  }
  try {
    return decodeVerified(bytes, limits, sha256, options.limits !== undefined);
  } catch (error) {
    // Defence in depth: whatever slipped past the checks is still a parse error, not a crash.
    if (error instanceof DatasetError) throw error;
    throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC', { cause: error });
  }
}

/** The column kind an Arrow type decodes to, or `undefined` when it is not supported. */
function kindOfType(type: DataType): Column['kind'] | undefined {
  const t = type as DataType & { bitWidth?: number; isSigned?: boolean };
  switch (type.typeId) {
    case Type.Int:
      return (t.bitWidth as number) < 32 || ((t.bitWidth as number) === 32 && t.isSigned === true) ? 'int' : 'number';
    case Type.Float:
    case Type.Decimal:
      return 'number';
    case Type.Date:
    case Type.Timestamp:
      return 'date';
    case Type.Bool:
      return 'bool';
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Null:
      return 'string';
    case Type.Dictionary: {
      const value = (type as Dictionary).dictionary;
      return value.typeId === Type.Utf8 || value.typeId === Type.LargeUtf8 ? 'string' : undefined;
    }
    default:
      return undefined;
  }
}

function unsupportedType(name: string, type: DataType): DatasetError {
  return new DatasetError('DATASET_SCHEMA', `column "${name}" has Arrow type ${String(type)}, which is not supported (use numbers, strings, booleans, dates or timestamps)`, { column: name });
}

/** Bytes per row a column of `kind` takes decoded: its values plus a validity byte. */
function decodedWidth(kind: Column['kind']): number {
  return (kind === 'number' || kind === 'date' ? 8 : kind === 'bool' ? 1 : 4) + 1;
}

/** What the decoder charges and checks while building string columns (untrusted input only). */
interface StringGuard {
  readonly budget: DecodeBudget;
  readonly maxFieldChars: number;
}

function decodeVerified(bytes: Uint8Array, limits: DatasetLimits, sha256: string, untrusted: boolean): ColumnarDataset {
  // Typed-array views need aligned offsets; a Buffer from Node's pool may not be.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { stream, rows, hasValues } = verifyArrowIPC(aligned, limits);
  let reader: RecordBatchReader;
  try {
    reader = RecordBatchReader.from(stream);
    // Synchronous for bytes in memory; typed as possibly async for stream sources.
    void reader.open();
  } catch (error) {
    throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC', { cause: error });
  }
  // The schema first: every type must map to a column kind, and the shape must fit the budgets,
  // before any record batch is read (a batch of 1M rows of Null columns costs nothing to send).
  const fields = reader.schema.fields;
  assertColumnNames(fields.map((f) => f.name));
  const kinds = fields.map((f) => {
    const kind = kindOfType(f.type);
    if (kind === undefined) throw unsupportedType(f.name, f.type);
    return kind;
  });
  let guard: StringGuard | undefined;
  if (untrusted) {
    const budget = new DecodeBudget(limits);
    budget.charge(rows * kinds.reduce((sum, k) => sum + decodedWidth(k), 0), `${rows} rows of ${kinds.length} columns`);
    // A column without a single value is stored as an all-null column (no bytes per row); the
    // batches' field nodes say which columns have values (nested types are refused above, so
    // node i is column i).
    const lowerBound = storedSizeLowerBound(kinds.filter((_kind, i) => fields[i]?.type.typeId !== Type.Null && hasValues[i] === true), rows);
    if (lowerBound > limits.maxStoredBytes) throw storedTooLarge(limits, lowerBound, false);
    guard = { budget, maxFieldChars: limits.maxFieldChars };
  }
  let table: Table;
  try {
    const batches: RecordBatch[] = [];
    for (const batch of reader) batches.push(batch);
    table = new Table(reader.schema, batches);
  } catch (error) {
    throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC', { cause: error });
  }
  if (table.numRows !== rows) throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC: batch lengths disagree');
  const columns = fields.map((field, i) => {
    const chunks = table.getChildAt(i)?.data ?? [];
    try {
      return decodeColumn(field.name, field.type, chunks, rows, guard);
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
    if (chunk.nullCount === 0 || chunk.length === 0) {
      valid.fill(1, at, at + chunk.length);
      return false;
    }
    if (bitmap === undefined || bitmap.length === 0) {
      // No bitmap: only an all-null chunk may omit it (its values are never read).
      if (chunk.nullCount !== chunk.length) throw this.broken('nulls without a validity bitmap');
      valid.fill(0, at, at + chunk.length);
      return true;
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

function decodeColumn(name: string, type: DataType, chunks: readonly Chunk[], rows: number, guard: StringGuard | undefined): Column {
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
      return decodeUtf8(r, chunks, rows, guard);
    case Type.Dictionary: {
      const valueType = (type as Dictionary).dictionary;
      if (valueType.typeId !== Type.Utf8 && valueType.typeId !== Type.LargeUtf8) throw unsupported();
      return decodeDictionary(r, chunks, rows, guard);
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
  // Zero-copy only for a chunk that has its values (an all-null chunk may come without them).
  if (only !== undefined && native !== undefined && only.values instanceof native && !allNull(only)) {
    const values = r.values<Float64Array | Int32Array>(only, stride);
    anyNull = r.validity(only, valid, 0);
    const view = values.subarray(only.offset, only.offset + only.length);
    return finishNumeric(r.name, kind, view, anyNull ? valid : undefined);
  }
  const out = kind === 'int' ? new Int32Array(rows) : new Float64Array(rows);
  let at = 0;
  for (const chunk of chunks) {
    const values = r.values<V>(chunk, stride);
    const nulls = r.validity(chunk, valid, at);
    if (nulls) anyNull = true;
    const off = chunk.offset;
    if (native !== undefined && values instanceof native && !allNull(chunk)) {
      // Several batches of the native type (canonical versions): one copy per batch.
      const typed = values as unknown as Float64Array;
      (out as Float64Array).set(typed.subarray(off, off + chunk.length), at);
      if (nulls) for (let i = 0; i < chunk.length; i++) if (valid[at + i] === 0) out[at + i] = 0;
    } else {
      for (let i = 0; i < chunk.length; i++) out[at + i] = valid[at + i] === 0 ? 0 : read(values, off + i);
    }
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
function forEachUtf8(r: ColumnReader, chunk: Chunk, guard: StringGuard | undefined, each: (i: number, text: string | null) => void): void {
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
  // A UTF-16 code unit takes at least one UTF-8 byte and at most three.
  const maxBytes = guard === undefined ? Infinity : guard.maxFieldChars * 3;
  for (let i = 0; i < chunk.length; i++) {
    if (valid[i] === 0) {
      each(i, null);
      continue;
    }
    const j = chunk.offset + i;
    const start = big ? Number(offsets[j]) : (offsets[j] as number);
    const end = big ? Number(offsets[j + 1]) : (offsets[j + 1] as number);
    if (!(start >= 0 && start <= end && end <= data.length)) throw r.broken(`string ${j} lies outside its buffer`);
    if (guard !== undefined && end - start > guard.maxFieldChars) {
      if (end - start > maxBytes) throw fieldTooLong(guard.budget.limits, `column "${r.name}"`, { column: r.name });
    }
    const s = text.toString('utf8', start, end);
    if (guard !== undefined && s.length > guard.maxFieldChars) throw fieldTooLong(guard.budget.limits, `column "${r.name}"`, { column: r.name });
    each(i, s);
  }
}

/** Charge a new dictionary string to the budget (the string itself, and the dictionary's bookkeeping). */
function chargeString(guard: StringGuard | undefined, r: ColumnReader, s: string): void {
  guard?.budget.charge(2 * s.length + 48, `column "${r.name}"`);
}

function decodeUtf8(r: ColumnReader, chunks: readonly Chunk[], rows: number, guard: StringGuard | undefined): Column {
  const codes = new Int32Array(rows);
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  let at = 0;
  for (const chunk of chunks) {
    const base = at;
    forEachUtf8(r, chunk, guard, (i, s) => {
      if (s === null) {
        codes[base + i] = -1;
        return;
      }
      let code = index.get(s);
      if (code === undefined) {
        chargeString(guard, r, s);
        code = dictionary.length;
        dictionary.push(s);
        index.set(s, code);
      }
      codes[base + i] = code;
    });
    at += chunk.length;
  }
  return { name: r.name, kind: 'string', dictionary: markUniqueDictionary(dictionary), codes };
}

function decodeDictionary(r: ColumnReader, chunks: readonly Chunk[], rows: number, guard: StringGuard | undefined): Column {
  // Chunks usually share one dictionary, sent whole or as an initial piece plus deltas (then each
  // chunk's dictionary is a vector of the pieces so far, the pieces themselves shared); other
  // writers send replacements. Every piece is decoded once, merged by string into one dictionary.
  const merged: string[] = [];
  const mergedIndex = new Map<string, number>();
  const pieceMaps = new Map<Chunk, Int32Array>();
  const remaps = new Map<unknown, Int32Array>();
  const pieceMap = (piece: Chunk): Int32Array => {
    let map = pieceMaps.get(piece);
    if (map === undefined) {
      const out = new Int32Array(piece.length);
      let k = 0;
      forEachUtf8(r, piece, guard, (_i, s) => {
        if (s === null) {
          out[k++] = -1;
          return;
        }
        let code = mergedIndex.get(s);
        if (code === undefined) {
          chargeString(guard, r, s);
          code = merged.length;
          merged.push(s);
          mergedIndex.set(s, code);
        }
        out[k++] = code;
      });
      map = out;
      pieceMaps.set(piece, map);
    }
    return map;
  };
  const remapFor = (chunk: Chunk): Int32Array => {
    const dict = chunk.dictionary as { readonly data: readonly Chunk[] } | undefined;
    let remap = remaps.get(dict);
    if (remap === undefined) {
      if (dict === undefined) throw r.broken('dictionary missing');
      const pieces = dict.data.map(pieceMap);
      remap = new Int32Array(pieces.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of pieces) {
        remap.set(p, at);
        at += p.length;
      }
      remaps.set(dict, remap);
    }
    return remap;
  };
  const isIdentity = (remap: Int32Array): boolean => {
    for (let k = 0; k < remap.length; k++) if (remap[k] !== k) return false;
    return true;
  };
  const noNulls = (chunk: Chunk): boolean => chunk.nullBitmap === undefined || chunk.nullBitmap.length === 0 || chunk.nullCount === 0;
  const only = chunks.length === 1 ? chunks[0] : undefined;
  if (only !== undefined && only.values instanceof Int32Array && only.offset === 0 && noNulls(only)) {
    // Fast path (what encodeArrowIPC writes for one batch without nulls): codes used as they are when the dictionary maps to itself.
    const remap = remapFor(only);
    const values = r.values<Int32Array>(only);
    const size = remap.length;
    const view = values.subarray(0, only.length);
    for (let i = 0; i < view.length; i++) {
      const c = view[i] as number;
      if (c < 0 || c >= size) throw r.broken(`row ${i} has dictionary index ${c}, outside its dictionary`);
    }
    if (isIdentity(remap)) return { name: r.name, kind: 'string', dictionary: markUniqueDictionary(merged), codes: view };
  }
  const codes = new Int32Array(rows);
  const valid = new Uint8Array(rows);
  let at = 0;
  const identities = new Map<Int32Array, boolean>();
  for (const chunk of chunks) {
    const remap = remapFor(chunk);
    let identity = identities.get(remap);
    if (identity === undefined) {
      identity = isIdentity(remap);
      identities.set(remap, identity);
    }
    const values = r.values<ArrayLike<number | bigint>>(chunk);
    const size = remap.length;
    const off = chunk.offset;
    if (noNulls(chunk) && values instanceof Int32Array) {
      // Canonical batches: Int32 codes, no nulls; with a delta-built dictionary the remap is the identity.
      const view = values.subarray(off, off + chunk.length);
      let lo = 0;
      let hi = -1;
      for (let i = 0; i < view.length; i++) {
        const c = view[i] as number;
        if (c < lo) lo = c;
        if (c > hi) hi = c;
      }
      if (lo < 0 || hi >= size) {
        const bad = view.findIndex((c) => c < 0 || c >= size);
        throw r.broken(`row ${at + bad} has dictionary index ${view[bad]}, outside its dictionary`);
      }
      if (identity) codes.set(view, at);
      else for (let i = 0; i < view.length; i++) codes[at + i] = remap[view[i] as number] as number;
      at += chunk.length;
      continue;
    }
    r.validity(chunk, valid, at);
    for (let i = 0; i < chunk.length; i++) {
      if (valid[at + i] === 0) {
        codes[at + i] = -1;
        continue;
      }
      const c = Number(values[off + i]);
      if (!(c >= 0 && c < size)) throw r.broken(`row ${at + i} has dictionary index ${c}, outside its dictionary`);
      codes[at + i] = remap[c] as number;
    }
    at += chunk.length;
  }
  return { name: r.name, kind: 'string', dictionary: markUniqueDictionary(merged), codes };
}
