/**
 * A dataset (`/projects/:projectId/datasets/:datasetId`): its versions (make an older one current),
 * the current version's column profile, its first rows (editors and owners: rows are not
 * metadata) and a form to upload a new version. Also the "upload a dataset" form the project page
 * uses ({@link datasetUploadForm}).
 */
import { api, ApiFailure, all, describeError, upload } from '../api.ts';
import { renameDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { DatasetPreview, DatasetView, ProjectRoleName, VersionListItem, VersionView } from '../../../src/api-types.ts';
import { deleteDatasetFlow, effectiveRole } from './project.ts';

type Role = ProjectRoleName;

/** The upload media types, by file extension. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  csv: 'text/csv',
  json: 'application/json',
  arrow: 'application/vnd.apache.arrow.stream',
  arrows: 'application/vnd.apache.arrow.stream',
};

/** The media type to upload a file as, from its extension (or its own type); null when unsupported. */
export function uploadContentType(file: File): string | null {
  const ext = /\.([A-Za-z0-9]+)$/u.exec(file.name)?.[1]?.toLowerCase() ?? '';
  const byExt = MEDIA_TYPES[ext];
  if (byExt !== undefined) return byExt;
  const own = file.type.split(';')[0]?.trim().toLowerCase() ?? '';
  return Object.values(MEDIA_TYPES).includes(own) ? own : null;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 ** 3).toLocaleString(undefined, { maximumFractionDigits: 1 })} GiB`;
  if (n >= 1024 * 1024) return `${(n / 1024 ** 2).toLocaleString(undefined, { maximumFractionDigits: 1 })} MiB`;
  if (n >= 1024) return `${(n / 1024).toLocaleString(undefined, { maximumFractionDigits: 1 })} KiB`;
  return `${n.toLocaleString()} bytes`;
}

function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A cell or profile value as text: null as an empty mark, numbers localized. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString() : v.toLocaleString(undefined, { maximumFractionDigits: 6 });
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Why an upload failed, with where in the file when the server knows. */
export function describeUploadError(err: unknown): string {
  if (!(err instanceof ApiFailure)) return describeError(err);
  const e = err.error;
  if (err.status === 413 || e.code === 'VALIDATION_PAYLOAD_TOO_LARGE') {
    const limit = e.limit === undefined ? '' : ` (limit: ${formatBytes(e.limit.value)})`;
    return `The file is larger than the upload limit${limit}. Aggregate or split the data, or upload it as Arrow.`;
  }
  if (err.status === 415) return `${e.message} Choose a .csv, .json (an array of row objects) or .arrow file.`;
  if (e.code === 'DATASET_INVALID') {
    const where: string[] = [];
    if (typeof e.line === 'number') where.push(`line ${e.line}`);
    if (typeof e.row === 'number') where.push(`row ${e.row + 1}`);
    if (typeof e.column === 'number' || typeof e.column === 'string') where.push(`column ${String(e.column)}`);
    const said = /\b(line|row) \d/u.test(e.message);
    return `${e.message}${where.length > 0 && !said ? ` At ${where.join(', ')}.` : ''} Nothing was stored; fix the file and upload again.`;
  }
  if (e.code === 'DATASET_TOO_LARGE') {
    const limit = e.limit === undefined ? '' : ` Limit: ${e.limit.name} = ${e.limit.value.toLocaleString()}.`;
    return `${e.message}${limit} Nothing was stored.`;
  }
  if (e.code === 'DATASET_NAME_TAKEN') return `${e.message} Choose another name, or open that dataset and upload a new version of it.`;
  if (err.status === 403) return 'Only editors and owners of this project can upload datasets.';
  return describeError(err);
}

interface UploadControls {
  readonly fileInput: HTMLInputElement;
  readonly progress: HTMLProgressElement;
  readonly status: HTMLElement;
  readonly button: HTMLButtonElement;
}

/** Send a file with progress; resolves the answer, or shows the error and resolves null. */
async function sendFile<T>(path: (file: File) => string, c: UploadControls): Promise<T | null> {
  const file = c.fileInput.files?.[0];
  if (file === undefined) {
    mount(c.status, notice('error', 'Choose a file to upload.'));
    c.fileInput.focus();
    return null;
  }
  const contentType = uploadContentType(file);
  if (contentType === null) {
    mount(c.status, notice('error', `“${file.name}” is not a .csv, .json or .arrow file.`));
    c.fileInput.focus();
    return null;
  }
  c.button.disabled = true;
  c.progress.value = 0;
  c.progress.hidden = false;
  mount(c.status, h('p', { class: 'muted' }, `Uploading ${file.name} (${formatBytes(file.size)})…`));
  try {
    const answer = await upload<T>(path(file), file, contentType, (fraction) => {
      c.progress.value = fraction;
      if (fraction >= 1) mount(c.status, h('p', { class: 'muted' }, 'Uploaded; the server is reading the data…'));
    });
    c.progress.value = 1;
    return answer;
  } catch (err) {
    c.progress.hidden = true;
    mount(c.status, notice('error', describeUploadError(err)));
    return null;
  } finally {
    c.button.disabled = false;
  }
}

let formCount = 0;

/** The "upload a dataset" form of the project page: name, file, progress; calls `onUploaded` after a success. */
export function datasetUploadForm(projectId: string, onUploaded: () => void): HTMLElement {
  const n = ++formCount;
  const nameInput = h('input', { id: `dataset-name-${n}`, name: 'name', type: 'text', required: true, maxlength: 200, autocomplete: 'off' });
  const fileInput = h('input', { id: `dataset-file-${n}`, name: 'file', type: 'file', accept: '.csv,.json,.arrow', required: true, 'aria-describedby': `dataset-file-hint-${n}` });
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Upload progress', hidden: true });
  const button = h('button', { type: 'submit' }, 'Upload dataset');
  const status = h('div', { 'aria-live': 'polite' });
  const controls: UploadControls = { fileInput, progress, status, button };
  // The name follows the chosen file until the user types one of their own: choosing another file
  // (after a failed upload, say) must not keep the previous file's name.
  let nameFromFile: string | null = null;
  nameInput.addEventListener('input', () => {
    nameFromFile = null;
  });
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    const typed = nameInput.value.trim() !== '' && nameInput.value !== nameFromFile;
    if (typed) return;
    nameFromFile = file === undefined ? '' : file.name.replace(/\.[^.]+$/u, '');
    nameInput.value = nameFromFile;
  });
  const form = h(
    'form',
    {
      class: 'upload-form',
      'aria-label': 'Upload a dataset',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void submit();
      },
    },
    h('div', { class: 'field' }, h('label', { for: `dataset-name-${n}` }, 'Dataset name'), nameInput),
    h(
      'div',
      { class: 'field' },
      h('label', { for: `dataset-file-${n}` }, 'Dataset file'),
      fileInput,
      h('span', { id: `dataset-file-hint-${n}`, class: 'muted hint' }, 'CSV with a header row, JSON (an array of row objects) or Arrow IPC stream.'),
    ),
    h('div', { class: 'row' }, button, progress),
    status,
  );
  async function submit(): Promise<void> {
    const name = nameInput.value.trim();
    if (name === '') {
      mount(status, notice('error', 'Give the dataset a name.'));
      nameInput.focus();
      return;
    }
    const answer = await sendFile<{ dataset: DatasetView; version: VersionListItem }>(() => `/api/projects/${projectId}/datasets?name=${encodeURIComponent(name)}`, controls);
    if (answer === null) return;
    form.reset();
    nameFromFile = null;
    progress.hidden = true;
    mount(
      status,
      h(
        'p',
        { class: 'notice notice-ok', role: 'status' },
        `Uploaded ${answer.dataset.name}: ${answer.version.rowCount.toLocaleString()} rows, ${answer.version.schema?.columns?.length ?? 0} columns. `,
        h('a', { href: `#/projects/${projectId}/datasets/${answer.dataset.id}` }, `Open ${answer.dataset.name}`),
      ),
    );
    onUploaded();
  }
  return form;
}

