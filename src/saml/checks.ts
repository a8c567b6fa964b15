import { DOMParser } from '@xmldom/xmldom';
import { keyInfoToPem } from '@node-saml/node-saml/lib/crypto.js';
import { validateSignature } from '@node-saml/node-saml/lib/xml.js';
import { fail, ok, type Result } from '../lib/result.ts';

/**
 * CONVENTIONS 12: each rule a SAML Response must pass is one named function,
 * tested on its own (test/saml/checks.test.ts) and by attack fixtures. They
 * read the parsed document; node-saml verifies the signature and reads the
 * assertion (response.ts), and verifyEverySignature holds every signature present
 * to the connection's certificates. Structural rules (one assertion, unique IDs, signature
 * placement) make the document we read the same one the signature covers.
 */

export type Reason =
  | 'too_large'
  | 'malformed'
  | 'doctype'
  | 'xml_limits'
  | 'not_a_response'
  | 'assertion_count'
  | 'encrypted_assertion'
  | 'unencrypted_assertion'
  | 'decryption_failed'
  | 'duplicate_id'
  | 'unsigned'
  | 'weak_algorithm'
  | 'bad_signature'
  | 'status'
  | 'issuer'
  | 'audience'
  | 'destination'
  | 'recipient'
  | 'not_yet_valid'
  | 'expired'
  | 'missing_expiry'
  | 'in_response_to_mismatch'
  | 'unsolicited'
  | 'unknown_request'
  | 'binding_missing'
  | 'binding_mismatch'
  | 'replay'
  | 'no_subject';

export type Check<T = null> = Result<T, Reason>;

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export interface BearerConfirmation {
  recipient: string | null;
  notBefore: Date | null;
  notOnOrAfter: Date | null;
  inResponseTo: string | null;
}

/** What the rules read from a Response: the root, its one assertion and that assertion's conditions. */
export interface ResponseFacts {
  responseId: string;
  destination: string | null;
  inResponseTo: string | null;
  responseIssuer: string | null;
  statusCode: string | null;
  assertionId: string;
  assertionIssuer: string | null;
  /** The Audiences of each AudienceRestriction: the SP must be named in each (SAML core §2.5.1.4). */
  restrictions: string[][];
  notBefore: Date | null;
  notOnOrAfter: Date | null;
  bearer: BearerConfirmation[];
  /** A ds:Signature child referencing the element's own ID (checked for validity later). */
  responseSigned: boolean;
  assertionSigned: boolean;
}

/** SAMLResponse form field → XML text. Strict base64 only; the size limit applies to the decoded XML too. */
export function decodeSamlResponse(field: unknown, maxBytes: number): Check<string> {
  if (typeof field !== 'string' || !field) return fail('malformed', 'SAMLResponse is missing');
  const compact = field.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return fail('malformed', 'SAMLResponse is not base64');
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > maxBytes) return fail('too_large', `decoded SAMLResponse is ${bytes.length} bytes, limit ${maxBytes}`);
  return ok(bytes.toString('utf8'));
}

/** No DTDs at all: entity expansion (billion laughs) and external entities (XXE) start there. */
export function refuseDoctype(xml: string): Check {
  if (/<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(xml)) return fail('doctype', 'the document contains a DOCTYPE or entity declaration');
  return ok(null);
}

/** A SAML Response nests about ten elements deep and no element has more than ten attributes. */
export const XML_LIMITS = { maxDepth: 32, maxAttributes: 64 } as const;

/**
 * Element depth and attributes per element, counted by one scan before any parser runs:
 * xmldom, xml-crypto and xpath each walk the tree, and a 20,000-level nest (140 kB, under the
 * body limit) cost them seconds of CPU per request. Found by test/fuzz/saml-acs.test.ts.
 */
