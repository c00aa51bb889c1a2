/** The datasets repository on MongoDB: `datasets` and `dataset_versions` (with their `projectId`). */
import { DATASET_INPUTS, assembleRepository, byCreatedAt, isStoreError, notFound, parseJson } from '@plotbox/store';
import type { Dataset, DatasetRepository, DatasetVersion } from '@plotbox/store';
import type { DatasetDoc, DatasetVersionDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { COLLECTIONS } from '../indexes.ts';
import { existsIn, findOne, paged, versionedUpdate } from '../queries.ts';

export function toDataset(d: DatasetDoc): Dataset {
  return { id: d._id, projectId: d.projectId, name: d.name, currentVersionId: d.currentVersionId, createdAt: d.createdAt, updatedAt: d.updatedAt, version: d.version };
}

export function toVersion(d: DatasetVersionDoc): DatasetVersion {
  return {
    id: d._id,
    datasetId: d.datasetId,
    sha256: d.sha256,
    blobKey: d.blobKey,
    bytes: d.bytes,
    rowCount: d.rowCount,
    schema: parseJson(d.schema),
    profile: parseJson(d.profile),
    createdAt: d.createdAt,
    createdBy: d.createdBy,
  };
}

type CheckedVersion = ReturnType<typeof DATASET_INPUTS.addVersion>['version'];

export function createDatasetsRepository(h: MongoHandle): DatasetRepository {
  const { datasets, datasetVersions: versions } = h.c;
  const versionDoc = (datasetId: string, projectId: string, v: CheckedVersion, t: Date): DatasetVersionDoc => ({ _id: h.newId(), datasetId, projectId, ...v, createdAt: t });
  const clearFromCharts = (datasetId: string) => h.c.charts.updateMany({ datasetId }, { $set: { datasetId: null } });

  return assembleRepository(DATASET_INPUTS, h.op, {
    create: async (c) => {
      if (!(await existsIn(h.c.projects, c.projectId))) throw notFound('project');
      const t = h.now();
      const doc: DatasetDoc = { _id: h.newId(), projectId: c.projectId, name: c.name, currentVersionId: null, createdAt: t, updatedAt: t, version: 1 };
      await datasets.insertOne(doc);
      return toDataset(doc);
    },
    findById: (id) => findOne(datasets, { _id: id }, toDataset),
    findByName: ({ projectId, name }) => findOne(datasets, { projectId, name }, toDataset),
    listByProject: ({ projectId, page }) => paged(datasets, { filter: { projectId }, timeField: 'createdAt', map: toDataset, position: byCreatedAt }, page),
    rename: async ({ id, expectedVersion, name }) => toDataset(await versionedUpdate(h, datasets, { entity: 'dataset', id, expectedVersion, set: { name } })),
    createWithVersion: async (c) => {
      if (!(await existsIn(h.c.projects, c.projectId))) throw notFound('project');
      const t = h.now();
      const did = h.newId();
      const vdoc = versionDoc(did, c.projectId, c.version, t);
      // No multi-document transaction (it needs a replica set): the version first, invisible
      // while its dataset does not exist, then the dataset already pointing at it. A crash in
      // between leaves only an orphan version, which removeIncomplete deletes; never a name
      // taken by a dataset without data.
      await versions.insertOne(vdoc);
      const doc: DatasetDoc = { _id: did, projectId: c.projectId, name: c.name, currentVersionId: vdoc._id, createdAt: t, updatedAt: t, version: 1 };
      try {
        await datasets.insertOne(doc);
      } catch (error) {
        await versions.deleteOne({ _id: vdoc._id }).catch(() => undefined);
        throw error;
      }
      return { dataset: toDataset(doc), version: toVersion(vdoc) };
    },
    versionBlobKeys: async (projectId) => (await versions.find({ projectId }, { projection: { blobKey: 1 } }).toArray()).map((d) => d.blobKey),
    removeIncomplete: async (olderThan) => {
      const cutoff = new Date(olderThan);
      const orphans = await versions
        .aggregate<{ _id: string; blobKey: string }>([
          { $match: { createdAt: { $lt: cutoff } } },
          { $lookup: { from: COLLECTIONS.datasets, localField: 'datasetId', foreignField: '_id', as: 'dataset' } },
          { $match: { dataset: { $size: 0 } } },
          { $project: { _id: 1, blobKey: 1 } },
        ])
        .toArray();
      if (orphans.length > 0) await versions.deleteMany({ _id: { $in: orphans.map((o) => o._id) } });
      let datasetsRemoved = 0;
      const empty = await datasets.find({ currentVersionId: null, createdAt: { $lt: cutoff } }, { projection: { _id: 1 } }).toArray();
      for (const d of empty) {
        if ((await versions.countDocuments({ datasetId: d._id }, { limit: 1 })) > 0) continue;
        // Only while it still has no current version: an addVersion racing this one wins.
        if ((await datasets.deleteOne({ _id: d._id, currentVersionId: null })).deletedCount === 1) {
          datasetsRemoved++;
          await clearFromCharts(d._id);
        }
      }
      return { datasets: datasetsRemoved, versions: orphans.length, blobKeys: orphans.map((o) => o.blobKey) };
    },
    addVersion: async ({ datasetId, version }) => {
      const ds = await datasets.findOne({ _id: datasetId }, { projection: { projectId: 1 } });
      if (ds === null) throw notFound('dataset');
      const t = h.now();
      const doc = versionDoc(datasetId, ds.projectId, version, t);
      // The version row first, then one atomic switch of the dataset to it: readers see either
      // the old current version or the new one, never a current id without its row.
      await versions.insertOne(doc);
      try {
        const updated = await versionedUpdate(h, datasets, { entity: 'dataset', id: datasetId, expectedVersion: null, set: { currentVersionId: doc._id }, at: t });
        return { dataset: toDataset(updated), version: toVersion(doc) };
      } catch (error) {
        // The dataset went away meanwhile: its new version must not stay behind.
        if (isStoreError(error, 'STORE_NOT_FOUND')) await versions.deleteOne({ _id: doc._id });
        throw error;
      }
    },
    findVersion: (id) => findOne(versions, { _id: id }, toVersion),
    setCurrentVersion: async ({ datasetId, versionId, expectedVersion }) => {
      if (!(await existsIn(datasets, datasetId))) throw notFound('dataset');
      if ((await versions.findOne({ _id: versionId, datasetId }, { projection: { _id: 1 } })) === null) throw notFound('dataset_version');
      return toDataset(await versionedUpdate(h, datasets, { entity: 'dataset', id: datasetId, expectedVersion, set: { currentVersionId: versionId } }));
    },
    listVersions: ({ datasetId, page }) => paged(versions, { filter: { datasetId }, timeField: 'createdAt', map: toVersion, position: byCreatedAt }, page),
    delete: async (id) => {
      const deleted = await datasets.findOneAndDelete({ _id: id }, { projection: { _id: 1 } });
      if (deleted === null) return null;
      const found = await versions
        .find({ datasetId: id }, { projection: { blobKey: 1 } })
        .sort({ createdAt: 1, _id: 1 })
        .toArray();
      await versions.deleteMany({ datasetId: id });
      await clearFromCharts(id);
      return { blobKeys: found.map((v) => v.blobKey) };
    },
  });
}
