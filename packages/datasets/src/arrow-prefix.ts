/**
 * The first rows of a stored version without reading the rest: the canonical stream is cut into
 * record batches of bounded size (arrow-encode.ts), each preceded by the dictionary strings it
 * introduces, so its first messages are a complete stream of its first rows.
 */
import type { Column } from '@plotbox/sandbox-protocol';
import { decodeArrowIPC } from './arrow-ipc.ts';
import { DatasetError } from './dataset-error.ts';
import { MESSAGE_TYPES, readMessageHeader } from './ipc-verify.ts';

/** The leading messages of an Arrow IPC stream, closed with an end-of-stream marker. */
export interface ArrowPrefix {
  /** Stream bytes: the schema, dictionaries and record batches read, then an end-of-stream marker. */
  readonly bytes: Uint8Array;
  /** Rows in those record batches. */
  readonly rows: number;
  /** Whether the stream ended within what was read. */
  readonly complete: boolean;
}

const EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

/**
 * Read `source` (an Arrow IPC stream, e.g. a blob being downloaded) only until its record batches
 * hold at least `rows` rows, and return those messages as a stream of their own. Stops reading
 * there: the caller should then close the source. At most `maxBytes` are read (DATASET_PARSE
 * beyond: the first rows should never need more).
 */
export async function readArrowPrefix(source: AsyncIterable<Uint8Array>, rows: number, maxBytes: number): Promise<ArrowPrefix> {
  let buf = new Uint8Array(64 * 1024);
  let filled = 0;
  /** End of the last complete message in `buf`. */
  let cut = 0;
  let got = 0;
  let complete = false;
  const iterator = source[Symbol.asyncIterator]();
  const need = async (n: number): Promise<boolean> => {
    while (filled < n) {
      const next = await iterator.next();
      if (next.done === true) return false;
      const chunk = next.value;
      if (filled + chunk.byteLength > maxBytes) throw new DatasetError('DATASET_PARSE', `the first rows take more than ${maxBytes} bytes`);
      if (filled + chunk.byteLength > buf.byteLength) {
        const grown = new Uint8Array(Math.max(buf.byteLength * 2, filled + chunk.byteLength));
        grown.set(buf.subarray(0, filled));
        buf = grown;
      }
      buf.set(chunk, filled);
      filled += chunk.byteLength;
    }
    return true;
  };
  try {
    for (;;) {
      if (!(await need(cut + 4))) {
        complete = true;
        break;
      }
      const view = new DataView(buf.buffer, buf.byteOffset, filled);
      let at = cut;
      let length = view.getInt32(at, true);
      at += 4;
      if (length === -1) {
        if (!(await need(at + 4))) {
          complete = true;
          break;
        }
        length = new DataView(buf.buffer, buf.byteOffset, filled).getInt32(at, true);
        at += 4;
      }
      if (length === 0) {
        complete = true;
        break;
      }
      if (length < 0 || !(await need(at + length))) throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC: a message is cut short');
      const header = readMessageHeader(buf.subarray(at, at + length));
      const end = at + length + header.bodyLength;
      if (!(await need(end))) throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC: a message body is cut short');
      cut = end;
      if (header.headerType === MESSAGE_TYPES.recordBatch) {
        got += header.rows;
        if (got >= rows) break;
      }
    }
  } finally {
    await iterator.return?.();
  }
  const bytes = new Uint8Array(cut + EOS.byteLength);
  bytes.set(buf.subarray(0, cut));
  bytes.set(EOS, cut);
  return { bytes, rows: got, complete };
}

/** Options of {@link previewRows}. */
export interface PreviewOptions {
  /** Rows to show. */
  readonly rows: number;
  /** Longer strings are cut to this many characters and end with `…`. */
  readonly maxCellChars: number;
  /** Stop adding rows once the cells shown hold about this many characters (at least one row is shown). */
  readonly maxTotalChars: number;
}

/** A cell of a preview: dates as ISO strings, non-finite numbers as null, long strings cut. */
export type PreviewCell = string | number | boolean | null;

/** The first rows of a dataset, as JSON-ready cells. */
export interface Preview {
  readonly columns: readonly { readonly name: string; readonly type: Column['kind'] }[];
  readonly rows: readonly Readonly<Record<string, PreviewCell>>[];
  /** Whether rows were left out to keep the answer within `maxTotalChars`. */
  readonly truncated: boolean;
}

/** Cut a string to `max` characters (never through a surrogate pair), marking the cut. */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/**
 * Decode a stream prefix ({@link readArrowPrefix}) and render its first rows. Only those rows'
 * cells are materialised; strings are cut to `maxCellChars`.
 */
export function previewRows(prefix: Uint8Array, options: PreviewOptions): Preview {
  const dataset = decodeArrowIPC(prefix, { maxRows: Number.MAX_SAFE_INTEGER });
  const n = Math.min(options.rows, dataset.rowCount);
  const out: Record<string, PreviewCell>[] = [];
  let chars = 0;
  let truncated = false;
  for (let i = 0; i < n; i++) {
    if (i > 0 && chars > options.maxTotalChars) {
      truncated = true;
      break;
    }
    // A null-prototype object: a column named like an Object.prototype member is just a key.
    const row = Object.create(null) as Record<string, PreviewCell>;
    for (const column of dataset.columns) {
      const cell = cellAt(column, i, options.maxCellChars);
      chars += typeof cell === 'string' ? cell.length + 4 : 8;
      row[column.name] = cell;
    }
    out.push(row);
  }
  return { columns: dataset.columns.map((c) => ({ name: c.name, type: c.kind })), rows: out, truncated };
}

function cellAt(column: Column, i: number, maxChars: number): PreviewCell {
  if (column.kind === 'string') {
    const code = column.codes[i] ?? -1;
    const s = code < 0 ? undefined : column.dictionary[code];
    return s === undefined ? null : cutText(s, maxChars);
  }
  if (column.valid !== undefined && column.valid[i] === 0) return null;
  const v = column.values[i] ?? 0;
  if (column.kind === 'bool') return v !== 0;
  if (!Number.isFinite(v)) return null;
  return column.kind === 'date' ? new Date(v).toISOString() : v;
}
