/**
 * Reading rows: `node:sqlite` returns loosely typed values, so each column is read with the type it
 * must have. A value of another type means the file was changed behind the store's back, reported as
 * `STORE_UNAVAILABLE` `corrupt` rather than passed on.
 */
import type { SQLOutputValue } from 'node:sqlite';
import { StoreError } from '@plotbox/store';

export type Row = Record<string, SQLOutputValue>;

function corrupt(column: string): StoreError {
  return new StoreError('STORE_UNAVAILABLE', `unexpected value in column ${column}`, { reason: 'corrupt' });
}

export function str(r: Row, k: string): string {
  const v = r[k];
  if (typeof v !== 'string') throw corrupt(k);
  return v;
}

export function num(r: Row, k: string): number {
  const v = r[k];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw corrupt(k);
}

export function optStr(r: Row, k: string): string | null {
  return r[k] === null ? null : str(r, k);
}

export function optNum(r: Row, k: string): number | null {
  return r[k] === null ? null : num(r, k);
}

/** An `INTEGER` 0/1 column. */
export function bool(r: Row, k: string): boolean {
  return num(r, k) === 1;
}

/** Epoch ms → `Date`. */
export function date(r: Row, k: string): Date {
  return new Date(num(r, k));
}

export function optDate(r: Row, k: string): Date | null {
  const v = optNum(r, k);
  return v === null ? null : new Date(v);
}
