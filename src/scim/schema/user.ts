import { attr, column, commonAttributes, elementStr, multiValued, scimJson, str } from './common.ts';
import type { SchemaDef } from './types.ts';

export const userSchemaId = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * RFC 7643 §4.1 and §8.7.1: the core User schema.
 *
 * `active` is derived from users.state: true for 'active' and 'invited' (an invited person is
 * enabled, just not signed in yet), false for 'disabled'. 'deleted' users are never visible to
 * SCIM at all, so the store's callers exclude them before any filter applies.
 */
export const userSchema: SchemaDef = {
  id: userSchemaId,
  name: 'User',
  description: 'User Account',
  attributes: [
    ...commonAttributes('User'),
    str('userName', 'Unique identifier for the User, used to authenticate.', column('user_name'), {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', 'complex', "The components of the user's real name.", {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.', scimJson('name', 'formatted')),
        str('familyName', 'The family name of the User.', column('family_name')),
        str('givenName', 'The given name of the User.', column('given_name')),
        str('middleName', 'The middle name(s) of the User.', column('middle_name')),
        str('honorificPrefix', 'The honorific prefix(es) of the User.', column('honorific_prefix')),
        str('honorificSuffix', 'The honorific suffix(es) of the User.', column('honorific_suffix')),
      ],
    }),
    str('displayName', 'The name of the User, suitable for display to end-users.', column('display_name')),
    str('nickName', 'The casual way to address the user.', column('nick_name')),
    attr('profileUrl', 'reference', "A URI of the User's online profile.", {
      referenceTypes: ['external'],
      storage: scimJson('profileUrl'),
    }),
    str('title', "The user's title, such as \"Vice President\".", column('title')),
    str('userType', 'The relationship between the organization and the user.', column('user_type')),
    str('preferredLanguage', "The User's preferred written or spoken language.", column('preferred_language')),
    str('locale', "The User's default location, for localizing items.", column('locale')),
    str('timezone', "The User's time zone in the IANA Time Zone database format.", column('timezone')),
    attr('active', 'boolean', "The User's administrative status.", { storage: { kind: 'state' } }),
    // RFC 7643 §4.1.1: never returned; and never filterable, so it has no storage.
    str('password', "The User's cleartext password, for setting or changing it.", undefined, {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multiValued('emails', 'Email addresses for the user.', { kind: 'jsonArray', column: 'emails' }, {
      types: ['work', 'home', 'other'],
    }),
    multiValued('phoneNumbers', 'Phone numbers for the User.', { kind: 'jsonArray', column: 'phone_numbers' }, {
      types: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
    }),
    multiValued('ims', 'Instant messaging addresses for the User.', scimJson('ims'), {
      types: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
    }),
    multiValued('photos', 'URLs of images of the User.', scimJson('photos'), {
      types: ['photo', 'thumbnail'],
      valueType: 'reference',
      referenceTypes: ['external'],
    }),
    addresses(),
    groups(),
    multiValued('entitlements', 'Entitlements for the User.', scimJson('entitlements')),
    multiValued('roles', 'Roles for the User.', scimJson('roles')),
    multiValued('x509Certificates', 'X.509 certificates issued to the User.', scimJson('x509Certificates'), {
      valueType: 'binary',
    }),
  ],
};

/** RFC 7643 §4.1.2: addresses have no value/display, but their own parts. */
function addresses() {
  const def = multiValued('addresses', 'Physical mailing addresses for the User.', scimJson('addresses'), {
    types: ['work', 'home', 'other'],
    extra: [
      elementStr('formatted', 'The full mailing address, formatted for display.'),
      elementStr('streetAddress', 'The full street address component.'),
      elementStr('locality', 'The city or locality component.'),
      elementStr('region', 'The state or region component.'),
      elementStr('postalCode', 'The zip code or postal code component.'),
      elementStr('country', 'The country name component, ISO 3166-1 alpha-2.'),
    ],
  });
  def.subAttributes = def.subAttributes!.filter((a) => a.name !== 'value' && a.name !== 'display');
  return def;
}

/**
 * RFC 7643 §4.1.2: groups is read-only, computed from group memberships (the Group resource's
 * members are the source of truth); `value` is a memberships.group_id.
 */
function groups() {
  const readOnly = { mutability: 'readOnly' } as const;
  return attr('groups', 'complex', 'Groups to which the user belongs.', {
    ...readOnly,
    multiValued: true,
    storage: { kind: 'groups' },
    subAttributes: [
      str('value', 'The identifier of the User\'s group.', { kind: 'column', column: 'group_id', uuid: true }, readOnly),
      attr('$ref', 'reference', 'The URI of the corresponding Group resource.', { ...readOnly, referenceTypes: ['Group'] }),
      str('display', 'A human-readable name, primarily used for display purposes.', undefined, readOnly),
      str('type', 'How the membership was derived.', undefined, { ...readOnly, canonicalValues: ['direct', 'indirect'] }),
    ],
  });
}
