import { readFileSync } from 'node:fs';
import { DEFAULT_CONNECTION, configureSamlConnection, expiringCertificates, findSamlConnection, listSamlConnections, spEndpoints, toConnectionView } from '../directory/saml-connections.ts';
import { toConnectionInput } from '../saml/connection-input.ts';
import type { JitPolicy } from '../db/entities/index.ts';
import { CliError, ioReason, orgScope, UsageError, type Command, type Io } from './context.ts';

/** A file the command cannot read is I/O it could not do (exit 1, one line), not a wrong command line. */
function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`--${flag} ${file}: cannot read the file (${ioReason(error)})`);
  }
}

export const samlSet: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const { flags } = ctx;
  const name = typeof flags.connection === 'string' ? flags.connection : DEFAULT_CONNECTION;
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
  const input = toConnectionInput({
    idpMetadataXml: metadataFile ? readFlagFile('metadata-file', metadataFile) : undefined,
    idpEntityId: typeof flags['idp-entity-id'] === 'string' ? flags['idp-entity-id'] : undefined,
    idpSsoUrl: typeof flags['idp-sso-url'] === 'string' ? flags['idp-sso-url'] : undefined,
    idpCertificates: certFiles.length ? certFiles.map((f) => readFlagFile('idp-cert-file', f)) : undefined,
    idpMetadataUrl: stored?.idpMetadataUrl ?? undefined,
    allowIdpInitiated: allowIdpInitiated ?? stored?.allowIdpInitiated,
    allowSha1: stored?.allowSha1,
    jit: typeof flags.jit === 'string' ? (flags.jit as JitPolicy) : stored?.jit,
    attributeMapping: stored?.attributeMapping,
    allowedRedirectUrls: (flags['redirect-url'] as string[] | undefined) ?? stored?.allowedRedirectUrls,
  }, now);
  const { connection, created } = await configureSamlConnection(em, scope, name, input, now);
  const view = toConnectionView(connection, scope.orgSlug, ctx.config.publicUrl, now);
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ created, ...view }));
    return;
  }
  ctx.io.out(`${created ? 'Created' : 'Updated'} SAML connection "${view.name}" for ${scope.orgSlug}. Enter at the IdP:`);
  printConnection(ctx.io, view);
};

function printEndpoints(io: Io, view: ReturnType<typeof spEndpoints>): void {
  io.out(`  SP entity ID (Okta Audience URI / Entra Identifier): ${view.spEntityId}`);
  io.out(`  ACS URL (Okta Single sign-on URL / Entra Reply URL): ${view.acsUrl}`);
  io.out(`  Sign-on URL: ${view.loginUrl}`);
  io.out(`  SP metadata: ${view.metadataUrl}`);
}

function printConnection(io: Io, view: ReturnType<typeof toConnectionView>): void {
  printEndpoints(io, view);
  for (const cert of view.idp.certificates) io.out(`  IdP certificate ${cert.fingerprint256} expires ${cert.notAfter.toISOString()} (${cert.expiresInDays} days)`);
}

export const samlShow: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const now = new Date();
  const views = (await listSamlConnections(ctx.store.orm.em.fork(), scope.orgId)).map((c) => toConnectionView(c, scope.orgSlug, ctx.config.publicUrl, now));
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
  }
};
