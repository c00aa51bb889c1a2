/** The projects repository on SQLite: `projects` and `project_grants`. */
import { PROJECT_INPUTS, assembleRepository, byCreatedAt, conflict, countDirectUserOwners, notFound } from '@plotbox/store';
import type { Grant, Project, ProjectRepository } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { exists, insertUnder, paged, versionedUpdate } from '../queries.ts';
import { date, num, str } from '../rows.ts';
import type { Row } from '../rows.ts';
import { PROJECT_GRANTS, deleteGrant, listGrants, samePrincipal, setGrant, upsertGrant } from './grants.ts';

function toProject(r: Row): Project {
  return {
    id: str(r, 'id'),
    name: str(r, 'name'),
    description: str(r, 'description'),
    createdBy: str(r, 'created_by'),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
  };
}

/** The owner invariant (SPEC §3.5) after a change of grants. @throws `STORE_CONFLICT` `last_owner`. */
function assertKeepsOwner(after: readonly Pick<Grant, 'principal' | 'role'>[]): void {
  if (countDirectUserOwners(after) === 0) throw conflict('last_owner');
}

export function createProjectsRepository(h: SqliteHandle): ProjectRepository {
  const getProject = (id: string): Project | null => h.find(toProject, 'SELECT * FROM projects WHERE id = ?', id);
  const list = (base: string, params: string[]) => ({ base, params, timeColumn: 'created_at', map: toProject, position: byCreatedAt });

  return assembleRepository(PROJECT_INPUTS, h.op, {
    // The creator is its owner from the same transaction on: a project never exists without one.
    create: (c) => {
      const { id } = insertUnder(h, { table: 'users', id: c.createdBy, entity: 'user' }, (pid, t) => {
        h.run('INSERT INTO projects (id, name, description, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 1)', pid, c.name, c.description, c.createdBy, t, t);
        upsertGrant(h, PROJECT_GRANTS, pid, { kind: 'user', id: c.createdBy }, 'owner', t);
      });
      return getProject(id) as Project;
    },
    findById: (id) => getProject(id),
    list: (page) => paged(h, list('SELECT * FROM projects WHERE 1 = 1', []), page),
    listForPrincipals: ({ principalKeys, page }) =>
      paged(h, list('SELECT * FROM projects WHERE id IN (SELECT project_id FROM project_grants WHERE principal_key IN (SELECT value FROM json_each(?)))', [JSON.stringify(principalKeys)]), page),
    update: ({ id, expectedVersion, patch }) => toProject(versionedUpdate(h, { table: 'projects', entity: 'project', id, expectedVersion, set: { name: patch.name, description: patch.description } })),
    delete: (id) =>
      h.tx(() => {
        if (!exists(h, 'projects', id)) return null;
        const blobKeys = h
          .all('SELECT v.blob_key FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.project_id = ? ORDER BY v.created_at, v.id', id)
          .map((r) => str(r, 'blob_key'));
        // Dashboards, charts, datasets, versions and grants go with it (ON DELETE CASCADE), in this transaction.
        h.run('DELETE FROM projects WHERE id = ?', id);
        return { blobKeys };
      }),
    listGrants: (projectId) => listGrants(h, PROJECT_GRANTS, projectId),
    setGrant: (input) => setGrant(h, PROJECT_GRANTS, input, assertKeepsOwner),
    removeGrant: ({ holderId, principal }) =>
      h.tx(() => {
        if (!exists(h, 'projects', holderId)) throw notFound('project');
        const before = listGrants(h, PROJECT_GRANTS, holderId);
        if (!before.some((g) => samePrincipal(g.principal, principal))) return false;
        assertKeepsOwner(before.filter((g) => !samePrincipal(g.principal, principal)));
        return deleteGrant(h, PROJECT_GRANTS, holderId, principal);
      }),
  });
}
