/**
 * Per-request size limits of the SCIM surface, checked before a handler reads the body.
 * RFC 7644 sets none for PATCH or group membership; without them one request could hold
 * a transaction open for millions of rows. Like the bulk limits of §3.7.3, going over is
 * 413 with a detail naming the limit and its config key.
 */
import { ScimError } from './errors.ts';
import { getKey, isObject } from './patch/json.ts';

export interface RequestLimits {
  /** config `scim.maxPatchOperations` */
  maxPatchOperations: number;
  /** config `scim.maxMembersPerRequest` */
  maxMembersPerRequest: number;
}

// `members`, `members[value eq "…"]`, `members.value`, or the same behind the core schema URN.
const MEMBERS_PATH = /^(?:urn:ietf:params:scim:schemas:core:2\.0:group:)?members(?:$|[[.])/i;

/** Member entries a value names: an array counts its elements, anything else one. */
function entries(value: unknown): number {
  return Array.isArray(value) ? value.length : value === undefined ? 0 : 1;
}

/** How many members a Group POST/PUT body or PATCH body names. */
export function membersNamed(method: string, body: unknown): number {
  if (!isObject(body)) return 0;
  if (method !== 'PATCH') return entries(getKey(body, 'members'));
  const ops = getKey(body, 'Operations');
  if (!Array.isArray(ops)) return 0;
  let count = 0;
  for (const op of ops) {
    if (!isObject(op)) continue;
    const path = getKey(op, 'path');
    const value = getKey(op, 'value');
    if (typeof path === 'string' && path.trim() !== '') {
      if (MEMBERS_PATH.test(path.trim())) count += Math.max(entries(value), 1);
    } else if (isObject(value)) {
      count += entries(getKey(value, 'members'));
    }
  }
  return count;
}

/**
 * The limit a request breaks, as the error to answer with, or undefined. `resource` is the
 * collection the path names (`Users`, `Groups`, …).
 */
export function checkRequestLimits(method: string, resource: string, body: unknown, limits: RequestLimits): ScimError | undefined {
  if (method === 'PATCH' && isObject(body)) {
    const ops = getKey(body, 'Operations');
    if (Array.isArray(ops) && ops.length > limits.maxPatchOperations) {
      return new ScimError(413, `The PATCH has ${ops.length} Operations; at most ${limits.maxPatchOperations} are accepted per request (scim.maxPatchOperations)`);
    }
  }
  if (resource === 'Groups' && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
    const members = membersNamed(method, body);
    if (members > limits.maxMembersPerRequest) {
      return new ScimError(413, `The request names ${members} group members; at most ${limits.maxMembersPerRequest} are accepted per request (scim.maxMembersPerRequest): send them in several PATCHes`);
    }
  }
  return undefined;
}
