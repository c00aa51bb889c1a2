/**
 * The backup archive: an age-encrypted file (https://age-encryption.org/v1, through the
 * `age-encryption` package) around a gzip stream of framed lines. age gives authenticated
 * encryption in 64 KiB chunks (ChaCha20-Poly1305, STREAM construction: each chunk's nonce carries
 * its index and a last-chunk flag, so changed, reordered, cut-short and extended files all fail)
 * with a passphrase (scrypt) or an X25519 identity, and operators can open an archive with the
 * standard `age` tool too (`age -d -i key.txt backup.age | gunzip`).
 *
 * Inside, one JSON object per line:
 * ```
 * {"plotbox":"backup","format":1,"archiveId":…,"createdAt":…,"source":{…},"sessions":false}
 * {"r":{…a store record…}}                        (parents before children)
 * {"b":{"key":"datasets/…","bytes":N,"contentType":…}}\n<N raw bytes>\n{"be":{"sha256":"…"}}
 * {"m":{"key":"datasets/…"}}                        (a blob the store names but had lost)
 * {"end":{"records":R,"blobs":B,"blobBytes":S,"missing":M}}
 * ```
 * Nothing may follow `end`, so a stream cut at a line boundary inside the plaintext is refused as
 * well as one cut inside a chunk.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { createGunzip, createGzip } from 'node:zlib';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { BackupError, isBackupError } from './backup-error.ts';

/** The format this code writes and the newest it reads. */
export const ARCHIVE_FORMAT = 1;
/** The longest line a reader accepts (a record is far smaller; a line without end is not ours). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** age's default; about a second per derivation. Tests use less. */
export const DEFAULT_SCRYPT_LOG_N = 18;
export const MIN_PASSPHRASE_LENGTH = 12;

/** How an archive is encrypted (`recipient`) or opened (`passphrase`, `identity`). */
export type ArchiveKey =
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'identity'; readonly identity: string }
  /** An age public key (`age1…`): encrypts only, so the machine making backups never holds what opens them. */
  | { readonly kind: 'recipient'; readonly recipient: string };

/** A passphrase from a file or stdin: one trailing newline dropped; at least {@link MIN_PASSPHRASE_LENGTH} characters. */
export function passphraseKey(text: string): ArchiveKey {
  const passphrase = text.replace(/\r?\n$/u, '');
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new BackupError('BACKUP_KEY_INVALID', `the passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters (an archive can be attacked offline: use several random words)`);
  }
  return { kind: 'passphrase', passphrase };
}

/** An age identity file (as `age-keygen` or `plotbox backup keygen` writes it): its `AGE-SECRET-KEY-1…` line. */
export function identityKey(text: string): ArchiveKey {
  const lines = text
    .split(/\r?\n/u)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const identity = lines.find((l) => l.startsWith('AGE-SECRET-KEY-1'));
  if (identity === undefined || lines.length !== 1) throw new BackupError('BACKUP_KEY_INVALID', 'the identity file must hold exactly one age identity (a line starting AGE-SECRET-KEY-1)');
  return { kind: 'identity', identity };
}

/** An age recipient (public key, `age1…`). */
export function recipientKey(text: string): ArchiveKey {
  const recipient = text.trim();
  if (!/^age1[02-9ac-hj-np-z]{58}$/u.test(recipient)) throw new BackupError('BACKUP_KEY_INVALID', 'a recipient is an age public key: age1 followed by 58 characters');
  return { kind: 'recipient', recipient };
}

/** A new X25519 identity and its recipient, in the file format of `age-keygen`. */
export async function generateIdentityFile(now: Date): Promise<{ readonly file: string; readonly recipient: string }> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  return { file: `# created: ${now.toISOString()}\n# public key: ${recipient}\n${identity}\n`, recipient };
}

/** The first line of every archive. */
export interface ArchiveManifest {
  readonly plotbox: 'backup';
  readonly format: number;
  readonly archiveId: string;
  readonly createdAt: string;
  /** Where it came from, for the operator: `sqlite`/`mongodb`, `dir`/`s3`. */
  readonly source: { readonly store: string; readonly blobs: string };
  /** Whether sessions and refresh tokens are in it. */
  readonly sessions: boolean;
}

/** What the last line counts, and what a reader checks against what it read. */
export interface ArchiveTotals {
  readonly records: number;
  readonly blobs: number;
  readonly blobBytes: number;
  readonly missing: number;
}

/** What a writer is given, in order. */
export type WriterEntry =
  | { readonly kind: 'record'; readonly record: unknown }
  /** Exactly `bytes` bytes of `data`, else the write fails. */
  | { readonly kind: 'blob'; readonly key: string; readonly bytes: number; readonly contentType?: string | undefined; readonly data: AsyncIterable<Uint8Array> }
  | { readonly kind: 'missing'; readonly key: string };

