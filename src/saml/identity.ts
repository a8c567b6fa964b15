import type { SsoIdentity } from '../directory/sso.ts';

/**
 * Assertion attributes → the identity the directory understands. Defaults cover
 * both vocabularies admins meet (IDP-NOTES §2): Okta's attribute statements
 * (`email`, `firstName`, …) and Entra's claim URIs. A connection's
 * `attributeMapping` ({field: attribute name}) is tried before the defaults.
 */

export const identityFields = ['email', 'givenName', 'familyName', 'displayName', 'userName', 'externalId', 'groups'] as const;
export type IdentityField = (typeof identityFields)[number];

const XMLSOAP = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';

export const defaultAttributeNames: Record<IdentityField, string[]> = {
  email: ['email', 'mail', `${XMLSOAP}/emailaddress`, 'urn:oid:0.9.2342.19200300.100.1.3'],
  givenName: ['firstName', 'givenName', `${XMLSOAP}/givenname`, 'urn:oid:2.5.4.42'],
  familyName: ['lastName', 'surname', 'sn', `${XMLSOAP}/surname`, 'urn:oid:2.5.4.4'],
  displayName: ['displayName', 'http://schemas.microsoft.com/identity/claims/displayname', 'urn:oid:2.16.840.1.113730.3.1.241'],
  userName: ['userName', `${XMLSOAP}/name`],
  externalId: ['externalId', 'http://schemas.microsoft.com/identity/claims/objectidentifier'],
  groups: ['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'],
};

export type Attributes = Record<string, unknown>;

function values(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter(Boolean);
}

/** The attribute names read for a field, in order: the connection's mapping first, then the defaults. */
export function attributeNamesFor(field: IdentityField, mapping: Record<string, string>): string[] {
  return mapping[field] ? [mapping[field], ...defaultAttributeNames[field]] : defaultAttributeNames[field];
}

function pick(attributes: Attributes, field: IdentityField, mapping: Record<string, string>): string[] {
  for (const name of attributeNamesFor(field, mapping)) {
    const found = values(attributes[name]);
    if (found.length) return found;
  }
  return [];
}

const limit = (value: string | undefined, max: number) => (value ? value.slice(0, max) : null);

/** Pure: NameID + attributes + mapping → identity. Over-long values are cut to the columns' sizes. */
export function toIdentity(nameId: string, nameIdFormat: string | null, attributes: Attributes, mapping: Record<string, string> = {}): SsoIdentity {
  const one = (field: IdentityField) => pick(attributes, field, mapping)[0];
  return {
    nameId,
    nameIdFormat,
    email: limit(one('email')?.toLowerCase(), 320),
    givenName: limit(one('givenName'), 200),
    familyName: limit(one('familyName'), 200),
    displayName: limit(one('displayName'), 300),
    userName: limit(one('userName'), 320),
    externalId: limit(one('externalId'), 320),
    groups: groupsOf(attributes, mapping),
  };
}

/**
 * Entra puts at most 150 groups in a SAML token; beyond that it leaves the
 * groups claim out and sends `…/claims/groups.link` (IDP-NOTES §2, "group
 * overage"). That is "too many to list", not "none": null, so the groups we
 * knew are kept rather than every mapped membership being removed.
 */
export const ENTRA_GROUPS_OVERAGE = 'http://schemas.microsoft.com/claims/groups.link';

function groupsOf(attributes: Attributes, mapping: Record<string, string>): string[] | null {
  const groups = pick(attributes, 'groups', mapping);
  if (!groups.length && values(attributes[ENTRA_GROUPS_OVERAGE]).length) return null;
  return groups;
}
