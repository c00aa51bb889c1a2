/**
 * Columnar payload → frozen plain arrays, decoded lazily.
 *
 * Columns arrive in the isolate as typed arrays (cheap to copy in, DESIGN §3) and are turned
 * into frozen plain arrays only when analyst code first touches them, because decoding costs
 * milliseconds per 100k rows and most charts read two or three columns of a wide dataset.
 * Runs inside the isolate: ECMAScript built-ins only.
 */
import type { Column, StringColumn } from '@plotbox/sandbox-protocol';

/**
 * A string column as the host packs it for the copy into an isolate: every dictionary entry in one
 * string, sliced out only when the column is used. Copying one string and one Int32Array is a
 * memcpy; copying a million separate strings costs ≈150 ms per column, on every run, even for
 * columns the chart never reads (a high-cardinality id column).
 */
export interface PackedStringColumn {
  readonly name: string;
  readonly kind: 'string';
  readonly codes: Int32Array;
  /** The dictionary entries, concatenated. */
  readonly dictionaryText: string;
  /** Entry i is `dictionaryText.slice(offsets[i], offsets[i + 1])`; one more offset than entries. */
  readonly dictionaryOffsets: Int32Array;
}

/** A column as it arrives in the isolate: a {@link Column}, or a string column packed for transport. */
export type PayloadColumn = Column | PackedStringColumn;

/** What the host hands to `__plotbox_boot` / {@link createLazyColumns}: the dataset's rows. */
export interface DatasetPayload {
  readonly rowCount: number;
  readonly columns: readonly PayloadColumn[];
}

/** Longest dictionary text packed into one string (V8's string limit is ≈2^29 UTF-16 units). */
const MAX_PACKED_CHARS = 2 ** 28;

/**
 * The host side of {@link PackedStringColumn}: a dictionary-encoded column with its dictionary in
 * one string. Dictionaries too long for one string stay as they are.
 */
export function packStringColumn(column: StringColumn): PayloadColumn {
  const { dictionary } = column;
  const offsets = new Int32Array(dictionary.length + 1);
  let at = 0;
  for (let i = 0; i < dictionary.length; i++) {
    offsets[i] = at;
    at += (dictionary[i] as string).length;
    if (at > MAX_PACKED_CHARS) return column;
  }
  offsets[dictionary.length] = at;
  return { name: column.name, kind: 'string', codes: column.codes, dictionaryText: dictionary.join(''), dictionaryOffsets: offsets };
}

function isPacked(column: PayloadColumn): column is PackedStringColumn {
  return column.kind === 'string' && typeof (column as { dictionaryText?: unknown }).dictionaryText === 'string';
}

/** A packed column as a {@link StringColumn} whose dictionary is sliced out on first use. */
function unpack(column: PackedStringColumn): StringColumn {
  const unpacked = new UnpackedColumn(column);
  sharedSource.set(unpacked, sharedSource.get(column) ?? column);
  return Object.freeze(unpacked);
}

/** See {@link unpack}; a class for the same reason as {@link PrivatePackedColumn}. */
export class UnpackedColumn {
  readonly name: string;
  readonly kind = 'string' as const;
  readonly #source: PackedStringColumn;
  readonly #text: string;
  readonly #offsets: Int32Array;
  #dictionary: string[] | undefined;
  constructor(column: PackedStringColumn) {
    this.name = column.name;
    this.#source = column;
    this.#text = column.dictionaryText;
    this.#offsets = column.dictionaryOffsets;
  }
  /** Read when used, not when the run's globals are made: a run's private copy is made only for the columns it reads. */
  get codes(): Int32Array {
    return this.#source.codes;
  }
  get dictionary(): readonly string[] {
    if (this.#dictionary === undefined) {
      const offsets = this.#offsets;
      const n = offsets.length - 1;
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = this.#text.slice(offsets[i], offsets[i + 1]);
      this.#dictionary = out;
    }
    return this.#dictionary;
  }
}

/**
 * A run's private column copy (or a view of one) → the bound column it copies. The runtime's own
 * reads whose results are fresh values — strings, numbers, new arrays: decoding, group ids, row
 * readers, column arithmetic — read the bound arrays through {@link codesToRead},
 * {@link valuesToRead} and {@link validToRead}, so a run copies only the arrays that may be handed
 * to it (px's `numeric` columns, arquero's own reads). Module-private: nothing else maps a column to
 * the shared arrays, and these functions' results must never be handed out or written.
 */