/** What a reader yields, in order, after the manifest. */
export type ArchiveItem =
  | { readonly kind: 'record'; readonly record: unknown }
  /**
   * A blob: consume `data` before asking for the next item (whatever is left is skipped). `data`
   * ends with an error if the bytes do not hash to what the archive says.
   */
  | { readonly kind: 'blob'; readonly key: string; readonly bytes: number; readonly contentType: string | undefined; readonly data: AsyncIterable<Buffer> }
  | { readonly kind: 'missing'; readonly key: string }
  | { readonly kind: 'end'; readonly totals: ArchiveTotals };

export interface WriteOptions {
  readonly scryptLogN?: number;
  /** Compression level 0..9 (default 4: datasets are Arrow, records JSON; higher costs time for little). */
  readonly level?: number;
}

const line = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');

async function encrypter(key: ArchiveKey, options: WriteOptions): Promise<Encrypter> {
  const e = new Encrypter();
  if (key.kind === 'passphrase') {
    e.setScryptWorkFactor(options.scryptLogN ?? DEFAULT_SCRYPT_LOG_N);
    e.setPassphrase(key.passphrase);
  } else if (key.kind === 'recipient') {
    e.addRecipient(key.recipient);
  } else {
    e.addRecipient(await identityToRecipient(key.identity).catch((err: unknown) => Promise.reject(new BackupError('BACKUP_KEY_INVALID', 'the identity is not a valid age identity', { cause: err }))));
  }
  return e;
}

/**
 * Write an archive of `entries` to `out` (which the caller opens and, after this resolves, closes).
 * Returns the totals written and the encrypted size.
 */
export async function writeArchive(
  out: Writable,
  key: ArchiveKey,
  manifest: Omit<ArchiveManifest, 'plotbox' | 'format' | 'archiveId'> & { readonly archiveId?: string },
  entries: AsyncIterable<WriterEntry>,
  options: WriteOptions = {},
): Promise<ArchiveTotals & { readonly archiveId: string; readonly encryptedBytes: number }> {
  const archiveId = manifest.archiveId ?? randomUUID();
  const totals = { records: 0, blobs: 0, blobBytes: 0, missing: 0 };
  async function* plaintext(): AsyncGenerator<Buffer> {
    yield line({ plotbox: 'backup', format: ARCHIVE_FORMAT, archiveId, createdAt: manifest.createdAt, source: manifest.source, sessions: manifest.sessions } satisfies ArchiveManifest);
    for await (const entry of entries) {
      if (entry.kind === 'record') {
        totals.records += 1;
        yield line({ r: entry.record });
      } else if (entry.kind === 'missing') {
        totals.missing += 1;
        yield line({ m: { key: entry.key } });
      } else {
        yield line({ b: { key: entry.key, bytes: entry.bytes, ...(entry.contentType === undefined ? {} : { contentType: entry.contentType }) } });
        const hash = createHash('sha256');
        let n = 0;
        for await (const chunk of entry.data) {
          n += chunk.byteLength;
          if (n > entry.bytes) throw new Error(`blob ${entry.key} is longer than its ${entry.bytes} bytes`);
          hash.update(chunk);
          yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        if (n !== entry.bytes) throw new Error(`blob ${entry.key} is shorter than its ${entry.bytes} bytes`);
        yield Buffer.from('\n');
        yield line({ be: { sha256: hash.digest('hex') } });
        totals.blobs += 1;
        totals.blobBytes += n;
      }
    }
    yield line({ end: totals });
  }
  const gzip = createGzip({ level: options.level ?? 4 });
  const e = await encrypter(key, options);
  const compressing = pipeline(Readable.from(plaintext()), gzip);
  const encrypted = await e.encrypt(Readable.toWeb(gzip) as ReadableStream<Uint8Array>);
  let encryptedBytes = 0;
  const counted = Readable.fromWeb(encrypted as NodeReadableStream<Uint8Array>);
  counted.on('data', (chunk: Buffer) => {
    encryptedBytes += chunk.byteLength;
  });
  await Promise.all([compressing, pipeline(counted, out, { end: false })]);
  return { ...totals, archiveId, encryptedBytes };
}

/** What went wrong while opening the age layer, as the operator should hear it. */
function headerError(err: unknown): BackupError {
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('no identity matched'))
    return new BackupError('BACKUP_WRONG_KEY', 'the passphrase or identity given does not open this archive (or its key slot was damaged)', { cause: err });
  if (message.startsWith('invalid version')) return new BackupError('BACKUP_FOREIGN', 'this is not a Plotbox backup (not an age-encrypted file)', { cause: err });
  if (message.startsWith('scrypt recipient is not the only one') || message.startsWith('scrypt work factor is too high')) {
    return new BackupError('BACKUP_FOREIGN', 'this age file was not written by plotbox backup', { cause: err });
  }
  return new BackupError('BACKUP_DAMAGED', 'the archive is damaged: its header does not verify (changed or cut short)', { cause: err });
}

