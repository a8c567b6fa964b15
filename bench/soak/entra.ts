import { randomUUID } from 'node:crypto';

/**
 * What Microsoft Entra ID sends, as test/scim/transcripts/entra.test.ts and IDP-NOTES §1.3
 * describe it: create bodies with the enterprise extension, capitalised PATCH ops, `active`
 * as the strings "True"/"False", membership added in batches with path `members`.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Donald', 'Frances', 'Niklaus', 'Radia', 'Tim'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Knuth', 'Allen', 'Wirth', 'Perlman', 'Berners'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Tour Operations', 'Support', 'Legal', 'Marketing'];
export const TITLES = ['Engineer', 'Senior Engineer', 'Manager', 'Analyst', 'Director', 'Consultant'];

/** A small seeded PRNG (mulberry32), so a run's memberships are the same every time. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedUser {
  userName: string;
  externalId: string;
  givenName: string;
  familyName: string;
}

export function plannedUser(i: number): PlannedUser {
  const givenName = GIVEN[i % GIVEN.length]!;
  const familyName = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!;
  return { userName: `${givenName}.${familyName}.${i}@contoso.example`.toLowerCase(), externalId: randomUUID(), givenName, familyName };
}

/** Entra's create-user body; `managerId` when the manager already exists. */
export function userBody(i: number, user: PlannedUser, managerId: string | undefined): Record<string, unknown> {
  const displayName = `${user.givenName} ${user.familyName}`;
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: user.externalId,
    userName: user.userName,
    active: true,
    displayName,
    title: TITLES[i % TITLES.length],
    preferredLanguage: 'en-US',
    emails: [{ primary: true, type: 'work', value: user.userName }],
    phoneNumbers: [{ type: 'mobile', value: `+1 555 ${String(i).padStart(7, '0')}` }],
    addresses: [{ type: 'work', locality: 'Redmond', country: 'US' }],
    meta: { resourceType: 'User' },
    name: { formatted: displayName, familyName: user.familyName, givenName: user.givenName },
    roles: [],
    [ENTERPRISE]: {
      employeeNumber: String(100_000 + i),
      department: DEPARTMENTS[i % DEPARTMENTS.length],
      costCenter: String(4000 + (i % 50)),
      organization: 'Contoso',
      division: `Division ${i % 5}`,
      ...(managerId ? { manager: { value: managerId } } : {}),
    },
  };
}

export function groupBody(g: number): Record<string, unknown> {
  return { schemas: [GROUP_SCHEMA], externalId: randomUUID(), displayName: `Contoso Group ${String(g).padStart(4, '0')}`, members: [] };
}

export function addMembersBody(userIds: readonly string[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: userIds.map((value) => ({ value })) }] };
}

export function replaceBody(path: string, value: unknown): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path, value }] };
}

/**
 * Each user in 1–3 groups: one chosen uniformly, the others skewed towards the first
 * groups (r³), so a few groups grow to thousands of members (an "all staff" group) and
 * take many PATCH batches, sent concurrently, while most stay small.
 */
export function planMemberships(users: number, groups: number, seed = 9): number[][] {
  const random = prng(seed);
  const members: number[][] = Array.from({ length: groups }, () => []);
  for (let u = 0; u < users; u++) {
    const chosen = new Set<number>([Math.floor(random() * groups)]);
    const wanted = 1 + (u % 3);
    while (chosen.size < Math.min(wanted, groups)) chosen.add(Math.floor(groups * random() ** 3));
    for (const g of chosen) members[g]!.push(u);
  }
  return members;
}
