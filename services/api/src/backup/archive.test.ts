import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Encrypter } from 'age-encryption';
import { isBackupError, type BackupErrorCode } from './backup-error.ts';
import { generateIdentityFile, identityKey, openArchive, passphraseKey, recipientKey, writeArchive, type ArchiveItem, type ArchiveKey, type WriterEntry } from './archive.ts';

const FAST = { scryptLogN: 10 };

/** Write an archive into memory. */
async function archive(key: ArchiveKey, entries: WriterEntry[] | AsyncIterable<WriterEntry>, sessions = false): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeArchive(
    out,
    key,
    { createdAt: '2026-01-01T00:00:00.000Z', source: { store: 'sqlite', blobs: 'dir' }, sessions },
    (async function* () {
      yield* entries;
    })(),
    FAST,
  );
  return Buffer.concat(chunks);
}

/** Open and read everything, blobs as buffers. */
async function readAll(bytes: Buffer, key: ArchiveKey): Promise<{ manifest: unknown; items: (ArchiveItem | { kind: 'blob'; key: string; bytes: number; body: Buffer })[] }> {
  const opened = await openArchive(Readable.from([bytes]), key);
  const items: (ArchiveItem | { kind: 'blob'; key: string; bytes: number; body: Buffer })[] = [];
  for await (const item of opened.items) {
    if (item.kind === 'blob') {
      const parts: Buffer[] = [];
      for await (const p of item.data) parts.push(p);
      items.push({ kind: 'blob', key: item.key, bytes: item.bytes, body: Buffer.concat(parts), ...(item.contentType === undefined ? {} : { contentType: item.contentType }) });
    } else {
      items.push(item);
    }
  }
  return { manifest: opened.manifest, items };
}

