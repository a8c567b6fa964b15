import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { openStore, DatabaseUnreachableError, type Store } from './db/orm.ts';
import { DataDirLockedError, DataDirUnusableError } from './db/data-dir-lock.ts';
import { migrate, migrationStatus } from './db/migrate.ts';
import { DomainError, ValidationError } from './directory/errors.ts';
import { exportNames } from './csv/columns.ts';
import { runServe } from './serve.ts';
import { CliError, UsageError, type Command, type Io } from './cli/context.ts';
import { userInvite } from './cli/user-invite.ts';
import { migrateCommand, orgCreate, orgList, orgSsoDomains, tokenCreate, tokenList, tokenRevoke, userAccess, userMfaReset } from './cli/directory-commands.ts';
import { samlSet, samlShow } from './cli/saml-commands.ts';
import { exportCommand, exportOptions, importCsv } from './cli/csv-commands.ts';

const USAGE = `Usage: gatehouse <command> [options]

Commands:
  serve                                         run the HTTP server (same as npm start)
  migrate [--status]                            apply pending database migrations, or list them
  org create --slug <slug> --name <name>        create an organization
  org list                                      list organizations
  org sso-domains --org <slug> [--set <domain,domain…>]
                                                show, or set (--set "" clears), the email domains "Sign in with SSO" sends to the org
  token create --org <slug> --scope scim|admin [--name <name>]
                                                create a token; the secret is printed once
  token list --org <slug>                       list an organization's tokens (never the secrets)
  token revoke --org <slug> --id <token id>     revoke a token (running servers drop it within auth.tokenCacheMs)
  user access --org <slug> --email <email> --role org_admin|member [--permissions <p,p…>]
                                                set a person's org role and permissions (make the first org admin)
  user mfa-reset --org <slug> --email <email>   remove a person's second factors and recovery codes (in every org they belong to)
  user invite --org <slug> --email <email> [--role org_admin|member] [--name <name>]
                                                invite one person (the first admin of a new org: --role org_admin)
  saml set --org <slug> (--metadata-file <file> | --idp-entity-id <id> --idp-sso-url <url> --idp-cert-file <file>…)
           [--connection <name>] [--allow-idp-initiated|--no-allow-idp-initiated] [--jit off|link|create] [--redirect-url <url>…]
                                                configure SAML single sign-on (replaces the IdP side; options not given keep their values)
  saml show --org <slug>                        the URLs to enter at the IdP, and each connection's certificates
  import --org <slug> --mode upsert|disable|sync --file <file.csv> [--no-invite] [--create-groups] [--except-scim] [--commit] [--force]
                                                preview a CSV import and print the counts; --commit applies it (progress on stderr)
  export users|users-memberships|invitations|invitations-memberships|audit --org <slug> [--out <file>] [--delimiter comma|semicolon]
         [--status <s>] [--q <text>] [--group <id>] [--ids <id,id…>]          (users, users-memberships)
         [--status <s>]                                                     (invitations…)
         [--actor <a>] [--target <t>] [--action <a|family.*>] [--since <iso>] [--until <iso>]  (audit)
                                                stream a CSV export to stdout or a file

Every command accepts --json: one JSON object on stdout. Errors go to stderr, one line: exit code 2
when what was given is wrong (an unknown command, a missing or invalid flag, a value refused, with the
field named), 1 when it could not be done (not found, already exists, the database away).
Configuration comes from config/ and the environment (DATABASE_URL, DATA_DIR, …), as for the server.`;

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
        email: { type: 'string' },
        set: { type: 'string' },
        role: { type: 'string' },
        permissions: { type: 'string' },
        connection: { type: 'string' },
        'metadata-file': { type: 'string' },
        'idp-entity-id': { type: 'string' },
        'idp-sso-url': { type: 'string' },
        'idp-cert-file': { type: 'string', multiple: true },
        'allow-idp-initiated': { type: 'boolean', default: false },
        'no-allow-idp-initiated': { type: 'boolean', default: false },
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

function pickCommand(command: string, sub: string | undefined, rest: string[]): Command {
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const key = command === 'migrate' ? 'migrate' : `${command} ${sub ?? ''}`.trim();
  const commands: Record<string, Command> = {
    migrate: migrateCommand,
    'org create': orgCreate,
    'org list': orgList,
    'org sso-domains': orgSsoDomains,
    'token create': tokenCreate,
    'token list': tokenList,
    'token revoke': tokenRevoke,
    'user access': userAccess,
    'user mfa-reset': userMfaReset,
    'user invite': userInvite,
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

function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`gatehouse: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  // A value the domain refuses (a slug, a scope, a domain) is as wrong as a flag the CLI refuses: 2, without the usage.
  if (error instanceof ValidationError) {
    process.stderr.write(`gatehouse: ${error.message}\n`);
    return 2;
  }
  if (
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof DatabaseUnreachableError ||
    error instanceof DataDirLockedError ||
    error instanceof DataDirUnusableError ||
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
