import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { openStore, DatabaseUnreachableError, type Store } from './db/orm.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { migrate, migrationStatus } from './db/migrate.ts';
import { createOrg, getOrgBySlug, listOrgs, toOrgView } from './directory/orgs.ts';
import { createApiToken, listApiTokens, revokeApiToken, toTokenView } from './directory/tokens.ts';
import { DomainError } from './directory/errors.ts';
import { DEFAULT_CONNECTION, configureSamlConnection, expiringCertificates, listSamlConnections, toConnectionView } from './directory/saml-connections.ts';
import { toConnectionInput } from './saml/connection-input.ts';
import { importModes, type ImportMode, type JitPolicy } from './db/entities/index.ts';
import { runImportCli } from './csv/import-cli.ts';
import path from 'node:path';
import type { Actor, Scope } from './directory/scope.ts';
import { runServe } from './serve.ts';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { statusFilters } from './directory/status.ts';
import { invitationStatuses } from './directory/invitations.ts';
import { recordExport } from './directory/export-queries.ts';
import { exportNames, type ExportName } from './csv/columns.ts';
import { exportChunks, writeChunks, type ExportRequest } from './csv/export.ts';

const USAGE = `Usage: gatehouse <command> [options]

Commands:
  serve                                         run the HTTP server (same as npm start)
  migrate [--status]                            apply pending database migrations, or list them
  org create --slug <slug> --name <name>        create an organization
  org list                                      list organizations
  token create --org <slug> --scope scim|admin [--name <name>]
                                                create a token; the secret is printed once
  token list --org <slug>                       list an organization's tokens (never the secrets)
  token revoke --org <slug> --id <token id>     revoke a token at once
  saml set --org <slug> (--metadata-file <file> | --idp-entity-id <id> --idp-sso-url <url> --idp-cert-file <file>…)
           [--connection <name>] [--allow-idp-initiated] [--jit off|link|create] [--redirect-url <url>…]
                                                configure SAML single sign-on (replaces the connection's settings)
  saml show --org <slug>                        the URLs to enter at the IdP, and each connection's certificates
  import --org <slug> --mode upsert|disable|sync --file <file.csv> [--no-invite] [--create-groups] [--except-scim] [--commit] [--force]
                                                preview a CSV import and print the counts; --commit applies it (progress on stderr)
  export users|users-memberships|invitations|invitations-memberships|audit --org <slug> [--out <file>]
         [--status <s>] [--q <text>] [--group <id>] [--ids <id,id…>]          (users, users-memberships)
         [--status <s>]                                                     (invitations…)
         [--actor <a>] [--target <t>] [--action <a|family.*>] [--since <iso>] [--until <iso>]  (audit)
                                                stream a CSV export to stdout or a file

Every command accepts --json: one JSON object on stdout. Errors go to stderr, exit code non-zero.
Configuration comes from config/ and the environment (DATABASE_URL, DATA_DIR, …), as for the server.`;

class UsageError extends Error {}

type Flags = Record<string, string | boolean | string[] | undefined>;

