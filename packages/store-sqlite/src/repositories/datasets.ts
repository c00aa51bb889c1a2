/** The datasets repository on SQLite: `datasets` and `dataset_versions`. */
import { DATASET_INPUTS, assembleRepository, byCreatedAt, notFound, parseJson } from '@plotbox/store';
import type { Dataset, DatasetRepository, DatasetVersion } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { exists, insertUnder, paged, versionedUpdate } from '../queries.ts';
import { date, num, optStr, str } from '../rows.ts';
import type { Row } from '../rows.ts';

export function toDataset(r: Row): Dataset {
  return {
    id: str(r, 'id'),
    projectId: str(r, 'project_id'),
    name: str(r, 'name'),
    currentVersionId: optStr(r, 'current_version_id'),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
  };
}

export function toVersion(r: Row): DatasetVersion {
  return {
    id: str(r, 'id'),
    datasetId: str(r, 'dataset_id'),
    sha256: str(r, 'sha256'),
    blobKey: str(r, 'blob_key'),
    bytes: num(r, 'bytes'),
    rowCount: num(r, 'row_count'),
    schema: parseJson(str(r, 'schema_json')),
    profile: parseJson(str(r, 'profile_json')),
    createdAt: date(r, 'created_at'),
    createdBy: str(r, 'created_by'),
  };
}

type CheckedVersion = ReturnType<typeof DATASET_INPUTS.addVersion>['version'];

export function createDatasetsRepository(h: SqliteHandle): DatasetRepository {
  const getDataset = (id: string): Dataset | null => h.find(toDataset, 'SELECT * FROM datasets WHERE id = ?', id);
  const getVersion = (id: string): DatasetVersion | null => h.find(toVersion, 'SELECT * FROM dataset_versions WHERE id = ?', id);
  const insertVersion = (datasetId: string, v: CheckedVersion, t: number): string => {
    const id = h.newId();
    h.run(
      `INSERT INTO dataset_versions (id, dataset_id, sha256, blob_key, bytes, row_count, schema_json, profile_json, created_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      datasetId,
      v.sha256,
      v.blobKey,
      v.bytes,
      v.rowCount,
      v.schema,
      v.profile,
      t,
      v.createdBy,
    );
    return id;
  };
  /** A new dataset without a version; returns its id and creation time. */
  const insertDataset = (projectId: string, name: string): { readonly id: string; readonly t: number } =>
    insertUnder(h, { table: 'projects', id: projectId, entity: 'project' }, (id, t) =>
      h.run('INSERT INTO datasets (id, project_id, name, current_version_id, created_at, updated_at, version) VALUES (?, ?, ?, NULL, ?, ?, 1)', id, projectId, name, t, t),
    );
  const blobKeys = (sql: string, id: string): string[] => h.all(sql, id).map((r) => str(r, 'blob_key'));

  return assembleRepository(DATASET_INPUTS, h.op, {
    create: (c) => getDataset(insertDataset(c.projectId, c.name).id) as Dataset,
    findById: (id) => getDataset(id),
    findByName: ({ projectId, name }) => h.find(toDataset, 'SELECT * FROM datasets WHERE project_id = ? AND name = ?', projectId, name),
    listByProject: ({ projectId, page }) =>
      paged(h, { base: 'SELECT * FROM datasets WHERE project_id = ?', params: [projectId], timeColumn: 'created_at', map: toDataset, position: byCreatedAt }, page),
    rename: ({ id, expectedVersion, name }) => toDataset(versionedUpdate(h, { table: 'datasets', entity: 'dataset', id, expectedVersion, set: { name } })),
    // One transaction: the name is never taken by a dataset without its data.
    createWithVersion: (c) =>
      h.tx(() => {
        const { id: did, t } = insertDataset(c.projectId, c.name);
        const vid = insertVersion(did, c.version, t);
        h.run('UPDATE datasets SET current_version_id = ? WHERE id = ?', vid, did);
        return { dataset: getDataset(did) as Dataset, version: getVersion(vid) as DatasetVersion };
      }),
    versionBlobKeys: (projectId) => blobKeys('SELECT v.blob_key FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.project_id = ?', projectId),
    removeIncomplete: (cutoff) =>
      h.tx(() => {
        // Foreign keys make orphan versions impossible here; the query stays for databases
        // written with foreign keys off.
        const orphans = h.all('SELECT id, blob_key FROM dataset_versions WHERE created_at < ? AND dataset_id NOT IN (SELECT id FROM datasets)', cutoff);
        for (const r of orphans) h.run('DELETE FROM dataset_versions WHERE id = ?', str(r, 'id'));
        const empty = h.all('SELECT id FROM datasets WHERE created_at < ? AND current_version_id IS NULL AND NOT EXISTS (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = datasets.id)', cutoff);
        for (const r of empty) h.run('DELETE FROM datasets WHERE id = ?', str(r, 'id'));
        return { datasets: empty.length, versions: orphans.length, blobKeys: orphans.map((r) => str(r, 'blob_key')) };
      }),
    // The version row and the switch to it in one transaction: never a current id without its row.
    addVersion: ({ datasetId, version }) =>
      h.tx(() => {
        if (!exists(h, 'datasets', datasetId)) throw notFound('dataset');
        const t = h.nowMs();
        const vid = insertVersion(datasetId, version, t);
        const dataset = versionedUpdate(h, { table: 'datasets', entity: 'dataset', id: datasetId, expectedVersion: null, set: { current_version_id: vid }, at: t });
        return { dataset: toDataset(dataset), version: getVersion(vid) as DatasetVersion };
      }),
    findVersion: (id) => getVersion(id),
    setCurrentVersion: ({ datasetId, versionId, expectedVersion }) =>
      h.tx(() => {
        if (!exists(h, 'datasets', datasetId)) throw notFound('dataset');
        if (h.one('SELECT 1 AS x FROM dataset_versions WHERE id = ? AND dataset_id = ?', versionId, datasetId) === undefined) throw notFound('dataset_version');
        return toDataset(versionedUpdate(h, { table: 'datasets', entity: 'dataset', id: datasetId, expectedVersion, set: { current_version_id: versionId } }));
      }),
    listVersions: ({ datasetId, page }) =>
      paged(h, { base: 'SELECT * FROM dataset_versions WHERE dataset_id = ?', params: [datasetId], timeColumn: 'created_at', map: toVersion, position: byCreatedAt }, page),
    delete: (id) =>
      h.tx(() => {
        if (!exists(h, 'datasets', id)) return null;
        const keys = blobKeys('SELECT blob_key FROM dataset_versions WHERE dataset_id = ? ORDER BY created_at, id', id);
        // Its versions go with it (ON DELETE CASCADE); its charts keep `dataset_id` NULL (ON DELETE SET NULL).
        h.run('DELETE FROM datasets WHERE id = ?', id);
        return { blobKeys: keys };
      }),
  });
}
