import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIpAllowlist, createThrottle } from './ip-allowlist.ts';

test('allowlist: IPv4 and IPv6 ranges, single addresses, IPv4-mapped clients compared as IPv4', () => {
  const list = createIpAllowlist(['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32', '::1/128']);
  const allowed = ['10.0.0.1', '10.255.255.255', '192.0.2.7', '::ffff:10.1.2.3', '::FFFF:192.0.2.7', '2001:db8::1', '2001:db8:ffff::9', '::1'];
  const refused = ['11.0.0.1', '192.0.2.8', '::ffff:11.1.2.3', '2001:db9::1', '127.0.0.1', '::2', '', 'not-an-ip', '10.0.0.1.5', '1.2.3', '0x0a.0.0.1'];
  for (const ip of allowed) assert.equal(list.allows(ip), true, ip);
  for (const ip of refused) assert.equal(list.allows(ip), false, ip);
  assert.equal(list.allows(undefined), false);
  assert.equal(list.allows(null), false);
  // An IPv4 range never matches an IPv6 client that is not IPv4-mapped, and the reverse.
  const v4only = createIpAllowlist(['0.0.0.0/0']);
  assert.equal(v4only.allows('2001:db8::1'), false);
  assert.equal(v4only.allows('::ffff:203.0.113.5'), true);
  assert.equal(createIpAllowlist(['::/0']).allows('203.0.113.5'), false);
  assert.throws(() => createIpAllowlist([]));
});

test('throttle: once per key per interval, bounded memory', () => {
  let t = 0;
  const once = createThrottle(60_000, 3, () => t);
  assert.equal(once('a'), true);
  assert.equal(once('a'), false);
  assert.equal(once('b'), true);
  t += 60_000;
  assert.equal(once('a'), true);
  assert.equal(once('c'), true);
  assert.equal(once('d'), true, 'the map was full and forgot everything');
  assert.equal(once('a'), true);
});
