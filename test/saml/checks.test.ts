import assert from 'node:assert/strict';
import {
  checkAudience,
  checkDestination,
  checkIssuer,
  checkRecipient,
  checkSolicitation,
  checkStatus,
  checkTimeWindow,
  decodeSamlResponse,
  parseXml,
  readResponse,
  refuseDoctype,
  refuseDuplicateIds,
  requireSignature,
  requireStrongAlgorithms,
  type ResponseFacts,
} from '../../src/saml/checks.ts';
import { toIdentity } from '../../src/saml/identity.ts';
import { allowedReturnUrl } from '../../src/saml/acs.ts';
import { checkBrowserBinding, newBinding } from '../../src/saml/browser-binding.ts';
import { parseIdpMetadata, spMetadataXml } from '../../src/saml/metadata.ts';
import { decideSsoAccess } from '../../src/directory/sso.ts';
import { parseCookies } from '../../src/lib/cookies.ts';
import { spEndpoints } from '../../src/directory/saml-connections.ts';
import { buildResponse, ENTRA, IDP_ENTITY_ID, sign } from './support/idp.ts';

const SP = 'https://gatehouse.test/saml/acme';
const ACS = `${SP}/acs`;
const now = new Date('2026-01-01T12:00:00Z');

function facts(overrides: Partial<ResponseFacts> = {}): ResponseFacts {
  return {
    responseId: '_r', destination: ACS, inResponseTo: null, responseIssuer: IDP_ENTITY_ID, statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
    assertionId: '_a', assertionIssuer: IDP_ENTITY_ID, restrictions: [[SP]],
    notBefore: new Date(now.getTime() - 60_000), notOnOrAfter: new Date(now.getTime() + 300_000),
    bearer: [{ recipient: ACS, notBefore: null, notOnOrAfter: new Date(now.getTime() + 300_000), inResponseTo: null }],
    responseSigned: false, assertionSigned: true, ...overrides,
  };
}

const code = (r: { ok: boolean; code?: string }) => (r.ok ? 'ok' : r.code);

