import type { Em } from '../db/orm.ts';
import { Organization, SamlConnection, SamlEncryptionKey } from '../db/entities/index.ts';
import { newSelfSigned } from '../lib/self-signed-cert.ts';
import { recordAudit } from './audit.ts';
import { ConflictError, LimitError, NotFoundError } from './errors.ts';
import { certificateInfo, findSamlConnection, validateConnectionName, type CertificateInfo } from './saml-connections.ts';
import type { Scope } from './scope.ts';

/**
 * The keys an IdP encrypts a connection's assertions to (IDP-NOTES §2:
 * "optional per connection, from SP metadata"). Gatehouse makes each one,
 * publishes every certificate in the SP metadata and decrypts with whichever
 * key the IdP used, so an admin rolls over by adding a key, uploading its
 * certificate at the IdP, then removing the old key.
 */

/** Keys per connection: the one in use, its successor, and one more during a mistake. */
export const MAX_ENCRYPTION_KEYS = 3;
/** Ten years: IdPs do not renew an SP's encryption certificate, and rollover is by hand. */
export const ENCRYPTION_CERT_DAYS = 3650;

export interface EncryptionKeyView extends CertificateInfo {
  id: string;
  createdAt: Date;
  /** PEM: what the IdP admin uploads (Okta's "Encryption Certificate", Entra's "Token encryption"). */
  certificate: string;
}

export function toEncryptionKeyView(key: SamlEncryptionKey, now: Date): EncryptionKeyView {
  return { id: key.id, createdAt: key.createdAt, certificate: key.certificate, ...certificateInfo(key.certificate, now) };
}

/** Newest first: the one an admin added last is the one to upload, and the first to try. */
export async function listEncryptionKeys(em: Em, orgId: string, connectionId: string): Promise<SamlEncryptionKey[]> {
  return em.find(SamlEncryptionKey, { org: orgId, connection: connectionId }, { orderBy: { createdAt: 'desc', id: 'desc' } });
}

/** A configured connection (404 otherwise) and its keys, newest first: what the admin API and the CLI list. */
export async function connectionKeys(em: Em, orgId: string, name: string): Promise<{ connection: SamlConnection; keys: SamlEncryptionKey[] }> {
  const connection = await findSamlConnection(em, orgId, validateConnectionName(name));
  if (!connection) throw new NotFoundError('SamlConnection', name);
  return { connection, keys: await listEncryptionKeys(em, orgId, connection.id) };
}

/** The connection, locked for the transaction: adds and removes of its keys (and a PUT of its options) run one at a time. */
async function lockedConnection(tx: Em, scope: Scope, name: string): Promise<SamlConnection> {
  const [row] = await tx.execute('select id from saml_connections where org_id = ? and name = ? for update', [scope.orgId, validateConnectionName(name)]);
  if (!row) throw new NotFoundError('SamlConnection', name);
  return tx.findOneOrFail(SamlConnection, { id: String(row.id), org: scope.orgId }, { refresh: true });
}

/** A new key for the connection; one `saml.encryption_key_added` audit event naming its certificate. */
export async function addEncryptionKey(em: Em, scope: Scope, name: string, now: Date): Promise<EncryptionKeyView> {
  // Made before the transaction (an RSA key takes tens of milliseconds, no lock waits for it), for a connection that exists.
  if (!(await findSamlConnection(em, scope.orgId, validateConnectionName(name)))) throw new NotFoundError('SamlConnection', name);
  const made = await newSelfSigned(`Gatehouse ${scope.orgSlug}/${name} SAML encryption`, now, ENCRYPTION_CERT_DAYS);
  return em.transactional(async (tx) => {
    const connection = await lockedConnection(tx, scope, name);
    const count = await tx.count(SamlEncryptionKey, { org: scope.orgId, connection: connection.id });
    if (count >= MAX_ENCRYPTION_KEYS) {
      throw new LimitError(`A connection has at most ${MAX_ENCRYPTION_KEYS} encryption keys; remove one the IdP no longer uses first`, { limit: MAX_ENCRYPTION_KEYS, current: count });
    }
    const key = tx.create(SamlEncryptionKey, {
      org: tx.getReference(Organization, scope.orgId),
      connection,
      certificate: made.certificate,
      privateKey: made.privateKey,
    });
    await tx.flush();
    const view = toEncryptionKeyView(key, now);
    recordAudit(tx, scope, {
      action: 'saml.encryption_key_added',
      target: { type: 'saml_connection', id: connection.id, label: name },
      details: { keyId: key.id, fingerprint256: view.fingerprint256, notAfter: view.notAfter.toISOString(), keys: count + 1 },
    });
    return view;
  });
}

/**
 * Removes a key: from the commit on, assertions encrypted to it are refused.
 * The last key of a connection that requires encrypted assertions stays (409):
 * nobody could sign in.
 */
export async function removeEncryptionKey(em: Em, scope: Scope, name: string, keyId: string, now: Date): Promise<void> {
  await em.transactional(async (tx) => {
    const connection = await lockedConnection(tx, scope, name);
    const keys = await listEncryptionKeys(tx, scope.orgId, connection.id);
    const key = keys.find((k) => k.id === keyId);
    if (!key) throw new NotFoundError('SamlEncryptionKey', keyId);
    if (connection.requireEncryptedAssertions && keys.length === 1) {
      throw new ConflictError('requireEncryptedAssertions', 'This connection requires encrypted assertions and this is its only key: nobody could sign in without it. Add another key first, or turn requireEncryptedAssertions off.');
    }
    const { fingerprint256 } = certificateInfo(key.certificate, now);
    tx.remove(key);
    recordAudit(tx, scope, {
      action: 'saml.encryption_key_removed',
      target: { type: 'saml_connection', id: connection.id, label: name },
      details: { keyId, fingerprint256, keys: keys.length - 1 },
    });
    await tx.flush();
  });
}

/** The private keys of a connection, newest first, for the ACS to decrypt with (saml/decrypt.ts). */
export async function decryptionKeys(em: Em, orgId: string, connectionId: string): Promise<string[]> {
  return (await listEncryptionKeys(em, orgId, connectionId)).map((k) => k.privateKey);
}
