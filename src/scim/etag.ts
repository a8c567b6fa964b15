/** RFC 7644 §3.14: weak entity tags from the row version. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/**
 * The version an If-Match header asks for: undefined when absent or `*`,
 * null when it names no version we could have issued (always stale).
 */
export function versionFromIfMatch(header: string | undefined): number | undefined | null {
  if (!header || header.trim() === '*') return undefined;
  const versions = header.split(',').map((tag) => /^\s*(?:W\/)?"(\d+)"\s*$/.exec(tag)?.[1]).filter((v): v is string => v !== undefined);
  return versions.length ? Number(versions[0]) : null;
}

/** True when If-None-Match names the current version (→ 304). */
export function matchesIfNoneMatch(header: string | undefined, version: number): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${version}"`);
}
