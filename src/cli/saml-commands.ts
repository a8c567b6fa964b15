import { readFileSync } from 'node:fs';
import { DEFAULT_CONNECTION, configureSamlConnection, expiringCertificates, listSamlConnections, toConnectionView } from '../directory/saml-connections.ts';
import { toConnectionInput } from '../saml/connection-input.ts';
import type { JitPolicy } from '../db/entities/index.ts';
import { orgScope, UsageError, type Command, type Io } from './context.ts';

function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export const samlSet: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const { flags } = ctx;
  const name = typeof flags.connection === 'string' ? flags.connection : DEFAULT_CONNECTION;
  const certFiles = (flags['idp-cert-file'] as string[] | undefined) ?? [];
  const metadataFile = typeof flags['metadata-file'] === 'string' ? flags['metadata-file'] : undefined;
  const input = toConnectionInput({
    idpMetadataXml: metadataFile ? readFlagFile('metadata-file', metadataFile) : undefined,
    idpEntityId: typeof flags['idp-entity-id'] === 'string' ? flags['idp-entity-id'] : undefined,
    idpSsoUrl: typeof flags['idp-sso-url'] === 'string' ? flags['idp-sso-url'] : undefined,
    idpCertificates: certFiles.length ? certFiles.map((f) => readFlagFile('idp-cert-file', f)) : undefined,
    allowIdpInitiated: Boolean(flags['allow-idp-initiated']),
    jit: typeof flags.jit === 'string' ? (flags.jit as JitPolicy) : undefined,
    allowedRedirectUrls: (flags['redirect-url'] as string[] | undefined) ?? undefined,
  });
  const now = new Date();
  const { connection, created } = await configureSamlConnection(ctx.store.orm.em.fork(), scope, name, input, now);
  const view = toConnectionView(connection, scope.orgSlug, ctx.config.publicUrl, now);
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ created, ...view }));
    return;
  }
  ctx.io.out(`${created ? 'Created' : 'Updated'} SAML connection "${view.name}" for ${scope.orgSlug}. Enter at the IdP:`);
  printEndpoints(ctx.io, view);
};

function printEndpoints(io: Io, view: ReturnType<typeof toConnectionView>): void {
  io.out(`  SP entity ID (Okta Audience URI / Entra Identifier): ${view.spEntityId}`);
  io.out(`  ACS URL (Okta Single sign-on URL / Entra Reply URL): ${view.acsUrl}`);
  io.out(`  Sign-on URL: ${view.loginUrl}`);
  io.out(`  SP metadata: ${view.metadataUrl}`);
  for (const cert of view.idp.certificates) io.out(`  IdP certificate ${cert.fingerprint256} expires ${cert.notAfter.toISOString()} (${cert.expiresInDays} days)`);
}

export const samlShow: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const now = new Date();
  const views = (await listSamlConnections(ctx.store.orm.em.fork(), scope.orgId)).map((c) => toConnectionView(c, scope.orgSlug, ctx.config.publicUrl, now));
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ connections: views, expiringCertificates: expiringCertificates(views) }));
    return;
  }
  if (!views.length) ctx.io.out(`No SAML connection for ${scope.orgSlug}. Configure one: gatehouse saml set --org ${scope.orgSlug} --metadata-file idp.xml`);
  for (const view of views) {
    ctx.io.out(`Connection "${view.name}" (IdP ${view.idp.entityId}, JIT ${view.jit}, IdP-initiated ${view.allowIdpInitiated ? 'allowed' : 'refused'}):`);
    printEndpoints(ctx.io, view);
  }
};
