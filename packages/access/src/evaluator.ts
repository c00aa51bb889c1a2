import type { Action, ResourceAction, SystemAction } from './actions.ts';
import { ACTION_SCOPE, isAction, rolesAllowing, roleAllows, systemRoleAllows, systemRolesAllowing } from './actions.ts';
import type { AccessContext } from './access-context.ts';
import type { ProjectRole } from './roles.ts';
import { activeSystemRole, PROJECT_ROLES } from './roles.ts';

/**
 * A composable access rule (after Grafana's accesscontrol `Evaluator`): `evaluate` decides,
 * `describe` says what it requires in words fit for a 403 message.
 */
export interface Evaluator {
  readonly kind: 'can' | 'all' | 'any';
  /** Every action the rule mentions (for route matrices and for {@link decide}'s 404 rule). */
  readonly actions: readonly Action[];
  evaluate(ctx: AccessContext): boolean;
  describe(): string;
}

function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1) ?? ''}`;
}

/** The role an action is decided on in this context. */
function roleFor(ctx: AccessContext, action: ResourceAction): ProjectRole | null {
  if (ACTION_SCOPE[action] === 'dashboard' && ctx.dashboardRole !== undefined) return ctx.dashboardRole;
  return ctx.projectRole;
}

/**
 * The rule "may do `action`": a system action is decided on the user's system role, a project
 * action on `ctx.projectRole`, a dashboard action on `ctx.dashboardRole` (or `projectRole` when no
 * dashboard is in the context), each through {@link ROLE_ACTIONS}.
 * @throws TypeError for an unknown action (at route definition, not on a request).
 */
export function can(action: Action): Evaluator {
  if (!isAction(action)) throw new TypeError(`unknown access action: ${String(action)}`);
  const scope = ACTION_SCOPE[action];
  if (scope === 'system') {
    const sys = action as SystemAction;
    const text = `requires system role ${listOr(systemRolesAllowing(sys))} (${action})`;
    return Object.freeze({
      kind: 'can',
      actions: Object.freeze([action]),
      evaluate: (ctx: AccessContext) => systemRoleAllows(ctx.user, sys),
      describe: () => text,
    });
  }
  const res = action as ResourceAction;
  const roles = rolesAllowing(res);
  const where = scope === 'dashboard' ? 'project or dashboard role' : 'project role';
  const text = roles.length === PROJECT_ROLES.length ? `requires any ${where} (${action})` : `requires ${where} ${listOr(roles)} (${action})`;
  return Object.freeze({
    kind: 'can',
    actions: Object.freeze([action]),
    evaluate: (ctx: AccessContext) => roleAllows(roleFor(ctx, res), res),
    describe: () => text,
  });
}

function compose(kind: 'all' | 'any', evaluators: readonly Evaluator[]): Evaluator {
  if (evaluators.length === 0) throw new TypeError(`${kind}() needs at least one evaluator`);
  for (const e of evaluators) {
    if (typeof e?.evaluate !== 'function' || typeof e.describe !== 'function') throw new TypeError(`${kind}() takes evaluators`);
  }
  const children = Object.freeze([...evaluators]);
  const actions = Object.freeze([...new Set(children.flatMap((e) => e.actions))]);
  const joiner = kind === 'all' ? ' and ' : ' or ';
  const text = children.map((e) => (e.kind !== 'can' && children.length > 1 ? `(${e.describe()})` : e.describe())).join(joiner);
  return Object.freeze({
    kind,
    actions,
    evaluate: (ctx: AccessContext) => (kind === 'all' ? children.every((e) => e.evaluate(ctx)) : children.some((e) => e.evaluate(ctx))),
    describe: () => text,
  });
}

/** The rule "every one of these". @throws TypeError when given none (an empty rule would allow everything). */
export function all(...evaluators: readonly Evaluator[]): Evaluator {
  return compose('all', evaluators);
}

/** The rule "at least one of these". @throws TypeError when given none. */
export function any(...evaluators: readonly Evaluator[]): Evaluator {
  return compose('any', evaluators);
}

/** An access decision. `reason` of a denial is safe to show; a 404's is the generic `not found`. */
export type Decision =
  | {
      readonly allowed: true;
      /** Allowed only because the user is a system admin (grants alone would not): audit it (decision 1). */
      readonly asSystemAdmin: boolean;
    }
  | {
      readonly allowed: false;
      readonly status: 404 | 403;
      /** 403: what is required and what the user has; 404: `not found`, like a missing resource. */
      readonly reason: string;
      /** What the rule requires, for logs and the audit log (never sent with a 404). */
      readonly required: string;
    };

/** The 404 reason: identical to a resource that does not exist, so it reveals nothing. */
export const NOT_FOUND_REASON = 'not found';

/** Does the user hold any role on the project or dashboard the context is about? */
export function canSeeTarget(ctx: AccessContext): boolean {
  return ctx.projectRole !== null || (ctx.dashboardRole ?? null) !== null;
}

function asNonAdmin(ctx: AccessContext): AccessContext | null {
  if (ctx.granted === undefined) return null;
  const user = { id: ctx.user.id, systemRole: 'user', disabled: false } as const;
  const projectRole = ctx.granted.projectRole;
  return ctx.granted.dashboardRole === undefined ? { user, projectRole } : { user, projectRole, dashboardRole: ctx.granted.dashboardRole };
}

/**
 * Decide a request (SPEC §3 decision 4): allowed if `evaluator` allows it; otherwise **404** when
 * the rule concerns a project or dashboard on which the user holds no role at all (so a stranger
 * cannot even learn it exists), and **403** for a member lacking the permission or for a
 * system-scope rule (users, groups, audit, creating projects).
 */
export function decide(ctx: AccessContext, evaluator: Evaluator): Decision {
  const required = evaluator.describe();
  if (evaluator.evaluate(ctx)) {
    let asSystemAdmin = false;
    if (activeSystemRole(ctx.user) === 'admin') {
      const plain = asNonAdmin(ctx);
      asSystemAdmin = plain === null || !evaluator.evaluate(plain);
    }
    return { allowed: true, asSystemAdmin };
  }
  const touchesResource = evaluator.actions.some((a) => ACTION_SCOPE[a] !== 'system');
  if (touchesResource && !canSeeTarget(ctx)) {
    return { allowed: false, status: 404, reason: NOT_FOUND_REASON, required };
  }
  return { allowed: false, status: 403, reason: `${required}; ${describeHolder(ctx, evaluator)}`, required };
}

function describeHolder(ctx: AccessContext, evaluator: Evaluator): string {
  const system = activeSystemRole(ctx.user);
  const parts: string[] = [];
  if (evaluator.actions.some((a) => ACTION_SCOPE[a] === 'system')) {
    parts.push(system === null ? 'your account is disabled' : `your system role is ${system}`);
  }
  const onDashboard = ctx.dashboardRole !== undefined && evaluator.actions.some((a) => ACTION_SCOPE[a] === 'dashboard');
  const onProject = evaluator.actions.some((a) => ACTION_SCOPE[a] === 'project' || (ACTION_SCOPE[a] === 'dashboard' && !onDashboard));
  if (onProject) parts.push(`your project role is ${ctx.projectRole ?? 'none'}`);
  if (onDashboard) parts.push(`your role on this dashboard is ${ctx.dashboardRole ?? 'none'}`);
  if ((onProject || onDashboard) && system === 'viewer') parts.push('system viewers are read-only');
  return parts.join('; ');
}
