/**
 * A jsonb column as the driver returns it: parsed on PostgreSQL, text on some
 * PGlite paths and in raw SQL results. Every reader of a raw jsonb value goes
 * through here.
 */
export function jsonbValue<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A jsonb list of strings. */
export function jsonStringList(value: unknown): string[] {
  const list = jsonbValue<unknown>(value, []);
  return Array.isArray(list) ? list.map(String) : [];
}
