import assert from 'node:assert/strict';
import fc from 'fast-check';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { attackerKey, encode, newId } from '../saml/support/idp.ts';
import { configureSaml, endpointsOf, responseFor } from '../saml/support/sp.ts';
import { refuseXmlBeyondLimits } from '../../src/saml/checks.ts';
import { check, mutated } from './support.ts';

/**
 * Issue 9, hostile input: POST /saml/:org/acs takes a SAMLResponse from anyone on the
 * internet. Base64 garbage, truncated and mutated XML, entity bombs, deep nesting and huge
 * attributes always get a 4xx page: never a 5xx, never a Set-Cookie, never a session row.
 * Every well-formed template here is refused for a reason a mutation cannot lift (expired,
 * answering a request never issued, signed by another key), so a session proves a bug.
 */

const minutes = (n: number) => n * 60_000;

interface Tree {
  attributes: string[];
  children: Tree[];
}

describe('fuzz: SAML XML limits', () => {
  it('measures element depth and attribute counts as a parser would, whatever the quotes hide', async () => {
    // Attribute values full of '>', '/>' and '<a>' must not fool the scan into miscounting.
    const value = fc.constantFrom('x', '>', '/>', '<a>', "'", '"/>"', '</a>', '=');
    const attribute = fc.tuple(fc.constantFrom('"', "'"), value).map(([q, v]) => (v.includes(q) ? '' : `n=${q}${v}${q}`)).filter((a) => a !== '');
    const tree = fc.letrec<{ node: Tree }>((tie) => ({
      node: fc.record({
        attributes: fc.array(attribute, { maxLength: 5 }),
        children: fc.oneof({ maxDepth: 8, depthIdentifier: 'tree' }, fc.constant<Tree[]>([]), fc.array(tie('node'), { minLength: 1, maxLength: 3 })),
      }),
    })).node;
    const render = (n: Tree, i = 0): string =>
      `<a${n.attributes.map((a, k) => ` ${a.replace('n=', `n${k}=`)}`).join('')}${n.children.length ? `><!-- <x> -->${n.children.map((c) => render(c, i + 1)).join('')}</a>` : '/>'}`;
    const depth = (n: Tree): number => 1 + Math.max(0, ...n.children.map(depth));
    const widest = (n: Tree): number => Math.max(n.attributes.length, ...n.children.map(widest));
    await check('saml xml limits (pure)', fc.property(tree, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 5 }), (root, maxDepth, maxAttributes) => {
      const refused = !refuseXmlBeyondLimits(render(root), { maxDepth, maxAttributes }).ok;
      assert.equal(refused, depth(root) > maxDepth || widest(root) > maxAttributes);
    }), 3002, 1000);
  });
});

describe('fuzz: SAML ACS', () => {
  let t: TestApp;
  let org: SeededOrg;
  let templates: string[];

  before(async () => {
    // Every hostile body must reach the parser: the failure throttle (test/saml/acs-throttle.test.ts) is opened wide.
    const wide = { requestsPerSecond: 1000, burst: 100_000 };
    t = await createTestApp({ config: { saml: { failureLimit: { perClient: wide, perOrgAudit: wide } } } });
    org = await seedOrg(t.container, 'acme');
    await configureSaml(t.app, org);
    const now = Date.now();
    templates = [
      responseFor(org.slug, { now: new Date(now - minutes(30)), attributes: { email: 'ann@acme.test' } }),
      responseFor(org.slug, { inResponseTo: newId(), signed: 'both' }),
      responseFor(org.slug, { signing: { keys: attackerKey } }),
      responseFor(org.slug, { signed: false }),
    ];
  });
  after(() => t.close());

  const xmlBits = fc.constantFrom('<', '>', '/', '"', '=', ' ', 'ID="_x"', 'saml:', '&amp;', '&x;', '<!--x-->', '<![CDATA[', ']]>', 'xmlns:a="b"', '\u0000', 'é');

  /** Payloads named after the attack; `size` scales them so the limits are crossed on both sides. */
  function attack(kind: string, size: number, template: string): string {
    switch (kind) {
      case 'billion-laughs':
        return `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "${'x'.repeat(size % 100)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>${template.replace('<saml:Issuer>', '<saml:Issuer>&c;')}`;
      case 'external-entity':
        return `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${template.replace('<saml:Issuer>', '<saml:Issuer>&x;')}`;
      case 'deep-nesting': {
        const depth = 100 + (size % 60_000);
        return template.replace('</samlp:Status>', `</samlp:Status><samlp:Extensions>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</samlp:Extensions>`);
      }
      case 'huge-attribute':
        return template.replace('Version="2.0"', `Version="2.0" Junk="${'A'.repeat(size)}"`);
      case 'many-attributes':
        return template.replace('<saml:Assertion ', `<saml:Assertion ${Array.from({ length: size % 5000 }, (_, i) => `a${i}="${i}"`).join(' ')} `);
      case 'wrapped-assertion': {
        // XML signature wrapping: a second, forged assertion beside the signed one.
        const forged = template.slice(template.indexOf('<saml:Assertion'), template.indexOf('</saml:Assertion>') + 17).replace(/ID="[^"]+"/, 'ID="_forged"');
        return template.replace('</samlp:Response>', `${forged}</samlp:Response>`);
      }
      default:
        return template.slice(0, size % (template.length + 1));
    }
  }

  const templateIndex = fc.nat({ max: 3 });
  const field = fc.oneof(
    fc.base64String({ maxLength: 3000 }),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('', '====', 'PD94bWw=', encode('<x/>'), encode('not xml at all'), encode('<samlp:Response/>')),
    fc.tuple(templateIndex, fc.nat()).map(([i, n]) => encode(templates[i]!.slice(0, n % templates[i]!.length))),
    templateIndex.chain((i) => mutated(fc.constant(templates[i]!), xmlBits)).map(encode),
    fc.tuple(fc.constantFrom('billion-laughs', 'external-entity', 'deep-nesting', 'huge-attribute', 'many-attributes', 'wrapped-assertion'), fc.integer({ min: 1, max: 300_000 }), templateIndex)
      .map(([kind, size, i]) => encode(attack(kind, size, templates[i]!))),
  );
  const form = fc.oneof(
    field.map((value) => ({ SAMLResponse: value })),
    field.map((value) => ({ SAMLResponse: value, RelayState: 'https://evil.example/' })),
    fc.constantFrom({}, { SAMLResponse: ['a', 'b'] }, { samlresponse: 'PD94bWw=' }),
  );

  it('answers every hostile SAMLResponse with a 4xx page and starts no session', async () => {
    const statuses = new Map<number, number>();
    await check('saml acs (HTTP)', fc.asyncProperty(form, async (body) => {
      const res = await request(t.app).post(endpointsOf(org.slug).acsPath).type('form').send(body);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} for a ${JSON.stringify(body).length}-byte body: ${res.text.slice(0, 300)}`);
      assert.equal(res.headers['set-cookie'], undefined, 'a refused sign-in set a cookie');
      assert.match(res.headers['content-type'] ?? '', /html/);
      const [row] = (await t.container.fork().execute('select count(*)::int as n from sessions')) as Array<{ n: number }>;
      assert.equal(row!.n, 0, 'a session was created');
    }), 3001, 150);
    // Both the parser's refusals and the size limit must have been reached.
    assert.ok((statuses.get(400) ?? 0) > 40 && (statuses.get(413) ?? 0) > 0, JSON.stringify([...statuses]));
  });
});
