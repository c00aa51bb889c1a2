/** The groups repository on SQLite: `user_groups` and `group_members`. */
import { GROUP_INPUTS, assembleRepository, byCreatedAt, likeLiteral, notFound } from '@plotbox/store';
import type { Group, GroupRepository } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { exists, paged } from '../queries.ts';
import { date, str } from '../rows.ts';
import type { Row } from '../rows.ts';

export function createGroupsRepository(h: SqliteHandle): GroupRepository {
  const toGroup = (r: Row): Group => {
    const id = str(r, 'id');
    return {
      id,
      name: str(r, 'name'),
      memberIds: h.all('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id', id).map((m) => str(m, 'user_id')),
      createdAt: date(r, 'created_at'),
      updatedAt: date(r, 'updated_at'),
    };
  };
  const find = (column: 'id' | 'name', value: string): Group | null => h.find(toGroup, `SELECT * FROM user_groups WHERE ${column} = ?`, value);
  /** Run `change` on an existing group (a membership change marks it updated); returns the group after. */
  const changeMembers = (groupId: string, change: () => boolean): Group =>
    h.tx(() => {
      if (!exists(h, 'user_groups', groupId)) throw notFound('group');
      if (change()) h.run('UPDATE user_groups SET updated_at = ? WHERE id = ?', h.nowMs(), groupId);
      return find('id', groupId) as Group;
    });

  return assembleRepository(GROUP_INPUTS, h.op, {
    create: (c) =>
      h.tx(() => {
        for (const m of c.memberIds) if (!exists(h, 'users', m)) throw notFound('user');
        const id = h.newId();
        const t = h.nowMs();
        h.run('INSERT INTO user_groups (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)', id, c.name, t, t);
        for (const m of c.memberIds) h.run('INSERT INTO group_members (group_id, user_id) VALUES (?, ?)', id, m);
        return find('id', id) as Group;
      }),
    findById: (id) => find('id', id),
    findByName: (name) => find('name', name),
    list: (page) => paged(h, { base: 'SELECT * FROM user_groups WHERE 1 = 1', params: [], timeColumn: 'created_at', map: toGroup, position: byCreatedAt }, page),
    search: (q) => {
      const p = likeLiteral(q.prefix);
      return h.all(`SELECT * FROM user_groups WHERE name LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' ORDER BY name COLLATE NOCASE, id LIMIT ?`, `${p}%`, `% ${p}%`, q.limit).map(toGroup);
    },
    listForUser: (userId) => h.all('SELECT g.* FROM user_groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.created_at, g.id', userId).map(toGroup),
    rename: ({ id, name }) => {
      if (h.run('UPDATE user_groups SET name = ?, updated_at = ? WHERE id = ?', name, h.nowMs(), id) === 0) throw notFound('group');
      return find('id', id) as Group;
    },
    addMember: ({ groupId, userId }) =>
      changeMembers(groupId, () => {
        if (!exists(h, 'users', userId)) throw notFound('user');
        return h.run('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)', groupId, userId) === 1;
      }),
    removeMember: ({ groupId, userId }) => changeMembers(groupId, () => h.run('DELETE FROM group_members WHERE group_id = ? AND user_id = ?', groupId, userId) === 1),
    delete: (id) =>
      h.tx(() => {
        h.run("DELETE FROM project_grants WHERE principal_kind = 'group' AND principal_id = ?", id);
        h.run("DELETE FROM dashboard_grants WHERE principal_kind = 'group' AND principal_id = ?", id);
        return h.run('DELETE FROM user_groups WHERE id = ?', id) === 1;
      }),
  });
}
