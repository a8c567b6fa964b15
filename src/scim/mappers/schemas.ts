type Json = Record<string, unknown>;

/**
 * RFC 7643 §3: `schemas` lists every schema whose attributes the resource holds, and an
 * extension's attributes sit in an object under its URN (§3.3). So a stored key is an
 * extension when it is a URN holding an object; a URN-qualified core attribute kept raw
 * (`urn:…:core:2.0:User:nickName`) is not one.
 */
export function isExtensionKey(key: string, value: unknown, coreSchemaId: string): boolean {
  return holdsExtensionObject(key, value) && !key.toLowerCase().startsWith(`${coreSchemaId.toLowerCase()}:`);
}

/** A top-level key that is a URN holding an object (RFC 7643 §3.3): how an extension's attributes are sent. */
export function holdsExtensionObject(key: string, value: unknown): value is Record<string, unknown> {
  return /^urn:/i.test(key) && value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The extension URNs among the raw (schema-unknown) attributes a resource keeps, in their order. */
export function rawExtensionUrns(raw: Json, coreSchemaId: string, skip?: string): string[] {
  const urns: string[] = [];
  for (const key in raw) if (key !== skip && isExtensionKey(key, raw[key], coreSchemaId)) urns.push(key);
  return urns;
}
