/** The projects repository on MongoDB: `projects`, grants embedded (see `grants.ts`). */
import { PROJECT_INPUTS, assembleRepository, byCreatedAt, conflict, countDirectUserOwners, notFound, principalKey } from '@plotbox/store';
import type { Project, ProjectRepository } from '@plotbox/store';
import type { GrantDoc, ProjectDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { existsIn, findOne, paged, versionedUpdate } from '../queries.ts';
import { NO_GRANTS, changeGrants, listGrants, samePrincipal, setGrant, toGrant } from './grants.ts';

function toProject(d: ProjectDoc): Project {
  return { id: d._id, name: d.name, description: d.description, createdBy: d.createdBy, createdAt: d.createdAt, updatedAt: d.updatedAt, version: d.version };
}

/** The owner invariant (SPEC §3.5) after a change of grants. @throws `STORE_CONFLICT` `last_owner`. */
function assertKeepsOwner(after: readonly GrantDoc[]): void {
  if (countDirectUserOwners(after.map(toGrant)) === 0) throw conflict('last_owner');
}

export function createProjectsRepository(h: MongoHandle): ProjectRepository {
  const { projects, datasetVersions: versions } = h.c;
  const list = (filter: { grantKeys?: { $in: string[] } }) => ({ filter, timeField: 'createdAt', map: toProject, position: byCreatedAt, exclude: NO_GRANTS });

  return assembleRepository(PROJECT_INPUTS, h.op, {
    create: async (c) => {
      if (!(await existsIn(h.c.users, c.createdBy))) throw notFound('user');
      const t = h.now();
      const owner: GrantDoc = { kind: 'user', id: c.createdBy, role: 'owner', createdAt: t, updatedAt: t };
      const doc: ProjectDoc = {
        _id: h.newId(),
        name: c.name,
        description: c.description,
        createdBy: c.createdBy,
        createdAt: t,
        updatedAt: t,
        version: 1,
        grants: [owner],
        grantKeys: [principalKey(owner)],
        grantsRev: 0,
      };
      await projects.insertOne(doc);
      return toProject(doc);
    },
    findById: (id) => findOne(projects, { _id: id }, toProject, NO_GRANTS),
    list: (page) => paged(projects, list({}), page),
    listForPrincipals: ({ principalKeys, page }) => paged(projects, list({ grantKeys: { $in: principalKeys } }), page),
    update: async ({ id, expectedVersion, patch }) => toProject(await versionedUpdate(h, projects, { entity: 'project', id, expectedVersion, set: { ...patch }, exclude: NO_GRANTS })),
    delete: async (id) => {
      // No multi-document transaction (standalone servers have none): the project goes first so
      // everything under it becomes unreachable at once; children are removed after it.
      const deleted = await projects.findOneAndDelete({ _id: id }, { projection: { _id: 1 } });
      if (deleted === null) return null;
      const found = await versions
        .find({ projectId: id }, { projection: { blobKey: 1, createdAt: 1 } })
        .sort({ createdAt: 1, _id: 1 })
        .toArray();
      await h.c.charts.deleteMany({ projectId: id });
      await h.c.dashboards.deleteMany({ projectId: id });
      await versions.deleteMany({ projectId: id });
      await h.c.datasets.deleteMany({ projectId: id });
      return { blobKeys: found.map((v) => v.blobKey) };
    },
    listGrants: (projectId) => listGrants(projects, projectId),
    setGrant: (input) => setGrant(h, projects, 'project', input, assertKeepsOwner),
    removeGrant: ({ holderId, principal }) =>
      changeGrants(projects, holderId, 'project', (grants) => {
        if (!grants.some((g) => samePrincipal(g, principal))) return { unchanged: false };
        const after = grants.filter((g) => !samePrincipal(g, principal));
        assertKeepsOwner(after);
        return { grants: after, result: true };
      }),
  });
}