async function refused(bytes: Buffer, key: ArchiveKey, code: BackupErrorCode): Promise<void> {
  await assert.rejects(readAll(bytes, key), (err: unknown) => {
    assert.ok(isBackupError(err), `a BackupError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

const blob = (key: string, body: Buffer, contentType?: string): WriterEntry => ({ kind: 'blob', key, bytes: body.length, contentType, data: Readable.from([body.subarray(0, 7), body.subarray(7)]) });

test('round trip with an identity: manifest, records, blobs (byte-exact), missing blobs, totals', async () => {
  const { file, recipient } = await generateIdentityFile(new Date('2026-01-01T00:00:00Z'));
  assert.match(file, /^# created: 2026-01-01T00:00:00.000Z\n# public key: age1[a-z0-9]{58}\nAGE-SECRET-KEY-1[A-Z0-9]+\n$/u);
  const big = randomBytes(300_000);
  const entries: WriterEntry[] = [
    { kind: 'record', record: { type: 'user', id: 'u1', name: 'Ada\nLovelace', nested: { x: [1, null] } } },
    { kind: 'record', record: { type: 'setting', key: 'k', value: '\u2028' } },
    blob('datasets/p/a.arrow', Buffer.from('tiny\nwith newline\n'), 'application/vnd.apache.arrow.stream'),
    blob('datasets/p/b.arrow', big),
    blob('datasets/p/empty.arrow', Buffer.alloc(0)),
    { kind: 'missing', key: 'datasets/p/lost.arrow' },
  ];
  // Encrypted to the public key alone; opened with the identity.
  const bytes = await archive(recipientKey(recipient), entries, true);
  assert.ok(bytes.subarray(0, 22).equals(Buffer.from('age-encryption.org/v1\n')));
  assert.equal(bytes.includes(Buffer.from('Lovelace')), false, 'nothing in clear');
  const { manifest, items } = await readAll(bytes, identityKey(file));
  // (typed loosely: blobs carry their body here)
  assert.deepEqual(
    { ...(manifest as object), archiveId: 'x' },
    { plotbox: 'backup', format: 1, archiveId: 'x', createdAt: '2026-01-01T00:00:00.000Z', source: { store: 'sqlite', blobs: 'dir' }, sessions: true },
  );
  assert.deepEqual(items, [
    { kind: 'record', record: { type: 'user', id: 'u1', name: 'Ada\nLovelace', nested: { x: [1, null] } } },
    { kind: 'record', record: { type: 'setting', key: 'k', value: '\u2028' } },
    { kind: 'blob', key: 'datasets/p/a.arrow', bytes: 18, body: Buffer.from('tiny\nwith newline\n'), contentType: 'application/vnd.apache.arrow.stream' },
    { kind: 'blob', key: 'datasets/p/b.arrow', bytes: big.length, body: big },
    { kind: 'blob', key: 'datasets/p/empty.arrow', bytes: 0, body: Buffer.alloc(0) },
    { kind: 'missing', key: 'datasets/p/lost.arrow' },
    { kind: 'end', totals: { records: 2, blobs: 3, blobBytes: big.length + 18, missing: 1 } },
  ]);
});

test('a blob left unread is skipped and still checked; the next item is right', async () => {
  const key = passphraseKey('correct horse battery staple\n');
  const bytes = await archive(key, [blob('a', randomBytes(200_000)), { kind: 'record', record: { after: true } }]);
  const opened = await openArchive(Readable.from([bytes]), key);
  const kinds: string[] = [];
  for await (const item of opened.items) {
    kinds.push(item.kind);
    if (item.kind === 'blob') {
      for await (const p of item.data) {
        assert.ok(p.length > 0);
        break; // read one piece, abandon the rest
      }
    }
    if (item.kind === 'record') assert.deepEqual(item.record, { after: true });
  }
  assert.deepEqual(kinds, ['blob', 'record', 'end']);
});

test('the wrong passphrase or identity, another kind of key, a foreign file: typed refusals', async () => {
  const key = passphraseKey('correct horse battery staple');
  const bytes = await archive(key, [{ kind: 'record', record: { a: 1 } }]);
  await refused(bytes, passphraseKey('incorrect horse battery staple'), 'BACKUP_WRONG_KEY');
  const other = await generateIdentityFile(new Date());
  await refused(bytes, identityKey(other.file), 'BACKUP_WRONG_KEY');
  const forIdentity = await archive(recipientKey(other.recipient), [{ kind: 'record', record: { a: 1 } }]);
  await refused(forIdentity, key, 'BACKUP_WRONG_KEY');
  await refused(Buffer.from('PK\u0003\u0004 a zip file, say'), key, 'BACKUP_FOREIGN');
  await refused(Buffer.alloc(0), key, 'BACKUP_FOREIGN');
  await refused(Buffer.from('SQLite format 3\u0000'), key, 'BACKUP_FOREIGN');
  // age files that are not Plotbox backups: not gzip, gzip of something else, a newer format.
  const ageOf = async (plain: Buffer): Promise<Buffer> => {
    const e = new Encrypter();
    e.setScryptWorkFactor(10);
    e.setPassphrase('correct horse battery staple');
    return Buffer.from(await e.encrypt(plain));
  };
  await refused(await ageOf(Buffer.from('hello')), key, 'BACKUP_FOREIGN');
  await refused(await ageOf(gzipSync('{"hello":"world"}\n')), key, 'BACKUP_FOREIGN');
  await refused(await ageOf(gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x61))), key, 'BACKUP_FOREIGN');
  await refused(await ageOf(gzipSync('{"plotbox":"backup","format":2,"archiveId":"x","createdAt":"now","source":{"store":"s","blobs":"b"},"sessions":false}\n')), key, 'BACKUP_UNSUPPORTED');
  assert.throws(
    () => passphraseKey('short\n'),
    (e: unknown) => isBackupError(e, 'BACKUP_KEY_INVALID'),
  );
  assert.throws(
    () => identityKey('# nothing here\n'),
    (e: unknown) => isBackupError(e, 'BACKUP_KEY_INVALID'),
  );
  assert.throws(
    () => recipientKey('age1short'),
    (e: unknown) => isBackupError(e, 'BACKUP_KEY_INVALID'),
  );
  await assert.rejects(openArchive(Readable.from([bytes]), recipientKey(other.recipient)), (e: unknown) => isBackupError(e, 'BACKUP_KEY_INVALID'));
});

test('damage anywhere is refused: a flipped bit, a cut (inside a chunk, at a chunk boundary, at the header), bytes appended or reordered', async () => {
  const key = passphraseKey('correct horse battery staple');
  // Incompressible data, so the archive spans several 64 KiB age chunks.
  const bytes = await archive(key, [{ kind: 'record', record: { a: 1 } }, blob('x', randomBytes(300_000)), { kind: 'record', record: { b: 2 } }]);
  const headerEnd = bytes.indexOf('\n---') + 1 + bytes.subarray(bytes.indexOf('\n---') + 1).indexOf('\n') + 1;
  const payload = headerEnd + 16; // the payload nonce
  const chunk = 64 * 1024 + 16;
  assert.ok(bytes.length > payload + 3 * chunk);
  const flip = (at: number): Buffer => {
    const b = Buffer.from(bytes);
    b[at] = (b[at] ?? 0) ^ 0x01;
    return b;
  };
  for (const at of [payload + 5, payload + chunk + 100, bytes.length - 1, headerEnd - 5]) await refused(flip(at), key, 'BACKUP_DAMAGED');
  // A changed key slot (the scrypt stanza) cannot be told from a wrong passphrase: it is refused as one.
  await refused(flip(30), key, 'BACKUP_WRONG_KEY');
  for (const cut of [bytes.length - 1, payload + 2 * chunk, payload + chunk + 17, headerEnd + 3, headerEnd - 10]) await refused(bytes.subarray(0, cut), key, 'BACKUP_DAMAGED');
  await refused(Buffer.concat([bytes, Buffer.from('more')]), key, 'BACKUP_DAMAGED');
  const swapped = Buffer.concat([bytes.subarray(0, payload), bytes.subarray(payload + chunk, payload + 2 * chunk), bytes.subarray(payload, payload + chunk), bytes.subarray(payload + 2 * chunk)]);
  await refused(swapped, key, 'BACKUP_DAMAGED');
  // The untouched archive still reads.
  assert.equal((await readAll(bytes, key)).items.length, 4);
});

test('a writer refuses a blob whose data does not match its size, and never ends the archive', async () => {
  const key = passphraseKey('correct horse battery staple');
  await assert.rejects(archive(key, [{ kind: 'blob', key: 'k', bytes: 10, data: Readable.from([Buffer.alloc(5)]) }]), /shorter/u);
  await assert.rejects(archive(key, [{ kind: 'blob', key: 'k', bytes: 2, data: Readable.from([Buffer.alloc(5)]) }]), /longer/u);
  const hash = createHash('sha256').update('x').digest('hex');
  assert.equal(hash.length, 64);
});
