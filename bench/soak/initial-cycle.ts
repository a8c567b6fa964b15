import type { PoliteClient } from './client.ts';
import type { Recorder } from './stats.ts';
import { addMembersBody, groupBody, planMemberships, plannedUser, prng, userBody, type PlannedUser } from './entra.ts';

/**
 * Phase 1, an Entra-like initial cycle: every user created (POST /Users), then every group
 * (POST /Groups), then the memberships added in batches (PATCH /Groups/{id}, op Add, path
 * members), by `clients` concurrent clients; then every group read back and its member count
 * compared with the plan, so a lost member is a wrong answer, not a silent miss.
 */

export interface CycleOptions {
  users: number;
  groups: number;
  clients: number;
  batch: number;
  /** Users the org holds besides the ones created here (the people who sign in). */
  otherUsers: number;
  /** performance.now() past which no new request starts (the run's time box). */
  deadline: number;
  log: (line: string) => void;
}

export interface Directory {
  planned: PlannedUser[];
  userIds: string[];
  groupIds: string[];
  /** members[g]: indexes into userIds of group g's members. */
  members: number[][];
}

export interface CycleResult {
  directory: Directory;
  memberships: number;
  patches: number;
  steps: Record<string, number>;
  seconds: number;
}

/** Runs `work(i)` for i in [0, count) on `clients` concurrent workers, logging progress every 10 s. */
async function pool(label: string, count: number, options: CycleOptions, work: (i: number) => Promise<void>): Promise<number> {
  const { clients, log, deadline } = options;
  const began = performance.now();
  let next = 0;
  let done = 0;
  const ticker = setInterval(() => log(`  ${label}: ${done}/${count} after ${((performance.now() - began) / 1000).toFixed(0)} s`), 10_000);
  try {
    await Promise.all(Array.from({ length: clients }, async () => {
      for (let i = next++; i < count && performance.now() < deadline; i = next++) {
        await work(i);
        done++;
      }
    }));
  } finally {
    clearInterval(ticker);
  }
  const seconds = (performance.now() - began) / 1000;
  log(`  ${label}: ${done} of ${count} in ${seconds.toFixed(1)} s`);
  return seconds;
}

export async function initialCycle(client: PoliteClient, recorder: Recorder, options: CycleOptions): Promise<CycleResult> {
  const { users, groups, batch } = options;
  const began = performance.now();
  const planned = Array.from({ length: users }, (_, i) => plannedUser(i));
  const userIds: string[] = new Array<string>(users);
  const groupIds: string[] = new Array<string>(groups);
  const steps: Record<string, number> = {};

  steps.users = await pool('POST /Users', users, options, async (i) => {
    // Managers are the first of each 25 users; named only once created (Entra orders the same way).
    const manager = i % 25 === 0 ? undefined : userIds[i - (i % 25)];
    const answer = await client.call('cycle POST /Users', { method: 'POST', path: '/scim/v2/Users', body: userBody(i, planned[i]!, manager) }, [201]);
    const user = answer?.body as { id?: string; userName?: string } | undefined;
    if (!answer) return;
    if (typeof user?.id !== 'string' || user.userName?.toLowerCase() !== planned[i]!.userName) recorder.problem(`POST /Users ${planned[i]!.userName}: wrong resource`);
    else userIds[i] = user.id;
  });

  steps.groups = await pool('POST /Groups', groups, options, async (g) => {
    const answer = await client.call('cycle POST /Groups', { method: 'POST', path: '/scim/v2/Groups', body: groupBody(g) }, [201]);
    const id = (answer?.body as { id?: string } | undefined)?.id;
    if (answer && typeof id !== 'string') recorder.problem(`POST /Groups ${g}: no id`);
    if (typeof id === 'string') groupIds[g] = id;
  });

  const members = planMemberships(users, groups);
  const batches: Array<{ g: number; ids: string[] }> = [];
  members.forEach((list, g) => {
    for (let at = 0; at < list.length; at += batch) batches.push({ g, ids: list.slice(at, at + batch).map((u) => userIds[u]!).filter(Boolean) });
  });
  // Shuffled, so the big groups' batches arrive concurrently from several clients.
  const random = prng(17);
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [batches[i], batches[j]] = [batches[j]!, batches[i]!];
  }
  steps.memberships = await pool(`PATCH /Groups add members (≤ ${batch} per request)`, batches.length, options, async (b) => {
    const { g, ids } = batches[b]!;
    if (!groupIds[g] || ids.length === 0) return;
    const answer = await client.call('cycle PATCH /Groups add members', { method: 'PATCH', path: `/scim/v2/Groups/${groupIds[g]}`, body: addMembersBody(ids) }, [200, 204]);
    const body = answer?.body as { members?: Array<{ value: string }> } | undefined;
    if (answer?.status === 200) {
      const present = new Set((body?.members ?? []).map((m) => m.value));
      const missing = ids.filter((id) => !present.has(id)).length;
      if (missing) recorder.problem(`PATCH /Groups/${groupIds[g]}: ${missing} of the ${ids.length} added members missing from the answer`);
    }
  });

  steps.verify = await pool('GET /Groups/{id} (verify members)', groups, options, async (g) => {
    if (!groupIds[g]) return;
    const answer = await client.call('cycle verify GET /Groups/{id}', { method: 'GET', path: `/scim/v2/Groups/${groupIds[g]}` }, [200]);
    const got = (answer?.body as { members?: unknown[] } | undefined)?.members?.length ?? 0;
    if (answer && got !== members[g]!.length) recorder.problem(`group ${g}: ${got} members, planned ${members[g]!.length}`);
  });
  const total = await client.call('cycle verify GET /Users?count=1', { method: 'GET', path: '/scim/v2/Users?count=1' }, [200]);
  const totalResults = (total?.body as { totalResults?: number } | undefined)?.totalResults;
  if (total && totalResults !== users + options.otherUsers) recorder.problem(`GET /Users: totalResults ${totalResults}, expected ${users + options.otherUsers}`);

  return {
    directory: { planned, userIds, groupIds, members },
    memberships: members.reduce((n, list) => n + list.length, 0),
    patches: batches.length,
    steps,
    seconds: (performance.now() - began) / 1000,
  };
}
