// Policy checks on deploy/compose.yaml, and reading a compose service's environment.

import { looksLikeInlineSecret } from './deploy-policy.ts';

// ------------------------------------------------------------------------------ compose

/** The parts of a compose service these checks read. */
export interface ComposeService {
  readonly image?: string;
  readonly user?: string;
  readonly read_only?: boolean;
  readonly privileged?: boolean;
  readonly cap_add?: readonly string[];
  readonly cap_drop?: readonly string[];
  readonly security_opt?: readonly string[];
  readonly network_mode?: string;
  readonly pid?: string;
  readonly ipc?: string;
  readonly networks?: readonly string[] | Readonly<Record<string, unknown>>;
  readonly ports?: readonly unknown[];
  readonly environment?: Readonly<Record<string, string | number | boolean | null>> | readonly string[];
  readonly healthcheck?: { readonly test?: unknown; readonly disable?: boolean };
  readonly volumes?: readonly unknown[];
  readonly secrets?: readonly (string | { readonly source: string })[];
}

export interface ComposeFile {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly networks?: Readonly<Record<string, { readonly internal?: boolean } | null>>;
  readonly secrets?: Readonly<Record<string, { readonly file?: string; readonly environment?: string }>>;
}

const networkNames = (s: ComposeService): string[] => (Array.isArray(s.networks) ? [...(s.networks as string[])] : Object.keys(s.networks ?? { default: null }));

/** A compose service's environment as name → value (list form `NAME=value` too). */
export function composeEnvironment(s: ComposeService): Record<string, string> {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries((s.environment as string[]).map((line) => [line.split('=')[0] ?? '', line.slice(line.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/**
 * Every service: a pinned image, all capabilities dropped and none added, no-new-privileges, not
 * privileged, no host network/pid/ipc, a healthcheck, no inline secrets, secrets from files under
 * ./secrets/. The image's own services (`plotbox` images) also: read-only root filesystem and a
 * numeric non-root user.
 */
export function checkComposeHardening(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(compose.services)) {
    const where = `service ${name}`;
    const image = s.image ?? '';
    const lastSegment = image.split('/').pop() ?? '';
    const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
    if (!image.includes('@sha256:') && (tag === undefined || tag === 'latest')) problems.push(`${where}: image ${image || '(none)'} is not pinned to a version`);
    if (!(s.cap_drop ?? []).includes('ALL')) problems.push(`${where}: does not drop ALL capabilities`);
    if ((s.cap_add ?? []).length > 0) problems.push(`${where}: adds capabilities`);
    if (!(s.security_opt ?? []).some((o) => /^no-new-privileges(:true)?$/.test(o))) problems.push(`${where}: no-new-privileges is not set`);
    if (s.privileged === true) problems.push(`${where}: privileged`);
    if (s.network_mode === 'host' || s.pid === 'host' || s.ipc === 'host') problems.push(`${where}: shares a host namespace`);
    if (s.healthcheck?.test === undefined || s.healthcheck.disable === true) problems.push(`${where}: no healthcheck`);
    for (const [k, v] of Object.entries(composeEnvironment(s))) if (looksLikeInlineSecret(k, v)) problems.push(`${where}: environment ${k} holds a secret inline`);
    if (/(^|\/)plotbox:/.test(image)) {
      if (s.read_only !== true) problems.push(`${where}: read_only is not true`);
      const uid = /^(\d+)(:\d+)?$/.exec(s.user ?? '');
      if (uid === null || Number(uid[1]) === 0) problems.push(`${where}: user is not a numeric non-root user`);
    }
  }
  for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
    if (secret.file === undefined || !secret.file.startsWith('./secrets/')) problems.push(`secret ${name}: not a file under ./secrets/ (the git-ignored directory)`);
  }
  return problems;
}

/** The service is attached only to internal networks, publishes no port and shares them only with `peers`. */
export function checkComposeIsolated(compose: ComposeFile, service: string, peers: readonly string[]): string[] {
  const s = compose.services[service];
  if (s === undefined) return [`no service ${service}`];
  const problems: string[] = [];
  if ((s.ports ?? []).length > 0) problems.push(`service ${service}: publishes ports`);
  if (s.network_mode !== undefined) problems.push(`service ${service}: network_mode ${s.network_mode}`);
  for (const net of networkNames(s)) {
    if (compose.networks?.[net]?.internal !== true) problems.push(`service ${service}: network ${net} is not internal (it has a way out)`);
    for (const [other, o] of Object.entries(compose.services)) {
      if (other !== service && !peers.includes(other) && networkNames(o).includes(net)) problems.push(`service ${service}: shares network ${net} with ${other}`);
    }
  }
  return problems;
}

/**
 * Compose variable interpolation for the forms compose.yaml uses: `${NAME}`, `${NAME:-default}`,
 * `${NAME-default}`, `$$`. Anything else is refused, so the check never guesses.
 */
export function interpolate(value: string, vars: Readonly<Record<string, string>>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$(.)/g,
    (whole, name: string | undefined, op: string | undefined, fallback: string | undefined, other: string | undefined) => {
      if (whole === '$$') return '$';
      if (other !== undefined) throw new Error(`unsupported interpolation ${whole}`);
      const v = vars[name ?? ''];
      if (op === ':-') return v === undefined || v === '' ? (fallback ?? '') : v;
      if (op === '-') return v ?? fallback ?? '';
      return v ?? '';
    },
  );
}
