import assert from 'node:assert/strict';
import { planUserMappings, type HeldMembership, type MappingRule, type MappingSource } from '../../src/directory/group-mapping-plan.ts';
import { planPerson } from '../../src/directory/mapped-memberships.ts';

const roles = ['viewer', 'editor', 'admin'];
const rules: MappingRule[] = [
  { idpGroup: 'Nurses', groupId: 'ward5', role: 'editor' },
  { idpGroup: 'Leads', groupId: 'ward5', role: 'admin' },
  { idpGroup: 'Night', groupId: 'ward6', role: 'viewer' },
];
const held = (groupId: string, role: string, source: HeldMembership['source'], viaMapping: boolean): HeldMembership => ({ groupId, role, source, viaMapping });

describe('IdP group mapping plan', () => {
  const cases: Array<{ name: string; groups: string[]; held: HeldMembership[]; source: MappingSource; expect: Array<[string, string, string]> }> = [
    { name: 'adds the mapped membership, matching the IdP group name ignoring case', groups: ['NURSES'], held: [], source: 'scim', expect: [['add', 'ward5', 'editor']] },
    { name: 'gives the role listed last when two IdP groups map to one group', groups: ['Nurses', 'Leads'], held: [], source: 'scim', expect: [['add', 'ward5', 'admin']] },
    { name: 'changes the role of its own mapped membership', groups: ['Leads'], held: [held('ward5', 'editor', 'scim', true)], source: 'scim', expect: [['change', 'ward5', 'admin']] },
    { name: 'removes its own mapped membership when the IdP group is gone', groups: [], held: [held('ward5', 'editor', 'scim', true)], source: 'scim', expect: [['remove', 'ward5', 'editor']] },
    { name: 'takes over a membership an admin made', groups: ['Night'], held: [held('ward6', 'viewer', 'admin', false)], source: 'saml-jit', expect: [['change', 'ward6', 'viewer']] },
    { name: 'leaves a membership SCIM gives to a sign-in claim', groups: ['Leads'], held: [held('ward5', 'editor', 'scim', true)], source: 'saml-jit', expect: [] },
    { name: 'takes over a membership a sign-in claim gave when SCIM maps it', groups: ['Nurses'], held: [held('ward5', 'admin', 'saml-jit', true)], source: 'scim', expect: [['change', 'ward5', 'editor']] },
    { name: 'never removes what another source made', groups: [], held: [held('ward5', 'editor', 'saml-jit', true), held('ward6', 'viewer', 'admin', false)], source: 'scim', expect: [] },
    { name: 'leaves a membership SCIM made directly (not by a mapping)', groups: ['Night'], held: [held('ward6', 'admin', 'scim', false)], source: 'scim', expect: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(planUserMappings(rules, roles, c.groups, c.held, c.source).map((p) => [p.action, p.groupId, p.role]), c.expect);
    });
  }

  it('runs SCIM first and the sign-in second, netting one change per group', () => {
    // SCIM no longer gives ward5; the sign-in's claim does: one change of source, not a removal and an add.
    const changes = planPerson(rules, roles, [], ['Nurses'], [held('ward5', 'editor', 'scim', true)]);
    assert.deepEqual(changes.map((c) => [c.action, c.groupId, c.role, c.source, c.from?.source]), [['change', 'ward5', 'editor', 'saml-jit', 'scim']]);
  });
});