const sharedSource = new WeakMap<object, PayloadColumn>();

/** A string column's codes for reading only (the bound array behind a private copy). */
export function codesToRead(column: StringColumn): Int32Array {
  const source = sharedSource.get(column) as StringColumn | PackedStringColumn | undefined;
  return (source ?? column).codes;
}

/** A value column's values for reading only (see {@link codesToRead}). */
export function valuesToRead<C extends Exclude<Column, StringColumn>>(column: C): C['values'] {
  const source = sharedSource.get(column) as C | undefined;
  return (source ?? column).values;
}

/** A value column's validity for reading only (see {@link codesToRead}). */
export function validToRead(column: Exclude<Column, StringColumn>): Uint8Array | undefined {
  const source = sharedSource.get(column) as Exclude<Column, StringColumn> | undefined;
  return (source ?? column).valid;
}

/** One decoded cell. Dates become ISO-8601 strings (see {@link decodeColumn}). */
export type CellValue = number | string | boolean | null;

/** A decoded column: a frozen plain array shared by `data` and `df`. */
export type FrozenColumn = readonly CellValue[];

/** A frozen, null-prototype object whose column properties decode on first read. */
export type LazyColumns = Readonly<Record<string, FrozenColumn>>;

/** Hooks for tests and benchmarks. */
export interface LazyColumnsOptions {
  /** Called once per column, when it is decoded. */
  readonly onDecode?: (name: string) => void;
  /** The payload was checked already (a {@link BoundDataset}'s per-run columns): skip the checks, which would read every lazy array. */
  readonly trusted?: boolean;
}

const MS_PER_DAY = 86_400_000;
/** ±8.64e15 ms is the range a JavaScript Date can hold. */
const MAX_DATE_MS = 8.64e15;

/**
 * Validate a payload's shape eagerly (so a malformed dataset fails at boot, not on first use)
 * and return a frozen object of lazily decoded columns, plus its row count.
 * @throws TypeError naming the column when a column's arrays do not match `rowCount`.
 */
export function createLazyColumns(
  payload: DatasetPayload,
  options: LazyColumnsOptions = {},
): { readonly columns: LazyColumns; readonly names: readonly string[]; readonly rowCount: number; readonly raw: ReadonlyMap<string, Column> } {
  if (payload === null || typeof payload !== 'object') throw new TypeError('dataset payload must be an object');
  const rowCount = payload.rowCount;
  if (typeof rowCount !== 'number' || !Number.isSafeInteger(rowCount) || rowCount < 0) throw new TypeError('dataset rowCount must be a non-negative integer');
  if (!Array.isArray(payload.columns)) throw new TypeError('dataset columns must be an array');
  const holder = Object.create(null) as Record<string, FrozenColumn>;
  const names: string[] = [];
  const raw = new Map<string, Column>();
  const onDecode = options.onDecode;
  for (const given of payload.columns as readonly PayloadColumn[]) {
    let column: Column;
    if (given !== null && typeof given === 'object' && isPacked(given)) {
      if (options.trusted !== true) checkPacked(given, rowCount);
      column = unpack(given);
    } else {
      column = given;
      if (options.trusted !== true) checkColumn(column, rowCount);
    }
    const name = column.name;
    if (Object.hasOwn(holder, name)) throw new TypeError(`dataset has two columns named "${name}"`);
    names.push(name);
    raw.set(name, column);
    let decoded: FrozenColumn | undefined;
    Object.defineProperty(holder, name, {
      enumerable: true,
      configurable: false,
      get: () => {
        if (decoded === undefined) {
          decoded = decodeColumn(column, rowCount);
          onDecode?.(name);
        }
        return decoded;
      },
    });
  }
  return { columns: Object.freeze(holder), names: Object.freeze(names), rowCount, raw };
}

function checkPacked(column: PackedStringColumn, rowCount: number): void {
  if (typeof column.name !== 'string') throw new TypeError('every dataset column needs a string name');
  const where = `dataset column "${column.name}"`;
  if (!(column.codes instanceof Int32Array) || column.codes.length !== rowCount) throw new TypeError(`${where}: codes must be an Int32Array of rowCount entries`);
  const offsets = column.dictionaryOffsets;
  if (!(offsets instanceof Int32Array) || offsets.length < 1 || offsets[0] !== 0) throw new TypeError(`${where}: dictionaryOffsets must be an Int32Array starting at 0`);
  for (let i = 1; i < offsets.length; i++) {
    if ((offsets[i] as number) < (offsets[i - 1] as number)) throw new TypeError(`${where}: dictionaryOffsets must not decrease`);
  }
  if ((offsets[offsets.length - 1] as number) > column.dictionaryText.length) throw new TypeError(`${where}: dictionaryOffsets run past the dictionary text`);
}

