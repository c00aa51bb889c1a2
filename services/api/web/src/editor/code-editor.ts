/**
 * The Code Mode editor: CodeMirror 6 with line numbers, JavaScript/TypeScript highlighting,
 * history, bracket helpers, lint markers for the check's and the sandbox's findings, and
 * completions for the dataset's columns, the px builders and their options, and the Code Mode globals.
 *
 * CSP: CodeMirror styles itself through style-mod, which writes a `<style>` element when mounted
 * in a document (refused by `style-src 'self'` without a nonce) but a constructable stylesheet
 * (`adoptedStyleSheets`, which the CSP allows) when mounted in a shadow root. So the editor lives
 * in an open shadow root of its host element: no nonce, no CSP violation.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting, syntaxTree } from '@codemirror/language';
import { lintGutter, lintKeymap, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { Compartment, EditorState, type Extension, type Text } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import type { CodeLangName, ColumnInfo } from '../../../src/api-types.ts';
import { AQ_NAMES, DFD_NAMES, FRAME_METHODS, OP_NAMES, PX, TABLE_VERBS, globalsOf, pxOptions, type RuntimeName } from './reference.ts';

export type CodeLang = CodeLangName;
export type { ColumnInfo };

/** A finding at a 1-based line and column of the code as the analyst wrote it. */
export interface CodeProblem {
  readonly line: number;
  readonly column?: number | undefined;
  readonly message: string;
  readonly rule: string;
}

export interface CodeEditorOptions {
  readonly doc: string;
  readonly lang: CodeLang;
  readonly readOnly: boolean;
  /** Accessible name of the editable content. */
  readonly label: string;
  /** Mod-Enter. */
  readonly onRun?: () => void;
  /** Mod-s. */
  readonly onSave?: () => void;
  /** After every change of the document (typing, pasting, undo). */
  readonly onChange?: () => void;
  /** The chart's runtime (default arquero): which globals and members completion offers. */
  readonly runtime?: RuntimeName;
}

export interface CodeEditor {
  /** The element to place on the page (the shadow host). */
  readonly element: HTMLElement;
  readonly view: EditorView;
  code(): string;
  setLang(lang: CodeLang): void;
  setColumns(columns: readonly ColumnInfo[]): void;
  /** The columns completion offers (the last given to setColumns). */
  columns(): readonly ColumnInfo[];
  /** The chart's runtime changed: completion offers its globals from now on. */
  setRuntime(runtime: RuntimeName): void;
  setProblems(problems: readonly CodeProblem[]): void;
  /** Put the cursor at a 1-based line and column and focus the editor. */
  goTo(line: number, column?: number): void;
  destroy(): void;
}

const IDENT = /^[A-Za-z_$][\w$]*$/u;

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '14px', backgroundColor: '#fff', color: '#1d2330' },
  '&.cm-focused': { outline: '3px solid #8fb0ff', outlineOffset: '-1px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', lineHeight: '1.5', overflow: 'auto' },
  '.cm-content': { padding: '6px 0' },
  '.cm-gutters': { backgroundColor: '#f6f7fa', color: '#5b6475', borderRight: '1px solid #d9dee7' },
  '.cm-activeLine': { backgroundColor: '#f3f6fd' },
  '.cm-activeLineGutter': { backgroundColor: '#e6ecfa' },
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', maxHeight: '16em' },
  '.cm-completionDetail': { color: '#5b6475', fontStyle: 'normal', marginLeft: '1em' },
  '.cm-completionInfo': { maxWidth: '28em', whiteSpace: 'pre-wrap', fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: '12px' },
});

function quote(name: string, q: string): string {
  return `${q}${name.replaceAll('\\', '\\\\').replaceAll(q, `\\${q}`)}${q}`;
}

/** A syntax node as far as option completion needs it. */
interface SyntaxNodeLike {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly parent: SyntaxNodeLike | null;
  readonly firstChild: SyntaxNodeLike | null;
  readonly nextSibling: SyntaxNodeLike | null;
}

/**
 * Inside the options object of `px.<builder>(table, { … })`, where a key goes: the builder's
 * options not given yet. The object must be an argument after the first (the first is the table,
 * or a `{ z, x, y }` matrix).
 */
