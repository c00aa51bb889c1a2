/**
 * Modal dialogs for confirmations and renames: a native `<dialog>` opened with `showModal()`
 * (focus is trapped and the page behind is inert), labelled by its heading and described by its
 * message, Escape cancels, and focus returns to whatever opened it. One dialog at a time.
 */
import { h } from './dom.ts';

export interface ConfirmOptions {
  /** The heading, e.g. "Delete dashboard “Sales”?". */
  readonly title: string;
  /** What happens, naming what will be lost; one paragraph each. */
  readonly body: readonly (string | Node)[];
  /** The confirming button, e.g. "Delete dashboard". */
  readonly confirm: string;
  /** A destructive action: red button, and Cancel has the focus first. */
  readonly danger?: boolean;
}

let counter = 0;

/** Show `dialog`, resolve with its return value when it closes; remove it afterwards. */
function run(dialog: HTMLDialogElement, focus: HTMLElement): Promise<string> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  document.body.append(dialog);
  dialog.showModal();
  focus.focus();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        const value = dialog.returnValue;
        dialog.remove();
        if (opener?.isConnected === true) opener.focus();
        resolve(value);
      },
      { once: true },
    );
  });
}

/** Ask before doing something; resolves `true` only when the user confirms. */
export async function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  const id = `dialog-${++counter}`;
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close('cancel') }, 'Cancel');
  const ok = h('button', { type: 'button', class: options.danger === true ? 'danger-solid' : '', onclick: () => dialog.close('confirm') }, options.confirm);
  const dialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-body` },
    h('h2', { id: `${id}-title` }, options.title),
    h(
      'div',
      { id: `${id}-body`, class: 'dialog-body' },
      options.body.map((p) => h('p', {}, p)),
    ),
    h('div', { class: 'dialog-actions' }, cancel, ok),
  );
  dialog.returnValue = '';
  return (await run(dialog, options.danger === true ? cancel : ok)) === 'confirm';
}

export interface RenameOptions {
  readonly title: string;
  readonly label: string;
  readonly value: string;
  readonly confirm: string;
  readonly maxLength?: number;
}

/** Ask for a new name; resolves the trimmed name, or `null` when cancelled or unchanged. */
export async function renameDialog(options: RenameOptions): Promise<string | null> {
  const id = `dialog-${++counter}`;
  const input = h('input', { id: `${id}-input`, type: 'text', value: options.value, required: true, maxlength: options.maxLength ?? 200, autocomplete: 'off' });
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close('cancel') }, 'Cancel');
  const form = h(
    'form',
    {
      method: 'dialog',
      onsubmit: (e: Event) => {
        if (input.value.trim() === '') {
          e.preventDefault();
          error.textContent = 'The name cannot be empty.';
          error.hidden = false;
          input.focus();
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: `${id}-input` }, options.label), input, error),
    h('div', { class: 'dialog-actions' }, cancel, h('button', { type: 'submit', value: 'confirm' }, options.confirm)),
  );
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, options.title), form);
  dialog.returnValue = '';
  const pending = run(dialog, input);
  input.select();
  const result = await pending;
  const name = input.value.trim();
  return result === 'confirm' && name !== '' && name !== options.value ? name : null;
}

/** "1 chart", "3 charts". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