function checkColumn(column: Column, rowCount: number): void {
  if (column === null || typeof column !== 'object' || typeof column.name !== 'string') throw new TypeError('every dataset column needs a string name');
  const where = `dataset column "${column.name}"`;
  switch (column.kind) {
    case 'string':
      if (!(column.codes instanceof Int32Array) || column.codes.length !== rowCount) throw new TypeError(`${where}: codes must be an Int32Array of rowCount entries`);
      if (!Array.isArray(column.dictionary) || !column.dictionary.every((s) => typeof s === 'string')) throw new TypeError(`${where}: dictionary must be an array of strings`);
      return;
    case 'number':
    case 'date':
      if (!(column.values instanceof Float64Array)) throw new TypeError(`${where}: values must be a Float64Array`);
      break;
    case 'int':
      if (!(column.values instanceof Int32Array)) throw new TypeError(`${where}: values must be an Int32Array`);
      break;
    case 'bool':
      if (!(column.values instanceof Uint8Array)) throw new TypeError(`${where}: values must be a Uint8Array`);
      break;
    default:
      throw new TypeError(`${where}: unknown kind "${String((column as { kind?: unknown }).kind)}"`);
  }
  if (column.values.length !== rowCount) throw new TypeError(`${where}: values must have rowCount entries`);
  if (column.valid !== undefined && (!(column.valid instanceof Uint8Array) || column.valid.length !== rowCount)) {
    throw new TypeError(`${where}: valid must be a Uint8Array of rowCount entries`);
  }
}

/**
 * Decode one column into a frozen plain array (nulls as `null`).
 *
 * Dates become ISO-8601 strings rather than `Date` objects: a frozen `Date` can still be
 * changed with `setTime`, so only strings keep "deep-frozen" honest. A column whose every value
 * is a UTC midnight becomes `'YYYY-MM-DD'`, anything else `'YYYY-MM-DDTHH:mm:ss.sssZ'`; both
 * sort as text, parse with `new Date(s)` and arquero's date ops, and are what Plotly's date
 * axes read.
 */
export function decodeColumn(column: Column, rowCount: number): FrozenColumn {
  // new Array(n), filled with null first, then written by index and frozen. Writing into a hole
  // looks up the prototype chain for a setter, and once lockdown has frozen Array.prototype that
  // lookup is slow: in a locked-down isolate at 100k rows, holes cost ≈5.6 ms a column, null-filled
  // ≈1.2 ms, push() ≈1.9 ms. For doubles, null also makes the array hold tagged values from the
  // start, so freezing does not have to re-box every element.
  const out: CellValue[] = new Array<CellValue>(rowCount).fill(null);
  switch (column.kind) {
    case 'string': {
      const { dictionary } = column;
      const codes = codesToRead(column);
      const size = dictionary.length;
      for (let i = 0; i < rowCount; i++) {
        const code = codes[i] as number;
        out[i] = code >= 0 && code < size ? (dictionary[code] as string) : null;
      }
      break;
    }
    case 'int': {
      const values = valuesToRead(column);
      const valid = validToRead(column);
      if (valid === undefined) for (let i = 0; i < rowCount; i++) out[i] = values[i] as number;
      else for (let i = 0; i < rowCount; i++) out[i] = valid[i] === 0 ? null : (values[i] as number);
      break;
    }
    case 'number': {
      const values = valuesToRead(column);
      const valid = validToRead(column);
      if (valid === undefined) for (let i = 0; i < rowCount; i++) out[i] = values[i] as number;
      else for (let i = 0; i < rowCount; i++) if (valid[i] !== 0) out[i] = values[i] as number;
      break;
    }
    case 'bool': {
      const values = valuesToRead(column);
      const valid = validToRead(column);
      for (let i = 0; i < rowCount; i++) out[i] = valid !== undefined && valid[i] === 0 ? null : values[i] !== 0;
      break;
    }
    case 'date': {
      const values = valuesToRead(column);
      const valid = validToRead(column);
      const text = dateFormatter(values, valid, rowCount);
      for (let i = 0; i < rowCount; i++) out[i] = valid !== undefined && valid[i] === 0 ? null : text(values[i] as number);
      break;
    }
  }
  return Object.freeze(out);
}

