/**
 * The chart editor (`…/dashboards/:dashboardId/charts/new` and `…/charts/:chartId`): title,
 * dataset, language and runtime (arquero or danfo); Code Mode code in CodeMirror; Run (preview of the unsaved code, editors)
 * and Save; the figure beside the code; the check's and the sandbox's findings marked in the
 * editor and listed under "Problems"; a reference of the globals, px and the dataset's columns.
 * Viewers get the stored code read-only and the saved chart's figure.
 */
import { api, ApiFailure, all, describeError } from '../api.ts';
import { confirmDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import { createCodeEditor, type CodeEditor, type CodeProblem } from '../editor/code-editor.ts';
import { PX, PX_COMMON_OPTIONS, RUNTIME_CHOICES, globalsOf, type RuntimeName } from '../editor/reference.ts';
import { richText, VIEWER_CHART_FAILURE } from '../format.ts';
import { explainRunError, formatBytes, problemsOfError, problemText, starterFor } from './chart-editor-text.ts';
import { drawFigure, plotlyLoaded, purgePlot } from '../plot.ts';
import type { PageContext } from '../router.ts';
import type { ChartView, DatasetDetail, DatasetView, ProjectRoleName, RenderAnswer } from '../../../src/api-types.ts';

type Role = ProjectRoleName;

export async function renderChartEditor(ctx: PageContext): Promise<void> {
  const projectId = ctx.params.projectId ?? '';
  const dashboardId = ctx.params.dashboardId ?? '';
  const chartId = ctx.params.chartId ?? null;
  const base = `/api/projects/${projectId}/dashboards/${dashboardId}`;
  const dashboardHref = `#/projects/${projectId}/dashboards/${dashboardId}`;

  const [dashboardAnswer, chartAnswer, datasets] = await Promise.all([
    api<{ dashboard: { name: string }; myRole: Role | null }>('GET', base),
    chartId === null ? Promise.resolve(null) : api<{ chart: ChartView; myRole: Role | null }>('GET', `${base}/charts/${chartId}`),
    all<DatasetView>(`/api/projects/${projectId}/datasets`),
  ]);
  let chart: ChartView | null = chartAnswer?.chart ?? null;
  const role = chartAnswer?.myRole ?? dashboardAnswer.myRole;
  const canEdit = role === 'owner' || role === 'editor';
  const back = h('p', { class: 'back' }, h('a', { href: dashboardHref }, 'Back to dashboard'));

  if (chart === null && !canEdit) {
    ctx.setTitle('New chart');
    mount(ctx.main, back, h('h1', {}, 'New chart'), notice('error', 'Only editors and owners of this dashboard can add charts.'));
    return;
  }

  const heading = h('h1', {}, chart === null ? 'New chart' : canEdit ? `Edit ${chart.title}` : chart.title);
  ctx.setTitle(chart === null ? 'New chart' : canEdit ? `Edit ${chart.title}` : chart.title);

  // ---------------------------------------------------------------- fields
  const titleInput = h('input', { id: 'chart-title', name: 'title', type: 'text', required: true, maxlength: 200, value: chart?.title ?? '', disabled: !canEdit });
  const datasetSelect = h(
    'select',
    { id: 'chart-dataset', name: 'dataset', disabled: !canEdit },
    h('option', { value: '' }, '— no dataset —'),
    datasets.map((d) => h('option', { value: d.id }, d.name)),
  );
  const wantedDataset = chart?.datasetId ?? ctx.query.get('dataset') ?? datasets[0]?.id ?? '';
  datasetSelect.value = datasets.some((d) => d.id === wantedDataset) ? wantedDataset : '';
  if (chart !== null && chart.datasetId !== null && datasetSelect.value === '') {
    // The chart names a dataset that no longer exists (deleted): say so rather than pretend.
    datasetSelect.append(h('option', { value: chart.datasetId }, '(deleted dataset)'));
    datasetSelect.value = chart.datasetId;
  }
  const langSelect = h('select', { id: 'chart-lang', name: 'lang', disabled: !canEdit }, h('option', { value: 'js' }, 'JavaScript'), h('option', { value: 'ts' }, 'TypeScript'));
  langSelect.value = chart?.lang ?? 'js';
  const runtimeSelect = h(
    'select',
    { id: 'chart-runtime', name: 'runtime', disabled: !canEdit, 'aria-describedby': 'chart-runtime-help' },
    RUNTIME_CHOICES.map((r) => h('option', { value: r.name }, r.label)),
  );
  runtimeSelect.value = chart?.runtime ?? (ctx.query.get('runtime') === 'danfo' ? 'danfo' : 'arquero');
  const runtimeOf = (): RuntimeName => (runtimeSelect.value === 'danfo' ? 'danfo' : 'arquero');
  const runtimeHelp = h('p', { id: 'chart-runtime-help', class: 'muted field-help' }, RUNTIME_CHOICES.find((r) => r.name === runtimeOf())?.detail ?? '');

  // ---------------------------------------------------------------- editor, buttons, status
  const initialStarter = starterFor([], runtimeOf());
  let pristineStarter: string | null = chart === null ? initialStarter : null;
  const editor: CodeEditor = createCodeEditor({
    doc: chart?.code ?? initialStarter,
    lang: langSelect.value === 'ts' ? 'ts' : 'js',
    runtime: runtimeOf(),
    readOnly: !canEdit,
    label: 'Chart code',
    ...(canEdit ? { onRun: () => void run(), onSave: () => void save(), onChange: () => updateDirty() } : {}),
  });
  /** Are there changes since the chart was loaded or last saved? */
  function isDirty(): boolean {
    if (!canEdit) return false;
    if (chart === null) return titleInput.value.trim() !== '' || editor.code() !== (pristineStarter ?? initialStarter);
    return (
      titleInput.value.trim() !== chart.title ||
      editor.code() !== chart.code ||
      langSelect.value !== chart.lang ||
      runtimeSelect.value !== chart.runtime ||
      datasetSelect.value !== (chart.datasetId ?? '')
    );
  }
  const dirtyMark = h('span', { class: 'dirty-mark', hidden: true }, 'Unsaved changes');
  function updateDirty(): void {
    dirtyMark.hidden = !isDirty();
  }
  const runButton = h('button', { type: 'button', onclick: () => void run() }, 'Run');
  const saveButton = h('button', { type: 'button', class: 'secondary', onclick: () => void save() }, 'Save');
  const status = h('div', { class: 'editor-status', 'aria-live': 'polite' });
  const alertBox = h('div', { class: 'editor-alert' });

  const problemsList = h('ul', { class: 'problems-list' });
  const problemsRegion = h('section', { class: 'problems', 'aria-labelledby': 'problems-heading' }, h('h2', { id: 'problems-heading' }, 'Problems'), problemsList);

  const plot = h('div', { class: 'plot' });
  const plotNote = h('p', { class: 'muted plot-note' }, canEdit ? 'Run the code to see the chart here.' : 'Loading the chart…');
  const previewAlert = h('div', {});
  const previewRegion = h('section', { class: 'preview', 'aria-labelledby': 'preview-heading' }, h('h2', { id: 'preview-heading' }, 'Preview'), previewAlert, plotNote, plot);

  function showProblems(problems: readonly CodeProblem[]): void {
    editor.setProblems(problems);
    if (problems.length === 0) {
      mount(problemsList, h('li', { class: 'muted' }, 'No problems.'));
      return;
    }
    // Plain text (not buttons: "Run" must stay the only button of that name); a click jumps to
    // the position, and F8 / Shift-F8 in the editor step through the same markers from the keyboard.
    mount(
      problemsList,
      problems.map((p) => h('li', { class: 'problem', onclick: () => editor.goTo(p.line, p.column) }, ...problemText(p))),
    );
  }

  function savedProblems(c: ChartView | null): CodeProblem[] {
    return (c?.diagnostics ?? []).map((d) => ({ line: d.line, column: d.column, message: d.message, rule: d.rule }));
  }

  function clearPlot(note: string): void {
    purgePlot(plot);
    plot.replaceChildren();
    plotNote.textContent = note;
    plotNote.hidden = false;
  }

  async function draw(answer: RenderAnswer): Promise<void> {
    if (!plotlyLoaded()) {
      clearPlot('The charting library did not load; reload the page.');
      return;
    }
    plotNote.hidden = true;
    await drawFigure(plot, answer.figure);
  }

  function ranText(answer: RenderAnswer): string {
    const s = answer.stats;
    if (answer.cached) return 'Shown from the cache of the saved chart.';
    if (s === null) return 'Ran.';
    const parts = [typeof s.durationMs === 'number' ? `Ran in ${Math.round(s.durationMs).toLocaleString()} ms` : 'Ran'];
    if (typeof s.rows === 'number') parts.push(`on ${s.rows.toLocaleString()} rows`);
    if (typeof s.outputBytes === 'number') parts.push(`figure ${formatBytes(s.outputBytes)}`);
    return `${parts.join(', ')}.`;
  }

  let running = false;
  async function execute(request: () => Promise<RenderAnswer>, what: string): Promise<void> {
    if (running) return;
    running = true;
    runButton.disabled = true;
    mount(status, h('span', { class: 'muted' }, `${what}…`));
    mount(alertBox);
    mount(previewAlert);
    try {
      const answer = await request();
      showProblems([]);
      await draw(answer);
      mount(status, h('span', { class: 'muted' }, ranText(answer)));
    } catch (err) {
      showProblems(problemsOfError(err));
      clearPlot('No figure: the run failed.');
      mount(status);
      if (canEdit)
        mount(alertBox, h('div', { class: 'notice notice-error', role: 'alert' }, h('strong', {}, err instanceof ApiFailure ? `${err.error.code}: ` : ''), ...richText(explainRunError(err))));
      // Viewers get a calm sentence, as on the dashboard; the analyst's detail is for editors.
      else mount(previewAlert, h('p', { class: 'notice notice-calm', role: 'status' }, VIEWER_CHART_FAILURE));
    } finally {
      running = false;
      runButton.disabled = false;
    }
  }

  async function run(): Promise<void> {
    const datasetId = datasetSelect.value;
    if (datasetId === '') {
      mount(alertBox, notice('error', 'Choose a dataset to run the code on.'));
      datasetSelect.focus();
      return;
    }
    await execute(() => api<RenderAnswer>('POST', `${base}/preview`, { code: editor.code(), lang: langSelect.value, runtime: runtimeOf(), datasetId }), 'Running');
  }

  let saving = false;
  async function save(): Promise<void> {
    if (saving) return;
    const title = titleInput.value.trim();
    if (title === '') {
      mount(alertBox, notice('error', 'Give the chart a title before saving.'));
      titleInput.focus();
      return;
    }
    saving = true;
    saveButton.disabled = true;
    mount(status, h('span', { class: 'muted' }, 'Saving…'));
    mount(alertBox);
    const body = { title, code: editor.code(), lang: langSelect.value, runtime: runtimeOf(), datasetId: datasetSelect.value === '' ? null : datasetSelect.value };
    try {
      if (chart === null) {
        const created = await api<{ chart: ChartView }>('POST', `${base}/charts`, body);
        ctx.setLeaveGuard(null);
        ctx.navigate(`/projects/${projectId}/dashboards/${dashboardId}/charts/${created.chart.id}?saved=1`);
        return;
      }
      const updated = await api<{ chart: ChartView }>('PATCH', `${base}/charts/${chart.id}`, { ...body, version: chart.version });
      chart = updated.chart;
      updateDirty();
      heading.textContent = `Edit ${chart.title}`;
      ctx.setTitle(`Edit ${chart.title}`);
      const problems = savedProblems(chart);
      showProblems(problems);
      mount(status, h('span', { class: problems.length === 0 ? 'saved' : 'muted' }, savedText(problems.length)));
    } catch (err) {
      mount(status);
      const conflict = err instanceof ApiFailure && err.status === 409;
      mount(
        alertBox,
        h(
          'p',
          { class: 'notice notice-error', role: 'alert' },
          ...(conflict
            ? ['Someone else saved this chart since you opened it. Copy your code, reload the page to get their version, and apply your change again.']
            : ['The chart was not saved. ', ...richText(explainRunError(err))]),
        ),
      );
      const problems = problemsOfError(err);
      if (problems.length > 0) showProblems(problems);
    } finally {
      saving = false;
      saveButton.disabled = false;
    }
  }

  function savedText(problems: number): string {
    const when = new Date().toLocaleTimeString();
    return problems === 0 ? `Saved at ${when}.` : `Saved at ${when} as a draft with ${problems} problem${problems === 1 ? '' : 's'}: the chart will not render until they are fixed.`;
  }

  // ---------------------------------------------------------------- reference panel
  const columnsBox = h('div', {});
  const columnsCache = new Map<string, DatasetDetail>();

  async function datasetDetail(id: string): Promise<DatasetDetail> {
    const hit = columnsCache.get(id);
    if (hit !== undefined) return hit;
    const answer = await api<DatasetDetail>('GET', `/api/projects/${projectId}/datasets/${id}`);
    columnsCache.set(id, answer);
    return answer;
  }

  let columnsTicket = 0;
  async function showColumns(): Promise<void> {
    const ticket = ++columnsTicket;
    const id = datasetSelect.value;
    if (id === '' || !datasets.some((d) => d.id === id)) {
      editor.setColumns([]);
      mount(columnsBox, h('h3', {}, 'Columns'), h('p', { class: 'muted' }, 'Choose a dataset to see its columns.'));
      return;
    }
    mount(columnsBox, h('h3', {}, 'Columns'), h('p', { class: 'muted' }, 'Loading columns…'));
    try {
      const detail = await datasetDetail(id);
      if (ticket !== columnsTicket) return;
      const columns = detail.current?.schema?.columns ?? [];
      editor.setColumns(columns);
      if (pristineStarter !== null && editor.code() === pristineStarter && columns.length > 0) {
        const next = starterFor(columns, runtimeOf());
        pristineStarter = next;
        editor.view.dispatch({ changes: { from: 0, to: editor.view.state.doc.length, insert: next } });
      }
      mount(
        columnsBox,
        h('h3', {}, `Columns of ${detail.dataset.name}`),
        detail.current === null
          ? h('p', { class: 'muted' }, 'This dataset has no data yet.')
          : [
              h('p', { class: 'muted' }, `${detail.current.rowCount.toLocaleString()} rows. Use a name as 'name' in px options, d.name in row functions, data.name for the array.`),
              h(
                'table',
                { class: 'columns-table' },
                h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Type'))),
                h(
                  'tbody',
                  {},
                  columns.map((c) => h('tr', {}, h('td', {}, h('code', {}, c.name)), h('td', {}, c.type))),
                ),
              ),
              h('p', {}, h('a', { href: `#/projects/${projectId}/datasets/${id}` }, `Open the ${detail.dataset.name} dataset`)),
            ],
      );
    } catch (err) {
      if (ticket !== columnsTicket) return;
      editor.setColumns([]);
      mount(columnsBox, h('h3', {}, 'Columns'), notice('error', `The columns could not be loaded: ${describeError(err)}`));
    }
  }

  const globalsHeading = h('h3', {}, 'Globals');
  const globalsList = h('dl', { class: 'ref-list', id: 'reference-globals' });
  /** The globals of the chosen runtime (arquero: df, aq, op, …; danfo: df, dfd, …). */
  function showGlobals(): void {
    const runtime = runtimeOf();
    globalsHeading.textContent = `Globals (${runtime})`;
    mount(
      globalsList,
      globalsOf(runtime).map((g) => [h('dt', {}, h('code', {}, g.name), ' — ', g.detail), h('dd', {}, h('code', {}, g.example))]),
    );
  }
  showGlobals();
  const reference = h(
    'section',
    { class: 'reference', 'aria-labelledby': 'reference-heading' },
    h('h2', { id: 'reference-heading' }, 'Reference'),
    h(
      'p',
      { class: 'muted' },
      'Assign the figure to fig. Press Ctrl+Space for suggestions (columns, px, globals); Ctrl+Enter runs. F8 goes to the next problem. In the editor, Tab indents: press Escape, then Tab, to move on.',
    ),
    globalsHeading,
    globalsList,
    h('h3', {}, 'px'),
    h(
      'p',
      { class: 'muted' },
      `Every builder takes (table, options) and returns { data, layout }. Common options: ${PX_COMMON_OPTIONS}. Column options take a name, an array or a row function d => …`,
    ),
    h(
      'dl',
      { class: 'ref-list' },
      PX.map((p) => [h('dt', {}, h('code', {}, `px.${p.name}`), ' ', h('span', { class: 'muted' }, p.detail)), h('dd', {}, h('code', {}, p.example))]),
    ),
    columnsBox,
  );

  // ---------------------------------------------------------------- layout
  const fields = h(
    'div',
    { class: 'chart-fields' },
    h('div', { class: 'field' }, h('label', { for: 'chart-title' }, 'Title'), titleInput),
    h('div', { class: 'field' }, h('label', { for: 'chart-dataset' }, 'Dataset'), datasetSelect),
    h('div', { class: 'field' }, h('label', { for: 'chart-lang' }, 'Language'), langSelect),
    h('div', { class: 'field' }, h('label', { for: 'chart-runtime' }, 'Runtime'), runtimeSelect, runtimeHelp),
  );
  const codePane = h(
    'div',
    { class: 'code-pane' },
    editor.element,
    canEdit
      ? h('div', { class: 'row editor-actions' }, runButton, saveButton, dirtyMark, status)
      : h('p', { class: 'muted' }, 'You can view this chart; only editors and owners can change or run its code.'),
    alertBox,
    problemsRegion,
  );
  const deleteButton = canEdit && chart !== null ? h('button', { type: 'button', class: 'danger', onclick: () => void deleteChart() }, 'Delete chart') : null;
  mount(ctx.main, back, h('div', { class: 'page-head' }, heading, deleteButton), fields, h('div', { class: 'chart-editor' }, codePane, h('div', { class: 'side-pane' }, previewRegion, reference)));

  async function deleteChart(): Promise<void> {
    const current = chart;
    if (current === null) return;
    const ok = await confirmDialog({
      title: `Delete the chart “${current.title}”?`,
      body: [
        `Its code${isDirty() ? ', your unsaved changes' : ''} and its cached figures are deleted, and it disappears from “${dashboardAnswer.dashboard.name}” for everyone. This cannot be undone.`,
      ],
      confirm: 'Delete chart',
      danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', `${base}/charts/${current.id}`);
      ctx.setLeaveGuard(null);
      ctx.navigate(`/projects/${projectId}/dashboards/${dashboardId}`);
    } catch (err) {
      mount(alertBox, notice('error', `The chart was not deleted. ${describeError(err)}`));
    }
  }

  datasetSelect.addEventListener('change', () => {
    updateDirty();
    void showColumns();
  });
  langSelect.addEventListener('change', () => {
    updateDirty();
    editor.setLang(langSelect.value === 'ts' ? 'ts' : 'js');
  });
  runtimeSelect.addEventListener('change', () => {
    const runtime = runtimeOf();
    editor.setRuntime(runtime);
    runtimeHelp.textContent = RUNTIME_CHOICES.find((r) => r.name === runtime)?.detail ?? '';
    showGlobals();
    // A starter nobody has touched yet follows the runtime.
    if (pristineStarter !== null && editor.code() === pristineStarter) {
      const next = starterFor(editor.columns(), runtime);
      pristineStarter = next;
      editor.view.dispatch({ changes: { from: 0, to: editor.view.state.doc.length, insert: next } });
    }
    updateDirty();
  });
  titleInput.addEventListener('input', updateDirty);
  // Leaving with unsaved work asks first: in-app links, back and forward (the router's guard), and
  // closing or reloading the tab (the browser's own question).
  const onBeforeUnload = (e: BeforeUnloadEvent): void => {
    if (!isDirty()) return;
    e.preventDefault();
    e.returnValue = '';
  };
  if (canEdit) {
    window.addEventListener('beforeunload', onBeforeUnload);
    ctx.setLeaveGuard(
      async () =>
        !isDirty() ||
        (await confirmDialog({
          title: 'Leave without saving?',
          body: [`Your changes to ${titleInput.value.trim() === '' ? 'this chart' : `“${titleInput.value.trim()}”`} are not saved. If you leave now they are lost.`],
          confirm: 'Leave without saving',
          danger: true,
        })),
    );
  }
  ctx.onLeave(() => {
    window.removeEventListener('beforeunload', onBeforeUnload);
    editor.destroy();
    purgePlot(plot);
  });

  showProblems(savedProblems(chart));
  const columnsLoaded = showColumns();
  if (chart !== null) {
    const saved = chart;
    if (saved.datasetId === null) clearPlot('The chart has no dataset yet: choose one, run, and save.');
    else if ((saved.diagnostics ?? []).length > 0) clearPlot('The saved code has problems (listed under Problems); fix them and run.');
    else await execute(() => api<RenderAnswer>('POST', `${base}/charts/${saved.id}/render`), 'Rendering the saved chart');
    if (ctx.query.get('saved') === '1') mount(status, h('span', { class: 'saved' }, savedText(savedProblems(saved).length)));
  }
  await columnsLoaded;
}
