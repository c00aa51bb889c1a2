/** Charts. */
import type { JsonValue, Page, PageRequest } from './common.ts';

export const CHART_LANGS = ['js', 'ts'] as const;
export type ChartLang = (typeof CHART_LANGS)[number];

/**
 * The Code Mode runtimes a chart may run on (the sandbox's `RUNTIMES`; the API checks the two
 * lists agree). `arquero` is the default, and what every chart made before the field existed has.
 */
export const CHART_RUNTIMES = ['arquero', 'danfo'] as const;
export type ChartRuntime = (typeof CHART_RUNTIMES)[number];

/** A chart. Titles are not unique (several "Untitled" charts are normal); the id is the identity. */
export interface Chart {
  readonly id: string;
  /** Always the dashboard's project. */
  readonly projectId: string;
  readonly dashboardId: string;
  readonly title: string;
  readonly code: string;
  readonly lang: ChartLang;
  readonly runtime: ChartRuntime;
  /** A dataset of the same project, or `null` (also after that dataset is deleted). */
  readonly datasetId: string | null;
  readonly diagnostics: JsonValue;
  readonly codeHash: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface NewChart {
  readonly dashboardId: string;
  readonly title: string;
  readonly code: string;
  readonly lang: ChartLang;
  /** Default `arquero`. */
  readonly runtime?: ChartRuntime;
  readonly datasetId?: string | null;
  readonly diagnostics?: JsonValue;
  readonly codeHash: string;
}

export interface ChartPatch {
  readonly title?: string;
  readonly code?: string;
  readonly lang?: ChartLang;
  readonly runtime?: ChartRuntime;
  readonly datasetId?: string | null;
  readonly diagnostics?: JsonValue;
  readonly codeHash?: string;
}

export interface ChartRepository {
  /**
   * @throws `STORE_NOT_FOUND` `dashboard`, or `dataset` when `datasetId` is not a dataset of the
   *   dashboard's project (a chart can never point at another project's data).
   */
  create(input: NewChart): Promise<Chart>;
  findById(id: string): Promise<Chart | null>;
  listByDashboard(dashboardId: string, page: PageRequest): Promise<Page<Chart>>;
  /** @throws `STORE_NOT_FOUND` (`chart` or `dataset`), `STORE_VERSION_MISMATCH`. */
  update(id: string, expectedVersion: number, patch: ChartPatch): Promise<Chart>;
  delete(id: string): Promise<boolean>;
}
