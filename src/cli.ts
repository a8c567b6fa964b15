import { parseArgs } from 'node:util';
import os from 'node:os';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { openStore, DatabaseUnreachableError, type Store } from './db/orm.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { migrate, migrationStatus } from './db/migrate.ts';
import { createOrg, getOrgBySlug, listOrgs, toOrgView } from './directory/orgs.ts';
import { createApiToken, listApiTokens, revokeApiToken, toTokenView } from './directory/tokens.ts';
import { DomainError } from './directory/errors.ts';
import type { Actor, Scope } from './directory/scope.ts';
import { runServe } from './serve.ts';

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

Every command accepts --json: one JSON object on stdout. Errors go to stderr, exit code non-zero.
Configuration comes from config/ and the environment (DATABASE_URL, DATA_DIR, …), as for the server.`;

class UsageError extends Error {}

type Flags = Record<string, string | boolean | undefined>;

interface Io {
  out: (text: string) => void;
  json: boolean;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        status: { type: 'boolean', default: false },
        slug: { type: 'string' },
        name: { type: 'string' },
        org: { type: 'string' },
        scope: { type: 'string' },
        id: { type: 'string' },
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
