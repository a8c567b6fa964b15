import { send, type Call, type Target } from '../load.ts';
import { sleep, type Answer, type PoliteClient } from './client.ts';
import type { Directory } from './initial-cycle.ts';
import type { Recorder } from './stats.ts';
import { replaceBody, TITLES } from './entra.ts';
import { ORG, type Person } from './setup.ts';
import { memoryOf } from '../support.ts';

/**
 * Phase 2, the mixed soak: `clients` SCIM clients sending what an IdP sends between cycles
 * (filters by userName, externalId, group membership, displayName co; PATCHes of active and
 * title), one person signing in with a password every `loginEveryMs`, and a CSV export of
 * all users every `exportEveryMs`. Every answer is checked against what the directory holds.
 * The server's RSS is sampled every second.
 */

export interface SoakOptions {
  durationMs: number;
  warmupMs: number;
  clients: number;
  loginEveryMs: number;
  exportEveryMs: number;
  pid: number;
  baseUrl: string;
  admin: Target;
  people: Person[];
  log: (line: string) => void;
}

export interface SoakResult {
  seconds: number;
  rssAfterWarmup: number;
  rssEnd: number;
  rssMin: number;
  rssMax: number;
  peak: number;
  /** [seconds since the soak began, RSS MiB]: the first sample, then every 30 s, and the last. */
  trend: Array<[number, number]>;
  exports: number;
  logins: number;
}

type Kind = { name: string; weight: number; make: () => { call: Call; check: (answer: Answer) => string | undefined } | undefined };

function scimKinds(dir: Directory): Kind[] {
  const n = dir.userIds.length;
  const pick = () => Math.floor(Math.random() * n);
  const memberOf = new Map<number, Set<number>>();
  dir.members.forEach((list, g) => list.forEach((u) => memberOf.set(u, (memberOf.get(u) ?? new Set()).add(g))));
  const families = [...new Set(dir.planned.map((p) => p.familyName))];
  const familyCount = new Map(families.map((f) => [f, dir.planned.filter((p) => p.familyName === f).length]));
  const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
  const total = (answer: Answer) => (answer.body as { totalResults?: number }).totalResults;
  const one = (id: string) => (answer: Answer) => {
    const list = answer.body as { totalResults?: number; Resources?: Array<{ id?: string }> };
    return list.totalResults === 1 && list.Resources?.[0]?.id === id ? undefined : `expected exactly user ${id}`;
  };
  return [
    { name: 'GET /Users?filter=userName eq', weight: 25, make: () => {
      const u = pick();
      return dir.userIds[u] ? { call: { method: 'GET', path: `/scim/v2/Users?${q(`userName eq "${dir.planned[u]!.userName}"`)}` }, check: one(dir.userIds[u]) } : undefined;
    } },
    { name: 'GET /Users?filter=externalId eq', weight: 20, make: () => {
      const u = pick();
      return dir.userIds[u] ? { call: { method: 'GET', path: `/scim/v2/Users?${q(`externalId eq "${dir.planned[u]!.externalId}"`)}` }, check: one(dir.userIds[u]) } : undefined;
    } },
    // Entra's membership check: one group, one user, attributes=id.
    { name: 'GET /Groups?filter=id eq and members eq', weight: 10, make: () => {
      const u = pick();
      const g = Math.floor(Math.random() * dir.groupIds.length);
      if (!dir.userIds[u] || !dir.groupIds[g]) return undefined;
      const expected = memberOf.get(u)?.has(g) ? 1 : 0;
      return { call: { method: 'GET', path: `/scim/v2/Groups?${q(`id eq "${dir.groupIds[g]}" and members eq "${dir.userIds[u]}"`)}&attributes=id` },
        check: (a) => (total(a) === expected ? undefined : `totalResults ${total(a)}, expected ${expected}`) };
    } },
    { name: 'GET /Groups?filter=members eq', weight: 5, make: () => {
      const u = pick();
      if (!dir.userIds[u]) return undefined;
      const expected = memberOf.get(u)?.size ?? 0;
      return { call: { method: 'GET', path: `/scim/v2/Groups?${q(`members eq "${dir.userIds[u]}"`)}&excludedAttributes=members` },
        check: (a) => (total(a) === expected ? undefined : `totalResults ${total(a)}, expected ${expected}`) };
    } },
    { name: 'GET /Users?filter=displayName co', weight: 10, make: () => {
      const family = families[Math.floor(Math.random() * families.length)]!;
      return { call: { method: 'GET', path: `/scim/v2/Users?${q(`displayName co "${family.slice(1, 5)}"`)}&count=10` },
        check: (a) => ((total(a) ?? 0) >= familyCount.get(family)! ? undefined : `totalResults ${total(a)}, at least ${familyCount.get(family)} expected`) };
    } },
    // Entra's spelling: capitalised op, active as the strings "True"/"False".
    { name: 'PATCH /Users active', weight: 15, make: () => {
      const u = pick();
      const value = Math.random() < 0.5 ? 'False' : 'True';
      return dir.userIds[u] ? { call: { method: 'PATCH', path: `/scim/v2/Users/${dir.userIds[u]}`, body: replaceBody('active', value) },
        check: (a) => ((a.body as { active?: boolean }).active === (value === 'True') ? undefined : `active is not ${value}`) } : undefined;
    } },
    { name: 'PATCH /Users title', weight: 15, make: () => {
      const u = pick();
      const value = `${TITLES[Math.floor(Math.random() * TITLES.length)]} ${Math.floor(Math.random() * 1000)}`;
      return dir.userIds[u] ? { call: { method: 'PATCH', path: `/scim/v2/Users/${dir.userIds[u]}`, body: replaceBody('title', value) },
        check: (a) => ((a.body as { title?: string }).title === value ? undefined : `title is not ${value}`) } : undefined;
    } },
  ];
}

