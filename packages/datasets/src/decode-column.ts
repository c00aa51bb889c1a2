// One verified Arrow column → a Plotbox column: numbers, booleans and dates (strings: decode-strings.ts).

import { Type, type DataType, type Dictionary } from 'apache-arrow';
import type { Column } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';
import { type Chunk, ColumnReader, allNull, type StringGuard } from './column-reader.ts';
import { decodeUtf8, decodeDictionary } from './decode-strings.ts';

const TWO_32 = 4294967296;

function typeName(type: DataType): string {
  return String(type);
}

export function decodeColumn(name: string, type: DataType, chunks: readonly Chunk[], rows: number, guard: StringGuard | undefined): Column {
  const r = new ColumnReader(name);
  let total = 0;
  for (const chunk of chunks) {
    if (chunk.length < 0 || chunk.offset < 0) throw r.broken('bad chunk');
    total += chunk.length;
  }
  if (total !== rows) throw r.broken('length differs from the other columns');
  const unsupported = (): DatasetError =>
    new DatasetError('DATASET_SCHEMA', `column "${name}" has Arrow type ${typeName(type)}, which is not supported (use numbers, strings, booleans, dates or timestamps)`, { column: name });
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