export function refuseXmlBeyondLimits(xml: string, limits: { maxDepth: number; maxAttributes: number } = XML_LIMITS): Check {
  let depth = 0;
  for (let i = xml.indexOf('<'); i !== -1; ) {
    const skipTo = xml.startsWith('<!--', i) ? xml.indexOf('-->', i) : xml.startsWith('<![CDATA[', i) ? xml.indexOf(']]>', i) : undefined;
    if (skipTo !== undefined) {
      if (skipTo < 0) break;
      i = xml.indexOf('<', skipTo);
      continue;
    }
    // The tag's end is the first '>' outside a quoted attribute value.
    let quote = '';
    let attributes = 0;
    let end = i + 1;
    for (; end < xml.length; end++) {
      const c = xml[end];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '=') attributes++;
      else if (c === '>') break;
    }
    if (end >= xml.length) break;
    if (attributes > limits.maxAttributes) return fail('xml_limits', `an element has more than ${limits.maxAttributes} attributes`);
    const kind = xml[i + 1];
    if (kind === '/') depth--;
    else if (kind !== '?' && kind !== '!') {
      // An empty element (`<a/>`) is one level deeper too, but closes itself.
      if (depth + 1 > limits.maxDepth) return fail('xml_limits', `elements nest deeper than ${limits.maxDepth} levels`);
      if (xml[end - 1] !== '/') depth++;
    }
    i = xml.indexOf('<', end);
  }
  return ok(null);
}

/**
 * xmldom's message without its log decoration: `[xmldom error]\t` before the reason and, with no
 * locator configured, `\n@#[line:undefined,col:undefined]` after it. An admin reads this reason
 * in the answer to a PUT of bad IdP metadata.
 */
function parserReason(message: string): string {
  return message.replace(/^\[xmldom [a-z]+\]\s*/i, '').replace(/\s*@#\[line:[^\]]*\]\s*$/, '').trim();
}

export function parseXml(xml: string): Check<Document> {
  // Strict: anything the parser complains about, even as a warning, is refused.
  let problem: string | undefined;
  const report = (message: string) => {
    problem ??= parserReason(message);
  };
  const doc = new DOMParser({ errorHandler: { warning: report, error: report, fatalError: report } }).parseFromString(xml, 'text/xml');
  if (problem || !doc?.documentElement) return fail('malformed', `not well-formed XML: ${problem ?? 'no root element'}`);
  if (doc.doctype) return fail('doctype', 'the document has a DOCTYPE');
  return ok(doc as unknown as Document);
}

export function childElements(parent: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === local) out.push(node as Element);
  }
  return out;
}

function child(parent: Element | undefined, ns: string, local: string): Element | undefined {
  return parent ? childElements(parent, ns, local)[0] : undefined;
}

function allByLocalName(doc: Document, local: string): Element[] {
  return Array.from(doc.getElementsByTagNameNS('*', local));
}

function text(element: Element | undefined): string | null {
  const value = element?.textContent?.trim();
  return value ? value : null;
}

function attr(element: Element | undefined, name: string): string | null {
  return element?.hasAttribute(name) ? element.getAttribute(name) : null;
}

function time(value: string | null): Date | null | 'invalid' {
  if (value === null) return null;
  const date = new Date(value);
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(date.getTime()) ? date : 'invalid';
}

/** An element's enveloped signature: a ds:Signature child whose Reference points at the element's own ID. */
export function ownSignature(element: Element): Element | null {
  const id = attr(element, 'ID');
  return childElements(element, NS.dsig, 'Signature').find((sig) =>
    allByLocalNameIn(sig, 'Reference').some((ref) => id !== null && ref.getAttribute('URI') === `#${id}`),
  ) ?? null;
}

function signsItself(element: Element): boolean {
  return ownSignature(element) !== null;
}

function allByLocalNameIn(element: Element, local: string): Element[] {
  return Array.from(element.getElementsByTagNameNS(NS.dsig, local));
}

/**
 * An IdP that will not sign the person in (Okta, Entra: not assigned to the app, MFA refused)
 * answers a Response with an error Status and no assertion. Name its codes and message before
 * the shape rules would call it "no assertion", so the admin reads what the IdP said. Nothing
 * here is trusted: the response is refused either way.
 */
