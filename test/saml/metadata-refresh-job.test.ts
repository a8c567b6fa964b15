import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { AuditEvent } from '../../src/db/entities/index.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { claimDueConnections } from '../../src/saml/metadata-refresh-job.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { IDP_ENTITY_ID, IDP_SSO_URL, idpKey, nextIdpKey } from './support/idp.ts';
import { metadata } from './support/metadata.ts';
import { postAcs, responseFor } from './support/sp.ts';

const DAY = 86_400_000;

/**
 * The background refresh of connections configured from an IdP metadata URL: each org's
 * metadata is served at /m/<slug>, counted per fetch; the job's pass runs with an injected time.
 */
describe('SAML metadata refresh job', () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  const served = new Map<string, string>();
  const fetches = new Map<string, number>();
  /** Runs while a fetch of /m/<slug> is being answered: an admin's edit racing the refresh. */
  const duringFetch = new Map<string, () => Promise<unknown>>();
  const logLines: string[] = [];

  before(async () => {
    t = await createTestApp({ logger: createLogger('warn', { write: (line: string) => void logLines.push(line) }) });
    server = createServer(async (req, res) => {
      const slug = req.url?.replace(/^\/m\//, '') ?? '';
      fetches.set(slug, (fetches.get(slug) ?? 0) + 1);
      const edit = duringFetch.get(slug);
      duringFetch.delete(slug);
      await edit?.();
      const body = served.get(slug);
      if (body === undefined) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  /** An org whose default connection was configured from its metadata URL at `at` (its first fetch). */
  async function connected(slug: string): Promise<SeededOrg> {
    const org = await seedOrg(t.container, slug);
    served.set(slug, metadata([idpKey.cert]));
    await request(t.app).put(`/api/orgs/${slug}/saml`).set('Authorization', `Bearer ${org.tokens.admin}`).send({ idpMetadataUrl: `${base}/m/${slug}`, jit: 'create', allowIdpInitiated: true }).expect(201);
    fetches.set(slug, 0);
    return org;
  }
  const view = async (org: SeededOrg) => (await request(t.app).get(`/api/orgs/${org.slug}/saml`).set('Authorization', `Bearer ${org.tokens.admin}`).expect(200)).body;
  const pass = (now: Date) => t.container.samlMetadata.refreshDue(now);

  it('refreshes a due connection: the next certificate is trusted at the ACS, audited as the system, and GET shows when', async () => {
    const org = await connected('jobroll');
    await postAcs(t.app, 'jobroll', responseFor('jobroll', { nameId: 'early@jobroll.test', signing: { keys: nextIdpKey } })).expect(400);
    served.set('jobroll', metadata([idpKey.cert, nextIdpKey.cert]));
    const now = new Date(Date.now() + 2 * DAY);
    await pass(now);
    assert.equal(fetches.get('jobroll'), 1);
    const after = await view(org);
    assert.equal(after.idp.certificates.length, 2);
    assert.equal(after.idp.metadataRefreshedAt, now.toISOString());
    assert.equal(after.idp.metadataError, null);
    assert.equal(after.jit, 'create');
    const audits = await t.container.fork().find(AuditEvent, { action: 'saml.configured', org: org.id }, { orderBy: { at: 'desc' } });
    assert.equal(audits.length, 2);
    assert.deepEqual([audits[0]!.actorType, audits[0]!.actorLabel], ['system', 'system']);
    await postAcs(t.app, 'jobroll', responseFor('jobroll', { nameId: 'next@jobroll.test', signing: { keys: nextIdpKey } })).expect(303);
  });

  it('skips a connection fetched less than the interval ago, and fetches it once the interval has passed', async () => {
    const org = await connected('jobnotdue');
    const first = new Date(Date.now() + 2 * DAY);
    await pass(first);
    assert.equal(fetches.get('jobnotdue'), 1);
    await pass(new Date(first.getTime() + DAY - 1));
    assert.equal(fetches.get('jobnotdue'), 1);
    const later = new Date(first.getTime() + DAY);
    await pass(later);
    assert.equal(fetches.get('jobnotdue'), 2);
    // Unchanged metadata: the time is recorded, nothing else is written or audited.
    assert.equal((await view(org)).idp.metadataRefreshedAt, later.toISOString());
    assert.equal(await t.container.fork().count(AuditEvent, { action: 'saml.configured', org: org.id }), 1);
  });

  it('counts the interval from the PUT that configured the connection from its URL', async () => {
    const org = await connected('jobfromput');
    const again = await request(t.app).put('/api/orgs/jobfromput/saml').set('Authorization', `Bearer ${org.tokens.admin}`).send({ idpMetadataUrl: `${base}/m/jobfromput` }).expect(200);
    assert.ok(again.body.idp.metadataRefreshedAt);
    fetches.set('jobfromput', 0);
    const put = await view(org);
    assert.equal(put.idp.metadataRefreshedAt, again.body.idp.metadataRefreshedAt);
    await pass(new Date(Date.parse(put.idp.metadataRefreshedAt as string) + DAY - 1));
    assert.equal(fetches.get('jobfromput'), 0);
  });

  it('records a failed fetch with its reason and time, retries it only after the interval, and clears it on success', async () => {
    const org = await connected('jobfail');
    const before = await view(org);
    served.set('jobfail', 'Service unavailable');
    logLines.length = 0;
    const failedAt = new Date(Date.now() + 2 * DAY);
    await pass(failedAt);
    const failed = await view(org);
    assert.deepEqual(failed.idp.metadataError, { reason: 'did not answer with XML', at: failedAt.toISOString() });
    assert.equal(failed.version, before.version);
    assert.equal(failed.idp.certificates.length, 1);
    const warnings = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.org === 'jobfail');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.level, 40);
    assert.equal(warnings[0]!.reason, 'did not answer with XML');
    await pass(new Date(failedAt.getTime() + DAY / 2));
    assert.equal(fetches.get('jobfail'), 1);
    served.set('jobfail', metadata([idpKey.cert]));
    const fixedAt = new Date(failedAt.getTime() + DAY);
    await pass(fixedAt);
    assert.equal(fetches.get('jobfail'), 2);
    const fixed = await view(org);
    assert.equal(fixed.idp.metadataError, null);
    assert.equal(fixed.idp.metadataRefreshedAt, fixedAt.toISOString());
  });

  it('lets an admin\'s edit made during the fetch win, records no error for it, and fetches again at once to apply the metadata over it', async () => {
    const org = await connected('jobrace');
    served.set('jobrace', metadata([idpKey.cert, nextIdpKey.cert]));
    let edited: request.Response | undefined;
    duringFetch.set('jobrace', async () => {
      edited = await request(t.app).put('/api/orgs/jobrace/saml').set('Authorization', `Bearer ${org.tokens.admin}`).send({ jit: 'link' }).expect(200);
    });
    logLines.length = 0;
    const fetched = fetches.get('jobrace') ?? 0;
    const now = new Date(Date.now() + 2 * DAY);
    const report = await pass(now);
    assert.ok(edited, 'the admin edited the connection while the metadata was being fetched');
    assert.equal(fetches.get('jobrace'), fetched + 2, 'fetched again after the edit');
    assert.deepEqual([report.changed, report.failed], [1, 0]);
    const applied = await view(org);
    assert.equal(applied.idp.metadataError, null, 'the admin API\'s 412 wording is not the metadata URL\'s fault');
    assert.deepEqual([applied.jit, applied.idp.certificates.length, applied.idp.metadataRefreshedAt], ['link', 2, now.toISOString()]);
    assert.ok(applied.version > edited!.body.version, 'written over the edit, not under it');
    assert.deepEqual(logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.org === 'jobrace' && (l.level as number) >= 40), []);
  });

  it('forgets the last fetch and error when the metadata URL is replaced by pasted values, and never fetches the connection again', async () => {
    const org = await connected('jobdropurl');
    served.set('jobdropurl', 'Service unavailable');
    await pass(new Date(Date.now() + 2 * DAY));
    assert.ok((await view(org)).idp.metadataError);
    await request(t.app).put('/api/orgs/jobdropurl/saml').set('Authorization', `Bearer ${org.tokens.admin}`)
      .send({ idpEntityId: IDP_ENTITY_ID, idpSsoUrl: IDP_SSO_URL, idpCertificates: [idpKey.cert] }).expect(200);
    const manual = await view(org);
    assert.deepEqual([manual.idp.metadataUrl, manual.idp.metadataRefreshedAt, manual.idp.metadataError], [null, null, null]);
    await pass(new Date(Date.now() + 30 * DAY));
    assert.equal(fetches.get('jobdropurl'), 1);
  });

  it('does not fetch a connection another instance holds the lease on, nor one at a time from two workers', async () => {
    await connected('joblease');
    const now = new Date(Date.now() + 2 * DAY);
    const claimed = await claimDueConnections(t.container.fork(), now, { intervalMs: DAY, leaseMs: 300_000, limit: 100 });
    assert.ok(claimed.some((c) => c.orgSlug === 'joblease'));
    await pass(now);
    assert.equal(fetches.get('joblease'), 0);
    // The lease lapses (the instance holding it died): another takes it over.
    await pass(new Date(now.getTime() + 300_000));
    assert.equal(fetches.get('joblease'), 1);

    await connected('jobtwo');
    const later = new Date(now.getTime() + 3 * DAY);
    await Promise.all([pass(later), pass(later), pass(later)]);
    assert.equal(fetches.get('jobtwo'), 1);
  });

  it('does nothing when the interval is 0', async () => {
    const off = await createTestApp({ config: { saml: { ...t.container.config.saml, metadataRefreshIntervalMs: 0 } } });
    try {
      const org = await seedOrg(off.container, 'joboff');
      served.set('joboff', metadata([idpKey.cert]));
      await request(off.app).put('/api/orgs/joboff/saml').set('Authorization', `Bearer ${org.tokens.admin}`).send({ idpMetadataUrl: `${base}/m/joboff` }).expect(201);
      fetches.set('joboff', 0);
      const report = await off.container.samlMetadata.refreshDue(new Date(Date.now() + 30 * DAY));
      assert.deepEqual(report, { attempted: 0, changed: 0, failed: 0, full: false });
      assert.equal(fetches.get('joboff'), 0);
      off.container.samlMetadata.start();
      assert.equal(off.container.samlMetadata.started, false);
    } finally {
      await off.close();
    }
  });
});