const damaged = (cause?: unknown): BackupError =>
  new BackupError('BACKUP_DAMAGED', 'the archive is damaged: it fails authentication (changed, corrupted or cut short)', cause === undefined ? {} : { cause });
const notOurs = (what: string, cause?: unknown): BackupError => new BackupError('BACKUP_FOREIGN', `the archive decrypts but is not a Plotbox backup (${what})`, cause === undefined ? {} : { cause });

/** Reads lines and raw byte runs from a stream of chunks, with bounded lines. */
class FrameReader {
  readonly #it: AsyncIterator<Buffer>;
  #buf: Buffer = Buffer.alloc(0);
  #ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async #more(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#it.next();
    if (next.done === true) {
      this.#ended = true;
      return false;
    }
    this.#buf = this.#buf.length === 0 ? next.value : Buffer.concat([this.#buf, next.value]);
    return true;
  }

  /** The next line (without its newline), `null` at a clean end. */
  async line(): Promise<string | null> {
    const pieces: Buffer[] = [];
    let size = 0;
    for (;;) {
      const i = this.#buf.indexOf(10);
      if (i >= 0) {
        pieces.push(this.#buf.subarray(0, i));
        this.#buf = this.#buf.subarray(i + 1);
        return Buffer.concat(pieces).toString('utf8');
      }
      size += this.#buf.length;
      if (size > MAX_LINE_BYTES) throw notOurs('a line is too long');
      pieces.push(this.#buf);
      this.#buf = Buffer.alloc(0);
      if (!(await this.#more())) {
        if (size === 0) return null;
        throw damaged();
      }
    }
  }

  /** Exactly `n` bytes, in pieces. */
  async *bytes(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.#buf.length === 0 && !(await this.#more())) throw damaged();
      const take = Math.min(left, this.#buf.length);
      const piece = this.#buf.subarray(0, take);
      this.#buf = this.#buf.subarray(take);
      left -= take;
      yield piece;
    }
  }
}

function parseLine(text: string | null): Record<string, unknown> {
  if (text === null) throw damaged();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw notOurs('a line is not JSON', err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notOurs('a line is not an object');
  return value as Record<string, unknown>;
}

const isKey = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 1024;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkManifest(v: Record<string, unknown>): ArchiveManifest {
  if (v.plotbox !== 'backup') throw notOurs('its first line is not a Plotbox backup manifest');
  if (typeof v.format !== 'number' || !Number.isInteger(v.format)) throw notOurs('no format version');
  if (v.format > ARCHIVE_FORMAT)
    throw new BackupError('BACKUP_UNSUPPORTED', `the archive is of format ${v.format}; this Plotbox reads format ${ARCHIVE_FORMAT} (restore it with the release that made it, or a newer one)`);
  const source = v.source as Record<string, unknown> | null;
  if (
    typeof v.archiveId !== 'string' ||
    typeof v.createdAt !== 'string' ||
    typeof v.sessions !== 'boolean' ||
    typeof source !== 'object' ||
    source === null ||
    typeof source.store !== 'string' ||
    typeof source.blobs !== 'string'
  ) {
    throw notOurs('its manifest is incomplete');
  }
  return {
    plotbox: 'backup',
    format: v.format,
    archiveId: v.archiveId.slice(0, 100),
    createdAt: v.createdAt.slice(0, 40),
    source: { store: source.store.slice(0, 40), blobs: source.blobs.slice(0, 40) },
    sessions: v.sessions,
  };
}

const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n');

/** The input's bytes, refused as foreign unless they start like an age file. */
async function* withMagic(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let checked = false;
  for await (const chunk of input) {
    if (checked) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < AGE_MAGIC.length) continue;
    if (!head.subarray(0, AGE_MAGIC.length).equals(AGE_MAGIC)) throw new BackupError('BACKUP_FOREIGN', 'this is not a Plotbox backup (not an age-encrypted file)');
    checked = true;
    yield head;
  }
  if (!checked) throw new BackupError('BACKUP_FOREIGN', 'this is not a Plotbox backup (not an age-encrypted file)');
}

/** An opened archive: its manifest, then its items in order (the last is `end`, checked against what was read). */
export interface OpenedArchive {
  readonly manifest: ArchiveManifest;
  readonly items: AsyncIterable<ArchiveItem>;
}

/**
 * Open an archive from `input` (a file's stream): decrypt, decompress and check the framing.
 * Errors are {@link BackupError}s: `BACKUP_FOREIGN`, `BACKUP_WRONG_KEY`, `BACKUP_DAMAGED`,
 * `BACKUP_UNSUPPORTED`. The items can be iterated once.
 */
export async function openArchive(input: Readable, key: ArchiveKey): Promise<OpenedArchive> {
  if (key.kind === 'recipient') throw new BackupError('BACKUP_KEY_INVALID', 'a recipient (public key) only encrypts: give the identity or passphrase to open an archive');
  const d = new Decrypter();
  try {
    if (key.kind === 'passphrase') d.addPassphrase(key.passphrase);
    else d.addIdentity(key.identity);
  } catch (err) {
    throw new BackupError('BACKUP_KEY_INVALID', 'the identity is not a valid age identity', { cause: err });
  }
  let plain: ReadableStream<Uint8Array>;
  try {
    plain = await d.decrypt(Readable.toWeb(Readable.from(withMagic(input))) as ReadableStream<Uint8Array>);
  } catch (err) {
    throw isBackupError(err) ? err : headerError(err);
  }
  const gunzip = createGunzip();
  // Authentication failures surface in the age stream; everything after it is a format question.
  const decrypted = Readable.fromWeb(plain as NodeReadableStream<Uint8Array>);
  let ageFailure: unknown = null;
  decrypted.on('error', (err) => {
    ageFailure ??= err;
  });
  void pipeline(decrypted, gunzip).catch(() => undefined);
  const source = (async function* (): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (err) {
      if (ageFailure !== null) throw damaged(ageFailure);
      if ((err as { code?: string }).code === 'Z_DATA_ERROR') throw notOurs('not a gzip stream', err);
      throw damaged(err);
    }
    if (ageFailure !== null) throw damaged(ageFailure);
  })();
  const reader = new FrameReader(source);
  const manifest = checkManifest(parseLine(await reader.line()));
  async function* items(): AsyncGenerator<ArchiveItem> {
    const read = { records: 0, blobs: 0, blobBytes: 0, missing: 0 };
    for (;;) {
      const v = parseLine(await reader.line());
      if ('r' in v) {
        read.records += 1;
        yield { kind: 'record', record: v.r };
      } else if ('m' in v) {
        const m = v.m as { key?: unknown } | null;
        if (m === null || typeof m !== 'object' || !isKey(m.key)) throw notOurs('a missing-blob line has no key');
        read.missing += 1;
        yield { kind: 'missing', key: m.key };
      } else if ('b' in v) {
        const b = v.b as { key?: unknown; bytes?: unknown; contentType?: unknown } | null;
        if (b === null || typeof b !== 'object' || !isKey(b.key) || !isCount(b.bytes)) throw notOurs('a blob line has no key or size');
        const { key: blobKey, bytes } = b;
        const contentType = typeof b.contentType === 'string' && /^[\w.+-]+\/[\w.+-]+$/u.test(b.contentType) ? b.contentType : undefined;
        const state = { left: bytes, hash: createHash('sha256'), finished: false };
        const finish = async (): Promise<void> => {
          if (state.finished) return;
          state.finished = true;
          for await (const piece of reader.bytes(state.left)) state.hash.update(piece);
          state.left = 0;
          if ((await reader.line()) !== '') throw notOurs('a blob does not end where its size says');
          const be = parseLine(await reader.line()).be as { sha256?: unknown } | undefined;
          if (typeof be?.sha256 !== 'string' || be.sha256 !== state.hash.digest('hex')) throw damaged();
        };
        async function* data(): AsyncGenerator<Buffer> {
          for await (const piece of reader.bytes(state.left)) {
            state.hash.update(piece);
            state.left -= piece.length;
            yield piece;
          }
          // Checked before the data ends, so a blob store given this stream keeps nothing of a bad blob.
          await finish();
        }
        yield { kind: 'blob', key: blobKey, bytes, contentType, data: data() };
        // Whatever the consumer left unread is read (and checked) before the next line.
        await finish();
        read.blobs += 1;
        read.blobBytes += bytes;
      } else if ('end' in v) {
        const t = v.end as Record<string, unknown> | null;
        if (t === null || typeof t !== 'object' || t.records !== read.records || t.blobs !== read.blobs || t.blobBytes !== read.blobBytes || t.missing !== read.missing) {
          throw damaged();
        }
        if ((await reader.line()) !== null) throw damaged();
        yield { kind: 'end', totals: read };
        return;
      } else {
        throw notOurs('a line of an unknown kind');
      }
    }
  }
  return { manifest, items: items() };
}
