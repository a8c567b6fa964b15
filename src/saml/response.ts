import type { SamlConnection } from '../db/entities/index.ts';
import type { SpEndpoints } from '../directory/saml-connections.ts';
import type { SsoIdentity } from '../directory/sso.ts';
import { fail, ok } from '../lib/result.ts';
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
  refuseIdpError,
  refuseDuplicateIds,
  refuseXmlBeyondLimits,
  requireSignature,
  requireStrongAlgorithms,
  verifyEverySignature,
  type Check,
} from './checks.ts';
import { openEncryptedAssertion } from './decrypt.ts';
import { toIdentity } from './identity.ts';
import { samlFor } from './options.ts';

export interface VerifiedResponse {
  assertionId: string;
  /** When the assertion stops being valid (skew included): how long to remember its ID. */
  validUntil: Date;
  /** The AuthnRequest it answers, or null when IdP-initiated. */
  inResponseTo: string | null;
  /** The assertion came encrypted (decrypt.ts). */
  encrypted: boolean;
  identity: SsoIdentity;
}

export interface VerifyContext {
  connection: SamlConnection;
  endpoints: SpEndpoints;
  now: Date;
  clockSkewMs: number;
  maxBytes: number;
  /** The connection's private keys, newest first (directory/saml-encryption-keys.ts): read only when the assertion is encrypted. */
  decryptionKeys: () => Promise<string[]>;
}

/** Refuses what no parser should see: oversized nesting and DTDs, then parses strictly. */
function parseUntrusted(xml: string): Check<Document> {
  const doctype = refuseDoctype(xml);
  if (!doctype.ok) return doctype;
  const shape = refuseXmlBeyondLimits(xml);
  if (!shape.ok) return shape;
  return parseXml(xml);
}

/**
 * Every stateless rule, in order, first failure wins. The database rules
 * (InResponseTo issued and unused, assertion not replayed) come after, in acs.ts.
 */
export async function verifyResponse(samlResponse: unknown, ctx: VerifyContext): Promise<Check<VerifiedResponse>> {
  const { connection, endpoints } = ctx;
  const received = decodeSamlResponse(samlResponse, ctx.maxBytes);
  if (!received.ok) return received;
  const receivedDoc = parseUntrusted(received.value);
  if (!receivedDoc.ok) return receivedDoc;
  const idpError = refuseIdpError(receivedDoc.value);
  if (!idpError.ok) return idpError;
  const opened = await openEncryptedAssertion(received.value, receivedDoc.value, {
    keys: ctx.decryptionKeys,
    required: connection.requireEncryptedAssertions,
    certificates: connection.idpCertificates,
    allowSha1: connection.allowSha1,
  });
  if (!opened.ok) return opened;
  // From here on every rule reads the Response with its assertion in the clear.
  const xml = opened.value ? ok(opened.value.xml) : received;
  const doc = opened.value ? parseUntrusted(xml.value) : receivedDoc;
  if (!doc.ok) return doc;
  const read = readResponse(doc.value);
  if (!read.ok) return read;
  const facts = opened.value?.responseSigned ? ok({ ...read.value, responseSigned: true }) : read;
  for (const check of [
    refuseDuplicateIds(doc.value),
    requireSignature(facts.value),
    requireStrongAlgorithms(doc.value, connection.allowSha1),
  ]) {
    if (!check.ok) return check;
  }

  let profile;
  try {
    const result = await samlFor(connection, endpoints).validatePostResponseAsync({ SAMLResponse: opened.value ? Buffer.from(xml.value, 'utf8').toString('base64') : String(samlResponse) });
    profile = result.profile;
  } catch (error) {
    return fail('bad_signature', `signature verification failed: ${(error as Error).message}`);
  }
  if (!profile?.nameID) return fail('no_subject', 'the assertion has no NameID');
  const everySignature = verifyEverySignature(xml.value, doc.value, connection.idpCertificates);
  if (!everySignature.ok) return everySignature;

  for (const check of [
    checkStatus(facts.value),
    checkIssuer(facts.value, connection.idpEntityId),
    checkAudience(facts.value, endpoints.spEntityId),
    checkDestination(facts.value, endpoints.acsUrl),
    checkRecipient(facts.value, endpoints.acsUrl),
  ]) {
    if (!check.ok) return check;
  }
  const window = checkTimeWindow(facts.value, ctx.now, ctx.clockSkewMs);
  if (!window.ok) return window;
  const solicited = checkSolicitation(facts.value, connection.allowIdpInitiated);
  if (!solicited.ok) return solicited;

  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  return ok({
    assertionId: facts.value.assertionId,
    validUntil: window.value,
    inResponseTo: solicited.value,
    encrypted: opened.value !== null,
    identity: toIdentity(profile.nameID, profile.nameIDFormat ?? null, attributes, connection.attributeMapping),
  });
}
