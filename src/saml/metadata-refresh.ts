import type { Em } from '../db/orm.ts';
import type { SamlConnection } from '../db/entities/index.ts';
import { NotFoundError, StaleVersionError, ValidationError } from '../directory/errors.ts';
import type { Scope } from '../directory/scope.ts';
import { certificateInfo, configureSamlConnection, findSamlConnection, validateConnectionInput, type SamlConnectionInput } from '../directory/saml-connections.ts';
import type { OutboundPolicy } from '../lib/outbound-url.ts';
import { fetchIdpMetadata } from './metadata-url.ts';

export interface RefreshOutcome {
  connection: SamlConnection;
  /** False when the IdP's metadata says what the connection already holds: nothing was written or audited. */
  changed: boolean;
  /** SHA-256 fingerprints, as the connection's view and the saml.configured audit event show them. */
  certificatesAdded: string[];
  certificatesRemoved: string[];
}

const problem = (reason: string) => ValidationError.field('idpMetadataUrl', reason);

/** How many times a refresh fetches again when an admin's edit lands during its fetch. */
const ATTEMPTS = 3;

/**
 * Fetches a connection's idpMetadataUrl again and takes the IdP side from it
 * (entity ID, SSO URL, certificates), keeping every option: how Gatehouse picks
 * up the next signing certificate Entra publishes before a rollover. A change is
 * written as saml.configured (its `changes` name the certificates before and
 * after), only while the connection is still at the version read, so an admin's
 * PUT during the fetch is not undone: the connection is read and its URL fetched
 * again (it may have changed), and the metadata taken over the edit.
 */
export async function refreshSamlConnection(em: Em, scope: Scope, name: string, policy: OutboundPolicy, now: Date): Promise<RefreshOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await refreshOnce(em, scope, name, policy, now);
    } catch (error) {
      if (!(error instanceof StaleVersionError) || attempt === ATTEMPTS) throw error;
    }
  }
}

async function refreshOnce(em: Em, scope: Scope, name: string, policy: OutboundPolicy, now: Date): Promise<RefreshOutcome> {
  // Read afresh: after an edit during the last attempt's fetch, the entity this unit of work holds is old.
  const stored = await findSamlConnection(em, scope.orgId, name, { fresh: true });
  if (!stored) throw new NotFoundError('SamlConnection', name);
  if (!stored.idpMetadataUrl) throw problem('is not set on this connection: configure it with one (PUT idpMetadataUrl) to refresh it');
  try {
    const outcome = await takeMetadata(em, scope, stored, stored.idpMetadataUrl, policy, now);
    await recordMetadataFetch(em, stored.id, now, null);
    // The statement above bypassed the unit of work: the connection returned shows the time just recorded.
    await em.refresh(outcome.connection);
    return outcome;
  } catch (error) {
    if (error instanceof ValidationError) await recordMetadataFetch(em, stored.id, now, error.problems[0]?.reason ?? error.message);
    throw error;
  }
}

/**
 * When the metadata was last fetched, or why it failed (cleared by a success), and the refresh job's
 * lease released. One statement outside the unit of work: the connection's version (its ETag, an
 * admin's If-Match) is not moved by a fetch.
 */
export async function recordMetadataFetch(em: Em, connectionId: string, now: Date, error: string | null): Promise<void> {
  const sql = error === null
    ? 'update saml_connections set metadata_refreshed_at = ?, metadata_error = null, metadata_error_at = null, metadata_leased_until = null where id = ?'
    : 'update saml_connections set metadata_error = ?, metadata_error_at = ?, metadata_leased_until = null where id = ?';
  await em.execute(sql, error === null ? [now, connectionId] : [error.slice(0, 1000), now, connectionId]);
}

async function takeMetadata(em: Em, scope: Scope, stored: SamlConnection, url: string, policy: OutboundPolicy, now: Date): Promise<RefreshOutcome> {
  const name = stored.name;
  const fetched = await fetchIdpMetadata(url, policy);
  if (!fetched.ok) throw problem(fetched.detail);
  const input: SamlConnectionInput = {
    idpEntityId: fetched.value.entityId,
    idpSsoUrl: fetched.value.ssoUrl,
    idpCertificates: fetched.value.certificates,
    idpMetadataUrl: url,
    allowIdpInitiated: stored.allowIdpInitiated,
    allowSha1: stored.allowSha1,
    requireEncryptedAssertions: stored.requireEncryptedAssertions,
    jit: stored.jit,
    attributeMapping: stored.attributeMapping,
    allowedRedirectUrls: stored.allowedRedirectUrls,
  };
  let valid: ReturnType<typeof validateConnectionInput>;
  try {
    valid = validateConnectionInput(input, now);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw problem(`gives metadata Gatehouse refuses: ${error.message}`);
  }
  const prints = (pems: string[]) => pems.map((pem) => certificateInfo(pem, now).fingerprint256);
  const [before, after] = [prints(stored.idpCertificates), prints(valid.idpCertificates)];
  const certificatesAdded = after.filter((f) => !before.includes(f));
  const certificatesRemoved = before.filter((f) => !after.includes(f));
  const same = valid.idpEntityId === stored.idpEntityId && valid.idpSsoUrl === stored.idpSsoUrl && !certificatesAdded.length && !certificatesRemoved.length;
  if (same) return { connection: stored, changed: false, certificatesAdded, certificatesRemoved };
  const { connection } = await configureSamlConnection(em, scope, name, valid, now, [stored.version]);
  return { connection, changed: true, certificatesAdded, certificatesRemoved };
}