export async function mixedSoak(client: PoliteClient, recorder: Recorder, dir: Directory, options: SoakOptions): Promise<SoakResult> {
  const began = performance.now();
  const endAt = began + options.durationMs;
  const running = () => performance.now() < endAt;
  const kinds = scimKinds(dir);
  const weights = kinds.reduce((s, k) => s + k.weight, 0);
  const choose = () => {
    let r = Math.random() * weights;
    for (const k of kinds) if ((r -= k.weight) < 0) return k;
    return kinds[kinds.length - 1]!;
  };

  const scimWorker = async () => {
    while (running()) {
      const kind = choose();
      const made = kind.make();
      if (!made) continue;
      const answer = await client.call(kind.name, made.call, [200]);
      const wrong = answer && made.check(answer);
      if (wrong) recorder.problem(`${made.call.method} ${decodeURIComponent(made.call.path)}: ${wrong}`);
    }
  };

  let logins = 0;
  const loginWorker = async () => {
    for (let n = 0; running(); n++) {
      const next = performance.now() + options.loginEveryMs;
      const person = options.people[n % options.people.length]!;
      if (await signIn(options.baseUrl, person, `10.77.0.${(n % options.people.length) + 1}`, recorder)) logins++;
      await sleep(Math.max(0, Math.min(next, endAt) - performance.now()));
    }
  };

  let exports = 0;
  const exportWorker = async () => {
    // Offset by half a period, so exports do not coincide with the warm-up RSS sample.
    await sleep(Math.min(options.exportEveryMs / 2, options.durationMs / 2));
    while (running()) {
      const next = performance.now() + options.exportEveryMs;
      if (await exportUsers(options.admin, recorder, dir.userIds.length + options.people.length)) exports++;
      await sleep(Math.max(0, Math.min(next, endAt) - performance.now()));
    }
  };

  const samples: Array<[number, number]> = [];
  let peak = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(options.pid);
    if (!m) return;
    const t = (performance.now() - began) / 1000;
    samples.push([t, m.rss]);
    peak = m.peak;
    if (Math.floor(t) % 30 === 0) options.log(`  soak: ${t.toFixed(0)} s, RSS ${m.rss.toFixed(0)} MiB, ${recorder.count(() => true)} answers so far`);
  }, 1000);
  try {
    await Promise.all([...Array.from({ length: options.clients }, scimWorker), loginWorker(), exportWorker()]);
  } finally {
    clearInterval(sampler);
  }
  const end = memoryOf(options.pid);
  if (end) {
    samples.push([(performance.now() - began) / 1000, end.rss]);
    peak = end.peak;
  }
  // Each end of the comparison is the median of 10 one-second samples, so one sign-in's
  // transient scrypt buffer (64 MiB at the default cost) does not decide the ratio.
  const warm = options.warmupMs / 1000;
  const afterWarmup = samples.filter(([t]) => t >= warm).map(([, rss]) => rss);
  const last = samples[samples.length - 1]?.[0] ?? 0;
  const marks = new Map<number, number>();
  samples.forEach(([t, rss], i) => (i === 0 || Math.floor(t) % 30 === 0 || i === samples.length - 1) && marks.set(Math.round(t), Math.round(rss)));
  const trend = [...marks];
  return {
    seconds: (performance.now() - began) / 1000,
    rssAfterWarmup: median(samples.filter(([t]) => t >= warm && t < warm + 10).map(([, rss]) => rss)),
    rssEnd: median(samples.filter(([t]) => t > last - 10).map(([, rss]) => rss)),
    rssMin: Math.min(...afterWarmup),
    rssMax: Math.max(...afterWarmup),
    peak,
    trend,
    exports,
    logins,
  };
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A password sign-in from `ip` (X-Forwarded-For, the server trusts loopback proxies), then GET /api/session with its cookie. */
async function signIn(baseUrl: string, person: Person, ip: string, recorder: Recorder): Promise<boolean> {
  const began = performance.now();
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/auth/password/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ email: person.email, password: person.password }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
  } catch (error) {
    recorder.record('POST /auth/password/login', 0, performance.now() - began);
    recorder.problem(`login ${person.email}: ${(error as Error).message}`);
    return false;
  }
  recorder.record('POST /auth/password/login', res.status, performance.now() - began);
  if (res.status === 429) {
    // A throttled sign-in is a right answer if it says when to come back.
    if (!res.headers.get('retry-after')) recorder.problem(`login ${person.email}: 429 without Retry-After`);
    return false;
  }
  const cookie = res.headers.getSetCookie().find((c) => /^(__Host-)?gatehouse_session=/.test(c))?.split(';')[0];
  if (res.status !== 200 || !cookie) {
    recorder.problem(`login ${person.email}: status ${res.status}${cookie ? '' : ', no session cookie'}`);
    return false;
  }
  const at = performance.now();
  try {
    const me = await fetch(`${baseUrl}/api/session`, { headers: { cookie, accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    const body = (await me.json().catch(() => ({}))) as { user?: { email?: string } };
    recorder.record('GET /api/session', me.status, performance.now() - at);
    if (me.status !== 200 || body.user?.email !== person.email) recorder.problem(`session of ${person.email}: status ${me.status}, user ${body.user?.email}`);
  } catch (error) {
    recorder.record('GET /api/session', 0, performance.now() - at);
    recorder.problem(`session of ${person.email}: ${(error as Error).message}`);
  }
  return true;
}

async function exportUsers(admin: Target, recorder: Recorder, users: number): Promise<boolean> {
  const kind = `GET /api/orgs/${ORG}/exports/users.csv`;
  const began = performance.now();
  try {
    const answer = await send(admin, { method: 'GET', path: `/api/orgs/${ORG}/exports/users.csv` });
    recorder.record(kind, answer.status, performance.now() - began);
    const text = typeof answer.body === 'string' ? answer.body : '';
    const rows = text.split('\n').filter((line) => line.trim()).length - 1;
    if (answer.status !== 200 || rows !== users) {
      recorder.problem(`${kind}: status ${answer.status}, ${rows} rows, expected ${users}`);
      return false;
    }
    return true;
  } catch (error) {
    recorder.record(kind, 0, performance.now() - began);
    recorder.problem(`${kind}: ${(error as Error).message}`);
    return false;
  }
}
