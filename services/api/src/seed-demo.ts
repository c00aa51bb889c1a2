/**
 * The demo content `npm start` puts into a fresh data directory: a project with the sales dataset
 * and a dashboard of the eight example charts, so the first admin has something real to open.
 * Owned by a disabled demo user nobody can sign in as (a project always has a direct owner); a
 * system admin acts as owner of it like of every project.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { PasswordHasher } from '@plotbox/auth';
import type { BlobStore } from '@plotbox/blobs';
import { buildDataset, generateSales, SALES_SEED } from '@plotbox/datasets';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime/examples';
import type { Store } from '@plotbox/store';
import { profileOf, schemaOf } from './dataset-shape.ts';
import { reviewCode } from './use-cases/code-review.ts';

export const DEMO_OWNER_EMAIL = 'demo-owner@plotbox.invalid';
export const DEMO_PROJECT_NAME = 'Demo: sales';

export interface SeededDemo {
  readonly projectId: string;
  readonly dashboardId: string;
  readonly datasetId: string;
  readonly charts: number;
}

/**
 * Seed the demo into a fresh store (no project, no demo owner yet; an admin bootstrapped from the
 * environment does not count); otherwise do nothing and return `null`, so a restart never adds a
 * second copy and a deleted demo stays deleted.
 */
export async function seedDemo(deps: { readonly store: Store; readonly blobs: BlobStore; readonly hasher: PasswordHasher }, options: { readonly rows?: number } = {}): Promise<SeededDemo | null> {
  const { store, blobs, hasher } = deps;
  if ((await store.users.findByEmail(DEMO_OWNER_EMAIL)) !== null || (await store.projects.list({ limit: 1 })).items.length > 0) return null;
  const owner = await store.users.create({
    email: DEMO_OWNER_EMAIL,
    displayName: 'Plotbox demo',
    // A random secret nobody is told, and the account is disabled anyway.
    passwordHash: await hasher.hash(randomBytes(32).toString('base64url')),
    systemRole: 'user',
    disabled: true,
  });
  const project = await store.projects.create({ name: DEMO_PROJECT_NAME, description: 'Sample sales data and the eight example Code Mode charts.', createdBy: owner.id });
  const built = buildDataset(generateSales(options.rows ?? 20_000, SALES_SEED));
  const { sha256, rowCount, columns } = built.dataset;
  // As uploads do: the blob first, then the dataset together with its version.
  const blobKey = `datasets/${project.id}/${sha256.slice(0, 16)}-${randomUUID()}.arrow`;
  await blobs.put(blobKey, built.bytes, { expectedSha256: sha256, contentType: 'application/vnd.apache.arrow.stream' });
  const { dataset } = await store.datasets.createWithVersion({
    projectId: project.id,
    name: 'sales',
    version: { sha256, blobKey, bytes: built.bytes.byteLength, rowCount, schema: schemaOf(columns), profile: profileOf(columns, rowCount), createdBy: owner.id },
  });
  const dashboard = await store.dashboards.create({ projectId: project.id, name: 'Sales overview' });
  const ids: string[] = [];
  for (const example of EXAMPLE_CHARTS) {
    const review = reviewCode(example.code, 'js');
    const chart = await store.charts.create({
      dashboardId: dashboard.id,
      title: example.title,
      code: example.code,
      lang: 'js',
      datasetId: dataset.id,
      diagnostics: review.diagnostics,
      codeHash: review.codeHash,
    });
    ids.push(chart.id);
  }
  await store.dashboards.update(dashboard.id, dashboard.version, { layout: ids });
  await store.audit.append({
    actor: { kind: 'system', userId: null },
    ip: null,
    action: 'demo_seed',
    target: { type: 'project', id: project.id },
    outcome: 'success',
    requestId: null,
    details: { charts: ids.length, rows: rowCount },
  });
  return { projectId: project.id, dashboardId: dashboard.id, datasetId: dataset.id, charts: ids.length };
}
