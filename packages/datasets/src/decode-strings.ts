// Arrow Utf8 and dictionary columns → dictionary-encoded string columns, charged to the decode budget.

import type { Column } from '@plotbox/sandbox-protocol';
import { fieldTooLong } from './dataset-limits.ts';
import { markUniqueDictionary } from './validate-columns.ts';
import { allNull, type Chunk, type ColumnReader, type StringGuard } from './column-reader.ts';

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

export function decodeUtf8(r: ColumnReader, chunks: readonly Chunk[], rows: number, guard: StringGuard | undefined): Column {
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

export function decodeDictionary(r: ColumnReader, chunks: readonly Chunk[], rows: number, guard: StringGuard | undefined): Column {
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
