/** The charts repository on SQLite: `charts`. */
import { CHART_INPUTS, assembleRepository, byCreatedAt, notFound, parseJson, versionMismatch } from '@plotbox/store';
import type { Chart, ChartLang, ChartRepository, ChartRuntime } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { paged, versionedUpdate } from '../queries.ts';
import { date, num, optStr, str } from '../rows.ts';
import type { Row } from '../rows.ts';

/** A chart row as the domain record (also what a backup dumps, with times as epoch ms). */
export function toChart(r: Row): Chart {
  return {
    id: str(r, 'id'),
    projectId: str(r, 'project_id'),
    dashboardId: str(r, 'dashboard_id'),
    title: str(r, 'title'),
    code: str(r, 'code'),
    lang: str(r, 'lang') as ChartLang,
    runtime: str(r, 'runtime') as ChartRuntime,
    datasetId: optStr(r, 'dataset_id'),
    diagnostics: parseJson(str(r, 'diagnostics')),
    codeHash: str(r, 'code_hash'),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
  };
}

export function createChartsRepository(h: SqliteHandle): ChartRepository {
  const getChart = (id: string): Chart | null => h.find(toChart, 'SELECT * FROM charts WHERE id = ?', id);
  /** A chart may only use a dataset of its own project. @throws `STORE_NOT_FOUND` `dataset`. */
  const assertDatasetInProject = (datasetId: string, projectId: string): void => {
    if (h.one('SELECT 1 AS x FROM datasets WHERE id = ? AND project_id = ?', datasetId, projectId) === undefined) throw notFound('dataset');
  };

  return assembleRepository(CHART_INPUTS, h.op, {
    create: (c) =>
      h.tx(() => {
        const d = h.one('SELECT project_id FROM dashboards WHERE id = ?', c.dashboardId);
        if (d === undefined) throw notFound('dashboard');
        const projectId = str(d, 'project_id');
        if (c.datasetId !== null) assertDatasetInProject(c.datasetId, projectId);
        const id = h.newId();
        const t = h.nowMs();
        h.run(
          `INSERT INTO charts (id, project_id, dashboard_id, title, code, lang, runtime, dataset_id, diagnostics, code_hash, created_at, updated_at, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
          id,
          projectId,
          c.dashboardId,
          c.title,
          c.code,
          c.lang,
          c.runtime,
          c.datasetId,
          c.diagnostics,
          c.codeHash,
          t,
          t,
        );
        return getChart(id) as Chart;
      }),
    findById: (id) => getChart(id),
    listByDashboard: ({ dashboardId, page }) =>
      paged(h, { base: 'SELECT * FROM charts WHERE dashboard_id = ?', params: [dashboardId], timeColumn: 'created_at', map: toChart, position: byCreatedAt }, page),
    update: ({ id, expectedVersion, patch: c }) =>
      h.tx(() => {
        const cur = h.one('SELECT project_id, version FROM charts WHERE id = ?', id);
        if (cur === undefined) throw notFound('chart');
        if (num(cur, 'version') !== expectedVersion) throw versionMismatch('chart');
        if (c.datasetId !== undefined && c.datasetId !== null) assertDatasetInProject(c.datasetId, str(cur, 'project_id'));
        const set = { title: c.title, code: c.code, lang: c.lang, runtime: c.runtime, dataset_id: c.datasetId, diagnostics: c.diagnostics, code_hash: c.codeHash };
        return toChart(versionedUpdate(h, { table: 'charts', entity: 'chart', id, expectedVersion, set }));
      }),
    delete: (id) => h.run('DELETE FROM charts WHERE id = ?', id) === 1,
  });
}
