import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, scopeOf } from '../people/support.ts';
import { createGroup, getGroup, saveGroup, type GroupRecord } from '../../src/directory/groups.ts';
import { StaleVersionError } from '../../src/directory/errors.ts';

/**
 * saveGroup is read-modify-write: a request reads the group, computes its
 * change, then writes. What happened in between decides whether the write may
 * land — member changes commute with attribute changes, attribute changes do not.
 */
describe('saving a group read before someone else changed it', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let ada: string;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    ada = await addUser(t, acme, { userName: 'ada@acme.test', email: 'ada@acme.test' });
  });
  after(() => t.close());

  async function groupNamed(name: string): Promise<GroupRecord> {
    const created = await createGroup(t.container.fork(), scopeOf(acme), { displayName: name, externalId: null, description: null, scimAttributes: {} }, [], 'scim');
    return getGroup(t.container.fork(), scopeOf(acme), created.id, { withMembers: true });
  }

  it('renames a group whose members changed since it was read, keeping the new member', async () => {
    const read = await groupNamed('Before rename');
    await saveGroup(t.container.fork(), scopeOf(acme), read, read, { add: [ada] }, { source: 'scim' });
    const { group } = await saveGroup(t.container.fork(), scopeOf(acme), read, { ...read, displayName: 'After rename' }, {}, { source: 'scim' });
    assert.equal(group.displayName, 'After rename');
    assert.deepEqual(group.members?.map((m) => m.id), [ada]);
    assert.equal(group.version, read.version + 2);
  });

  it('refuses an attribute change computed from a group whose attributes changed since it was read', async () => {
    const read = await groupNamed('Original');
    await saveGroup(t.container.fork(), scopeOf(acme), read, { ...read, description: 'set meanwhile' }, {}, { source: 'scim' });
    await assert.rejects(
      saveGroup(t.container.fork(), scopeOf(acme), read, { ...read, displayName: 'Renamed' }, {}, { source: 'scim' }),
      StaleVersionError,
    );
    const now = await getGroup(t.container.fork(), scopeOf(acme), read.id);
    assert.equal(now.displayName, 'Original');
    assert.equal(now.description, 'set meanwhile');
  });

  it('refuses any change when the version the client named (If-Match) is no longer current', async () => {
    const read = await groupNamed('Pinned');
    await saveGroup(t.container.fork(), scopeOf(acme), read, read, { add: [ada] }, { source: 'scim' });
    await assert.rejects(
      saveGroup(t.container.fork(), scopeOf(acme), read, { ...read, displayName: 'Pinned 2' }, {}, { source: 'scim', expectedVersion: read.version }),
      StaleVersionError,
    );
  });
});
