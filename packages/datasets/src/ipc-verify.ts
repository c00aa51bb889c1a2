/**
 * Structural check of Arrow IPC bytes before apache-arrow reads them.
 *
 * apache-arrow trusts the lengths in its input: a negative metadata length moves its reader
 * backwards (an endless loop), a flatbuffer vector claiming 2^31 entries makes it allocate that
 * many objects, a record batch claiming 2^31 rows makes it allocate padding for them. So every
 * message is framed, and every flatbuffer table, vector and string that apache-arrow will walk
 * is bounds-checked here, with budgets on schema size and nesting. What passes is safe to hand
 * to apache-arrow: its work is then bounded by the input size. What apache-arrow then builds is
 * checked again against the buffers (arrow-ipc.ts), because lengths inside a batch are not.
 */
import { DatasetError } from './dataset-error.ts';
import { assertColumnCount, assertRowCount, type DatasetLimits } from './dataset-limits.ts';

/** The stream part of the input that apache-arrow may read, and what it holds. */
export interface VerifiedStream {
  /** Stream-format bytes: from the schema message to the end-of-stream marker (or last message). */
  readonly stream: Uint8Array;
  /** Total rows over all record batches. */
  readonly rows: number;
  /**
   * Per field node position (the top-level columns, for a flat schema), whether any record batch
   * says it has a non-null value: a column that does cannot be stored as an all-null column.
   */
  readonly hasValues: readonly boolean[];
}

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;
const TYPE_TIMESTAMP = 10;
const TYPE_UNION = 14;
/** Most Field tables a schema may have, counting nested children (visits, so shared subtrees count every time). */
const MAX_SCHEMA_FIELDS = 20_000;
const MAX_NESTING = 64;

function parseError(message: string): DatasetError {
  return new DatasetError('DATASET_PARSE', `not valid Arrow IPC: ${message}`);
}

/** Bounds-checked reads of one flatbuffer (a message's metadata). */
class Flatbuffer {
  readonly #view: DataView;
  readonly size: number;
  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
  }
  #check(pos: number, width: number): void {
    if (!(pos >= 0 && pos + width <= this.size)) throw parseError('metadata points outside itself');
  }
  u8(pos: number): number {
    this.#check(pos, 1);
    return this.#view.getUint8(pos);
  }
  u16(pos: number): number {
    this.#check(pos, 2);
    return this.#view.getUint16(pos, true);
  }
  i32(pos: number): number {
    this.#check(pos, 4);
    return this.#view.getInt32(pos, true);
  }
  i64(pos: number): bigint {
    this.#check(pos, 8);
    return this.#view.getBigInt64(pos, true);
  }
  /** A table at `pos`: check its vtable and inline size; returns field accessors. */
  table(pos: number): Table {
    const vtable = pos - this.i32(pos);
    const vtableSize = this.u16(vtable);
    const tableSize = this.u16(vtable + 2);
    if (vtableSize < 4 || vtableSize % 2 !== 0) throw parseError('bad vtable');
    this.#check(vtable, vtableSize);
    this.#check(pos, Math.max(tableSize, 4));
    return new Table(this, pos, vtable, vtableSize, tableSize);
  }
  /** Follow a uoffset stored at `pos`. */
  indirect(pos: number): number {
    const target = pos + this.i32(pos);
    if (target < 0 || target >= this.size || this.i32(pos) < 0) throw parseError('bad offset');
    return target;
  }
}