export function refuseIdpError(doc: Document): Check {
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') return ok(null);
  const status = child(root, NS.protocol, 'Status');
  const top = child(status, NS.protocol, 'StatusCode');
  const code = attr(top, 'Value');
  if (code === SUCCESS) return ok(null);
  const codes = [code ?? 'missing', ...(top ? childElements(top, NS.protocol, 'StatusCode').map((c) => attr(c, 'Value') ?? '') : [])].filter(Boolean);
  const message = text(child(status, NS.protocol, 'StatusMessage'));
  return fail('status', `IdP status is ${codes.join(' / ')}${message ? `: ${message.slice(0, 200)}` : ''}`);
}

/**
 * The shape every later rule relies on: a samlp:Response root holding exactly
 * one plain saml:Assertion as a direct child, and no other Assertion anywhere
 * (signature wrapping hides a second one in Extensions, Object or Advice).
 */
export function readResponse(doc: Document): Check<ResponseFacts> {
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') return fail('not_a_response', `root element is ${root.nodeName}`);
  // decrypt.ts opened the one EncryptedAssertion a Response may carry: any other is hidden somewhere.
  if (allByLocalName(doc, 'EncryptedAssertion').length) return fail('encrypted_assertion', 'an EncryptedAssertion outside the one a Response may carry');
  const everywhere = allByLocalName(doc, 'Assertion');
  const direct = childElements(root, NS.assertion, 'Assertion');
  if (everywhere.length !== 1 || direct.length !== 1) {
    return fail('assertion_count', `expected exactly one Assertion as a child of Response, found ${everywhere.length} in the document`);
  }
  const assertion = direct[0]!;
  const responseId = attr(root, 'ID');
  const assertionId = attr(assertion, 'ID');
  if (!responseId || !assertionId) return fail('malformed', 'Response or Assertion has no ID');
  const conditions = child(assertion, NS.assertion, 'Conditions');
  const subject = child(assertion, NS.assertion, 'Subject');
  const bearer: BearerConfirmation[] = [];
  for (const confirmation of subject ? childElements(subject, NS.assertion, 'SubjectConfirmation') : []) {
    if (attr(confirmation, 'Method') !== BEARER) continue;
    const data = child(confirmation, NS.assertion, 'SubjectConfirmationData');
    const notBefore = time(attr(data, 'NotBefore'));
    const notOnOrAfter = time(attr(data, 'NotOnOrAfter'));
    if (notBefore === 'invalid' || notOnOrAfter === 'invalid') return fail('malformed', 'SubjectConfirmationData has an invalid time');
    bearer.push({ recipient: attr(data, 'Recipient'), notBefore, notOnOrAfter, inResponseTo: attr(data, 'InResponseTo') });
  }
  const notBefore = time(attr(conditions, 'NotBefore'));
  const notOnOrAfter = time(attr(conditions, 'NotOnOrAfter'));
  if (notBefore === 'invalid' || notOnOrAfter === 'invalid') return fail('malformed', 'Conditions has an invalid time');
  const restrictions = (conditions ? childElements(conditions, NS.assertion, 'AudienceRestriction') : []).map((restriction) =>
    childElements(restriction, NS.assertion, 'Audience').map((a) => text(a) ?? ''),
  );
  const status = child(root, NS.protocol, 'Status');
  return ok({
    responseId,
    destination: attr(root, 'Destination'),
    inResponseTo: attr(root, 'InResponseTo'),
    responseIssuer: text(child(root, NS.assertion, 'Issuer')),
    statusCode: attr(child(status, NS.protocol, 'StatusCode'), 'Value'),
    assertionId,
    assertionIssuer: text(child(assertion, NS.assertion, 'Issuer')),
    restrictions,
    notBefore,
    notOnOrAfter,
    bearer,
    responseSigned: signsItself(root),
    assertionSigned: signsItself(assertion),
  });
}

