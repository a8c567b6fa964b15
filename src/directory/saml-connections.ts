import { X509Certificate } from 'node:crypto';
import type { Em } from '../db/orm.ts';
import { Organization, SamlConnection, jitPolicies, type JitPolicy } from '../db/entities/index.ts';
import { jsonEqual } from '../lib/equal.ts';
import { recordAudit } from './audit.ts';
import { ValidationError, type FieldProblem } from './errors.ts';
import { lockIfMatch, type IfMatch } from './if-match.ts';
import type { Scope } from './scope.ts';

/**
 * SAML connections: one or more per org, each its own SP (entity ID, ACS URL,
 * metadata) because Entra refuses the same Identifier on two apps of a tenant.
 * The connection named `default` answers on /saml/:org/…; others on /saml/:org/:name/….
 */

export const DEFAULT_CONNECTION = 'default';
/** Path segments of the SP routes; a connection cannot be named like one. */
const RESERVED_NAMES = new Set(['metadata', 'login', 'acs', 'logout']);
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Certificates expiring within this many days are listed for the admin (Entra mails at 60/30/7). */
export const CERT_WARNING_DAYS = 60;

export interface SamlConnectionInput {
  idpEntityId: string;
  idpSsoUrl: string;
  idpCertificates: string[];
  idpMetadataUrl?: string | null | undefined;
  allowIdpInitiated?: boolean | undefined;
  allowSha1?: boolean | undefined;
  requireEncryptedAssertions?: boolean | undefined;
  jit?: JitPolicy | undefined;
  attributeMapping?: Record<string, string> | undefined;
  allowedRedirectUrls?: string[] | undefined;
}

export interface SpEndpoints {
  spEntityId: string;
  acsUrl: string;
  metadataUrl: string;
  loginUrl: string;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint256: string;
  expiresInDays: number;
  expired: boolean;
}

export interface SamlConnectionView extends SpEndpoints {
  id: string;
  name: string;
  idp: {
    entityId: string;
    ssoUrl: string;
    metadataUrl: string | null;
    /** The last successful fetch of metadataUrl (the background refresh, a manual one); null before any. */
    metadataRefreshedAt: Date | null;
    /** The last failed fetch, until one succeeds. */
    metadataError: { reason: string; at: Date } | null;
    certificates: CertificateInfo[];
  };
  allowIdpInitiated: boolean;
  allowSha1: boolean;
  /** Plain assertions are refused; the keys are at …/encryption-keys. */
  requireEncryptedAssertions: boolean;
  jit: JitPolicy;
  attributeMapping: Record<string, string>;
  allowedRedirectUrls: string[];
  updatedAt: Date;
  /** The row version: the admin API's ETag, for If-Match on PUT. */
  version: number;
}

export function validateConnectionName(name: string): string {
  if (name !== DEFAULT_CONNECTION && (!NAME.test(name) || RESERVED_NAMES.has(name))) {
    throw ValidationError.field('name', 'must be 1-63 lower-case letters, digits or hyphens, and not metadata, login, acs or logout');
  }
  return name;
}

