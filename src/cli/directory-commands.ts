import { migrate, migrationStatus } from '../db/migrate.ts';
import { createOrg, listOrgs, toOrgView } from '../directory/orgs.ts';
import { createApiToken, listApiTokens, revokeApiToken, toTokenView } from '../directory/tokens.ts';
import { findUserIdByEmail, setUserAccess } from '../directory/org-admins.ts';
import { resetSecondFactors } from '../directory/second-factors.ts';
import { getOrgSettings, updateOrgSettings } from '../directory/org-settings.ts';
import { orgRoles, type OrgRole } from '../db/entities/index.ts';
import { UsageError, cliActor, orgScope, required, type Command } from './context.ts';

export const migrateCommand: Command = async ({ store, flags, io }) => {
  if (flags.status) {
    const status = await migrationStatus(store.orm);
    if (io.json) io.out(JSON.stringify(status));
    else io.out(`executed: ${status.executed.length}\npending: ${status.pending.length ? status.pending.join(', ') : 'none'}`);
    return;
  }
  const applied = await migrate(store.orm);
  if (io.json) io.out(JSON.stringify({ applied }));
  else io.out(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The database is up to date.');
};

export const orgCreate: Command = async ({ store, flags, io }) => {
  const org = await createOrg(store.orm.em.fork(), cliActor(), {
    slug: required(flags, 'slug'),
    name: required(flags, 'name'),
  });
  const view = toOrgView(org);
  if (io.json) io.out(JSON.stringify(view));
  else io.out(`Created organization ${view.slug} (${view.name}), id ${view.id}`);
};

export const orgList: Command = async ({ store, io }) => {
  const orgs = (await listOrgs(store.orm.em.fork())).map(toOrgView);
  if (io.json) io.out(JSON.stringify({ orgs }));
  else if (!orgs.length) io.out('No organizations yet. Create one: gatehouse org create --slug acme --name "Acme Corp"');
  else for (const org of orgs) io.out(`${org.slug}\t${org.name}\t${org.id}`);
};

export const tokenCreate: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const { token, record } = await createApiToken(ctx.store.orm.em.fork(), scope, {
    scope: required(ctx.flags, 'scope'),
    name: typeof ctx.flags.name === 'string' ? ctx.flags.name : undefined,
  });
  // A SCIM token goes into the IdP next to the SCIM base URL (app.ts mounts SCIM there), so both are printed.
  const scimBaseUrl = record.scope === 'scim' ? `${ctx.config.publicUrl}/scim/v2` : undefined;
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ token, id: record.id, org: scope.orgSlug, scope: record.scope, name: record.name, ...(scimBaseUrl ? { scimBaseUrl } : {}) }));
    return;
  }
  ctx.io.out(`Created ${record.scope} token "${record.name}" (id ${record.id}) for ${scope.orgSlug}.`);
  ctx.io.out('Copy it now; it is not shown again:');
  ctx.io.out(token);
  if (!scimBaseUrl) return;
  ctx.io.out(`Enter it at the IdP (Okta API Token / Entra Secret Token) with the SCIM base URL: ${scimBaseUrl}`);
  ctx.io.out(`  Entra Tenant URL: ${scimBaseUrl}?aadOptscim062020`);
  ctx.io.out(`  (built from this command's PUBLIC_URL; run it with the server's, as for saml show)`);
};

export const tokenList: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const tokens = (await listApiTokens(ctx.store.orm.em.fork(), scope)).map(toTokenView);
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ tokens }));
    return;
  }
  if (!tokens.length) ctx.io.out(`No tokens for ${scope.orgSlug}.`);
  for (const t of tokens) {
    const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active';
    const used = t.lastUsedAt ? `last used ${t.lastUsedAt.toISOString()}` : 'never used';
    ctx.io.out(`${t.id}\t${t.scope}\t${t.name}\t${t.hint}\t${state}\t${used}`);
  }
};

export const tokenRevoke: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const now = new Date();
  const record = await revokeApiToken(ctx.store.orm.em.fork(), scope, required(ctx.flags, 'id'), now);
  // Revoking is idempotent: a token revoked before keeps its time, and the operator is told it was.
  const before = record.revokedAt && record.revokedAt.getTime() !== now.getTime() ? record.revokedAt : undefined;
  if (ctx.io.json) ctx.io.out(JSON.stringify(toTokenView(record)));
  else if (before) ctx.io.out(`Token "${record.name}" (${record.id}) was already revoked at ${before.toISOString()}.`);
  else ctx.io.out(`Revoked token "${record.name}" (${record.id}).`);
};

/**
 * `gatehouse org sso-domains`: the email domains "Sign in with SSO" sends to
 * this org's IdP. The operator's to set (after checking the org owns them):
 * an org admin's claim on someone else's domain would phish its people.
 */
export const orgSsoDomains: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const em = ctx.store.orm.em.fork();
  if (typeof ctx.flags.set === 'string') {
    const ssoDomains = ctx.flags.set.split(',').map((d) => d.trim()).filter(Boolean);
    await updateOrgSettings(em, scope, { ssoDomains }, { operator: true });
  }
  const { ssoDomains } = await getOrgSettings(em.fork(), scope);
  if (ctx.io.json) ctx.io.out(JSON.stringify({ org: scope.orgSlug, ssoDomains }));
  else ctx.io.out(ssoDomains.length ? `${scope.orgSlug}: ${ssoDomains.join(', ')}` : `${scope.orgSlug}: no SSO domains`);
};

/**
 * `gatehouse user access`: sets a person's org role and permissions from the
 * server's shell — how the first org admin of an org is made, before anyone
 * can do it through the admin API.
 */
export const userAccess: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const email = required(ctx.flags, 'email');
  const orgRole = required(ctx.flags, 'role');
  if (!orgRoles.includes(orgRole as OrgRole)) throw new UsageError(`--role must be one of ${orgRoles.join(', ')}`);
  const listed = typeof ctx.flags.permissions === 'string' ? ctx.flags.permissions.split(',').map((p) => p.trim()).filter(Boolean) : undefined;
  const em = ctx.store.orm.em.fork();
  const userId = await findUserIdByEmail(em, scope, email);
  const { access, changed } = await setUserAccess(em, scope, userId, { orgRole: orgRole as OrgRole, permissions: listed });
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ org: scope.orgSlug, userId, email, ...access, changed }));
    return;
  }
  const held = access.orgRole === 'org_admin' ? 'every permission' : access.permissions.length ? access.permissions.join(', ') : 'no permissions';
  ctx.io.out(`${email} in ${scope.orgSlug} is now ${access.orgRole} (${held})${changed ? '' : ' — unchanged'}.`);
};

/**
 * `gatehouse user mfa-reset`: removes a person's second factors and recovery
 * codes from the server's shell — the one way for a person who belongs to
 * several orgs, whose factors no single org's admin may remove.
 */
export const userMfaReset: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const email = required(ctx.flags, 'email');
  const em = ctx.store.orm.em.fork();
  const userId = await findUserIdByEmail(em, scope, email);
  const removed = await resetSecondFactors(em, scope, userId, new Date(), { acrossOrgs: true });
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ org: scope.orgSlug, userId, email, ...removed }));
    return;
  }
  ctx.io.out(`${email}: removed ${removed.factors} second factor${removed.factors === 1 ? '' : 's'} and ${removed.recoveryCodes} recovery code${removed.recoveryCodes === 1 ? '' : 's'} (in every org); they enrol again at their next sign-in.`);
};
