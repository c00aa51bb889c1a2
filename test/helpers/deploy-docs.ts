/**
 * Runs the shell commands that docs/operations.md gives operators, exactly as written, so that the
 * documentation cannot drift from what works. Commands that need a Kubernetes cluster are run too,
 * against a kubeconfig whose API server address refuses connections: kubectl must get as far as
 * calling the server (flags parsed, files read, kustomizations built) for such a line to pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fenced blocks of one language inside a `## ` section of a markdown document (up to the next `## `). */
export function sectionBlocks(markdown: string, heading: string, language: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`no "## ${heading}" section`);
  const next = markdown.indexOf('\n## ', start + 4);
  const section = markdown.slice(start, next === -1 ? undefined : next);
  const fence = new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm');
  return [...section.matchAll(fence)].map((m) => m[1] ?? '');
}

/** A shell block's commands: backslash continuations joined, comments and blank lines dropped. */
export function commandLines(block: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of block.split('\n')) {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    out.push((pending + line).trim());
    pending = '';
  }
  if (pending !== '') out.push(pending.trim());
  return out;
}

/** The address the test kubeconfig points at: nothing listens on port 1 of loopback. */
export const UNREACHABLE_SERVER = '127.0.0.1:1';

/** Writes a kubeconfig for a cluster at {@link UNREACHABLE_SERVER} (a token, so kubectl never prompts). */
export function writeUnreachableKubeconfig(dir: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: none, cluster: { server: "https://${UNREACHABLE_SERVER}" } }]`,
      'contexts: [{ name: none, context: { cluster: none, user: none } }]',
      'users: [{ name: none, user: { token: not-a-credential } }]',
      'current-context: none',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

export type Outcome = 'ran' | 'needs-cluster' | 'failed';

export interface CommandResult {
  readonly line: string;
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly outcome: Outcome;
}

const REFUSED = new RegExp(
  `(dial tcp ${UNREACHABLE_SERVER.replaceAll('.', '\\.')}: connect: connection refused|The connection to the server ${UNREACHABLE_SERVER.replaceAll('.', '\\.')} was refused)`,
);

/** How a command ended: it ran, it stopped only because no cluster answered, or it failed. */
export function classify(status: number, stderr: string): Outcome {
  if (status === 0) return 'ran';
  return REFUSED.test(stderr) ? 'needs-cluster' : 'failed';
}

/**
 * Runs the commands in order in one bash (so variables and files carry from one to the next), in
 * `cwd`, with `env`, stdin from /dev/null unless a command redirects it, `pipefail` on. Each
 * command's output and status are kept apart.
 */
export function runCommands(lines: readonly string[], options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly timeoutMs?: number }): CommandResult[] {
  const out = join(options.cwd, '.doc-run');
  mkdirSync(out, { recursive: true });
  const script = ['set -o pipefail', ...lines.map((line, i) => `{ ${line}\n} >'${out}/${i}.out' 2>'${out}/${i}.err' </dev/null; echo $? >'${out}/${i}.rc'`)].join('\n');
  const run = spawnSync('bash', ['-c', script], { cwd: options.cwd, env: options.env, encoding: 'utf8', timeout: options.timeoutMs ?? 180_000 });
  if (run.error !== undefined) throw run.error;
  return lines.map((line, i) => {
    const read = (ext: string): string => {
      try {
        return readFileSync(join(out, `${i}.${ext}`), 'utf8');
      } catch {
        return '';
      }
    };
    const rc = read('rc').trim();
    const status = rc === '' ? -1 : Number(rc);
    const stderr = read('err');
    return { line, status, stdout: read('out'), stderr, outcome: classify(status, stderr) };
  });
}