/** What the IdP admin types in: one entity ID and ACS URL per connection. */
export function spEndpoints(publicUrl: string, orgSlug: string, name: string = DEFAULT_CONNECTION): SpEndpoints {
  const base = name === DEFAULT_CONNECTION ? `${publicUrl}/saml/${orgSlug}` : `${publicUrl}/saml/${orgSlug}/${name}`;
  return { spEntityId: base, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata`, loginUrl: `${base}/login` };
}

/** A PEM certificate, or the bare base64 that metadata and IdP consoles show, as canonical PEM. */
export function normalizePem(text: string): string {
  const body = text
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function certificateInfo(pem: string, now: Date): CertificateInfo {
  const cert = new X509Certificate(pem);
  const notAfter = new Date(cert.validTo);
  const days = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: new Date(cert.validFrom),
    notAfter,
    fingerprint256: cert.fingerprint256,
    expiresInDays: days,
    expired: notAfter.getTime() <= now.getTime(),
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** A redirect allow-list entry: an absolute URL, or one ending in `*` to allow a path prefix on that origin. */
function isAllowListEntry(value: string): boolean {
  return isHttpUrl(value.endsWith('*') ? value.slice(0, -1) : value);
}

export function validateConnectionInput(input: SamlConnectionInput, now: Date): SamlConnectionInput & { idpCertificates: string[] } {
  const problems: FieldProblem[] = [];
  const idpEntityId = input.idpEntityId?.trim() ?? '';
  if (!idpEntityId) problems.push({ field: 'idpEntityId', reason: 'is required' });
  else if (idpEntityId.length > 1000) problems.push({ field: 'idpEntityId', reason: 'must be at most 1000 characters' });
  if (!isHttpUrl(input.idpSsoUrl ?? '')) problems.push({ field: 'idpSsoUrl', reason: 'must be an absolute http(s) URL' });
  const certificates: string[] = [];
  if (!input.idpCertificates?.length) problems.push({ field: 'idpCertificates', reason: 'must hold at least one certificate' });
  (input.idpCertificates ?? []).forEach((text, i) => {
    try {
      const pem = normalizePem(text);
      const info = certificateInfo(pem, now);
      if (info.expired) problems.push({ field: `idpCertificates.${i}`, reason: `expired on ${info.notAfter.toISOString()}` });
      certificates.push(pem);
    } catch {
      problems.push({ field: `idpCertificates.${i}`, reason: 'is not a readable X.509 certificate (PEM or base64 DER)' });
    }
  });
  // https only unless the operator allows http: the edge applies those rules (lib/outbound-url.ts) before it fetches.
  if (input.idpMetadataUrl && !isHttpUrl(input.idpMetadataUrl)) problems.push({ field: 'idpMetadataUrl', reason: 'must be an absolute http(s) URL' });
  if (input.jit !== undefined && !jitPolicies.includes(input.jit)) problems.push({ field: 'jit', reason: `must be one of ${jitPolicies.join(', ')}` });
  (input.allowedRedirectUrls ?? []).forEach((url, i) => {
    if (!isAllowListEntry(url)) problems.push({ field: `allowedRedirectUrls.${i}`, reason: 'must be an absolute http(s) URL, optionally ending in *' });
  });
  if (problems.length) throw new ValidationError(problems);
  return { ...input, idpEntityId, idpSsoUrl: input.idpSsoUrl.trim(), idpCertificates: [...new Set(certificates)] };
}

export function toConnectionView(connection: SamlConnection, orgSlug: string, publicUrl: string, now: Date): SamlConnectionView {
  return {
    id: connection.id,
    name: connection.name,
    ...spEndpoints(publicUrl, orgSlug, connection.name),
    idp: {
      entityId: connection.idpEntityId,
      ssoUrl: connection.idpSsoUrl,
      metadataUrl: connection.idpMetadataUrl ?? null,
      metadataRefreshedAt: connection.metadataRefreshedAt ?? null,
      metadataError: connection.metadataError && connection.metadataErrorAt ? { reason: connection.metadataError, at: connection.metadataErrorAt } : null,
      certificates: connection.idpCertificates.map((pem) => certificateInfo(pem, now)),
    },
    allowIdpInitiated: connection.allowIdpInitiated,
    allowSha1: connection.allowSha1,
    requireEncryptedAssertions: connection.requireEncryptedAssertions,
    jit: connection.jit,
    attributeMapping: connection.attributeMapping,
    allowedRedirectUrls: connection.allowedRedirectUrls,
    updatedAt: connection.updatedAt,
    version: connection.version,
  };
}

/** Certificates of any connection of the org that expire within `days` (expired ones included). */
export function expiringCertificates(views: SamlConnectionView[], days = CERT_WARNING_DAYS): Array<CertificateInfo & { connection: string }> {
  return views.flatMap((view) =>
    view.idp.certificates.filter((c) => c.expiresInDays < days).map((c) => ({ ...c, connection: view.name })),
  );
}

/**
 * Requiring encrypted assertions without a key to decrypt them would sign
 * nobody in. The keys are counted under the connection's row lock, which
 * adding and removing a key take too (saml-encryption-keys.ts).
 */
async function assertHasEncryptionKey(tx: Em, orgId: string, connection: SamlConnection | null): Promise<void> {
  const problem = () => ValidationError.field('requireEncryptedAssertions', 'needs an encryption key first: POST …/encryption-keys, and give its certificate to the IdP');
  if (!connection) throw problem();
  await tx.execute('select id from saml_connections where org_id = ? and id = ? for update', [orgId, connection.id]);
  const [row] = await tx.execute('select count(*)::int as n from saml_encryption_keys where org_id = ? and connection_id = ?', [orgId, connection.id]);
  if (!Number(row?.n ?? 0)) throw problem();
}

/** `fresh`: read it again even when this unit of work holds it already (it may have been changed since, elsewhere). */
export async function findSamlConnection(em: Em, orgId: string, name: string, options: { fresh?: boolean } = {}): Promise<SamlConnection | null> {
  return em.findOne(SamlConnection, { org: orgId, name }, options.fresh ? { refresh: true } : {});
}

export async function listSamlConnections(em: Em, orgId: string): Promise<SamlConnection[]> {
  return em.find(SamlConnection, { org: orgId }, { orderBy: { name: 'asc' } });
}

/**
 * Creates or replaces a connection's configuration; one `saml.configured` audit event.
 * `ifMatch` (the versions an If-Match listed): the write happens only while the
 * connection is still at one of them, else StaleVersionError — two admins (or an
 * admin and a script) each replacing the whole connection do not silently undo
 * each other. Without it, the last write wins.
 */
export async function configureSamlConnection(
  em: Em,
  scope: Scope,
  name: string,
  input: SamlConnectionInput,
  now: Date,
  ifMatch?: IfMatch,
): Promise<{ connection: SamlConnection; created: boolean }> {
  validateConnectionName(name);
  const valid = validateConnectionInput(input, now);
  return em.transactional(async (tx) => {
    await lockIfMatch(tx, ifMatch, 'select version from saml_connections where org_id = ? and name = ?', [scope.orgId, name], 'SAML connection', name);
    let connection = await tx.findOne(SamlConnection, { org: scope.orgId, name });
    const created = !connection;
    if (valid.requireEncryptedAssertions) await assertHasEncryptionKey(tx, scope.orgId, connection);
    const values = {
      idpEntityId: valid.idpEntityId,
      idpSsoUrl: valid.idpSsoUrl,
      idpCertificates: valid.idpCertificates,
      idpMetadataUrl: valid.idpMetadataUrl ?? null,
      allowIdpInitiated: valid.allowIdpInitiated ?? false,
      allowSha1: valid.allowSha1 ?? false,
      requireEncryptedAssertions: valid.requireEncryptedAssertions ?? false,
      jit: valid.jit ?? 'off',
      attributeMapping: valid.attributeMapping ?? {},
      allowedRedirectUrls: valid.allowedRedirectUrls ?? [],
    };
    // A reconfiguration records each changed option before and after (certificates by fingerprint).
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    if (connection) {
      const comparable = (key: keyof typeof values, value: unknown) =>
        key === 'idpCertificates' ? (value as string[]).map((pem) => certificateInfo(pem, now).fingerprint256) : (value ?? null);
      for (const key of Object.keys(values) as Array<keyof typeof values>) {
        const [from, to] = [comparable(key, connection[key]), comparable(key, values[key])];
        if (!jsonEqual(from, to)) changes[key] = { from, to };
      }
      tx.assign(connection, values);
      // The last fetch and error describe the URL they came from: another URL, or none, starts afresh.
      if (changes.idpMetadataUrl) tx.assign(connection, { metadataRefreshedAt: null, metadataError: null, metadataErrorAt: null });
    } else connection = tx.create(SamlConnection, { org: tx.getReference(Organization, scope.orgId), name, ...values });
    await tx.flush();
    recordAudit(tx, scope, {
      action: 'saml.configured',
      target: { type: 'saml_connection', id: connection.id, label: name },
      details: {
        created,
        idpEntityId: values.idpEntityId,
        certificates: values.idpCertificates.map((pem) => certificateInfo(pem, now).fingerprint256),
        allowIdpInitiated: values.allowIdpInitiated,
        allowSha1: values.allowSha1,
        requireEncryptedAssertions: values.requireEncryptedAssertions,
        jit: values.jit,
        ...(created ? {} : { changes }),
      },
    });
    return { connection, created };
  });
}