/**
 * Decode only the rows at `indices` (what arquero's `reify` needs for `sample`/`slice` of the
 * dataset), with exactly the values {@link decodeColumn} gives for them.
 */
export function decodeRows(column: Column, rowCount: number, indices: ArrayLike<number>): CellValue[] {
  const n = indices.length;
  if ((column.kind === 'number' || column.kind === 'int') && validToRead(column) === undefined) {
    // No nulls: an array of numbers only, which V8 stores unboxed (a null-filled array would box every double).
    const values = valuesToRead(column);
    const numbers: number[] = [];
    for (let k = 0; k < n; k++) numbers.push(values[indices[k] as number] as number);
    return numbers;
  }
  const out: CellValue[] = new Array<CellValue>(n).fill(null);
  switch (column.kind) {
    case 'string': {
      const { dictionary } = column;
      const codes = codesToRead(column);
      const size = dictionary.length;
      for (let k = 0; k < n; k++) {
        const code = codes[indices[k] as number] as number;
        out[k] = code >= 0 && code < size ? (dictionary[code] as string) : null;
      }
      break;
    }
    case 'int':
    case 'number': {
      const values = valuesToRead(column);
      const valid = validToRead(column);
      for (let k = 0; k < n; k++) {
        const i = indices[k] as number;
        out[k] = valid !== undefined && valid[i] === 0 ? null : (values[i] as number);
      }
      break;
    }
    case 'bool': {
      const values = valuesToRead(column);
      const valid = validToRead(column);
      for (let k = 0; k < n; k++) {
        const i = indices[k] as number;
        out[k] = valid !== undefined && valid[i] === 0 ? null : values[i] !== 0;
      }
      break;
    }
    case 'date': {
      const values = valuesToRead(column);
      const valid = validToRead(column);
      const text = dateFormatter(values, valid, rowCount);
      for (let k = 0; k < n; k++) {
        const i = indices[k] as number;
        out[k] = valid !== undefined && valid[i] === 0 ? null : text(values[i] as number);
      }
      break;
    }
  }
  return out;
}

/**
 * ms → ISO text for one date column: date-only (`'YYYY-MM-DD'`) when every valid value is a UTC
 * midnight. Datasets repeat dates heavily (730 days over 1M rows), so each value is formatted once.
 */
export function dateFormatter(values: Float64Array, valid: Uint8Array | undefined, rowCount: number): (ms: number) => string | null {
  let dateOnly = true;
  for (let i = 0; i < rowCount; i++) {
    const ms = values[i] as number;
    if ((valid === undefined || valid[i] !== 0) && ms % MS_PER_DAY !== 0 && Number.isFinite(ms)) {
      dateOnly = false;
      break;
    }
  }
  const cache = new Map<number, string | null>();
  return (ms) => {
    let text = cache.get(ms);
    if (text === undefined) {
      text = Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : null;
      if (text !== null && dateOnly) text = text.slice(0, text.indexOf('T'));
      cache.set(ms, text);
    }
    return text;
  };
}

/**
 * A dataset copied into an isolate once and handed to each run of that isolate as its own columns.
 * Typed arrays cannot be frozen, and a px builder may hand one to the analyst inside a figure, so
 * when runs share the isolate (`shared`) every run gets private copies of the arrays it reads
 * (made when first read: a memcpy, ≈0.1 ms per 100k-row column), and nothing a run writes into
 * them reaches the next run. Strings are immutable: dictionaries are shared frozen.
 */
export interface BoundDataset {
  readonly rowCount: number;
  /** The columns for one run: the bound arrays themselves when not shared, else lazily made copies. */
  forRun(): DatasetPayload;
}

/**
 * Checks `payload` once and binds it for the runs of an isolate.
 * @param shared whether several runs will use it (reused isolates), so each needs private copies
 * @throws TypeError when the payload is malformed (as {@link createLazyColumns}).
 */
