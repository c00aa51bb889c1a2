/**
 * What the API tells a person when it starts: where the web UI is, the one-time setup link while
 * there is no administrator, the demo dashboard, and where data lives. main.ts prints the lines
 * (a container's log keeps them) and hands the same facts to `npm start` over IPC, which prints
 * its own short summary in a terminal. Pure: no I/O, no secrets beyond the setup link itself.
 */
import { resolve } from 'node:path';
import type { ApiConfig } from '@plotbox/config';
import { setupLink } from './setup-token.ts';

export interface StartupFacts {
  /** The web UI, e.g. `http://127.0.0.1:8080/`. */
  readonly uiUrl: string;
  /** The one-time setup link (carries its token in the fragment), or `null` once an admin exists. */
  readonly setupUrl: string | null;
  readonly setupTtlMin: number;
  /** The seeded demo dashboard in the UI, or `null`. */
  readonly demoUrl: string | null;
  readonly demoCharts: number;
  /** Where metadata and datasets live, for a person: paths or hosts, never credentials. */
  readonly storage: { readonly store: string; readonly blobs: string };
  /** How to create the first admin from a shell, where that command works; `null` otherwise. */
  readonly initCommand: string | null;
}

/** The message main.ts sends its parent (`npm start`, tests) once it listens. */
export interface ListeningMessage {
  readonly type: 'listening';
  readonly port: number;
  readonly facts: StartupFacts;
}

/** Host (and port) of a connection URL, without its credentials or path. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return u.host === '' ? u.protocol.replace(/:$/u, '') : u.host;
  } catch {
    return 'unparsable URL';
  }
}

/**
 * The facts of this start. `port` is the one actually bound (PLOTBOX_PORT may be 0);
 * `hasLocalCli` says whether `npx plotbox` resolves from the working directory.
 */
export function startupFacts(input: {
  readonly config: Pick<ApiConfig, 'host' | 'port' | 'publicUrl' | 'dataDir' | 'mongo' | 's3' | 'setupTokenTtlMs'>;
  readonly port: number;
  readonly setupToken: string | null;
  readonly demo: { readonly projectId: string; readonly dashboardId: string; readonly charts: number } | null;
  readonly hasLocalCli: boolean;
}): StartupFacts {
  const { config, port } = input;
  // The default public URL names the configured port; with PLOTBOX_PORT=0 only the bound one works.
  const base = config.publicUrl === `http://${config.host}:${config.port}` ? `http://${config.host}:${port}` : config.publicUrl.replace(/\/+$/u, '');
  const dataDir = resolve(config.dataDir);
  return {
    uiUrl: `${base}/`,
    setupUrl: input.setupToken === null ? null : setupLink(base, input.setupToken),
    setupTtlMin: Math.round(config.setupTokenTtlMs / 60_000),
    demoUrl: input.demo === null ? null : `${base}/#/projects/${encodeURIComponent(input.demo.projectId)}/dashboards/${encodeURIComponent(input.demo.dashboardId)}`,
    demoCharts: input.demo?.charts ?? 0,
    storage: {
      store: config.mongo === null ? `SQLite ${resolve(dataDir, 'plotbox.db')}` : `MongoDB at ${hostOf(config.mongo.uri)} (database ${config.mongo.dbName})`,
      blobs: config.s3 === null ? `directory ${resolve(dataDir, 'blobs')}` : `S3 bucket ${config.s3.bucket} at ${hostOf(config.s3.endpoint)}`,
    },
    initCommand: input.hasLocalCli ? 'npx plotbox init --email you@example.com --password-stdin' : null,
  };
}

/** The lines main.ts prints to stdout (plain text, beside the JSON logs). */
export function startupLines(f: StartupFacts): string[] {
  const lines: string[] = [];
  if (f.demoUrl !== null) lines.push('', `A demo dashboard of ${f.demoCharts} example charts is ready: ${f.demoUrl}`);
  if (f.setupUrl !== null) {
    lines.push('', `Plotbox has no administrator yet. Open this one-time setup link (valid ${f.setupTtlMin} min):`, '', `  ${f.setupUrl}`, '');
    lines.push(f.initCommand === null ? 'or create one with the operator CLI\'s init command (docs/operations.md, "Operator CLI").' : `or run: ${f.initCommand}`);
  }
  if (lines.length > 0) lines.push('');
  return lines;
}
