/** RFC 7644 §3.14 (SCIM) and RFC 9110 §8.8.3 (the admin API): weak entity tags from the row version. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/**
 * The versions an If-Match header lists (RFC 9110 §13.1.1: a list of tags, weak or strong):
 * undefined when absent or `*` (any version), [] when it names none we could have issued.
 */
export function ifMatchVersions(header: string | undefined): number[] | undefined {
  if (!header) return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) return undefined;
  return tags.map((tag) => /^(?:W\/)?"(\d+)"$/.exec(tag)?.[1]).filter((v): v is string => v !== undefined).map(Number);
}

/**
 * The version an If-Match header asks for: undefined when absent or `*`,
 * null when it names no version we could have issued (always stale). For a list,
 * the first tag; the router picks the current one first (handlers/context.ts ifMatchAny).
 */
export function versionFromIfMatch(header: string | undefined): number | undefined | null {
  const versions = ifMatchVersions(header);
  if (versions === undefined) return undefined;
  return versions.length ? versions[0]! : null;
}

/** True when If-None-Match names the current version (→ 304). */
export function matchesIfNoneMatch(header: string | undefined, version: number): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${version}"`);
}