class Table {
  readonly fb: Flatbuffer;
  readonly #pos: number;
  readonly #vtable: number;
  readonly #vtableSize: number;
  readonly #tableSize: number;
  constructor(fb: Flatbuffer, pos: number, vtable: number, vtableSize: number, tableSize: number) {
    this.fb = fb;
    this.#pos = pos;
    this.#vtable = vtable;
    this.#vtableSize = vtableSize;
    this.#tableSize = tableSize;
  }
  /** Absolute position of field `index`, or -1 when absent. */
  field(index: number, width: number): number {
    const slot = 4 + 2 * index;
    if (slot + 2 > this.#vtableSize) return -1;
    const offset = this.fb.u16(this.#vtable + slot);
    if (offset === 0) return -1;
    if (offset + width > this.#tableSize) throw parseError('field outside its table');
    return this.#pos + offset;
  }
  u8(index: number, fallback: number): number {
    const p = this.field(index, 1);
    return p < 0 ? fallback : this.fb.u8(p);
  }
  i16(index: number, fallback: number): number {
    const p = this.field(index, 2);
    return p < 0 ? fallback : (this.fb.u16(p) << 16) >> 16;
  }
  i64(index: number): bigint {
    const p = this.field(index, 8);
    return p < 0 ? 0n : this.fb.i64(p);
  }
  table(index: number): Table | undefined {
    const p = this.field(index, 4);
    return p < 0 ? undefined : this.fb.table(this.fb.indirect(p));
  }
  /** A vector: its element start and length, checked to fit. */
  vector(index: number, elementSize: number): { readonly start: number; readonly length: number } | undefined {
    const p = this.field(index, 4);
    if (p < 0) return undefined;
    const at = this.fb.indirect(p);
    const length = this.fb.i32(at);
    if (length < 0 || at + 4 + length * elementSize > this.fb.size) throw parseError('vector longer than its buffer');
    return { start: at + 4, length };
  }
  /** Tables of a vector of offsets. */
  tables(index: number): Table[] {
    const v = this.vector(index, 4);
    if (v === undefined) return [];
    const out: Table[] = [];
    for (let i = 0; i < v.length; i++) out.push(this.fb.table(this.fb.indirect(v.start + 4 * i)));
    return out;
  }
  string(index: number): void {
    this.vector(index, 1);
  }
}

function checkKeyValues(tables: readonly Table[]): void {
  for (const kv of tables) {
    kv.string(0);
    kv.string(1);
  }
}

function checkSchema(schema: Table, limits: DatasetLimits): void {
  if (schema.i16(0, 0) !== 0) throw new DatasetError('DATASET_SCHEMA', 'big-endian Arrow data is not supported');
  const fields = schema.vector(1, 4);
  assertColumnCount(fields?.length ?? 0, limits);
  const budget = { fields: 0 };
  for (const field of schema.tables(1)) checkField(field, 0, budget);
  checkKeyValues(schema.tables(2));
  schema.vector(3, 8);
}

function checkField(field: Table, depth: number, budget: { fields: number }): void {
  if (depth > MAX_NESTING) throw parseError('schema nested too deeply');
  if (++budget.fields > MAX_SCHEMA_FIELDS) throw parseError('schema has too many fields');
  field.string(0);
  const typeType = field.u8(2, 0);
  const type = field.table(3);
  if (type !== undefined) {
    if (typeType === TYPE_TIMESTAMP) type.string(1);
    if (typeType === TYPE_UNION) type.vector(1, 4);
  }
  const dictionary = field.table(4);
  if (dictionary !== undefined) dictionary.table(1);
  for (const child of field.tables(5)) checkField(child, depth + 1, budget);
  checkKeyValues(field.tables(6));
}

/** Check a RecordBatch table against its body; returns its row count. */
function checkRecordBatch(batch: Table, bodyLength: number, maxLength: number, isDictionary: boolean, hasValues?: boolean[]): number {
  const length = batch.i64(0);
  if (length < 0n) throw parseError('negative batch length');
  if (length > BigInt(maxLength)) {
    if (isDictionary) throw parseError('dictionary longer than its body');
    throw new DatasetError('DATASET_TOO_LARGE', `an Arrow record batch has ${length} rows; at most ${maxLength} are allowed`, { limit: { name: 'rows', value: maxLength } });
  }
  const nodes = batch.vector(1, 16);
  if (nodes !== undefined) {
    for (let i = 0; i < nodes.length; i++) {
      const nodeLength = batch.fb.i64(nodes.start + 16 * i);
      const nullCount = batch.fb.i64(nodes.start + 16 * i + 8);
      if (nodeLength < 0n || nodeLength > 0x7fffffffn || nullCount < 0n || nullCount > nodeLength) throw parseError('bad field node');
      if (hasValues !== undefined && nullCount < nodeLength) hasValues[i] = true;
    }
  }
  const buffers = batch.vector(2, 16);
  if (buffers !== undefined) {
    for (let i = 0; i < buffers.length; i++) {
      const offset = batch.fb.i64(buffers.start + 16 * i);
      const size = batch.fb.i64(buffers.start + 16 * i + 8);
      if (offset < 0n || size < 0n || offset + size > BigInt(bodyLength)) throw parseError('buffer outside the message body');
    }
  }
  if (batch.table(3) !== undefined) throw new DatasetError('DATASET_PARSE', 'compressed Arrow IPC (LZ4/ZSTD) is not supported: write it uncompressed');
  batch.vector(4, 8);
  return Number(length);
}

interface WalkState {
  rows: number;
  hasValues: boolean[];
  messages: number;
  /** Whether the schema is already known (file format: from the footer). */
  schema: boolean;
}

/**
 * Check the message framed at `pos` (continuation marker, metadata length, flatbuffer, body) and
 * return the position after it, or -1 at an end-of-stream marker or the end of the bytes.
 */
function checkMessage(bytes: Uint8Array, view: DataView, pos: number, end: number, limits: DatasetLimits, state: WalkState): number {
  if (end - pos < 4) return -1;
  let metadataLength = view.getInt32(pos, true);
  pos += 4;
  if (metadataLength === -1) {
    if (end - pos < 4) return -1;
    metadataLength = view.getInt32(pos, true);
    pos += 4;
  }
  if (metadataLength === 0) return -1;
  const n = state.messages + 1;
  if (metadataLength < 0 || metadataLength > end - pos) throw parseError(`message ${n} claims ${metadataLength} bytes of metadata`);
  const fb = new Flatbuffer(bytes.subarray(pos, pos + metadataLength));
  pos += metadataLength;
  const message = fb.table(fb.indirect(0));
  const headerType = message.u8(1, 0);
  const bodyLength = message.i64(3);
  if (bodyLength < 0n || bodyLength > BigInt(end - pos)) throw parseError(`message ${n} claims a body of ${bodyLength} bytes`);
  const body = Number(bodyLength);
  checkKeyValues(message.tables(4));
  const header = message.table(2);
  if (header === undefined) throw parseError(`message ${n} has no header`);
  if (headerType === HEADER_SCHEMA) {
    if (state.schema) throw parseError('a second schema message');
    checkSchema(header, limits);
    state.schema = true;
  } else if (!state.schema) throw parseError('the first message is not a schema');
  else if (headerType === HEADER_RECORD_BATCH) {
    state.rows += checkRecordBatch(header, body, limits.maxRows, false, state.hasValues);
    assertRowCount(state.rows, limits);
  } else if (headerType === HEADER_DICTIONARY_BATCH) {
    const data = header.table(1);
    if (data === undefined) throw parseError('dictionary batch without data');
    // A dictionary cannot have more entries than its body has bits (the smallest value is a bit).
    checkRecordBatch(data, body, Math.max(body * 8, 8), true);
  } else throw parseError(`unsupported message type ${headerType}`);
  state.messages++;
  return pos + body;
}

/**
 * Check the framing and metadata of Arrow IPC bytes and return what apache-arrow may read:
 * for the stream format, the stream up to its end-of-stream marker; for the file format, the
 * whole file, after checking its footer and every message a footer block points to.
 * @throws DatasetError DATASET_PARSE, DATASET_SCHEMA (big-endian), DATASET_TOO_LARGE (rows, columns).
 */
export function verifyArrowIPC(bytes: Uint8Array, limits: DatasetLimits): VerifiedStream {
  if (bytes.byteLength === 0) throw parseError('no bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const state: WalkState = { rows: 0, hasValues: [], messages: 0, schema: false };
  const size = bytes.byteLength;
  if (size >= 6 && MAGIC.every((b, i) => bytes[i] === b)) {
    // File format: magic, padding, messages, footer, int32 footer length, magic.
    if (size < 18 || !MAGIC.every((b, i) => bytes[size - 6 + i] === b)) throw parseError('file format without its closing magic');
    const footerLength = view.getInt32(size - 10, true);
    const footerStart = size - 10 - footerLength;
    if (footerLength <= 0 || footerStart < 8) throw parseError('bad footer length');
    const fb = new Flatbuffer(bytes.subarray(footerStart, size - 10));
    const footer = fb.table(fb.indirect(0));
    const schema = footer.table(1);
    if (schema === undefined) throw parseError('footer without a schema');
    checkSchema(schema, limits);
    state.schema = true;
    checkKeyValues(footer.tables(4));
    for (const index of [2, 3]) {
      const blocks = footer.vector(index, 24);
      if (blocks === undefined) continue;
      for (let i = 0; i < blocks.length; i++) {
        const offset = fb.i64(blocks.start + 24 * i);
        if (offset < 8n || offset >= BigInt(footerStart)) throw parseError('footer block outside the file');
        const before = state.messages;
        if (checkMessage(bytes, view, Number(offset), footerStart, limits, state) < 0 || state.messages !== before + 1) throw parseError('footer block points at no message');
      }
    }
    return { stream: bytes, rows: state.rows, hasValues: state.hasValues };
  }
  let pos = 0;
  for (;;) {
    const next = checkMessage(bytes, view, pos, size, limits, state);
    if (next < 0) {
      // Include the end-of-stream marker when there is one.
      pos = size - pos < 4 ? size : Math.min(size, pos + (view.getInt32(pos, true) === -1 ? 8 : 4));
      break;
    }
    pos = next;
  }
  if (state.messages === 0) throw parseError('no schema message');
  return { stream: bytes.subarray(0, pos), rows: state.rows, hasValues: state.hasValues };
}

/** What one framed message is, read from its metadata (checked as {@link verifyArrowIPC} does). */
export interface MessageHeader {
  /** 1 schema, 2 dictionary batch, 3 record batch. */
  readonly headerType: number;
  readonly bodyLength: number;
  /** Record batches: their rows; otherwise 0. */
  readonly rows: number;
  /** Dictionary batches: whether they add to the dictionary (a delta) rather than start or replace it. */
  readonly isDelta: boolean;
}

/** Message header types. */
export const MESSAGE_TYPES = Object.freeze({ schema: HEADER_SCHEMA, dictionaryBatch: HEADER_DICTIONARY_BATCH, recordBatch: HEADER_RECORD_BATCH });

/** Read the header of a message from its metadata flatbuffer; DATASET_PARSE when it is malformed. */
export function readMessageHeader(metadata: Uint8Array): MessageHeader {
  const fb = new Flatbuffer(metadata);
  const message = fb.table(fb.indirect(0));
  const headerType = message.u8(1, 0);
  const bodyLength = message.i64(3);
  if (bodyLength < 0n || bodyLength > BigInt(Number.MAX_SAFE_INTEGER)) throw parseError('bad body length');
  let rows = 0;
  if (headerType === HEADER_RECORD_BATCH) {
    const header = message.table(2);
    if (header === undefined) throw parseError('record batch without a header');
    const length = header.i64(0);
    if (length < 0n || length > 0x7fffffffn) throw parseError('bad batch length');
    rows = Number(length);
  }
  let isDelta = false;
  if (headerType === HEADER_DICTIONARY_BATCH) {
    const header = message.table(2);
    if (header === undefined) throw parseError('dictionary batch without a header');
    isDelta = header.u8(2, 0) !== 0;
  }
  return { headerType, bodyLength: Number(bodyLength), rows, isDelta };
}
