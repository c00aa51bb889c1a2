/** Input checks of the charts repository. */
import { CHART_LANGS, CHART_RUNTIMES } from '../ports.ts';
import type { ChartLang, ChartRepository, ChartRuntime } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertId, assertKnownKeys, assertObject, assertOneOf, assertString, serializeJson } from '../validate.ts';
import { FIELD_LIMITS, checkId, checkUpdate } from './common.ts';

export function checkNewChart(input: unknown) {
  const v = assertObject(input, 'chart');
  assertKnownKeys(v, 'chart', ['dashboardId', 'title', 'code', 'lang', 'runtime', 'datasetId', 'diagnostics', 'codeHash']);
  return {
    dashboardId: assertId(v.dashboardId, 'dashboardId'),
    title: assertString(v.title, 'title', FIELD_LIMITS.name),
    code: assertString(v.code, 'code', FIELD_LIMITS.code),
    lang: assertOneOf<ChartLang>(v.lang, 'lang', CHART_LANGS),
    runtime: v.runtime === undefined ? ('arquero' as const) : assertOneOf<ChartRuntime>(v.runtime, 'runtime', CHART_RUNTIMES),
    datasetId: v.datasetId === undefined || v.datasetId === null ? null : assertId(v.datasetId, 'datasetId'),
    diagnostics: serializeJson(v.diagnostics === undefined ? [] : v.diagnostics, 'diagnostics', FIELD_LIMITS.diagnosticsBytes),
    codeHash: assertString(v.codeHash, 'codeHash', FIELD_LIMITS.hash, 1),
  };
}

export interface CheckedChartPatch {
  title?: string;
  code?: string;
  lang?: ChartLang;
  runtime?: ChartRuntime;
  datasetId?: string | null;
  diagnostics?: string;
  codeHash?: string;
}

export function checkChartPatch(patch: unknown): CheckedChartPatch {
  const v = assertObject(patch, 'patch');
  assertKnownKeys(v, 'patch', ['title', 'code', 'lang', 'runtime', 'datasetId', 'diagnostics', 'codeHash']);
  const out: CheckedChartPatch = {};
  if (v.title !== undefined) out.title = assertString(v.title, 'title', FIELD_LIMITS.name);
  if (v.code !== undefined) out.code = assertString(v.code, 'code', FIELD_LIMITS.code);
  if (v.lang !== undefined) out.lang = assertOneOf<ChartLang>(v.lang, 'lang', CHART_LANGS);
  if (v.runtime !== undefined) out.runtime = assertOneOf<ChartRuntime>(v.runtime, 'runtime', CHART_RUNTIMES);
  if (v.datasetId !== undefined) out.datasetId = v.datasetId === null ? null : assertId(v.datasetId, 'datasetId');
  if (v.diagnostics !== undefined) out.diagnostics = serializeJson(v.diagnostics, 'diagnostics', FIELD_LIMITS.diagnosticsBytes);
  if (v.codeHash !== undefined) out.codeHash = assertString(v.codeHash, 'codeHash', FIELD_LIMITS.hash, 1);
  return out;
}

/** The input check of every {@link ChartRepository} operation; diagnostics serialized. */
export const CHART_INPUTS = {
  create: (input: unknown) => checkNewChart(input),
  findById: (id: unknown) => checkId(id),
  listByDashboard: (dashboardId: unknown, page: unknown) => ({ dashboardId: assertId(dashboardId, 'dashboardId'), page: checkPage(page, 'charts') }),
  update: (id: unknown, expectedVersion: unknown, patch: unknown) => checkUpdate(id, expectedVersion, patch, checkChartPatch),
  delete: (id: unknown) => checkId(id),
} satisfies InputChecks<ChartRepository>;
