/** Small JSON helpers for the PATCH engine: plain-object test and case-insensitive keys. */

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7643 §2.1: attribute names are case-insensitive; find the key an object really uses. */
export function findKey(obj: Json, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

export function getKey(obj: Json, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

/** Writes under the canonical name, dropping any differently-cased spelling of it. */
export function setKey(obj: Json, name: string, value: unknown): void {
  deleteKey(obj, name);
  obj[name] = value;
}

export function deleteKey(obj: Json, name: string): void {
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) delete obj[k];
}