function pxOptionCompletions(ctx: CompletionContext, node: SyntaxNodeLike): CompletionResult | null {
  const object = node.name === 'ObjectExpression' ? node : node.name === 'PropertyDefinition' && node.parent?.name === 'Property' ? node.parent.parent : null;
  if (object?.name !== 'ObjectExpression') return null;
  const args = object.parent;
  const call = args?.parent;
  if (args?.name !== 'ArgList' || call?.name !== 'CallExpression') return null;
  const callee = call.firstChild;
  if (callee === null) return null;
  const m = /^px\s*\.\s*([\w$]+)$/u.exec(ctx.state.sliceDoc(callee.from, callee.to));
  if (m === null) return null;
  const first = args.firstChild?.nextSibling ?? null; // the first argument, after '('
  if (first === null || first.from === object.from) return null;
  // A key position: since the object's last top-level ',' or its '{', only the word being typed.
  const word = ctx.matchBefore(/[\w$]*$/u);
  const from = word === null ? ctx.pos : word.from;
  const given = new Set<string>();
  for (let p = object.firstChild; p !== null; p = p.nextSibling) {
    if (p.name !== 'Property') continue;
    const key = p.firstChild;
    if (key !== null && key.to < from) given.add(ctx.state.sliceDoc(key.from, key.to).replace(/^['"]|['"]$/gu, ''));
  }
  const before = ctx.state.sliceDoc(object.from, from);
  if (!/[{,]\s*$/u.test(before)) return null;
  const options = pxOptions(m[1] ?? '').filter((o) => !given.has(o.name));
  if (options.length === 0) return null;
  return { from, options: options.map((o) => ({ label: o.name, type: 'property', detail: o.detail, apply: `${o.name}: `, boost: o.own ? 1 : 0 })), validFor: /^[\w$]*$/u };
}

/**
 * Completions of Code Mode names; reads the current columns through `columns()` and the chart's
 * runtime through `runtime()` (its globals, and what `df.` offers).
 */
export function codeModeCompletions(columns: () => readonly ColumnInfo[], runtime: () => RuntimeName = () => 'arquero'): (ctx: CompletionContext) => CompletionResult | null {
  const columnDetail = (c: ColumnInfo): string => `column · ${c.type}`;
  return (ctx) => {
    const node = syntaxTree(ctx.state).resolveInner(ctx.pos, -1);
    if (node.name === 'LineComment' || node.name === 'BlockComment') return null;
    if (node.name === 'String') {
      const text = ctx.state.sliceDoc(node.from, node.to);
      const q = text[0] ?? "'";
      const closed = text.length >= 2 && text.endsWith(q) && !text.endsWith(`\\${q}`);
      if (closed && ctx.pos >= node.to) return null; // after the closing quote
      const options: Completion[] = columns().map((c) => ({ label: c.name, type: 'property', detail: columnDetail(c), apply: c.name.replaceAll('\\', '\\\\').replaceAll(q, `\\${q}`) }));
      return options.length === 0 ? null : { from: node.from + 1, options, validFor: /^[^'"\\]*$/u };
    }
    if (node.name === 'TemplateString') return null;
    const option = pxOptionCompletions(ctx, node);
    if (option !== null) return option;

    const member = ctx.matchBefore(/(?:^|[^\w$.])(px|op|aq|dfd|df|data|d)\.([\w$]*)$/u);
    if (member !== null) {
      const m = /(px|op|aq|dfd|df|data|d)\.([\w$]*)$/u.exec(member.text);
      if (m === null) return null;
      const [, obj = '', word = ''] = m;
      const from = ctx.pos - word.length;
      const danfo = runtime() === 'danfo';
      if (obj === 'px') return { from, options: PX.map((p) => ({ label: p.name, type: p.name === 'palette' ? 'constant' : 'function', detail: p.detail, info: p.example })), validFor: /^[\w$]*$/u };
      // Each runtime's own namespaces only: arquero's op and aq are not there under danfo, nor dfd under arquero.
      if (obj === 'op') return danfo ? null : { from, options: OP_NAMES.map((n) => ({ label: n, type: 'function', detail: 'arquero op' })), validFor: /^[\w$]*$/u };
      if (obj === 'aq') return danfo ? null : { from, options: AQ_NAMES.map((n) => ({ label: n, type: 'function', detail: 'arquero' })), validFor: /^[\w$]*$/u };
      if (obj === 'dfd') return danfo ? { from, options: DFD_NAMES.map((n) => ({ label: n, type: /^[A-Z]/u.test(n) ? 'class' : 'function', detail: 'danfojs' })), validFor: /^[\w$]*$/u } : null;
      if (obj === 'df') {
        return danfo
          ? { from, options: FRAME_METHODS.map((n) => ({ label: n, type: 'method', detail: 'danfo DataFrame' })), validFor: /^[\w$]*$/u }
          : { from, options: TABLE_VERBS.map((n) => ({ label: n, type: 'method', detail: 'table' })), validFor: /^[\w$]*$/u };
      }
      // data.<column>, and d.<column> in row functions: names that are not identifiers need brackets.
      const dot = from - 1;
      const options: Completion[] = columns().map((c) =>
        IDENT.test(c.name)
          ? { label: c.name, type: 'property', detail: columnDetail(c) }
          : {
              label: c.name,
              type: 'property',
              detail: columnDetail(c),
              apply: (view: EditorView, _c: Completion, _from: number, to: number) => view.dispatch({ changes: { from: dot, to, insert: `[${quote(c.name, "'")}]` } }),
            },
      );
      return options.length === 0 ? null : { from, options, validFor: /^[\w$]*$/u };
    }

    const word = ctx.matchBefore(/[\w$]+$/u);
    if (word === null && !ctx.explicit) return null;
    // A bare word right after a dot is some other object's member: not ours to complete.
    const from = word === null ? ctx.pos : word.from;
    if (from > 0 && ctx.state.sliceDoc(from - 1, from) === '.') return null;
    const options: Completion[] = [
      ...globalsOf(runtime()).map((g) => ({ label: g.name, type: 'variable', detail: g.detail, info: g.example, boost: 2 })),
      // A bare column name becomes a string: where px and arquero take a column, they take its name.
      ...columns().map((c) => ({ label: c.name, type: 'text', detail: columnDetail(c), apply: quote(c.name, "'"), boost: 1 })),
    ];
    return { from, options, validFor: /^[\w$]*$/u };
  };
}

/**
 * Typing over a selection: when the replaced text starts inside a highlighted token, Chromium's
 * native editing keeps that token's look by wrapping the new text in `<span style="…">`, which
 * the CSP refuses (a `style-src-attr` violation; CodeMirror redraws the line anyway). So replace
 * selections ourselves, through the same input handlers (closeBrackets, …) and user event
 * ("input.type", which autocompletion listens to) as CodeMirror's own DOM input path.
 */
const replaceSelectionInput = EditorView.domEventHandlers({
  beforeinput(event, view) {
    if (event.inputType !== 'insertText' || event.isComposing || view.composing || typeof event.data !== 'string' || event.data === '') return false;
    const { main } = view.state.selection;
    if (main.empty || view.state.readOnly) return false;
    event.preventDefault();
    const text = event.data;
    const insert = (): void => view.dispatch(view.state.replaceSelection(text), { userEvent: 'input.type', scrollIntoView: true });
    const handled = view.state.facet(EditorView.inputHandler).some((f) => f(view, main.from, main.to, text, () => view.state.update(view.state.replaceSelection(text), { userEvent: 'input.type' })));
    if (!handled) insert();
    return true;
  },
});

function problemRange(doc: Text, p: CodeProblem): { from: number; to: number } {
  const lineNo = Math.min(Math.max(1, Math.trunc(p.line)), doc.lines);
  const line = doc.line(lineNo);
  if (p.column === undefined) return { from: line.from, to: line.to };
  const from = line.from + Math.min(Math.max(0, Math.trunc(p.column) - 1), line.length);
  // Underline the word at the position (or one character), never past the line.
  const rest = doc.sliceString(from, line.to);
  const m = /^[\w$]+/u.exec(rest);
  const to = Math.min(line.to, from + (m === null ? 1 : m[0].length));
  return { from, to };
}

export function createCodeEditor(options: CodeEditorOptions): CodeEditor {
  const element = document.createElement('div');
  element.className = 'code-editor';
  const shadow = element.attachShadow({ mode: 'open' });
  let columns: readonly ColumnInfo[] = [];
  let runtime: RuntimeName = options.runtime ?? 'arquero';
  const language = new Compartment();
  const completionData = [
    {
      autocomplete: codeModeCompletions(
        () => columns,
        () => runtime,
      ),
    },
  ];
  const langExt = (lang: CodeLang): Extension => javascript({ typescript: lang === 'ts' });
  const shortcuts = keymap.of([
    ...(options.onRun === undefined ? [] : [{ key: 'Mod-Enter', run: () => (options.onRun?.(), true) }]),
    ...(options.onSave === undefined ? [] : [{ key: 'Mod-s', run: () => (options.onSave?.(), true), preventDefault: true }]),
  ]);
  const extensions: Extension[] = [
    lineNumbers(),
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ icons: false }),
    highlightActiveLine(),
    lintGutter(),
    shortcuts,
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap, indentWithTab]),
    language.of(langExt(options.lang)),
    // One source object for the editor's life: autocompletion tells its running queries apart by identity.
    EditorState.languageData.of(() => completionData),
    EditorView.contentAttributes.of({ 'aria-label': options.label, ...(options.readOnly ? { 'aria-readonly': 'true' } : {}) }),
    EditorState.tabSize.of(2),
    replaceSelectionInput,
    // Long lines wrap: the editor is half the page wide and code should be readable without scrolling sideways.
    EditorView.lineWrapping,
    EditorView.updateListener.of((update) => {
      if (update.docChanged) options.onChange?.();
    }),
    theme,
  ];
  if (options.readOnly) extensions.push(EditorState.readOnly.of(true));
  const view = new EditorView({ state: EditorState.create({ doc: options.doc, extensions }), parent: shadow, root: shadow });

  return {
    element,
    view,
    code: () => view.state.doc.toString(),
    setLang(lang) {
      view.dispatch({ effects: language.reconfigure(langExt(lang)) });
    },
    setColumns(next) {
      columns = next;
    },
    columns: () => columns,
    setRuntime(next) {
      runtime = next;
    },
    setProblems(problems) {
      const doc = view.state.doc;
      const diagnostics: Diagnostic[] = problems.map((p) => ({ ...problemRange(doc, p), severity: 'error', source: p.rule, message: p.message }));
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    goTo(line, column) {
      const { from } = problemRange(view.state.doc, { line, column, message: '', rule: '' });
      view.dispatch({ selection: { anchor: from }, scrollIntoView: true });
      view.focus();
    },
    destroy: () => view.destroy(),
  };
}
