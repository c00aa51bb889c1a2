import type { AccessUser, ProjectRole, SystemRole } from './roles.ts';
import { activeSystemRole, PROJECT_ROLES } from './roles.ts';

/**
 * Every action access control knows. API routes name one (or compose several) per route; the
 * authorization matrix test walks every route × role against {@link ROLE_ACTIONS}.
 */
export const ACTIONS = [
  // project scope: decided on the effective project role
  'project.view', // the project itself: name, description, its dashboards and datasets listed
  'dataset.view', // dataset metadata: name, versions, schema, profile (never the rows)
  'dataset.download', // the rows themselves (editors can read them through preview code anyway)
  'dataset.upload', // create, upload a version, replace, make a version current, rename
  'dataset.delete',
  'dashboard.create',
  'project.manage', // settings, rename, description
  'project.delete',
  'member.view', // who holds which grant on the project and its dashboards (users and groups)
  'member.manage', // project grants to users and groups, and dashboard grants
  // dashboard scope: decided on the effective role on that dashboard (project role raised by
  // dashboard grants); without a dashboard in the context, on the project role
  'dashboard.view',
  'dashboard.edit', // rename, layout
  'dashboard.delete',
  'chart.view', // the chart record: title, code, dataset id, diagnostics
  'chart.render', // run the STORED code on the current dataset version (or get it from the cache)
  'chart.preview', // run code supplied in the request (unsaved)
  'chart.create',
  'chart.edit',
  'chart.delete',
  // system scope: decided on the system role alone
  'project.create',
  'user.manage', // users: create, disable, change system role, reset
  'group.manage', // groups: create, rename, members, delete
  'audit.view',
] as const;
export type Action = (typeof ACTIONS)[number];

export const ACTION_SCOPES = ['system', 'project', 'dashboard'] as const;
export type ActionScope = (typeof ACTION_SCOPES)[number];

/** What each action is decided on (see {@link ACTIONS}). */
export const ACTION_SCOPE = {
  'project.view': 'project',
  'dataset.view': 'project',
  'dataset.download': 'project',
  'dataset.upload': 'project',
  'dataset.delete': 'project',
  'dashboard.create': 'project',
  'project.manage': 'project',
  'project.delete': 'project',
  'member.view': 'project',
  'member.manage': 'project',
  'dashboard.view': 'dashboard',
  'dashboard.edit': 'dashboard',
  'dashboard.delete': 'dashboard',
  'chart.view': 'dashboard',
  'chart.render': 'dashboard',
  'chart.preview': 'dashboard',
  'chart.create': 'dashboard',
  'chart.edit': 'dashboard',
  'chart.delete': 'dashboard',
  'project.create': 'system',
  'user.manage': 'system',
  'group.manage': 'system',
  'audit.view': 'system',
} as const satisfies Record<Action, ActionScope>;

/** Actions decided on a project or dashboard role. */
export type ResourceAction = { [A in Action]: (typeof ACTION_SCOPE)[A] extends 'system' ? never : A }[Action];
/** Actions decided on the system role alone. */
export type SystemAction = Exclude<Action, ResourceAction>;

const VIEWER_ACTIONS = ['project.view', 'dashboard.view', 'dataset.view', 'chart.view', 'chart.render'] as const satisfies readonly ResourceAction[];
const EDITOR_ACTIONS = [
  ...VIEWER_ACTIONS,
  'chart.preview',
  'chart.create',
  'chart.edit',
  'chart.delete',
  'dashboard.create',
  'dashboard.edit',
  'dataset.upload',
  'dataset.download',
] as const satisfies readonly ResourceAction[];
const OWNER_ACTIONS = [...EDITOR_ACTIONS, 'dashboard.delete', 'dataset.delete', 'project.manage', 'project.delete', 'member.view', 'member.manage'] as const satisfies readonly ResourceAction[];

/**
 * THE role × action table of SPEC §3: project role → the actions it allows, on the project and
 * (through inheritance or a dashboard grant) on its dashboards. Each role allows everything the
 * role below it allows. A system admin is treated as `owner` and a system viewer as at most
 * `viewer` before this table is consulted.
 */
export const ROLE_ACTIONS: { readonly [R in ProjectRole]: readonly ResourceAction[] } = Object.freeze({
  viewer: Object.freeze([...VIEWER_ACTIONS]),
  editor: Object.freeze([...EDITOR_ACTIONS]),
  owner: Object.freeze([...OWNER_ACTIONS]),
});

/** System role → the system-scope actions it allows (disabled users: none). */
export const SYSTEM_ROLE_ACTIONS: { readonly [R in SystemRole]: readonly SystemAction[] } = Object.freeze({
  admin: Object.freeze(['project.create', 'user.manage', 'group.manage', 'audit.view'] as const),
  user: Object.freeze(['project.create'] as const),
  viewer: Object.freeze([] as const),
});

/** Is `value` one of {@link ACTIONS}? */
export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

/** Is `action` decided on the system role (rather than a project or dashboard role)? */
export function isSystemAction(action: Action): action is SystemAction {
  return ACTION_SCOPE[action] === 'system';
}

/** Does project `role` allow `action`? `null` (no role) allows nothing. */
export function roleAllows(role: ProjectRole | null, action: ResourceAction): boolean {
  return role !== null && Object.hasOwn(ROLE_ACTIONS, role) && ROLE_ACTIONS[role].includes(action);
}

/** The project roles that allow `action`, least permissive first (e.g. `['editor', 'owner']`). */
export function rolesAllowing(action: ResourceAction): readonly ProjectRole[] {
  return PROJECT_ROLES.filter((role) => ROLE_ACTIONS[role].includes(action));
}

/** The system roles that allow a system `action`. */
export function systemRolesAllowing(action: SystemAction): readonly SystemRole[] {
  return (Object.keys(SYSTEM_ROLE_ACTIONS) as SystemRole[]).filter((role) => SYSTEM_ROLE_ACTIONS[role].includes(action));
}

/** Does the user's system role allow a system `action`? Disabled users: never. */
export function systemRoleAllows(user: AccessUser, action: SystemAction): boolean {
  const role = activeSystemRole(user);
  return role !== null && SYSTEM_ROLE_ACTIONS[role].includes(action);
}

/**
 * May this user (or a holder of this system role) create projects? Only `admin` and `user`, and
 * never a disabled user (SPEC §3 decision 2).
 */
export function canCreateProject(who: AccessUser | SystemRole): boolean {
  const user = typeof who === 'string' ? { id: '', systemRole: who, disabled: false } : who;
  return systemRoleAllows(user, 'project.create');
}
