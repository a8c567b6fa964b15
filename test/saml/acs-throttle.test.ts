import assert from 'node:assert/strict';
import { AuditEvent } from '../../src/db/entities/index.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { configureSaml, postAcs, responseFor, seedUser } from './support/sp.ts';

/**
 * Anyone can post to an org's ACS. A client past its failures gets 429 with
 * Retry-After for each further failure, and nothing is recorded; past a per-org budget
 * further failures are logged but not written to the audit trail, the feed and
 * the webhooks; a valid response from anywhere still signs in.
 */
describe('SAML ACS throttling of failed responses', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createTestApp({ config: { trustProxy: true, saml: { failureLimit: { perClient: { requestsPerSecond: 0.01, burst: 3 }, perOrgAudit: { requestsPerSecond: 0.01, burst: 5 } } } } });
    acme = await seedOrg(t.container, 'acme');
    await configureSaml(t.app, acme, { allowIdpInitiated: true, jit: 'off' });
    await seedUser(t.container, acme, 'alice@acme.test');
  });
  after(() => t.close());

  const failed = async () => (await t.container.fork().find(AuditEvent, { action: 'sso.failed', org: acme.id })).length;
  const garbage = (ip: string) => postAcs(t.app, 'acme', 'Zm9v', { raw: true }).set('X-Forwarded-For', ip);

  it('answers 429 with Retry-After to a client failing past its budget, and records nothing more for it', async () => {
    for (let i = 0; i < 3; i++) await garbage('203.0.113.7').expect(400);
    const before = await failed();
    const res = await garbage('203.0.113.7').expect(429);
    assert.ok(Number(res.headers['retry-after']) >= 1);
    const json = await garbage('203.0.113.7').set('Accept', 'application/json').expect(429);
    assert.equal(json.body.error.code, 'rate_limited');
    assert.equal(json.body.error.details.retryAfterSeconds, Number(json.headers['retry-after']));
    assert.equal(await failed(), before);
  });

  it('still signs in a valid response from a throttled address, and lets other addresses fail normally', async () => {
    await postAcs(t.app, 'acme', responseFor('acme', { nameId: 'alice@acme.test', inResponseTo: null })).set('X-Forwarded-For', '203.0.113.7').expect(303);
    await garbage('198.51.100.1').expect(400);
  });

  it('stops writing sso.failed rows past the org budget, while each client still gets its answer', async () => {
    for (let i = 0; i < 12; i++) await garbage(`192.0.2.${i + 1}`).expect(400);
    assert.equal(await failed(), 5);
  });
});
