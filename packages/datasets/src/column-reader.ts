// Reading one Arrow column's chunks safely: value buffers and validity bitmaps checked against
// the rows they claim before anything is read.

import type { Data, DataType } from 'apache-arrow';
import { DatasetError } from './dataset-error.ts';
import type { DecodeBudget } from './dataset-limits.ts';

/** What the decoder charges and checks while building string columns (untrusted input only). */
export interface StringGuard {
  readonly budget: DecodeBudget;
  readonly maxFieldChars: number;
}

export type Chunk = Data<DataType>;

export class ColumnReader {
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

export function allNull(chunk: Chunk): boolean {
  return chunk.length > 0 && chunk.nullCount === chunk.length;
}
