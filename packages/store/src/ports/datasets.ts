/** Datasets and their versions. */
import type { JsonValue, Page, PageRequest } from './common.ts';

export interface Dataset {
  readonly id: string;
  readonly projectId: string;
  /** Unique within the project (exact match). */
  readonly name: string;
  readonly currentVersionId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface DatasetVersion {
  readonly id: string;
  readonly datasetId: string;
  readonly sha256: string;
  readonly blobKey: string;
  readonly bytes: number;
  readonly rowCount: number;
  /** Columns and types. */
  readonly schema: JsonValue;
  readonly profile: JsonValue;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export interface NewDatasetVersion {
  readonly sha256: string;
  readonly blobKey: string;
  readonly bytes: number;
  readonly rowCount: number;
  readonly schema: JsonValue;
  readonly profile: JsonValue;
  readonly createdBy: string;
}

/** A dataset and its first version, created together ({@link DatasetRepository.createWithVersion}). */
export interface NewDatasetWithVersion {
  readonly projectId: string;
  readonly name: string;
  readonly version: NewDatasetVersion;
}

export interface DatasetRepository {
  /** @throws `STORE_NOT_FOUND` `project`, `STORE_CONFLICT` `datasets.project_name`. */
  create(input: { readonly projectId: string; readonly name: string }): Promise<Dataset>;
  findById(id: string): Promise<Dataset | null>;
  findByName(projectId: string, name: string): Promise<Dataset | null>;
  listByProject(projectId: string, page: PageRequest): Promise<Page<Dataset>>;
  /** @throws `STORE_NOT_FOUND`, `STORE_VERSION_MISMATCH`, `STORE_CONFLICT` `datasets.project_name`. */
  rename(id: string, expectedVersion: number, name: string): Promise<Dataset>;
  /**
   * Create a dataset together with its first version, which is current: the name is taken only by
   * a dataset that has its data (an upload that dies before this call leaves no dataset; one that
   * dies inside it leaves nothing visible either). Adapters without transactions write the
   * version first and the dataset last, so the worst a crash leaves is a version whose dataset
   * does not exist, which {@link DatasetRepository.removeIncomplete} deletes.
   * @throws `STORE_NOT_FOUND` `project`, `STORE_CONFLICT` `datasets.project_name` (then nothing is stored).
   */
  createWithVersion(input: NewDatasetWithVersion): Promise<{ readonly dataset: Dataset; readonly version: DatasetVersion }>;
  /**
   * Atomically add a version and make it current (bumps the dataset's `version`).
   * @throws `STORE_NOT_FOUND` `dataset`.
   */
  addVersion(datasetId: string, input: NewDatasetVersion): Promise<{ readonly dataset: Dataset; readonly version: DatasetVersion }>;
  /**
   * The blob keys of every version of the project's datasets (including versions left without
   * their dataset by an interrupted write), for the sweep of unreferenced blobs.
   */
  versionBlobKeys(projectId: string): Promise<readonly string[]>;
  /**
   * Repair after crashes: delete datasets created before `olderThan` that have no version (left by
   * an interrupted upload before {@link DatasetRepository.createWithVersion} existed, or by
   * `create` without a version), and versions created before `olderThan` whose dataset no longer
   * exists. Returns how many of each and the blob keys of the versions deleted (the caller deletes
   * those blobs).
   */
  removeIncomplete(olderThan: Date): Promise<{ readonly datasets: number; readonly versions: number; readonly blobKeys: readonly string[] }>;
  findVersion(id: string): Promise<DatasetVersion | null>;
  listVersions(datasetId: string, page: PageRequest): Promise<Page<DatasetVersion>>;
  /**
   * Make an existing version of the dataset its current one (roll back or forward; bumps the
   * dataset's `version` even when it already was current). With `expectedVersion`, only if the
   * dataset's version is still that.
   * @throws `STORE_NOT_FOUND` `dataset`, `STORE_NOT_FOUND` `dataset_version` when the version does
   * not exist or belongs to another dataset, `STORE_VERSION_MISMATCH`.
   */
  setCurrentVersion(datasetId: string, versionId: string, expectedVersion?: number): Promise<Dataset>;
  /**
   * Delete the dataset and its versions; charts using it keep `datasetId: null`. Returns the
   * versions' blob keys (the caller deletes the blobs), or `null` if missing.
   */
  delete(id: string): Promise<{ readonly blobKeys: readonly string[] } | null>;
}