interface Io {
  out: (text: string) => void;
  json: boolean;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  const exporting = argv.find((a) => !a.startsWith('-')) === 'export';
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        // `export` takes --status <value>; elsewhere (migrate) it is a switch.
        status: exporting ? { type: 'string' } : { type: 'boolean', default: false },
        ...(exporting ? exportOptions : {}),
        slug: { type: 'string' },
        name: { type: 'string' },
        org: { type: 'string' },
        scope: { type: 'string' },
        id: { type: 'string' },
        connection: { type: 'string' },
        'metadata-file': { type: 'string' },
        'idp-entity-id': { type: 'string' },
        'idp-sso-url': { type: 'string' },
        'idp-cert-file': { type: 'string', multiple: true },
        'allow-idp-initiated': { type: 'boolean', default: false },
        jit: { type: 'string' },
        'redirect-url': { type: 'string', multiple: true },
        mode: { type: 'string' },
        file: { type: 'string' },
        'no-invite': { type: 'boolean', default: false },
        'create-groups': { type: 'boolean', default: false },
        'except-scim': { type: 'boolean', default: false },
        commit: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`gatehouse: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, sub, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const io: Io = { json: Boolean(values.json), out: (text) => process.stdout.write(`${text}\n`) };

  if (command === 'serve') {
    await runServe(() => loadConfig());
    return -1; // keeps running; the signal handler exits
  }

  let store: Store | undefined;
  try {
    const config = loadConfig();
    const run = pickCommand(command, sub, rest);
    store = await openStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      holder: `gatehouse ${[command, sub].filter(Boolean).join(' ')}`,
    });
    if (command !== 'migrate') await ensureMigrated(store, config);
    await run({ store, config, flags: values, io });
    return 0;
  } catch (error) {
    return reportError(error);
  } finally {
    await store?.close();
  }
}

interface CommandContext {
  store: Store;
  config: Config;
  flags: Flags;
  io: Io;
}

type Command = (ctx: CommandContext) => Promise<void>;

function pickCommand(command: string, sub: string | undefined, rest: string[]): Command {
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const key = command === 'migrate' ? 'migrate' : `${command} ${sub ?? ''}`.trim();
  const commands: Record<string, Command> = {
    migrate: migrateCommand,
    'org create': orgCreate,
    'org list': orgList,
    'token create': tokenCreate,
    'token list': tokenList,
    'token revoke': tokenRevoke,
    'saml set': samlSet,
    'saml show': samlShow,
    import: importCsv,
    ...Object.fromEntries(exportNames.map((name) => [`export ${name}`, exportCommand(name)])),
  };
  const found = commands[key];
  if (!found) throw new UsageError(`unknown command "${key}"`);
  if (command === 'migrate' && sub) throw new UsageError(`unexpected argument "${sub}"`);
  return found;
}

/** The CLI works on a fresh store too: it migrates like the server does, unless told not to. */
async function ensureMigrated(store: Store, config: Config): Promise<void> {
  const { pending } = await migrationStatus(store.orm);
  if (!pending.length) return;
  if (!config.migrateOnStart) {
    throw new UsageError(`the database has ${pending.length} pending migration(s) and MIGRATE_ON_START=false: run "gatehouse migrate" first`);
  }
  await migrate(store.orm);
}

function required(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return { type: 'cli', label: `cli:${user}` };
}

async function orgScope(ctx: CommandContext): Promise<Scope> {
  const org = await getOrgBySlug(ctx.store.orm.em.fork(), required(ctx.flags, 'org'));
  return { orgId: org.id, orgSlug: org.slug, actor: cliActor() };
}

const migrateCommand: Command = async ({ store, flags, io }) => {
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

const orgCreate: Command = async ({ store, flags, io }) => {
  const org = await createOrg(store.orm.em.fork(), cliActor(), {
    slug: required(flags, 'slug'),
    name: required(flags, 'name'),
  });
  const view = toOrgView(org);
  if (io.json) io.out(JSON.stringify(view));
  else io.out(`Created organization ${view.slug} (${view.name}), id ${view.id}`);
};

const orgList: Command = async ({ store, io }) => {
  const orgs = (await listOrgs(store.orm.em.fork())).map(toOrgView);
  if (io.json) io.out(JSON.stringify({ orgs }));
  else if (!orgs.length) io.out('No organizations yet. Create one: gatehouse org create --slug acme --name "Acme Corp"');
  else for (const org of orgs) io.out(`${org.slug}\t${org.name}\t${org.id}`);
};

const tokenCreate: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const { token, record } = await createApiToken(ctx.store.orm.em.fork(), scope, {
    scope: required(ctx.flags, 'scope'),
    name: typeof ctx.flags.name === 'string' ? ctx.flags.name : undefined,
  });
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ token, id: record.id, org: scope.orgSlug, scope: record.scope, name: record.name }));
    return;
  }
  ctx.io.out(`Created ${record.scope} token "${record.name}" (id ${record.id}) for ${scope.orgSlug}.`);
  ctx.io.out('Copy it now; it is not shown again:');
  ctx.io.out(token);
};

const tokenList: Command = async (ctx) => {
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

const tokenRevoke: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const record = await revokeApiToken(ctx.store.orm.em.fork(), scope, required(ctx.flags, 'id'), new Date());
  if (ctx.io.json) ctx.io.out(JSON.stringify(toTokenView(record)));
  else ctx.io.out(`Revoked token "${record.name}" (${record.id}).`);
};

function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

const samlSet: Command = async (ctx) => {
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

const samlShow: Command = async (ctx) => {
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

const exportOptions = {
  q: { type: 'string' },
  group: { type: 'string' },
  ids: { type: 'string' },
  out: { type: 'string' },
  actor: { type: 'string' },
  target: { type: 'string' },
  action: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

function optionalFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function instantFlag(flags: Flags, name: string): Date | undefined {
  const value = optionalFlag(flags, name);
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be an ISO 8601 date or date-time`);
  return date;
}

