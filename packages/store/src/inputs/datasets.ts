/** Input checks of the datasets repository (datasets and their versions). */
import type { DatasetRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertDate, assertId, assertInt, assertKnownKeys, assertObject, assertString, serializeJson } from '../validate.ts';
import { FIELD_LIMITS, checkId, checkName, checkVersion } from './common.ts';

export function checkNewDataset(input: unknown) {
  const v = assertObject(input, 'dataset');
  assertKnownKeys(v, 'dataset', ['projectId', 'name']);
  return { projectId: assertId(v.projectId, 'projectId'), name: checkName(v.name) };
}

export function checkNewDatasetWithVersion(input: unknown) {
  const v = assertObject(input, 'dataset');
  assertKnownKeys(v, 'dataset', ['projectId', 'name', 'version']);
  return { projectId: assertId(v.projectId, 'projectId'), name: checkName(v.name), version: checkNewDatasetVersion(v.version) };
}

export function checkNewDatasetVersion(input: unknown) {
  const v = assertObject(input, 'datasetVersion');
  assertKnownKeys(v, 'datasetVersion', ['sha256', 'blobKey', 'bytes', 'rowCount', 'schema', 'profile', 'createdBy']);
  return {
    sha256: assertString(v.sha256, 'sha256', FIELD_LIMITS.hash, 1),
    blobKey: assertString(v.blobKey, 'blobKey', FIELD_LIMITS.hash, 1),
    bytes: assertInt(v.bytes, 'bytes', 0),
    rowCount: assertInt(v.rowCount, 'rowCount', 0),
    schema: serializeJson(v.schema, 'schema', FIELD_LIMITS.schemaBytes),
    profile: serializeJson(v.profile, 'profile', FIELD_LIMITS.profileBytes),
    createdBy: assertId(v.createdBy, 'createdBy'),
  };
}

/** `setCurrentVersion`'s arguments; `expectedVersion` `null` when not given. */
function checkSetCurrentVersion(datasetId: unknown, versionId: unknown, expectedVersion: unknown) {
  const dataset = assertId(datasetId, 'datasetId');
  const version = assertId(versionId, 'versionId');
  return { datasetId: dataset, versionId: version, expectedVersion: expectedVersion === undefined ? null : checkVersion(expectedVersion) };
}

/** The input check of every {@link DatasetRepository} operation; JSON serialized, times as epoch ms. */
export const DATASET_INPUTS = {
  create: (input: unknown) => checkNewDataset(input),
  findById: (id: unknown) => checkId(id),
  findByName: (projectId: unknown, name: unknown) => ({ projectId: assertId(projectId, 'projectId'), name: checkName(name) }),
  listByProject: (projectId: unknown, page: unknown) => ({ projectId: assertId(projectId, 'projectId'), page: checkPage(page, 'datasets') }),
  rename: (id: unknown, expectedVersion: unknown, name: unknown) => {
    const checkedId = checkId(id);
    const version = checkVersion(expectedVersion);
    return { id: checkedId, expectedVersion: version, name: checkName(name) };
  },
  createWithVersion: (input: unknown) => checkNewDatasetWithVersion(input),
  addVersion: (datasetId: unknown, input: unknown) => ({ datasetId: assertId(datasetId, 'datasetId'), version: checkNewDatasetVersion(input) }),
  versionBlobKeys: (projectId: unknown) => assertId(projectId, 'projectId'),
  removeIncomplete: (olderThan: unknown) => assertDate(olderThan, 'olderThan'),
  findVersion: (id: unknown) => checkId(id),
  listVersions: (datasetId: unknown, page: unknown) => ({ datasetId: assertId(datasetId, 'datasetId'), page: checkPage(page, 'dataset_versions') }),
  setCurrentVersion: (datasetId: unknown, versionId: unknown, expectedVersion?: unknown) => checkSetCurrentVersion(datasetId, versionId, expectedVersion),
  delete: (id: unknown) => checkId(id),
} satisfies InputChecks<DatasetRepository>;
