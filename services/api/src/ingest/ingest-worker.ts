/**
 * The ingest worker: a child process of the API (one of `PLOTBOX_INGEST_WORKERS`, see
 * ingest-pool.ts) that turns a staged upload into the canonical Arrow IPC of a dataset version.
 *
 * It reads the staged file in pieces through the streaming parsers of `@plotbox/datasets` (every
 * dataset limit is checked while reading), writes the canonical stream batch by batch to a second
 * staged file, hashing as it writes, and returns only metadata. It never touches the store or the
 * blob store, holds no secrets (its environment is empty) and runs under its own V8 heap limit: an
 * upload that still manages to exhaust it ends this process, not the API.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { canonicalDataset, createCsvReader, createJsonReader, decodeArrowIPC, isDatasetError, resolveLimits, writeCanonical, type DatasetLimits } from '@plotbox/datasets';
import type { Column } from '@plotbox/sandbox-protocol';
import { profileOf, schemaOf } from '../dataset-shape.ts';
import { WORKER_FLAG, type IngestFailure, type IngestOutcome, type IngestTask, type TaskMessage, type WorkerMessage } from './ingest-protocol.ts';
import { isNoSpace } from './staging.ts';

const READ_BYTES = 1024 * 1024;
const WRITE_BUFFER = 1024 * 1024;

/** Parse the staged input into columns, streaming for CSV and JSON. */
async function readColumns(task: IngestTask, limits: DatasetLimits): Promise<readonly Column[]> {
  if (task.format === 'arrow') {
    // Arrow is read whole (it is at most the upload cap) and decoded under the ingest limits: the
    // decoded size is budgeted from the schema before apache-arrow allocates a batch.
    const fd = openSync(task.input, 'r');
    try {
      const size = fstatSync(fd).size;
      const bytes = new Uint8Array(size);
      for (let at = 0; at < size;) {
        const n = readSync(fd, bytes, at, size - at, at);
        if (n === 0) break;
        at += n;
      }
      return decodeArrowIPC(bytes, { limits }).columns;
    } finally {
      closeSync(fd);
    }
  }
  const reader = task.format === 'csv' ? createCsvReader({ limits }) : createJsonReader({ limits });
  for await (const chunk of createReadStream(task.input, { highWaterMark: READ_BYTES })) reader.write(chunk as Buffer);
  return reader.end();
}

/** Write the canonical stream to `path`, hashing it; returns its size and sha256. */
function writeOutput(path: string, columns: readonly Column[], limits: DatasetLimits): { bytes: number; sha256: string } {
  const fd = openSync(path, 'wx', 0o600);
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(WRITE_BUFFER);
  let filled = 0;
  let total = 0;
  const flush = (): void => {
    for (let at = 0; at < filled;) at += writeSync(fd, buffer, at, filled - at);
    filled = 0;
  };
  try {
    writeCanonical(columns, (piece) => {
      total += piece.byteLength;
      if (total > limits.maxStoredBytes) {
        throw Object.assign(new Error('stored size over the limit'), { storedTooLarge: true });
      }
      hash.update(piece);
      if (piece.byteLength >= WRITE_BUFFER / 4) {
        flush();
        for (let at = 0; at < piece.byteLength;) at += writeSync(fd, piece, at, piece.byteLength - at);
        return;
      }
      if (filled + piece.byteLength > WRITE_BUFFER) flush();
      buffer.set(piece, filled);
      filled += piece.byteLength;
    });
    flush();
  } finally {
    closeSync(fd);
  }
  return { bytes: total, sha256: hash.digest('hex') };
}

/** One ingest task: never throws for a bad upload (that is an outcome), only for the unexpected. */
export async function ingest(task: IngestTask): Promise<IngestOutcome> {
  const limits = resolveLimits(task.limits);
  try {
    const columns = await readColumns(task, limits);
    const dataset = canonicalDataset(columns, limits);
    let written: { bytes: number; sha256: string };
    try {
      written = writeOutput(task.output, dataset.columns, limits);
    } catch (error) {
      if ((error as { storedTooLarge?: unknown }).storedTooLarge === true) {
        return {
          ok: false,
          failure: { code: 'DATASET_TOO_LARGE', message: `its stored Arrow form would be more than ${limits.maxStoredBytes} bytes`, limit: { name: 'storedBytes', value: limits.maxStoredBytes } },
        };
      }
      throw error;
    }
    return {
      ok: true,
      result: {
        sha256: written.sha256,
        bytes: written.bytes,
        rowCount: dataset.rowCount,
        columns: dataset.columns.length,
        schema: schemaOf(dataset.columns),
        profile: profileOf(dataset.columns, dataset.rowCount),
      },
    };
  } catch (error) {
    if (!isDatasetError(error)) throw error;
    const failure: IngestFailure = {
      code: error.code,
      message: error.message,
      ...(error.line === undefined ? {} : { line: error.line }),
      ...(error.row === undefined ? {} : { row: error.row }),
      ...(error.column === undefined ? {} : { column: error.column }),
      ...(error.limit === undefined ? {} : { limit: error.limit }),
    };
    return { ok: false, failure };
  }
}

/** Serve tasks from the parent, one at a time; exit when the parent goes away. */
function serve(): void {
  const send = (msg: WorkerMessage): void => {
    process.send?.(msg);
  };
  process.on('message', (raw: unknown) => {
    const msg = raw as TaskMessage;
    if (msg?.type !== 'task') return;
    ingest(msg.task).then(
      (outcome) => send({ type: 'outcome', outcome }),
      (err: unknown) => send({ type: 'failed', message: err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error', storageFull: isNoSpace(err) }),
    );
  });
  // The API is gone (even by kill -9): stop at once; its successor sweeps the staged files.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

// Serve tasks only when the pool started this module; importing it (a test) does nothing.
if (process.argv.includes(WORKER_FLAG) && process.send !== undefined) serve();
