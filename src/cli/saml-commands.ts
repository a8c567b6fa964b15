import { readFileSync } from 'node:fs';
import { DEFAULT_CONNECTION, configureSamlConnection, expiringCertificates, findSamlConnection, listSamlConnections, spEndpoints, toConnectionView } from '../directory/saml-connections.ts';
import { listEncryptionKeys } from '../directory/saml-encryption-keys.ts';
import { toConnectionInput } from '../saml/connection-input.ts';
import { recordMetadataFetch, refreshSamlConnection } from '../saml/metadata-refresh.ts';
import { DomainError, ValidationError } from '../directory/errors.ts';
import { fetchIdpMetadata } from '../saml/metadata-url.ts';
import { checkUrlShape } from '../lib/outbound-url.ts';
import { outboundPolicy } from '../config.ts';
import type { JitPolicy } from '../db/entities/index.ts';
import { CliError, ioReason, orgScope, UsageError, type Command, type CommandContext, type Flags, type Io } from './context.ts';

/** A file the command cannot read is I/O it could not do (exit 1, one line), not a wrong command line. */
function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`--${flag} ${file}: cannot read the file (${ioReason(error)})`);
  }
}

/** `--connection`, or the default connection. */
export const connectionName = (flags: Flags): string => (typeof flags.connection === 'string' ? flags.connection : DEFAULT_CONNECTION);

export const samlSet: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const { flags } = ctx;
  const name = connectionName(flags);
  const certFiles = (flags['idp-cert-file'] as string[] | undefined) ?? [];
  const metadataFile = typeof flags['metadata-file'] === 'string' ? flags['metadata-file'] : undefined;
  if (flags['allow-idp-initiated'] && flags['no-allow-idp-initiated']) {
    throw new UsageError('--allow-idp-initiated and --no-allow-idp-initiated: give one or the other');
  }
  const allowIdpInitiated = flags['allow-idp-initiated'] ? true : flags['no-allow-idp-initiated'] ? false : undefined;
  // Running the command again with the IdP's new metadata is how a certificate rollover is done
  // (README "SAML with Microsoft Entra ID"): options not given keep their stored values, as the
  // console's metadata form does, rather than falling back to JIT off and IdP-initiated refused.
  const em = ctx.store.orm.em.fork();
  const stored = await findSamlConnection(em, scope.orgId, name);
  const now = new Date();
  const metadataUrl = typeof flags['metadata-url'] === 'string' ? flags['metadata-url'] : undefined;
  const idp = metadataUrl ? await idpFromUrl(ctx, metadataUrl, metadataFile !== undefined || certFiles.length > 0 || flags['idp-entity-id'] !== undefined || flags['idp-sso-url'] !== undefined) : {};
  const input = toConnectionInput({
    idpMetadataXml: metadataFile ? readFlagFile('metadata-file', metadataFile) : undefined,
    idpEntityId: typeof flags['idp-entity-id'] === 'string' ? flags['idp-entity-id'] : undefined,
    idpSsoUrl: typeof flags['idp-sso-url'] === 'string' ? flags['idp-sso-url'] : undefined,
    idpCertificates: certFiles.length ? certFiles.map((f) => readFlagFile('idp-cert-file', f)) : undefined,
    ...idp,
    // A new metadata file or new fields replace the IdP side: a URL kept from before would refresh it back.
    idpMetadataUrl: metadataUrl ?? (metadataFile || certFiles.length ? undefined : stored?.idpMetadataUrl ?? undefined),
    allowIdpInitiated: allowIdpInitiated ?? stored?.allowIdpInitiated,
    allowSha1: stored?.allowSha1,
    requireEncryptedAssertions: stored?.requireEncryptedAssertions,
    jit: typeof flags.jit === 'string' ? (flags.jit as JitPolicy) : stored?.jit,
    attributeMapping: stored?.attributeMapping,
    allowedRedirectUrls: (flags['redirect-url'] as string[] | undefined) ?? stored?.allowedRedirectUrls,
  }, now);
  const { connection, created } = await configureSamlConnection(em, scope, name, input, now);
  if (metadataUrl) {
    // Just fetched: the server's background refresh counts its interval from here.
    await recordMetadataFetch(em, connection.id, now, null);
    await em.refresh(connection);
  }
  const view = toConnectionView(connection, scope.orgSlug, ctx.config.publicUrl, now);
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ created, ...view }));
    return;
  }
  ctx.io.out(`${created ? 'Created' : 'Updated'} SAML connection "${view.name}" for ${scope.orgSlug}. Enter at the IdP:`);
  printConnection(ctx.io, view);
};

/** --metadata-url: the IdP side fetched from it, under the same rules as the admin API's idpMetadataUrl. */
async function idpFromUrl(ctx: CommandContext, url: string, withOthers: boolean) {
  if (withOthers) throw new UsageError('--metadata-url: give it alone, without --metadata-file or the --idp-… options');
  const policy = outboundPolicy(ctx.config);
  let fetched: Awaited<ReturnType<typeof fetchIdpMetadata>>;
  try {
    checkUrlShape(url, policy);
    fetched = await fetchIdpMetadata(url, policy);
  } catch (error) {
    throw ValidationError.field('--metadata-url', (error as Error).message);
  }
  if (!fetched.ok) throw ValidationError.field('--metadata-url', fetched.detail);
  return { idpEntityId: fetched.value.entityId, idpSsoUrl: fetched.value.ssoUrl, idpCertificates: fetched.value.certificates };
}

