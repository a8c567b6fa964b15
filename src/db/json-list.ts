/** A jsonb list of strings as the driver returns it: parsed on PostgreSQL, text on some PGlite paths. */
export function jsonStringList(value: unknown): string[] {
  const list = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return Array.isArray(list) ? list.map(String) : [];
}