function exportRequestFromFlags(name: ExportName, flags: Flags): ExportRequest {
  const status = optionalFlag(flags, 'status');
  const only = (allowed: readonly string[]) => {
    if (status !== undefined && !allowed.includes(status)) throw new UsageError(`--status must be one of ${allowed.join(', ')}`);
    return status as never;
  };
  switch (name) {
    case 'users':
    case 'users-memberships': {
      const ids = optionalFlag(flags, 'ids')?.split(',').map((id) => id.trim()).filter(Boolean);
      return { name, filters: { status: only(statusFilters), q: optionalFlag(flags, 'q'), groupId: optionalFlag(flags, 'group'), ids } };
    }
    case 'invitations':
    case 'invitations-memberships':
      return { name, filters: { status: only(invitationStatuses) } };
    case 'audit':
      return {
        name,
        filters: {
          actor: optionalFlag(flags, 'actor'),
          target: optionalFlag(flags, 'target'),
          action: optionalFlag(flags, 'action'),
          since: instantFlag(flags, 'since'),
          until: instantFlag(flags, 'until'),
        },
      };
  }
}

/**
 * `gatehouse export <name>`: the same CSV as the admin API, streamed to stdout
 * or to --out. A file is written as `<file>.partial` and renamed when complete,
 * so a failed export never leaves a file that looks whole.
 */
function exportCommand(name: ExportName): Command {
  return async (ctx) => {
    const scope = await orgScope(ctx);
    const request = exportRequestFromFlags(name, ctx.flags);
    const em = ctx.store.orm.em.fork();
    const now = new Date();
    const chunks = exportChunks(em, scope, request, now);
    await recordExport(em, scope, name, request.filters as Record<string, unknown>);
    const out = optionalFlag(ctx.flags, 'out');
    if (!out) {
      await writeChunks(chunks, process.stdout);
      return;
    }
    const partial = `${out}.partial`;
    const file = createWriteStream(partial);
    try {
      await writeChunks(chunks, file);
      file.end();
      await finished(file);
      await rename(partial, out);
    } catch (error) {
      file.destroy();
      await rm(partial, { force: true });
      throw error;
    }
    process.stderr.write(`Exported ${name}.csv for ${scope.orgSlug} to ${out}\n`);
  };
}

const importCsv: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const mode = required(ctx.flags, 'mode');
  if (!(importModes as readonly string[]).includes(mode)) throw new UsageError(`--mode must be one of ${importModes.join(', ')}`);
  const file = required(ctx.flags, 'file');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UsageError(`--file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const f = ctx.flags;
  await runImportCli({
    fork: () => ctx.store.orm.em.fork(), scope, deps: { publicUrl: ctx.config.publicUrl, now: () => new Date() }, bytes, fileName: path.basename(file),
    mode: mode as ImportMode, noInvite: Boolean(f['no-invite']), createGroups: Boolean(f['create-groups']), exceptScim: Boolean(f['except-scim']),
    commit: Boolean(f.commit), force: Boolean(f.force), json: ctx.io.json, out: ctx.io.out, err: (text) => process.stderr.write(text),
  });
};

function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`gatehouse: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (
    error instanceof ConfigError ||
    error instanceof DatabaseUnreachableError ||
    error instanceof DataDirLockedError ||
    error instanceof DomainError
  ) {
    process.stderr.write(`gatehouse: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`gatehouse: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