export function bindDataset(payload: DatasetPayload, shared: boolean): BoundDataset {
  createLazyColumns(payload);
  const rowCount = payload.rowCount;
  if (!shared) {
    // A single-use isolate: its run uses the bound arrays themselves (the host's code-cache
    // warm-up, trusted code, runs several charts on one such binding).
    return { rowCount, forRun: () => ({ rowCount, columns: payload.columns }) };
  }
  const masters = payload.columns.map((c) => (isPacked(c) || c.kind !== 'string' ? c : { ...c, dictionary: Object.freeze(c.dictionary.slice()) }));
  return {
    rowCount,
    forRun() {
      return { rowCount, columns: masters.map(privateCopy) };
    },
  };
}

/** A per-run view of a bound column whose typed arrays are copied when first read. */
function privateCopy(master: PayloadColumn): PayloadColumn {
  const copy = isPacked(master) ? new PrivatePackedColumn(master) : master.kind === 'string' ? new PrivateStringColumn(master) : new PrivateValueColumn(master);
  sharedSource.set(copy, master);
  return Object.freeze(copy) as unknown as PayloadColumn;
}

// Classes rather than object literals with getters: an object literal with accessors gets a hidden
// class of its own, and its getters are new closures, every run; optimised code that reads
// `column.codes` would then be specialised to objects that die with the run, and deoptimise in the
// next run of a kept isolate. Their prototypes are frozen with the runtime's (create-globals.ts).

/** A run's copy of a packed string column: codes copied on first read, offsets and text shared (never handed out). */
export class PrivatePackedColumn implements PackedStringColumn {
  readonly name: string;
  readonly kind = 'string' as const;
  readonly dictionaryText: string;
  readonly dictionaryOffsets: Int32Array;
  readonly #master: PackedStringColumn;
  #codes: Int32Array | undefined;
  constructor(master: PackedStringColumn) {
    this.name = master.name;
    this.dictionaryText = master.dictionaryText;
    this.dictionaryOffsets = master.dictionaryOffsets;
    this.#master = master;
  }
  get codes(): Int32Array {
    return (this.#codes ??= this.#master.codes.slice());
  }
}

/** A run's copy of a string column: codes copied on first read, the frozen dictionary shared. */
export class PrivateStringColumn {
  readonly name: string;
  readonly kind = 'string' as const;
  readonly dictionary: readonly string[];
  readonly #master: StringColumn;
  #codes: Int32Array | undefined;
  constructor(master: StringColumn) {
    this.name = master.name;
    this.dictionary = master.dictionary;
    this.#master = master;
  }
  get codes(): Int32Array {
    return (this.#codes ??= this.#master.codes.slice());
  }
}

type ValueColumn = Exclude<Column, StringColumn>;

/** A run's copy of a number/int/bool/date column: values and validity copied on first read. */
export class PrivateValueColumn {
  readonly name: string;
  readonly kind: ValueColumn['kind'];
  readonly #master: ValueColumn;
  #values: ValueColumn['values'] | undefined;
  #valid: Uint8Array | undefined;
  constructor(master: ValueColumn) {
    this.name = master.name;
    this.kind = master.kind;
    this.#master = master;
  }
  get values(): ValueColumn['values'] {
    return (this.#values ??= this.#master.values.slice());
  }
  get valid(): Uint8Array | undefined {
    const valid = this.#master.valid;
    return valid === undefined ? undefined : (this.#valid ??= valid.slice());
  }
}

/**
 * One frozen instance of each per-run column class, alive as long as the isolate. V8 holds hidden
 * classes weakly: when a run's instances die, a full collection clears their hidden class, and
 * optimised code that checks for it (the runtime's loops over a column) is thrown away, to be
 * re-optimised in the next run. These exemplars keep the hidden classes the same from run to run. They hold no
 * data (one empty row) and are never handed out.
 */
export const COLUMN_SHAPE_KEEPERS: readonly object[] = keepColumnShapes();

function keepColumnShapes(): readonly object[] {
  const packed: PackedStringColumn = { name: '', kind: 'string', codes: new Int32Array(1), dictionaryText: '', dictionaryOffsets: Int32Array.of(0) };
  const keepers: object[] = [];
  for (const master of [packed, { name: '', kind: 'string', dictionary: [], codes: new Int32Array(1) }, { name: '', kind: 'number', values: new Float64Array(1) }] as const) {
    const copy = privateCopy(master as PayloadColumn);
    // Read once, as a run does: the lazily filled fields get their final representation.
    keepers.push(copy, isPacked(copy) ? unpack(copy) : copy.kind === 'string' ? copy.codes : copy.values);
  }
  return Object.freeze(keepers);
}
