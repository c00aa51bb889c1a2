import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupsOf, identityFromClaims, planSsoSync, safeNext } from './oidc.ts';

test('safeNext: only paths on this site', () => {
  for (const ok of ['/', '/#/projects/abc', '/#/login?next=%2F', '/a/b?c=d']) assert.equal(safeNext(ok), ok);
  for (const bad of [undefined, 7, '', 'projects', '//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/\r\nx', `/${'a'.repeat(1001)}`, ['/'], '/a\\b']) {
    assert.equal(safeNext(bad), '/', String(bad));
  }
});

test('identity: email only when email_verified is the boolean true; name; bounded groups', () => {
  const base = { sub: 'u1', email: 'a@example.com', name: '  Ada  ' };
  assert.equal(identityFromClaims('https://i', { ...base, email_verified: true }, 'groups').verifiedEmail, 'a@example.com');
  for (const v of [false, 'true', 1, undefined]) assert.equal(identityFromClaims('https://i', { ...base, email_verified: v }, 'groups').verifiedEmail, null, String(v));
  assert.equal(identityFromClaims('https://i', { ...base, email: 'not an email', email_verified: true }, 'groups').email, null);
  assert.equal(identityFromClaims('https://i', base, 'groups').name, 'Ada');
  assert.equal(identityFromClaims('https://i', { sub: 'u1', preferred_username: 'ada' }, 'groups').name, 'ada');
  assert.throws(() => identityFromClaims('https://i', { sub: '' }, 'groups'));
  assert.throws(() => identityFromClaims('https://i', { sub: 5 }, 'groups'));
});

test('groups claim: by exact name (URLs with dots), else a dotted path; strings only, deduplicated', () => {
  assert.deepEqual(groupsOf({ groups: ['a', 'b', 'a', 3, '', null] }, 'groups'), ['a', 'b']);
  assert.deepEqual(groupsOf({ groups: 'solo' }, 'groups'), ['solo']);
  assert.deepEqual(groupsOf({ 'https://example.com/groups': ['x'] }, 'https://example.com/groups'), ['x']);
  assert.deepEqual(groupsOf({ realm_access: { roles: ['r1'] } }, 'realm_access.roles'), ['r1']);
  assert.deepEqual(groupsOf({ realm_access: ['r1'] }, 'realm_access.roles'), []);
  assert.deepEqual(groupsOf({}, 'groups'), []);
  assert.deepEqual(groupsOf({ ['__proto__']: ['x'] }, '__proto__.x'), []);
  assert.equal(groupsOf({ groups: Array.from({ length: 5000 }, (_, i) => `g${i}`) }, 'groups').length, 1000);
});

test('sync plan: mapped groups follow the provider; the admin role only when admin groups are configured', () => {
  const config = { groupMap: { analysts: ['Analysts'], ops: ['Ops', 'Analysts'] }, adminGroups: ['admins'], defaultRole: 'viewer' as const };
  assert.deepEqual(planSsoSync(['ops', 'other'], config, 'user'), { managed: ['Analysts', 'Ops'], member: ['Analysts', 'Ops'], role: null });
  assert.deepEqual(planSsoSync(['admins'], config, 'user'), { managed: ['Analysts', 'Ops'], member: [], role: 'admin' });
  assert.equal(planSsoSync(['admins'], config, 'admin').role, null);
  assert.equal(planSsoSync([], config, 'admin').role, 'viewer', 'no longer in an admin group');
  assert.equal(planSsoSync([], { ...config, adminGroups: [] }, 'admin').role, null, 'without admin groups roles are Plotbox’s business');
});
