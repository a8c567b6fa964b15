import { sha256Hex } from './tokens.ts';

/**
 * RFC 7644 §3.14 (SCIM) and RFC 9110 §8.8.3 (the admin API): weak entity tags from the row version.
 * A representation that also shows what other rows hold (a SCIM user's manager and groups, a group's
 * members) adds a digest of that part, so the tag changes when the representation does:
 * `W/"3.1a2b3c4d5e6f"`. Without such a part it is `W/"3"`.
 */
export function etagOf(version: number, shown?: unknown): string {
  return shown === undefined ? `W/"${version}"` : `W/"${version}.${sha256Hex(JSON.stringify(shown)).slice(0, 12)}"`;
}

/**
 * The versions an If-Match header lists (RFC 9110 §13.1.1: a list of tags, weak or strong):
 * undefined when absent or `*` (any version), [] when it names none we could have issued.
 * A tag's digest of other rows is not compared: what it covers (a manager's or member's name, a
 * deleted manager or member hidden, a group's name or a membership made through the group) is
 * written elsewhere, never by this resource's PUT, PATCH or DELETE, whose own changes move the
 * version; so no write of the other resource can be lost by this one.
 */
export function ifMatchVersions(header: string | undefined): number[] | undefined {
  if (!header) return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) return undefined;
  return tags.map((tag) => /^(?:W\/)?"(\d+)(?:\.[0-9a-f]{12})?"$/.exec(tag)?.[1]).filter((v): v is string => v !== undefined).map(Number);
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

/** True when If-None-Match names the current tag (→ 304), compared weakly (RFC 9110 §13.1.2). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const current = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === current);
}
