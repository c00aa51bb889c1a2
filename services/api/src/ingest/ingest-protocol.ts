/**
 * What the API and its ingest worker processes exchange (structured clone over IPC): a task names
 * two staged files and the limits; the outcome is metadata only, or a dataset failure.
 */
import type { DatasetErrorCode, DatasetLimitName, DatasetLimits } from '@plotbox/datasets';
import type { JsonValue } from '@plotbox/store';

/** The argument the pool starts the worker module with. */
export const WORKER_FLAG = '--plotbox-ingest-worker';

/** Upload formats, by media type (see the dataset routes). */
export type UploadFormat = 'csv' | 'json' | 'arrow';

export interface IngestTask {
  readonly format: UploadFormat;
  /** The staged upload. */
  readonly input: string;
  /** Where to write the canonical Arrow IPC stream (created; must not exist). */
  readonly output: string;
  readonly limits: DatasetLimits;
}

/** A version ready to be stored: the output file's size and hash, and its shape. */
export interface IngestResult {
  readonly sha256: string;
  readonly bytes: number;
  readonly rowCount: number;
  readonly columns: number;
  readonly schema: JsonValue;
  readonly profile: JsonValue;
}

/** Why an upload is not a dataset (a DatasetError, as plain data). */
export interface IngestFailure {
  readonly code: DatasetErrorCode;
  readonly message: string;
  readonly line?: number;
  readonly row?: number;
  readonly column?: string;
  readonly limit?: { readonly name: DatasetLimitName; readonly value: number };
}

export type IngestOutcome = { readonly ok: true; readonly result: IngestResult } | { readonly ok: false; readonly failure: IngestFailure };

/** Parent → worker. */
export interface TaskMessage {
  readonly type: 'task';
  readonly task: IngestTask;
}

/**
 * Worker → parent: ready for tasks, a task's outcome, or an unexpected failure (a bug, not the
 * upload's fault, unless `storageFull`: the output could not be written for want of space).
 */
export type WorkerMessage =
  { readonly type: 'ready' } | { readonly type: 'outcome'; readonly outcome: IngestOutcome } | { readonly type: 'failed'; readonly message: string; readonly storageFull?: boolean };