/** XML signatures point at IDs; two elements with one ID let a forged element borrow a signature. */
export function refuseDuplicateIds(doc: Document): Check {
  const seen = new Set<string>();
  for (const element of allByLocalName(doc, '*')) {
    for (const name of ['ID', 'Id', 'id']) {
      const value = attr(element, name);
      if (value === null) continue;
      if (seen.has(value)) return fail('duplicate_id', `ID "${value}" appears more than once`);
      seen.add(value);
    }
  }
  return ok(null);
}

/**
 * Every signature present must verify with one of the connection's
 * certificates: the Response's and the Assertion's each. node-saml accepts a
 * response when either one verifies, so a signature made with any other key
 * beside a valid one went unnoticed — and the Response's InResponseTo counts
 * only when its own signature holds (checkSolicitation).
 */
export function verifyEverySignature(xml: string, doc: Document, certificates: string[]): Check {
  const root = doc.documentElement;
  const assertion = childElements(root, NS.assertion, 'Assertion')[0];
  for (const [element, name] of [[root, 'Response'], [assertion, 'Assertion']] as const) {
    if (!element || !signsItself(element)) continue;
    const verified = verifyOwnSignature(xml, element, name, certificates);
    if (!verified.ok) return verified;
  }
  return ok(null);
}

/** The element's enveloped signature (it has one) verifies with one of the certificates. */
export function verifyOwnSignature(xml: string, element: Element, name: string, certificates: string[]): Check {
  let valid: boolean;
  try {
    valid = validateSignature(xml, element, certificates.map((cert) => keyInfoToPem(cert, 'CERTIFICATE')));
  } catch (error) {
    return fail('bad_signature', `the ${name} signature is not acceptable: ${(error as Error).message}`);
  }
  if (!valid) return fail('bad_signature', `the ${name} signature does not verify with the connection's certificates`);
  return ok(null);
}

/**
 * CONVENTIONS 12: the assertion itself must be signed, as the SP metadata says
 * (WantAssertionsSigned="true"); a signature on the Response alone is not enough.
 * Okta and Entra both sign the assertion by default (Entra: "Sign SAML assertion";
 * only its "Sign SAML response" choice leaves the assertion unsigned).
 */
export function requireSignature(facts: ResponseFacts): Check {
  if (!facts.assertionSigned) {
    return fail('unsigned', facts.responseSigned ? 'the Assertion is not signed (only the Response is)' : 'neither the Response nor the Assertion is signed');
  }
  return ok(null);
}

const STRONG = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const SHA1 = new Set(['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1']);

/**
 * SHA-256 or better for every signature and digest (of the document, or of one
 * ds:Signature); SHA-1 only where the connection allows it; HMAC never.
 */
export function requireStrongAlgorithms(scope: Document | Element, allowSha1: boolean): Check {
  const methods = [...Array.from(scope.getElementsByTagNameNS('*', 'SignatureMethod')), ...Array.from(scope.getElementsByTagNameNS('*', 'DigestMethod'))];
  for (const method of methods) {
    const algorithm = method.getAttribute('Algorithm') ?? '';
    if (STRONG.has(algorithm) || (allowSha1 && SHA1.has(algorithm))) continue;
    return fail('weak_algorithm', `algorithm ${algorithm || '(none)'} is not accepted`);
  }
  return ok(null);
}

export function checkStatus(facts: ResponseFacts): Check {
  if (facts.statusCode !== SUCCESS) return fail('status', `IdP status is ${facts.statusCode ?? 'missing'}`);
  return ok(null);
}

/** The assertion's Issuer (and the response's, when present) is the connection's IdP entity ID. */
export function checkIssuer(facts: ResponseFacts, idpEntityId: string): Check {
  if (facts.assertionIssuer !== idpEntityId) return fail('issuer', `assertion Issuer is ${facts.assertionIssuer ?? 'missing'}, expected ${idpEntityId}`);
  if (facts.responseIssuer !== null && facts.responseIssuer !== idpEntityId) return fail('issuer', `response Issuer is ${facts.responseIssuer}, expected ${idpEntityId}`);
  return ok(null);
}

