/**
 * Errors of `plotbox backup` / `plotbox restore` (operator commands; none reaches an HTTP client).
 * Messages are safe to print: they never carry a passphrase, a key or stored data.
 */
import { PlotboxError, errorGuard } from '@plotbox/errors';

export const BACKUP_ERROR_CODES = [
  /** Not an age-encrypted file, or one whose contents are not a Plotbox backup. */
  'BACKUP_FOREIGN',
  /** The passphrase or identity given does not open this archive. */
  'BACKUP_WRONG_KEY',
  /** The archive fails authentication: changed, cut short (truncated) or corrupted. */
  'BACKUP_DAMAGED',
  /** A Plotbox backup of a newer format than this code reads. */
  'BACKUP_UNSUPPORTED',
  /** The archive decrypts, but a record in it is not one the store accepts. */
  'BACKUP_INVALID',
  /** The passphrase or identity is unusable (empty, too short, not an age identity). */
  'BACKUP_KEY_INVALID',
  /** Restore needs an empty store: this one holds records. */
  'BACKUP_NOT_EMPTY',
  /** Blobs kept disappearing while the backup read them (their datasets were deleted meanwhile). */
  'BACKUP_BLOBS_CHANGING',
] as const;

export type BackupErrorCode = (typeof BACKUP_ERROR_CODES)[number];

export class BackupError extends PlotboxError<BackupErrorCode, never> {
  constructor(code: BackupErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'BackupError';
  }
}

export const isBackupError = errorGuard(BackupError);
