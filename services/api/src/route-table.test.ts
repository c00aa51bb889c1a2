// The route table's declarations: a rule may be an action or a composed evaluator (checked against
// the path at definition, described in the OpenAPI document), and the scope a handler sees is
// typed from the path's parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { all, any, can } from '@plotbox/access';
import type { Chart, Dashboard, Dataset, Project } from '@plotbox/store';
import { buildOpenApi } from './openapi.ts';
import { accessLabel, defineRoute, routeRule, type ScopeOf } from './route-table.ts';

const noop = async (): Promise<void> => undefined;

test('a route may require a composed rule; it is checked against the path like an action', () => {
  const rule = all(can('chart.view'), can('dataset.download'));
  const route = defineRoute({ method: 'get', path: '/api/projects/:projectId/dashboards/:dashboardId/rows', tag: 't', summary: 's', access: rule, status: 200, handler: noop });
  assert.equal(routeRule(route), rule);
  assert.equal(accessLabel(route), rule.describe());
  assert.equal(accessLabel(defineRoute({ method: 'get', path: '/api/projects/:projectId', tag: 't', summary: 's', access: 'project.view', status: 200, handler: noop })), 'project.view');
  assert.equal(routeRule({ access: 'authenticated' }), null);
  assert.equal(routeRule({ access: 'audit.view' })?.describe(), can('audit.view').describe());
  // A project action in the rule needs the project in the path; a chart route its dashboard.
  assert.throws(() => defineRoute({ method: 'get', path: '/api/rows', tag: 't', summary: 's', access: any(can('user.manage'), can('dataset.view')), status: 200, handler: noop }), /needs :projectId/u);
  assert.throws(
    () => defineRoute({ method: 'get', path: '/api/projects/:projectId/charts/:chartId', tag: 't', summary: 's', access: any(can('project.view'), can('chart.view')), status: 200, handler: noop }),
    /needs :dashboardId/u,
  );
  assert.throws(() => defineRoute({ method: 'get', path: '/api/x', tag: 't', summary: 's', access: 'no.such' as 'project.view', status: 200, handler: noop }), /unknown access action/u);
  // The OpenAPI document says what the composed rule requires.
  const doc = buildOpenApi([route], { handMounted: [] }) as { paths: Record<string, Record<string, { 'x-plotbox-access': string; responses: Record<string, { description: string }> }>> };
  const op = doc.paths['/api/projects/{projectId}/dashboards/{dashboardId}/rows']?.get;
  assert.equal(op?.['x-plotbox-access'], rule.describe());
  assert.match(op?.responses['403']?.description ?? '', /chart\.view.*and.*dataset\.download/u);
});

test('the scope is typed from the path: what the path names is there, without casts', () => {
  // Compile-time checks (tsc -b runs on this file): each assignment needs the property the path gives.
  const chartRoute = (s: ScopeOf<'/api/projects/:projectId/dashboards/:dashboardId/charts/:chartId'>): [Project, Dashboard, Chart] => [s.project, s.dashboard, s.chart];
  const datasetRoute = (s: ScopeOf<'/api/projects/:projectId/datasets/:datasetId/versions'>): Dataset => s.dataset;
  // @ts-expect-error: a project route has no dashboard.
  const noDashboard = (s: ScopeOf<'/api/projects/:projectId'>): Dashboard => s.dashboard;
  // @ts-expect-error: `:projectIdx` is not `:projectId`.
  const notAPrefix = (s: ScopeOf<'/api/x/:projectIdx'>): Project => s.project;
  const declared = defineRoute({
    method: 'get',
    path: '/api/projects/:projectId/datasets/:datasetId',
    tag: 't',
    summary: 's',
    access: 'dataset.view',
    status: 200,
    async handler({ scope }) {
      const d: Dataset = scope.dataset;
      const p: Project = scope.project;
      assert.equal(d.projectId, p.id);
    },
  });
  assert.equal(typeof chartRoute, 'function');
  assert.equal(typeof datasetRoute, 'function');
  assert.equal(typeof noDashboard, 'function');
  assert.equal(typeof notAPrefix, 'function');
  assert.equal(declared.path, '/api/projects/:projectId/datasets/:datasetId');
});