describe('SAML checks (one named rule each)', () => {
  it('decodeSamlResponse: refuses missing, non-base64 and oversized input', () => {
    assert.equal(code(decodeSamlResponse(undefined, 100)), 'malformed');
    assert.equal(code(decodeSamlResponse('<xml/>', 100)), 'malformed');
    assert.equal(code(decodeSamlResponse(Buffer.from('x'.repeat(200)).toString('base64'), 100)), 'too_large');
    assert.equal(code(decodeSamlResponse(Buffer.from('<a/>').toString('base64'), 100)), 'ok');
  });

  it('refuseDoctype: refuses DOCTYPE and ENTITY declarations', () => {
    assert.equal(code(refuseDoctype('<!DOCTYPE x><x/>')), 'doctype');
    assert.equal(code(refuseDoctype('<!ENTITY x "y">')), 'doctype');
    assert.equal(code(refuseDoctype('<x><!-- a comment --></x>')), 'ok');
  });

  it('parseXml: refuses malformed XML', () => {
    assert.equal(code(parseXml('<a><b></a>')), 'malformed');
  });

  const read = (xml: string) => {
    const doc = parseXml(xml);
    assert.ok(doc.ok);
    return { doc: doc.value, facts: readResponse(doc.value) };
  };
  const valid = buildResponse({ audience: SP, acsUrl: ACS, now });

  it('readResponse: reads the one assertion, its conditions and bearer confirmation', () => {
    const { facts: f } = read(sign(valid, 'assertion'));
    assert.ok(f.ok);
    assert.deepEqual(f.value.restrictions, [[SP]]);
    assert.equal(f.value.bearer[0]!.recipient, ACS);
    assert.equal(f.value.assertionSigned, true);
    assert.equal(f.value.responseSigned, false);
  });

  it('readResponse: refuses two assertions, an encrypted one, and a non-Response root', () => {
    const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(valid)![0];
    assert.equal(code(read(valid.replace(assertion, assertion + assertion)).facts), 'assertion_count');
    assert.equal(code(read(valid.replace('<samlp:Status>', `<samlp:Extensions>${assertion}</samlp:Extensions><samlp:Status>`)).facts), 'assertion_count');
    assert.equal(code(read(valid.replace(assertion, '<saml:EncryptedAssertion/>')).facts), 'encrypted_assertion');
    assert.equal(code(read(assertion).facts), 'not_a_response');
  });

  it('refuseDuplicateIds: refuses an ID used twice', () => {
    const twice = valid.replace(/ID="(_[0-9a-f]+)" Version="2.0" IssueInstant="([^"]+)">(<saml:Issuer>)/, (_m, _id, at, issuer) => `ID="_dup" Version="2.0" IssueInstant="${at}">${issuer}`).replace(/<samlp:Response ([^>]*)ID="_[0-9a-f]+"/, '<samlp:Response $1ID="_dup"');
    assert.equal(code(refuseDuplicateIds(read(twice).doc)), 'duplicate_id');
    assert.equal(code(refuseDuplicateIds(read(valid).doc)), 'ok');
  });

  it('requireSignature: needs a signed assertion, whether or not the response is signed too', () => {
    assert.equal(code(requireSignature(facts({ assertionSigned: false, responseSigned: false }))), 'unsigned');
    assert.equal(code(requireSignature(facts({ assertionSigned: false, responseSigned: true }))), 'unsigned');
    assert.equal(code(requireSignature(facts({ assertionSigned: true, responseSigned: false }))), 'ok');
    assert.equal(code(requireSignature(facts({ assertionSigned: true, responseSigned: true }))), 'ok');
  });

  it('requireStrongAlgorithms: refuses SHA-1 unless allowed', () => {
    const sha1 = read(sign(valid, 'assertion', { algorithm: 'sha1' })).doc;
    assert.equal(code(requireStrongAlgorithms(sha1, false)), 'weak_algorithm');
    assert.equal(code(requireStrongAlgorithms(sha1, true)), 'ok');
    assert.equal(code(requireStrongAlgorithms(read(sign(valid, 'assertion')).doc, false)), 'ok');
  });

  const table: Array<[string, () => { ok: boolean; code?: string }, string]> = [
    ['checkStatus refuses a non-success status', () => checkStatus(facts({ statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester' })), 'status'],
    ['checkIssuer refuses another IdP', () => checkIssuer(facts({ assertionIssuer: 'https://evil' }), IDP_ENTITY_ID), 'issuer'],
    ['checkIssuer refuses a mismatched response Issuer', () => checkIssuer(facts({ responseIssuer: 'https://evil' }), IDP_ENTITY_ID), 'issuer'],
    ['checkIssuer accepts a response without Issuer', () => checkIssuer(facts({ responseIssuer: null }), IDP_ENTITY_ID), 'ok'],
    ['checkAudience refuses another SP', () => checkAudience(facts({ restrictions: [['https://other']] }), SP), 'audience'],
    ['checkAudience refuses a missing restriction', () => checkAudience(facts({ restrictions: [] }), SP), 'audience'],
    ['checkAudience refuses an empty restriction', () => checkAudience(facts({ restrictions: [[]] }), SP), 'audience'],
    ['checkAudience refuses when one of two restrictions omits this SP', () => checkAudience(facts({ restrictions: [['https://other'], [SP]] }), SP), 'audience'],
    ['checkDestination refuses another ACS', () => checkDestination(facts({ destination: 'https://other/acs' }), ACS), 'destination'],
    ['checkDestination refuses a missing Destination', () => checkDestination(facts({ destination: null }), ACS), 'destination'],
    ['checkRecipient refuses another ACS', () => checkRecipient(facts({ bearer: [{ recipient: 'https://other', notBefore: null, notOnOrAfter: null, inResponseTo: null }] }), ACS), 'recipient'],
    ['checkRecipient refuses no bearer confirmation', () => checkRecipient(facts({ bearer: [] }), ACS), 'recipient'],
    ['checkTimeWindow refuses an expired assertion', () => checkTimeWindow(facts({ notOnOrAfter: new Date(now.getTime() - 130_000) }), now, 120_000), 'expired'],
    ['checkTimeWindow accepts an expiry within the skew', () => checkTimeWindow(facts({ notOnOrAfter: new Date(now.getTime() - 60_000), bearer: [] }), now, 120_000), 'ok'],
    ['checkTimeWindow refuses NotBefore beyond the skew', () => checkTimeWindow(facts({ notBefore: new Date(now.getTime() + 180_000) }), now, 120_000), 'not_yet_valid'],
    ['checkTimeWindow refuses an assertion without expiry', () => checkTimeWindow(facts({ notOnOrAfter: null, bearer: [] }), now, 120_000), 'missing_expiry'],
    ['checkSolicitation refuses unsolicited when not allowed', () => checkSolicitation(facts(), false), 'unsolicited'],
    ['checkSolicitation accepts unsolicited when allowed', () => checkSolicitation(facts(), true), 'ok'],
    ['checkSolicitation refuses an InResponseTo only on an unsigned Response', () => checkSolicitation(facts({ inResponseTo: '_x', responseSigned: false, assertionSigned: true }), false), 'unsolicited'],
    ['checkSolicitation takes the InResponseTo of a signed Response', () => checkSolicitation(facts({ inResponseTo: '_x', responseSigned: true }), false), 'ok'],
    ['checkSolicitation refuses differing InResponseTo', () => checkSolicitation(facts({ inResponseTo: '_x', bearer: [{ recipient: ACS, notBefore: null, notOnOrAfter: null, inResponseTo: '_y' }] }), false), 'in_response_to_mismatch'],
  ];
  for (const [name, run, expected] of table) it(name, () => assert.equal(code(run()), expected));

  it('checkTimeWindow returns the expiry plus skew, for the replay cache', () => {
    const r = checkTimeWindow(facts(), now, 120_000);
    assert.ok(r.ok);
    assert.equal(r.value.getTime(), now.getTime() + 300_000 + 120_000);
  });
});

describe('SAML profile → identity', () => {
  it('maps Okta attribute names', () => {
    const id = toIdentity('00u1', null, { email: 'A@X.test', firstName: 'Ann', lastName: 'Lee', groups: ['g1', 'g2'] });
    assert.deepEqual([id.email, id.givenName, id.familyName, id.groups], ['a@x.test', 'Ann', 'Lee', ['g1', 'g2']]);
  });

  it('maps Entra claim URIs, the name claim to userName', () => {
    const id = toIdentity('oid', null, { [ENTRA.email]: 'b@x.test', [ENTRA.givenName]: 'Bo', [ENTRA.surname]: 'Ng', [ENTRA.name]: 'bo@x.onmicrosoft.com', [ENTRA.groups]: 'g' });
    assert.deepEqual([id.email, id.givenName, id.familyName, id.userName, id.groups], ['b@x.test', 'Bo', 'Ng', 'bo@x.onmicrosoft.com', ['g']]);
  });

  it('prefers the connection mapping over the defaults', () => {
    assert.equal(toIdentity('n', null, { email: 'default@x.test', workMail: 'mapped@x.test' }, { email: 'workMail' }).email, 'mapped@x.test');
  });
});

describe('RelayState allow-list', () => {
  const list = ['https://app.acme.test/home', 'https://app.acme.test/p/*'];
  const cases: Array<[string | null, string | null]> = [
    ['https://app.acme.test/home', 'https://app.acme.test/home'],
    ['https://app.acme.test/p/42', 'https://app.acme.test/p/42'],
    ['https://app.acme.test/other', null],
    ['https://app.acme.test.evil.test/p/1', null],
    ['https://user@app.acme.test/p/1', null],
    ['javascript:alert(1)', null],
    ['/relative', null],
    ['/console/users?status=active', '/console/users?status=active'],
    ['//evil.test/console', null],
    ['/console\\evil.test', null],
    [null, null],
  ];
  for (const [input, expected] of cases) it(`${input} → ${expected}`, () => assert.equal(allowedReturnUrl(input, list), expected));
});

describe('JIT policy table', () => {
  const later = new Date(now.getTime() + 1000);
  const earlier = new Date(now.getTime() - 1000);
  const cases: Array<[string, Parameters<typeof decideSsoAccess>[0], 'off' | 'link' | 'create', string]> = [
    ['unknown, off', null, 'off', 'refuse:unknown_user'],
    ['unknown, link', null, 'link', 'refuse:unknown_user'],
    ['unknown, create', null, 'create', 'create'],
    ['active, off', { state: 'active', inviteExpiresAt: null }, 'off', 'sign_in'],
    ['disabled, create', { state: 'disabled', inviteExpiresAt: null }, 'create', 'refuse:disabled'],
    ['deleted, create', { state: 'deleted', inviteExpiresAt: null }, 'create', 'refuse:deleted'],
    ['pending, off', { state: 'invited', inviteExpiresAt: later }, 'off', 'refuse:pending'],
    ['pending, link', { state: 'invited', inviteExpiresAt: later }, 'link', 'activate'],
    ['expired, create', { state: 'invited', inviteExpiresAt: earlier }, 'create', 'refuse:expired'],
  ];
  for (const [name, user, jit, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      const d = decideSsoAccess(user, jit, now);
      assert.equal(d.action === 'refuse' ? `refuse:${d.reason}` : d.action, expected);
    });
  }
});

describe('metadata and cookies', () => {
  it('parseIdpMetadata refuses a DOCTYPE and metadata without a signing certificate', () => {
    assert.equal(parseIdpMetadata('<!DOCTYPE x><x/>').ok, false);
    const noCert = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"><md:IDPSSODescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://i/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
    const r = parseIdpMetadata(noCert);
    assert.ok(!r.ok && /signing certificate/.test(r.detail));
  });

  it('spMetadataXml escapes and lists the POST ACS', () => {
    const xml = spMetadataXml(spEndpoints('https://g.test', 'acme'));
    assert.match(xml, /entityID="https:\/\/g\.test\/saml\/acme"/);
    assert.match(xml, /HTTP-POST" Location="https:\/\/g\.test\/saml\/acme\/acs"/);
  });

  it('parseCookies keeps the first value of a name and skips junk', () => {
    const c = parseCookies('a=1; b=%E2%9C%93; a=2; junk; c=%zz');
    assert.equal(c.get('a'), '1');
    assert.equal(c.get('b'), '✓');
    assert.equal(c.has('c'), false);
  });

  it('checkBrowserBinding takes only the nonce whose digest the request holds', () => {
    const mine = newBinding();
    const other = newBinding();
    assert.deepEqual(checkBrowserBinding(mine.digest, mine.value), { ok: true, value: null });
    const cases: Array<[string | null, string | undefined, string]> = [
      [mine.digest, undefined, 'binding_missing'],
      [mine.digest, '', 'binding_missing'],
      [mine.digest, other.value, 'binding_mismatch'],
      [mine.digest, mine.digest, 'binding_mismatch'],
      [null, mine.value, 'binding_mismatch'],
    ];
    for (const [expected, presented, code] of cases) {
      const result = checkBrowserBinding(expected, presented);
      assert.equal(result.ok ? 'ok' : result.code, code, `${expected} / ${presented}`);
    }
  });
});
