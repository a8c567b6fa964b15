import assert from 'node:assert/strict';
import {
  dottedSchemaUrn,
  groupResourceType,
  registry,
  resolvePath,
  resourceTypeJson,
  schemaJson,
  userResourceType,
} from '../../../src/scim/schema/registry.ts';
import type { AttributeDef } from '../../../src/scim/schema/types.ts';

const characteristics = ['name', 'type', 'multiValued', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness', 'description'] as const;

function walk(attributes: readonly AttributeDef[], prefix = ''): Array<[string, AttributeDef]> {
  return attributes.flatMap((a) => [[`${prefix}${a.name}`, a] as [string, AttributeDef], ...walk(a.subAttributes ?? [], `${prefix}${a.name}.`)]);
}

describe('schema registry', () => {
  it('gives every attribute all RFC 7643 §7 characteristics', () => {
    for (const schema of registry.schemas) {
      for (const [path, a] of walk(schema.attributes)) {
        for (const c of characteristics) assert.notEqual(a[c], undefined, `${schema.name} ${path} lacks ${c}`);
        assert.notEqual(a.description, '', `${schema.name} ${path} has no description`);
        assert.equal(a.type === 'complex', Boolean(a.subAttributes?.length), `${schema.name} ${path}: sub-attributes iff complex`);
      }
    }
  });

  it('declares the RFC 7643 §8.7.1 User characteristics that IdPs rely on', () => {
    const get = (p: string) => resolvePath(userResourceType, p)?.attribute;
    assert.deepEqual(
      [get('userName')?.required, get('userName')?.caseExact, get('userName')?.uniqueness],
      [true, false, 'server'],
    );
    assert.deepEqual([get('password')?.mutability, get('password')?.returned, get('password')?.storage], ['writeOnly', 'never', undefined]);
    assert.deepEqual([get('id')?.mutability, get('id')?.returned, get('id')?.caseExact], ['readOnly', 'always', true]);
    assert.equal(get('externalId')?.caseExact, true);
    assert.equal(get('groups')?.mutability, 'readOnly');
    assert.equal(get('x509Certificates.value')?.type, 'binary');
    assert.deepEqual(get('emails.type')?.canonicalValues, ['work', 'home', 'other']);
    assert.deepEqual(
      get('addresses')?.subAttributes?.map((a) => a.name),
      ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type', 'primary'],
    );
  });

  it('declares Group displayName required and members multi-valued', () => {
    const get = (p: string) => resolvePath(groupResourceType, p)?.attribute;
    assert.equal(get('displayName')?.required, true);
    assert.equal(get('members')?.multiValued, true);
    assert.deepEqual(get('members')?.subAttributes?.map((a) => a.name), ['value', '$ref', 'display', 'type']);
  });

  it('declares uniqueness only where the database enforces it (id; users (org, lower(user_name)); groups (org, lower(display_name)))', () => {
    const unique = registry.resourceTypes.flatMap((type) =>
      [type.schema, ...type.extensions.map((e) => e.schema)].flatMap((schema) =>
        walk(schema.attributes).filter(([, a]) => a.uniqueness !== 'none').map(([path, a]) => `${type.id} ${path} ${a.uniqueness}`),
      ),
    );
    assert.deepEqual(unique, ['User id server', 'User userName server', 'Group id server', 'Group displayName server']);
  });

  it('declares Group members as Users only (a group as a member is refused)', () => {
    const get = (p: string) => resolvePath(groupResourceType, p)?.attribute;
    assert.deepEqual(get('members.type')?.canonicalValues, ['User']);
    assert.deepEqual(get('members.$ref')?.referenceTypes, ['User']);
  });

  it('declares read-only what the server computes and ignores on writes', () => {
    const user = (p: string) => resolvePath(userResourceType, p)?.attribute.mutability;
    const group = (p: string) => resolvePath(groupResourceType, p)?.attribute.mutability;
    for (const p of ['id', 'meta', 'groups', 'groups.value', 'groups.$ref', 'groups.display', 'groups.type', 'manager.displayName']) assert.equal(user(p), 'readOnly', p);
    for (const p of ['id', 'meta', 'members.display']) assert.equal(group(p), 'readOnly', p);
  });

  it('finds schemas by URN case-insensitively', () => {
    assert.equal(registry.schema('URN:ietf:params:scim:schemas:core:2.0:user')?.name, 'User');
    assert.equal(registry.schema('urn:nope'), undefined);
    assert.equal(registry.resourceType('group'), groupResourceType);
  });

  describe('resolvePath', () => {
    const cases: Array<[string, string, string | undefined, string | undefined]> = [
      ['resolves a core attribute', 'userName', 'userName', undefined],
      ['resolves names case-insensitively', 'USERNAME', 'userName', undefined],
      ['resolves a sub-attribute', 'name.givenName', 'givenName', 'name'],
      ['resolves a sub-attribute case-insensitively', 'Emails.VALUE', 'value', 'emails'],
      ['resolves a core URN prefix', 'urn:ietf:params:scim:schemas:core:2.0:User:userName', 'userName', undefined],
      ['resolves an enterprise URN prefix', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'department', undefined],
      ['resolves an enterprise sub-attribute with its URN', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value', 'value', 'manager'],
      ['resolves an unqualified enterprise attribute', 'employeeNumber', 'employeeNumber', undefined],
      ['resolves meta.created', 'meta.created', 'created', 'meta'],
      ['refuses an unknown attribute', 'foo', undefined, undefined],
      ['refuses an unknown sub-attribute', 'name.foo', undefined, undefined],
      ['refuses three levels', 'name.givenName.x', undefined, undefined],
      ['refuses a URN of another resource', 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName', undefined, undefined],
      ['refuses a bare schema URN', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', undefined, undefined],
      // dottedSchemaUrn: a '.' after a known schema URN, then an attribute of that schema
      ['reads a dotted enterprise path as its colon form', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department', 'department', undefined],
      ['reads a dotted core path as its colon form', 'urn:ietf:params:scim:schemas:core:2.0:User.nickName', 'nickName', undefined],
      ['reads a dotted path with a sub-attribute', 'URN:ietf:params:scim:schemas:extension:enterprise:2.0:user.Manager.value', 'value', 'manager'],
      ['refuses a dotted path naming no attribute of that schema', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.nickName', undefined, undefined],
      ['refuses a dotted URN continued by another URN segment', 'urn:ietf:params:scim:schemas:core:2.0:User.v2:nickName', undefined, undefined],
    ];
    for (const [behaviour, path, name, parent] of cases) {
      it(behaviour, () => {
        const resolved = resolvePath(userResourceType, path);
        assert.equal(resolved?.attribute.name, name);
        assert.equal(resolved?.parent?.name, parent);
      });
    }
  });

  describe('dottedSchemaUrn', () => {
    const enterprise = userResourceType.extensions[0]!.schema;
    const cases: Array<[string, string, boolean]> = [
      ['accepts an attribute of the schema', 'department', true],
      ['accepts it in any case', 'DEPARTMENT', true],
      ['accepts a sub-attribute after it', 'manager.value', true],
      ['accepts a value filter after it', 'manager[value eq "x"]', true],
      ['refuses a name the schema does not declare', 'nickName', false],
      ['refuses another URN segment after the name', 'department:x', false],
      ['refuses nothing after the dot', '', false],
    ];
    for (const [behaviour, rest, expected] of cases) it(behaviour, () => assert.equal(dottedSchemaUrn(enterprise, rest), expected));
  });

  describe('/Schemas and /ResourceTypes', () => {
    it('represents a schema as RFC 7643 §7 JSON without storage or common attributes', () => {
      const json = schemaJson(userResourceType.schema) as { schemas: string[]; id: string; attributes: Array<Record<string, unknown>> };
      assert.deepEqual(json.schemas, ['urn:ietf:params:scim:schemas:core:2.0:Schema']);
      assert.equal(json.id, 'urn:ietf:params:scim:schemas:core:2.0:User');
      const names = json.attributes.map((a) => a.name);
      assert.ok(names.includes('userName') && names.includes('x509Certificates'));
      assert.ok(!names.includes('id') && !names.includes('meta'));
      assert.ok(!JSON.stringify(json).includes('storage'));
      const emails = json.attributes.find((a) => a.name === 'emails') as { subAttributes: Array<Record<string, unknown>> };
      assert.deepEqual(Object.keys(emails.subAttributes[0]!).sort(), [...characteristics].sort());
      assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
    });

    it('represents the User resource type with its enterprise extension', () => {
      assert.deepEqual(resourceTypeJson(userResourceType), {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
        schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false }],
        meta: { resourceType: 'ResourceType' },
      });
    });

    it('lists every schema once', () => {
      assert.deepEqual(
        registry.schemas.map((s) => s.id),
        [
          'urn:ietf:params:scim:schemas:core:2.0:User',
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
          'urn:ietf:params:scim:schemas:core:2.0:Group',
        ],
      );
    });
  });
});
