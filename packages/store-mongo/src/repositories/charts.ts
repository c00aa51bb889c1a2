/** The charts repository on MongoDB: `charts` (with their dashboard's `projectId`). */
import { CHART_INPUTS, assembleRepository, byCreatedAt, notFound, parseJson, versionMismatch } from '@plotbox/store';
import type { Chart, ChartRepository } from '@plotbox/store';
import type { ChartDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { findOne, paged, versionedUpdate } from '../queries.ts';

/** A chart document as the domain record (also what a backup dumps, with times as epoch ms). */
export function toChart(d: ChartDoc): Chart {
  return {
    id: d._id,
    projectId: d.projectId,
    dashboardId: d.dashboardId,
    title: d.title,
    code: d.code,
    lang: d.lang,
    runtime: d.runtime ?? 'arquero',
    datasetId: d.datasetId,
    diagnostics: parseJson(d.diagnostics),
    codeHash: d.codeHash,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    version: d.version,
  };
}

export function createChartsRepository(h: MongoHandle): ChartRepository {
  const charts = h.c.charts;
  /** A chart may only use a dataset of its own project. @throws `STORE_NOT_FOUND` `dataset`. */
  const assertDatasetInProject = async (datasetId: string, projectId: string): Promise<void> => {
    if ((await h.c.datasets.countDocuments({ _id: datasetId, projectId }, { limit: 1 })) !== 1) throw notFound('dataset');
  };

  return assembleRepository(CHART_INPUTS, h.op, {
    create: async (c) => {
      const dash = await h.c.dashboards.findOne({ _id: c.dashboardId }, { projection: { projectId: 1 } });
      if (dash === null) throw notFound('dashboard');
      if (c.datasetId !== null) await assertDatasetInProject(c.datasetId, dash.projectId);
      const t = h.now();
      const doc: ChartDoc = {
        _id: h.newId(),
        projectId: dash.projectId,
        dashboardId: c.dashboardId,
        title: c.title,
        code: c.code,
        lang: c.lang,
        runtime: c.runtime,
        datasetId: c.datasetId,
        diagnostics: c.diagnostics,
        codeHash: c.codeHash,
        createdAt: t,
        updatedAt: t,
        version: 1,
      };
      await charts.insertOne(doc);
      return toChart(doc);
    },
    findById: (id) => findOne(charts, { _id: id }, toChart),
    listByDashboard: ({ dashboardId, page }) => paged(charts, { filter: { dashboardId }, timeField: 'createdAt', map: toChart, position: byCreatedAt }, page),
    update: async ({ id, expectedVersion, patch }) => {
      const cur = await charts.findOne({ _id: id }, { projection: { projectId: 1, version: 1 } });
      if (cur === null) throw notFound('chart');
      if (cur.version !== expectedVersion) throw versionMismatch('chart');
      if (patch.datasetId !== undefined && patch.datasetId !== null) await assertDatasetInProject(patch.datasetId, cur.projectId);
      return toChart(await versionedUpdate(h, charts, { entity: 'chart', id, expectedVersion, set: { ...patch } }));
    },
    delete: async (id) => (await charts.deleteOne({ _id: id })).deletedCount === 1,
  });
}