/** SAML core §2.5.1.4: an AudienceRestriction must name us; no restriction at all is refused too. */
export function checkAudience(facts: ResponseFacts, spEntityId: string): Check {
  if (!facts.restrictions.length || facts.restrictions.some((names) => !names.includes(spEntityId))) {
    return fail('audience', `Audience is ${facts.restrictions.map((names) => names.join(' or ') || '(none)').join(' and ') || 'missing'}, expected ${spEntityId} in each restriction`);
  }
  return ok(null);
}

/** SAML bindings §3.5.5.2: a signed POST response carries Destination, which must be this ACS URL. */
export function checkDestination(facts: ResponseFacts, acsUrl: string): Check {
  if (facts.destination !== acsUrl) return fail('destination', `Destination is ${facts.destination ?? 'missing'}, expected ${acsUrl}`);
  return ok(null);
}

/** SAML profiles §4.1.4.2: a bearer SubjectConfirmation whose Recipient is this ACS URL. */
export function checkRecipient(facts: ResponseFacts, acsUrl: string): Check {
  if (!facts.bearer.length) return fail('recipient', 'no bearer SubjectConfirmation');
  const wrong = facts.bearer.find((b) => b.recipient !== acsUrl);
  if (wrong) return fail('recipient', `Recipient is ${wrong.recipient ?? 'missing'}, expected ${acsUrl}`);
  return ok(null);
}

/**
 * NotBefore / NotOnOrAfter of the Conditions and of each bearer confirmation,
 * with an explicit skew. Returns when the assertion stops being valid, which is
 * how long the replay cache must remember it.
 */
export function checkTimeWindow(facts: ResponseFacts, now: Date, skewMs: number): Check<Date> {
  const t = now.getTime();
  const starts = [facts.notBefore, ...facts.bearer.map((b) => b.notBefore)].filter((d): d is Date => d !== null);
  const ends = [facts.notOnOrAfter, ...facts.bearer.map((b) => b.notOnOrAfter)].filter((d): d is Date => d !== null);
  if (!ends.length) return fail('missing_expiry', 'the assertion has no NotOnOrAfter');
  for (const start of starts) {
    if (t + skewMs < start.getTime()) return fail('not_yet_valid', `NotBefore ${start.toISOString()} is in the future`);
  }
  const expiry = new Date(Math.min(...ends.map((d) => d.getTime())));
  if (t - skewMs >= expiry.getTime()) return fail('expired', `NotOnOrAfter ${expiry.toISOString()} has passed`);
  return ok(new Date(expiry.getTime() + skewMs));
}

/**
 * Solicited or not: the request ID the response answers (the signed one in the
 * assertion first), or null for an IdP-initiated response — allowed only when
 * the connection opts in.
 */
export function checkSolicitation(facts: ResponseFacts, allowIdpInitiated: boolean): Check<string | null> {
  const fromAssertion = [...new Set(facts.bearer.map((b) => b.inResponseTo).filter((v): v is string => v !== null))];
  if (fromAssertion.length > 1) return fail('in_response_to_mismatch', 'bearer confirmations answer different requests');
  const signed = fromAssertion[0] ?? null;
  if (signed && facts.inResponseTo && signed !== facts.inResponseTo) {
    return fail('in_response_to_mismatch', `Response InResponseTo ${facts.inResponseTo} differs from the assertion's ${signed}`);
  }
  // The Response's own InResponseTo counts only when the Response is signed (verifyEverySignature
  // checked that signature): on an unsigned envelope anyone could add a request id they fetched.
  const requestId = signed ?? (facts.responseSigned ? facts.inResponseTo : null);
  if (!requestId && !allowIdpInitiated) return fail('unsolicited', 'unsolicited (IdP-initiated) response, and this connection does not allow them');
  return ok(requestId);
}
