/**
 * What the unit tests of running code build on: the use cases' dependencies with a real SQLite
 * store and blob directory in a temporary directory (removed in `t.after`), a fake sandbox, real
 * metrics and a captured log, and a helper that stores a dataset version the way uploads do.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { createDirBlobStore, type BlobStore } from '@plotbox/blobs';
import { buildDataset, generateSales } from '@plotbox/datasets';
import type { Dataset, DatasetVersion, Project, Store } from '@plotbox/store';
import { createSqliteStore } from '@plotbox/store-sqlite';
import { createLogger } from '../logger.ts';
import { createApiMetrics, type ApiMetrics } from '../metrics.ts';
import { createSandboxInfoSource } from '../sandbox-info.ts';
import type { PreviewCodeDeps } from '../use-cases/preview-code.ts';
import type { RenderChartDeps } from '../use-cases/render-chart.ts';
import { createFakeSandbox, type FakeSandbox, type FakeSandboxOptions } from './fake-sandbox.ts';

export interface RunHarness {
  readonly deps: RenderChartDeps & PreviewCodeDeps;
  /** The store itself (the deps may hold a wrapped one). */
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly sandbox: FakeSandbox;
  readonly metrics: ApiMetrics;
  /** Every log line so far, parsed. */
  logs(): { readonly msg?: string; readonly [key: string]: unknown }[];
  /** Move the clock (the sandbox info's memo is timed by it). */
  advance(ms: number): void;
  /** A project with a dataset of `rows` generated sales rows as its current version. */
  addDataset(rows?: number): Promise<{ project: Project; dataset: Dataset; version: DatasetVersion }>;
}

export async function createRunHarness(t: TestContext, options: { readonly sandbox?: FakeSandboxOptions; readonly wrapStore?: (store: Store) => Store } = {}): Promise<RunHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-run-'));
  let at = Date.parse('2026-04-01T09:00:00Z');
  const now = (): Date => new Date(at);
  const store = createSqliteStore({ path: join(dir, 'db'), now, newId: randomUUID });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const blobs = createDirBlobStore({ dir: join(dir, 'blobs') });
  const lines: string[] = [];
  const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, cb) => void (lines.push(chunk.toString('utf8')), cb()) }));
  const sandbox = createFakeSandbox(options.sandbox);
  const metrics = createApiMetrics();
  const deps = {
    store: options.wrapStore === undefined ? store : options.wrapStore(store),
    blobs,
    sandbox,
    sandboxInfo: createSandboxInfoSource({ sandbox, store, logger, now }),
    metrics,
    logger,
    config: { maxUploadBytes: 64 * 1024 * 1024 },
  };
  const owner = await store.users.create({ email: `owner-${randomUUID().slice(0, 8)}@example.com`, displayName: 'Owner', passwordHash: 'x', systemRole: 'user' });
  let seed = 0;
  return {
    deps,
    store,
    blobs,
    sandbox,
    metrics,
    logs: () => lines.map((l) => JSON.parse(l) as { msg?: string }),
    advance: (ms) => void (at += ms),
    async addDataset(rows = 50) {
      seed += 1;
      const project = await store.projects.create({ name: `P${seed}`, createdBy: owner.id });
      const built = buildDataset(generateSales(rows, seed));
      const blobKey = `datasets/${project.id}/${built.dataset.sha256.slice(0, 16)}-${randomUUID()}.arrow`;
      await blobs.put(blobKey, built.bytes);
      const { dataset, version } = await store.datasets.createWithVersion({
        projectId: project.id,
        name: `sales-${seed}`,
        version: { sha256: built.dataset.sha256, blobKey, bytes: built.bytes.byteLength, rowCount: built.dataset.rowCount, schema: [], profile: [], createdBy: owner.id },
      });
      return { project, dataset, version };
    },
  };
}
