/** The groups repository on MongoDB: `groups`, members embedded as ids. */
import { GROUP_INPUTS, assembleRepository, byCreatedAt, notFound, principalKey } from '@plotbox/store';
import type { Group, GroupRepository } from '@plotbox/store';
import type { GroupDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { CASE_INSENSITIVE, escapeRegExp, existsIn, findOne, paged } from '../queries.ts';

function toGroup(d: GroupDoc): Group {
  return { id: d._id, name: d.name, memberIds: [...d.memberIds].sort(), createdAt: d.createdAt, updatedAt: d.updatedAt };
}

export function createGroupsRepository(h: MongoHandle): GroupRepository {
  const groups = h.c.groups;
  const getGroup = async (id: string): Promise<Group> => {
    const g = await findOne(groups, { _id: id }, toGroup);
    if (g === null) throw notFound('group');
    return g;
  };

  return assembleRepository(GROUP_INPUTS, h.op, {
    create: async (c) => {
      if (c.memberIds.length > 0 && (await h.c.users.countDocuments({ _id: { $in: c.memberIds } })) !== c.memberIds.length) throw notFound('user');
      const t = h.now();
      const doc: GroupDoc = { _id: h.newId(), name: c.name, memberIds: c.memberIds, createdAt: t, updatedAt: t };
      await groups.insertOne(doc);
      return toGroup(doc);
    },
    findById: (id) => findOne(groups, { _id: id }, toGroup),
    findByName: (name) => findOne(groups, { name }, toGroup),
    list: (page) => paged(groups, { filter: {}, timeField: 'createdAt', map: toGroup, position: byCreatedAt }, page),
    listForUser: async (userId) => (await groups.find({ memberIds: userId }).sort({ createdAt: 1, _id: 1 }).toArray()).map(toGroup),
    search: async (q) => {
      const docs = await groups
        .find({ name: { $regex: `(?:^|\\s)${escapeRegExp(q.prefix)}`, $options: 'i' } })
        .collation(CASE_INSENSITIVE)
        .sort({ name: 1, _id: 1 })
        .limit(q.limit)
        .toArray();
      return docs.map(toGroup);
    },
    rename: async ({ id, name }) => {
      const d = await groups.findOneAndUpdate({ _id: id }, { $set: { name, updatedAt: h.now() } }, { returnDocument: 'after' });
      if (d === null) throw notFound('group');
      return toGroup(d);
    },
    addMember: async ({ groupId, userId }) => {
      if (!(await existsIn(groups, groupId))) throw notFound('group');
      if (!(await existsIn(h.c.users, userId))) throw notFound('user');
      await groups.updateOne({ _id: groupId, memberIds: { $ne: userId } }, { $addToSet: { memberIds: userId }, $set: { updatedAt: h.now() } });
      return getGroup(groupId);
    },
    removeMember: async ({ groupId, userId }) => {
      await groups.updateOne({ _id: groupId, memberIds: userId }, { $pull: { memberIds: userId }, $set: { updatedAt: h.now() } });
      return getGroup(groupId);
    },
    delete: async (id) => {
      // The group goes first, so setGrant (which checks that it exists) cannot re-add it.
      const deleted = (await groups.deleteOne({ _id: id })).deletedCount === 1;
      const key = principalKey({ kind: 'group', id });
      const pull = { $pull: { grants: { kind: 'group' as const, id }, grantKeys: key }, $inc: { grantsRev: 1 } };
      await h.c.projects.updateMany({ grantKeys: key }, pull);
      await h.c.dashboards.updateMany({ grantKeys: key }, pull);
      return deleted;
    },
  });
}