function printEndpoints(io: Io, view: ReturnType<typeof spEndpoints>): void {
  io.out(`  SP entity ID (Okta Audience URI / Entra Identifier): ${view.spEntityId}`);
  io.out(`  ACS URL (Okta Single sign-on URL / Entra Reply URL): ${view.acsUrl}`);
  io.out(`  Sign-on URL: ${view.loginUrl}`);
  io.out(`  SP metadata: ${view.metadataUrl}`);
}

function printConnection(io: Io, view: ReturnType<typeof toConnectionView>): void {
  printEndpoints(io, view);
  for (const cert of view.idp.certificates) io.out(`  IdP certificate ${cert.fingerprint256} expires ${cert.notAfter.toISOString()} (${cert.expiresInDays} days)`);
  printMetadataFetch(io, view.idp);
}

/** A connection refreshed from its IdP metadata URL: where from, the last fetch, and the last failed one until a fetch succeeds (as --json and GET /saml show them). */
function printMetadataFetch(io: Io, idp: ReturnType<typeof toConnectionView>['idp']): void {
  if (!idp.metadataUrl) return;
  io.out(`  IdP metadata URL: ${idp.metadataUrl}`);
  io.out(`  Metadata last fetched: ${idp.metadataRefreshedAt?.toISOString() ?? 'never'}`);
  if (idp.metadataError) io.out(`  Metadata last fetch failed: ${idp.metadataError.at.toISOString()}: ${idp.metadataError.reason}`);
}

/** Whether the connection takes encrypted assertions, and with how many keys (`saml encryption-keys` lists them). */
function encryptionLine(view: ReturnType<typeof toConnectionView>, keys: number): string {
  const state = view.requireEncryptedAssertions ? 'required' : keys ? 'accepted' : 'refused (no key)';
  return `  Encrypted assertions: ${state}, ${keys} encryption key(s)`;
}

export const samlShow: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const now = new Date();
  const em = ctx.store.orm.em.fork();
  const views = (await listSamlConnections(em, scope.orgId)).map((c) => toConnectionView(c, scope.orgSlug, ctx.config.publicUrl, now));
  // The IdP app is created before the IdP gives out its metadata (Entra asks for the Identifier and
  // Reply URL first), so the default connection's URLs are shown before it is configured too.
  const defaultConnection = { name: DEFAULT_CONNECTION, configured: views.some((v) => v.name === DEFAULT_CONNECTION), ...spEndpoints(ctx.config.publicUrl, scope.orgSlug) };
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ connections: views, expiringCertificates: expiringCertificates(views), defaultConnection }));
    return;
  }
  if (!views.length) {
    ctx.io.out(`No SAML connection for ${scope.orgSlug} yet. Enter at the IdP:`);
    printEndpoints(ctx.io, defaultConnection);
    ctx.io.out(`Then give Gatehouse the IdP's metadata: gatehouse saml set --org ${scope.orgSlug} --metadata-file idp-metadata.xml`);
  }
  for (const view of views) {
    ctx.io.out(`Connection "${view.name}" (IdP ${view.idp.entityId}, JIT ${view.jit}, IdP-initiated ${view.allowIdpInitiated ? 'allowed' : 'refused'}):`);
    printConnection(ctx.io, view);
    ctx.io.out(encryptionLine(view, (await listEncryptionKeys(em, scope.orgId, view.id)).length));
  }
};

/**
 * Fetches each connection's idpMetadataUrl again (or only --connection's) and takes the
 * IdP side from it: how a connection configured from Entra's App Federation Metadata URL
 * picks up the next certificate. Every connection is tried; any failure exits 1 after.
 */
export const samlRefresh: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const em = ctx.store.orm.em.fork();
  const named = typeof ctx.flags.connection === 'string' ? ctx.flags.connection : undefined;
  const names = named ? [named] : (await listSamlConnections(em, scope.orgId)).filter((c) => c.idpMetadataUrl).map((c) => c.name);
  if (!names.length) throw new CliError(`no SAML connection of ${scope.orgSlug} has an idpMetadataUrl to refresh from`);
  const policy = outboundPolicy(ctx.config);
  const results: Array<{ name: string; changed: boolean; certificatesAdded: string[]; certificatesRemoved: string[] } | { name: string; error: string }> = [];
  for (const name of names) {
    try {
      const { changed, certificatesAdded, certificatesRemoved } = await refreshSamlConnection(em.fork(), scope, name, policy, new Date());
      results.push({ name, changed, certificatesAdded, certificatesRemoved });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      results.push({ name, error: error.message });
    }
  }
  if (ctx.io.json) ctx.io.out(JSON.stringify({ connections: results }));
  else {
    for (const r of results) {
      if ('error' in r) continue;
      if (!r.changed) ctx.io.out(`Connection "${r.name}": unchanged`);
      else ctx.io.out(`Connection "${r.name}": updated, ${r.certificatesAdded.length} certificate(s) added, ${r.certificatesRemoved.length} removed`);
      for (const fp of r.certificatesAdded) ctx.io.out(`  added ${fp}`);
      for (const fp of r.certificatesRemoved) ctx.io.out(`  removed ${fp}`);
    }
  }
  const failed = results.filter((r) => 'error' in r);
  if (failed.length) throw new CliError(failed.map((r) => `connection "${r.name}": ${r.error}`).join('; '));
};
