/**
 * Staging of uploads: request bodies are streamed to files here (never held in memory), the ingest
 * worker writes the canonical bytes next to them, and both are removed when the request ends.
 *
 * Files are named `<pid>.<boot id>.<random>.<kind>`, so the sweep at start can tell whose they
 * are: a process that is gone (or this process's own previous life, after a restart that reused
 * its pid, as in a container) left them behind, and they go at once; anything else goes only once
 * it is older than the grace period (another API process on the same directory may still be
 * writing it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import { lstat, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PlotboxError, errorGuard } from '@plotbox/errors';

/** Options of {@link createStaging}. */
export interface StagingOptions {
  /** Created (mode 0700) if missing. */
  readonly dir: string;
  /** This process; default `process.pid`. */
  readonly pid?: number;
  /** Is another process alive? Default: `process.kill(pid, 0)`. */
  readonly isAlive?: (pid: number) => boolean;
}

/** Why a body could not be staged. */
export type StagingFailure = 'too_large' | 'aborted' | 'storage_full' | 'io';

/** A body that could not be staged; `reason` says why. */
export class StagingError extends PlotboxError<'STAGING_FAILED', StagingFailure> {
  declare readonly reason: StagingFailure;
  constructor(reason: StagingFailure, message: string, options: { readonly cause?: unknown } = {}) {
    super('STAGING_FAILED', message, { reason, ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.name = 'StagingError';
  }
}

/** Is `value` a {@link StagingError}? */
export const isStagingError = errorGuard(StagingError);

export interface Staging {
  readonly dir: string;
  /** A fresh path for a staged file of this process (not created). */
  path(kind: 'in' | 'out'): string;
  /**
   * Stream `body` into a new staged file, refusing (`too_large`) as soon as more than `cap` bytes
   * arrived: reading stops there (the stream is paused, not drained), so the caller can still
   * answer before closing the connection. The file is removed on any failure.
   */
  receive(body: Readable, cap: number): Promise<{ readonly path: string; readonly bytes: number }>;
  /** Remove a staged file (missing is fine). */
  remove(path: string): Promise<void>;
  /** Remove leftovers: files of processes that are gone at once, others older than `graceMs`. Returns how many. */
  sweep(graceMs: number, now: Date): Promise<number>;
}

const NAME = /^(\d{1,10})\.([0-9a-f]{16})\.[0-9a-f-]{36}\.(in|out)$/u;

function errno(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** ENOSPC or EDQUOT. */
export function isNoSpace(err: unknown): boolean {
  const code = errno(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function defaultIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

/** Create the staging directory (eagerly: a bad path fails at start) and its file operations. */
export function createStaging(options: StagingOptions): Staging {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir.trim() === '' || options.dir.includes('\0')) {
    throw new TypeError('createStaging: dir must be a non-empty path');
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const dir = realpathSync(options.dir);
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? defaultIsAlive;
  const boot = randomBytes(8).toString('hex');

  const remove = async (path: string): Promise<void> => {
    await rm(path, { force: true }).catch(() => undefined);
  };

  return {
    dir,
    path: (kind) => join(dir, `${pid}.${boot}.${randomUUID()}.${kind}`),
    remove,
    async receive(body, cap) {
      const path = join(dir, `${pid}.${boot}.${randomUUID()}.in`);
      let fh: FileHandle;
      try {
        fh = await open(path, 'wx', 0o600);
      } catch (err) {
        throw new StagingError(isNoSpace(err) ? 'storage_full' : 'io', 'the upload could not be staged', { cause: err });
      }
      let bytes = 0;
      try {
        await new Promise<void>((resolve, reject) => {
          let settled = false;
          let writing = Promise.resolve();
          const settle = (error: StagingError | null): void => {
            if (settled) return;
            settled = true;
            body.off('data', onData);
            body.off('end', onEnd);
            body.off('error', onError);
            body.off('close', onClose);
            if (error === null)
              writing.then(
                () => resolve(),
                (err: unknown) => reject(writeError(err)),
              );
            else reject(error);
          };
          const writeError = (err: unknown): StagingError => new StagingError(isNoSpace(err) ? 'storage_full' : 'io', 'the upload could not be staged', { cause: err });
          const onData = (chunk: Buffer): void => {
            bytes += chunk.byteLength;
            if (bytes > cap) {
              body.pause();
              settle(new StagingError('too_large', `the upload is larger than ${cap} bytes`));
              return;
            }
            // One write at a time, in order; the body waits while a write is pending.
            body.pause();
            writing = writing.then(async () => {
              for (let at = 0; at < chunk.byteLength;) at += (await fh.write(chunk, at, chunk.byteLength - at)).bytesWritten;
            });
            writing.then(
              () => {
                if (!settled) body.resume();
              },
              (err: unknown) => settle(writeError(err)),
            );
          };
          const onEnd = (): void => settle(null);
          const onError = (err: Error): void => settle(new StagingError('aborted', 'the upload could not be read', { cause: err }));
          const onClose = (): void => settle(new StagingError('aborted', 'the upload ended before it was complete'));
          if (body.readableEnded) {
            settle(new StagingError('aborted', 'the upload body was already consumed'));
            return;
          }
          body.on('data', onData);
          body.once('end', onEnd);
          body.once('error', onError);
          body.once('close', onClose);
        });
        await fh.close();
        return { path, bytes };
      } catch (err) {
        await fh.close().catch(() => undefined);
        await remove(path);
        throw err;
      }
    },
    async sweep(graceMs, now) {
      let removed = 0;
      const cutoff = now.getTime() - graceMs;
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const m = NAME.exec(name);
        if (m === null) continue;
        const owner = Number(m[1]);
        const mine = owner === pid && m[2] === boot;
        if (mine) continue;
        const path = join(dir, name);
        let stale = owner === pid || !isAlive(owner);
        if (!stale) {
          const st = await lstat(path).catch(() => null);
          stale = st !== null && st.isFile() && st.mtimeMs < cutoff;
        }
        if (stale) {
          await remove(path);
          removed++;
        }
      }
      return removed;
    },
  };
}