function table(caption: string | null, head: readonly string[], rows: readonly (readonly (Node | string)[])[], cls = ''): HTMLTableElement {
  return h(
    'table',
    { class: cls },
    caption === null ? null : h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c))),
        ),
      ),
    ),
  );
}

export async function renderDataset(ctx: PageContext): Promise<void> {
  const projectId = ctx.params.projectId ?? '';
  const datasetId = ctx.params.datasetId ?? '';
  const base = `/api/projects/${projectId}/datasets/${datasetId}`;

  const [projectAnswer, first] = await Promise.all([
    api<{ project: { name: string }; myRole: Role | null }>('GET', `/api/projects/${projectId}`),
    api<{ dataset: DatasetView; current: VersionListItem | null }>('GET', base),
  ]);
  const role = effectiveRole(ctx.me, projectAnswer.myRole);
  const canEdit = role === 'owner' || role === 'editor';
  const owner = role === 'owner';
  let dataset = first.dataset;
  let versionCount: number | null = null;

  const heading = h('h1', {}, dataset.name);
  const summary = h('p', { class: 'muted' });
  const versionsBox = h('div', {});
  const profileBox = h('div', {});
  const previewBox = h('div', {});
  const actionStatus = h('div', { 'aria-live': 'polite' });

  async function load(): Promise<void> {
    const [detail, versions] = await Promise.all([api<{ dataset: DatasetView; current: VersionListItem | null }>('GET', base), all<VersionListItem>(`${base}/versions`)]);
    dataset = detail.dataset;
    versionCount = versions.length;
    heading.textContent = dataset.name;
    ctx.setTitle(dataset.name);
    const current = detail.current;
    summary.textContent =
      current === null
        ? 'No data yet.'
        : `${current.rowCount.toLocaleString()} rows × ${current.schema?.columns?.length ?? 0} columns, ${formatBytes(current.bytes)} stored; ${versions.length} version${versions.length === 1 ? '' : 's'}.`;

    // Versions, newest first.
    const rows = [...versions].reverse().map((v) => {
      const isCurrent = v.id === dataset.currentVersionId;
      const createdId = `version-${v.id}`;
      return [
        h('span', { id: createdId }, formatDate(v.createdAt)),
        v.rowCount.toLocaleString(),
        formatBytes(v.bytes),
        h('code', { title: v.sha256 }, v.sha256.slice(0, 12)),
        isCurrent ? h('strong', {}, 'Current') : 'No',
        ...(canEdit ? [isCurrent ? '' : h('button', { type: 'button', class: 'secondary', 'aria-describedby': createdId, onclick: () => void makeCurrent(v) }, 'Make current')] : []),
      ];
    });
    mount(
      versionsBox,
      rows.length === 0 ? h('p', { class: 'muted' }, 'No versions yet.') : table(null, ['Created', 'Rows', 'Size', 'SHA-256', 'Current', ...(canEdit ? ['Actions'] : [])], rows, 'versions-table'),
    );

    if (current === null) {
      mount(profileBox, h('p', { class: 'muted' }, 'Upload data to see its profile.'));
      mount(previewBox);
      return;
    }
    await Promise.all([loadProfile(current), loadPreview(current)]);
  }

  async function loadProfile(current: VersionListItem): Promise<void> {
    try {
      const { version } = await api<{ version: VersionView }>('GET', `${base}/versions/${current.id}`);
      const columns = version.profile?.columns ?? [];
      mount(
        profileBox,
        columns.length === 0
          ? h('p', { class: 'muted' }, 'No profile for this version.')
          : table(
              null,
              ['Column', 'Type', 'Count', 'Nulls', 'Min', 'Max', 'Distinct'],
              columns.map((c) => [h('code', {}, c.name), c.type, cellText(c.count), cellText(c.nulls), cellText(c.min), cellText(c.max), c.distinct === undefined ? '—' : cellText(c.distinct)]),
              'profile-table',
            ),
      );
    } catch (err) {
      mount(profileBox, notice('error', `The profile could not be loaded: ${describeError(err)}`));
    }
  }

  async function loadPreview(current: VersionListItem): Promise<void> {
    try {
      const preview = await api<DatasetPreview>('GET', `${base}/versions/${current.id}/preview?limit=20`);
      const names = preview.columns.map((c) => c.name);
      mount(
        previewBox,
        h(
          'div',
          { class: 'table-scroll', tabindex: 0, role: 'group', 'aria-label': 'Preview rows table' },
          h(
            'table',
            { class: 'preview-table' },
            h('caption', {}, `First ${preview.rows.length.toLocaleString()} of ${preview.rowCount.toLocaleString()} rows`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                preview.columns.map((c) => h('th', { scope: 'col' }, c.name, h('span', { class: 'muted col-type' }, ` ${c.type}`))),
              ),
            ),
            h(
              'tbody',
              {},
              preview.rows.map((r) =>
                h(
                  'tr',
                  {},
                  names.map((n) => h('td', {}, cellText(r[n]))),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 403)
        mount(previewBox, h('p', { class: 'muted' }, 'Viewers see a dataset’s columns and profile, not its rows. Ask an editor or owner of the project if you need them.'));
      else mount(previewBox, notice('error', `The rows could not be loaded: ${describeError(err)}`));
    }
  }

  let versionStatus: HTMLElement | null = null;

  async function makeCurrent(v: VersionListItem): Promise<void> {
    mount(actionStatus);
    if (versionStatus !== null) mount(versionStatus);
    try {
      await api('POST', `${base}/current`, { versionId: v.id, version: dataset.version });
      await load();
      mount(actionStatus, notice('ok', `The version of ${formatDate(v.createdAt)} is now current; charts render from it.`));
    } catch (err) {
      const conflict = err instanceof ApiFailure && err.status === 409;
      mount(actionStatus, notice('error', conflict ? 'The dataset changed meanwhile; the list is reloaded. Try again.' : describeError(err)));
      if (conflict) await load().catch(() => undefined);
    }
  }

  function versionForm(): HTMLElement {
    const fileInput = h('input', { id: 'version-file', name: 'file', type: 'file', accept: '.csv,.json,.arrow', required: true, 'aria-describedby': 'version-file-hint' });
    const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Upload progress', hidden: true });
    const button = h('button', { type: 'submit' }, 'Upload new version');
    const status = h('div', { 'aria-live': 'polite' });
    versionStatus = status;
    const form = h(
      'form',
      {
        class: 'upload-form',
        'aria-labelledby': 'new-version-heading',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void submit();
        },
      },
      h('h2', { id: 'new-version-heading' }, 'Upload a new version'),
      h('p', { class: 'muted' }, 'The new version becomes current: charts render from it. Older versions stay listed above and can be made current again.'),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'version-file' }, 'Version file'),
        fileInput,
        h('span', { id: 'version-file-hint', class: 'muted hint' }, 'CSV with a header row, JSON (an array of row objects) or Arrow IPC stream.'),
      ),
      h('div', { class: 'row' }, button, progress),
      status,
    );
    async function submit(): Promise<void> {
      const answer = await sendFile<{ version: VersionListItem }>(() => `${base}/versions`, { fileInput, progress, status, button });
      if (answer === null) return;
      form.reset();
      progress.hidden = true;
      mount(status, h('p', { class: 'notice notice-ok', role: 'status' }, `Uploaded a new version: ${answer.version.rowCount.toLocaleString()} rows. It is now current.`));
      mount(actionStatus);
      await load().catch((err: unknown) => mount(status, notice('error', describeError(err))));
    }
    return form;
  }

  async function rename(): Promise<void> {
    const name = await renameDialog({ title: 'Rename the dataset', label: 'Dataset name', value: dataset.name, confirm: 'Rename' });
    if (name === null) return;
    mount(actionStatus);
    try {
      await api('PATCH', base, { name, version: dataset.version });
      await load();
      mount(actionStatus, notice('ok', `Renamed the dataset to “${name}”. Charts that use it are unaffected.`));
    } catch (err) {
      mount(actionStatus, notice('error', describeUploadError(err)));
      if (err instanceof ApiFailure && err.status === 409) await load().catch(() => undefined);
    }
  }

  async function remove(): Promise<void> {
    mount(actionStatus);
    try {
      if (!(await deleteDatasetFlow(projectId, dataset, versionCount))) return;
      ctx.navigate(`/projects/${projectId}`);
    } catch (err) {
      mount(actionStatus, notice('error', describeError(err)));
    }
  }

  mount(
    ctx.main,
    h('p', { class: 'back' }, h('a', { href: `#/projects/${projectId}` }, `Back to ${projectAnswer.project.name}`)),
    h(
      'div',
      { class: 'page-head' },
      heading,
      canEdit
        ? h(
            'div',
            { class: 'page-actions' },
            h('button', { type: 'button', class: 'secondary', onclick: () => void rename() }, 'Rename'),
            owner ? h('button', { type: 'button', class: 'danger', onclick: () => void remove() }, 'Delete dataset') : null,
          )
        : null,
    ),
    summary,
    actionStatus,
    h('section', { 'aria-labelledby': 'versions-heading' }, h('h2', { id: 'versions-heading' }, 'Versions'), versionsBox),
    h('section', { 'aria-labelledby': 'profile-heading' }, h('h2', { id: 'profile-heading' }, 'Profile of the current version'), profileBox),
    h('section', { 'aria-labelledby': 'preview-rows-heading' }, h('h2', { id: 'preview-rows-heading' }, 'Preview rows'), previewBox),
    canEdit ? versionForm() : null,
  );
  await load();
}
