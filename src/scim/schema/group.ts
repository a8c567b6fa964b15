import { attr, column, commonAttributes, str } from './common.ts';
import type { SchemaDef } from './types.ts';

export const groupSchemaId = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * RFC 7643 §4.2 and §8.7.1: the Group schema. members lives in the memberships table;
 * `value` is a memberships.user_id: members are users only (a group as a member is refused), so
 * `type` and `$ref` name only User (RFC 7643 §7: clients read what the server supports here).
 */
export const groupSchema: SchemaDef = {
  id: groupSchemaId,
  name: 'Group',
  description: 'Group',
  attributes: [
    ...commonAttributes('Group'),
    // Unique per org, compared case-insensitively: groups (org_id, lower(display_name)) → 409 uniqueness.
    str('displayName', 'A human-readable name for the Group.', column('display_name'), { required: true, uniqueness: 'server' }),
    attr('members', 'complex', 'A list of members of the Group.', {
      multiValued: true,
      storage: { kind: 'members' },
      subAttributes: [
        str('value', 'Identifier of the member of this Group.', { kind: 'column', column: 'user_id', uuid: true }, {
          mutability: 'immutable',
        }),
        attr('$ref', 'reference', 'The URI of the corresponding member resource.', {
          mutability: 'immutable',
          referenceTypes: ['User'],
        }),
        str('display', 'A human-readable name, primarily used for display purposes.', undefined, {
          mutability: 'readOnly',
        }),
        str('type', 'The type of the member.', undefined, { mutability: 'immutable', canonicalValues: ['User'] }),
      ],
    }),
  ],
};
