import { XMLSerializer } from '@xmldom/xmldom';
import xmlenc from 'xml-encryption';
import { fail, ok } from '../lib/result.ts';
import { childElements, NS, ownSignature, parseXml, refuseDoctype, requireStrongAlgorithms, verifyOwnSignature, type Check } from './checks.ts';

/**
 * Encrypted assertions (Okta's "Assertion Encryption", Entra's "Token
 * encryption"): the Response carries one EncryptedAssertion, encrypted to one
 * of the connection's keys (directory/saml-encryption-keys.ts). It is opened
 * here, before any rule reads the assertion, into a Response holding the plain
 * Assertion, so every check after it (one assertion, its signature, audience,
 * times, replay) runs on what the IdP signed inside the encryption, exactly as
 * for a plain response.
 *
 * A signature on the Response covers the EncryptedAssertion, so it can only
 * be verified before opening: it is verified here, against the connection's
 * certificates, and then taken off the opened document (which it no longer
 * matches); `responseSigned` tells the rules it was there and held.
 */

export interface Opened {
  /** The Response with its Assertion in the clear and its own signature taken off. */
  xml: string;
  /** The Response's signature was present and verified before opening. */
  responseSigned: boolean;
}

export interface DecryptionSettings {
  /** PKCS#8 PEM private keys, newest first (none when the connection has none): read only for an encrypted assertion. */
  keys: () => Promise<string[]>;
  /** The connection refuses assertions in the clear. */
  required: boolean;
  /** The IdP's certificates, for the Response's signature. */
  certificates: string[];
  allowSha1: boolean;
}

/**
 * One key after the other, newest first. xml-encryption answers through a
 * callback it calls synchronously (twice on a bad CBC padding: the first one
 * counts). RSA 1.5 key transport and 3DES are refused: the former is open to
 * Bleichenbacher's attack, and neither is offered by Okta or Entra.
 */
function decryptWithAny(encrypted: string, keys: string[]): Check<string> {
  const problems: string[] = [];
  for (const key of keys) {
    let outcome: { error: Error | null; text: string | undefined } | undefined;
    try {
      xmlenc.decrypt(encrypted, { key, disallowDecryptionWithInsecureAlgorithm: true, warnInsecureAlgorithm: false }, (error, text) => {
        outcome ??= { error, text };
      });
    } catch (error) {
      outcome ??= { error: error as Error, text: undefined };
    }
    if (outcome && !outcome.error && typeof outcome.text === 'string') return ok(outcome.text);
    const message = outcome?.error?.message ?? 'no result';
    if (!problems.includes(message)) problems.push(message);
  }
  return fail('decryption_failed', `the assertion could not be decrypted with the connection's ${keys.length === 1 ? 'key' : `${keys.length} keys`}: ${problems.join('; ')}`);
}

/**
 * null: nothing encrypted (the Response goes on as it came). Otherwise the
 * Response with its one EncryptedAssertion replaced by the Assertion inside.
 */
export async function openEncryptedAssertion(xml: string, doc: Document, settings: DecryptionSettings): Promise<Check<Opened | null>> {
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') return ok(null);
  const everywhere = Array.from(doc.getElementsByTagNameNS('*', 'EncryptedAssertion'));
  if (!everywhere.length) {
    return settings.required ? fail('unencrypted_assertion', 'this connection requires encrypted assertions, and the assertion came in the clear') : ok(null);
  }
  const keys = await settings.keys();
  if (!keys.length) return fail('encrypted_assertion', 'the assertion is encrypted, and this connection has no encryption key');
  const direct = childElements(root, NS.assertion, 'EncryptedAssertion');
  const plain = doc.getElementsByTagNameNS('*', 'Assertion').length;
  if (everywhere.length !== 1 || direct.length !== 1 || plain !== 0) {
    return fail('assertion_count', `expected exactly one EncryptedAssertion as a child of Response and no other assertion, found ${everywhere.length} encrypted and ${plain} plain`);
  }
  const signature = ownSignature(root);
  if (signature) {
    const strong = requireStrongAlgorithms(signature, settings.allowSha1);
    if (!strong.ok) return strong;
    const verified = verifyOwnSignature(xml, root, 'Response', settings.certificates);
    if (!verified.ok) return verified;
  }

  const encrypted = direct[0]!;
  const decrypted = decryptWithAny(new XMLSerializer().serializeToString(encrypted), keys);
  if (!decrypted.ok) return decrypted;
  // What came out of the encryption is as untrusted as what came in: the same parser rules, then one Assertion.
  const doctype = refuseDoctype(decrypted.value);
  if (!doctype.ok) return doctype;
  const inner = parseXml(decrypted.value);
  if (!inner.ok) return fail('malformed', `the decrypted assertion is ${inner.detail}`);
  const assertion = inner.value.documentElement;
  if (assertion.namespaceURI !== NS.assertion || assertion.localName !== 'Assertion') {
    return fail('malformed', `the EncryptedAssertion holds ${assertion.nodeName}, not an Assertion`);
  }
  root.replaceChild(doc.importNode(assertion, true), encrypted);
  if (signature) root.removeChild(signature);
  return ok({ xml: new XMLSerializer().serializeToString(doc), responseSigned: signature !== null });
}
