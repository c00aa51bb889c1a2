/** Words and small formatting shared by the pages, so each thing reads the same everywhere. */
import { h } from './dom.ts';

const ROLE_LABELS: Readonly<Record<string, string>> = { owner: 'Owner', editor: 'Editor', viewer: 'Viewer', admin: 'Admin', user: 'User' };

/** A project or system role as the UI shows it everywhere: "Owner", "Editor", "Viewer", "Admin", "User". */
export function roleLabel(role: string | null | undefined): string {
  if (role === null || role === undefined) return 'None';
  return ROLE_LABELS[role] ?? role;
}

/**
 * A message from the API or the code check as nodes: text between backticks (`eval`) becomes
 * `<code>`, the rest stays text. Never markup from the message itself.
 */
export function richText(message: string): (Node | string)[] {
  const out: (Node | string)[] = [];
  const parts = message.split(/`([^`\n]{1,200})`/gu);
  parts.forEach((part, i) => {
    if (part === '') return;
    out.push(i % 2 === 1 ? h('code', {}, part) : part);
  });
  return out;
}

/** The same message as plain text, backticks dropped (for titles, labels and aria text). */
export function plainText(message: string): string {
  return message.replace(/`([^`\n]{1,200})`/gu, '$1');
}

/** What a viewer reads when a chart cannot be drawn: no analyst's error text (that is for editors). */
export const VIEWER_CHART_FAILURE = 'This chart could not be drawn right now.';
