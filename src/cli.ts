import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { openStore, DatabaseUnreachableError, type Store } from './db/orm.ts';
import { DataDirLockedError, DataDirUnusableError } from './db/data-dir-lock.ts';
import { migrate, migrationStatus } from './db/migrate.ts';
import { openStoreWaiting, type Retry } from './db/startup-wait.ts';
import { DomainError, ValidationError } from './directory/errors.ts';
import { runServe } from './serve.ts';
import { storeOptions } from './server.ts';
import { CliError, UsageError, type Flags, type Io } from './cli/context.ts';
import { exportOptions } from './cli/csv-commands.ts';
import { FULL_HELP, commandGroup, commands, commonOptions, findCommand, usageOf } from './cli/commands.ts';

/** Every option of every command, as parseArgs reads it; which command takes which is in cli/commands.ts. */
function optionTable(exporting: boolean): ParseArgsConfig['options'] {
  return {
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    // `export` takes --status <value>; elsewhere (migrate) it is a switch.
    status: exporting ? { type: 'string' } : { type: 'boolean', default: false },
    ...(exporting ? exportOptions : {}),
    slug: { type: 'string' },
    confirm: { type: 'string' },
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
    'metadata-url': { type: 'string' },
    'idp-entity-id': { type: 'string' },
    'idp-sso-url': { type: 'string' },
    'idp-cert-file': { type: 'string', multiple: true },
    'cert-file': { type: 'string' },
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
  };
}

const SIGPIPE_STATUS = 141;

/** A usage error: one line naming the problem, then the usage of the command it concerns (not the whole help), exit 2. */
function usageError(problem: string, usage: string): number {
  process.stderr.write(`gatehouse: ${problem}\n${usage}\n(gatehouse --help lists every command and option)\n`);
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  // A lenient first reading finds the command and --help whatever else is wrong, so that an error can show that command's usage.
  const lenient = (exporting: boolean) => parseArgs({ args: argv, options: optionTable(exporting), strict: false, allowPositionals: true, tokens: true });
  let loose = lenient(false);
  if (loose.positionals[0] === 'export') loose = lenient(true);
  if (loose.values.help) {
    process.stdout.write(`${FULL_HELP}\n`);
    return 0;
  }
  const [first] = loose.positionals;
  if (first === undefined) {
    process.stderr.write(`gatehouse: no command given\n\n${FULL_HELP}\n`);
    return 2;
  }
  const found = findCommand(loose.positionals);
  if (!found) {
    const group = commandGroup(first);
    if (!group.length) return usageError(`unknown command "${first}"`, `Commands: ${commands.map((c) => c.key).join(', ')}`);
    const second = loose.positionals[1];
    return usageError(second === undefined ? `"${first}" needs one of: ${group.map((c) => c.key.slice(first.length + 1)).join(', ')}` : `unknown command "${first} ${second}"`, usageOf(group));
  }
  const { spec } = found;
  const usage = usageOf([spec]);
  const allowed = new Set<string>([...commonOptions, ...spec.options]);
  const options = optionTable(spec.key.startsWith('export ')) ?? {};
  const given = new Map<string, string | undefined>();
  for (const token of loose.tokens) {
    if (token.kind !== 'option') continue;
    if (!allowed.has(token.name)) return usageError(`unknown option ${token.rawName} for "${spec.key}"`, usage);
    // A value option given twice kept the last silently: `--scope admin --scope scim` made a SCIM token.
    const option = options[token.name];
    if (option?.type === 'string' && !option.multiple) {
      if (given.has(token.name)) return usageError(`option ${token.rawName} is given twice for "${spec.key}" (${given.get(token.name)}, then ${token.value}): give it once`, usage);
      given.set(token.name, token.value);
    }
  }
  const extra = loose.positionals[found.words];
  if (extra !== undefined) return usageError(`unexpected argument "${extra}" for "${spec.key}"`, usage);

  let values: Flags;
  try {
    values = parseArgs({ args: argv, options: optionTable(spec.key.startsWith('export ')), strict: true, allowPositionals: true }).values;
  } catch (error) {
    return usageError(optionProblem(error as Error), usage);
  }
  const missing = spec.required.find((name) => typeof values[name] !== 'string' || values[name].trim() === '');
  if (missing) return usageError(`--${missing} is required`, usage);
  if (!spec.run) {
    await runServe(() => loadConfig());
    return -1; // keeps running; the signal handler exits
  }
  // The reader of stdout went away (`gatehouse export … | head -1`): the command finishes what it
  // does in the store, prints nothing more, and ends with 141 (128 + SIGPIPE), as a Unix tool would.
  let stdoutGone = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stdoutGone = true;
    // Noticed after the command returned (its last write failed on the way out): not a success either.
    if (!process.exitCode) process.exitCode = SIGPIPE_STATUS;
  });
  const io: Io = { json: Boolean(values.json), out: (text) => void (stdoutGone || process.stdout.write(`${text}\n`)) };

  let store: Store | undefined;
  try {
    const config = loadConfig();
    for (const warning of config.warnings) process.stderr.write(`gatehouse: ${warning}\n`);
    const options = {
      ...storeOptions(config),
      holder: `gatehouse ${spec.key}`,
      notice: (message: string) => process.stderr.write(`gatehouse: ${message}\n`),
    };
    // `gatehouse migrate` runs before the server (an init container, a compose one-shot), so it waits for a
    // database starting with it as the server does; other commands are typed by a person and answer at once.
    store = spec.key === 'migrate'
      ? await openStoreWaiting(options, { waitMs: config.database.startupWaitMs, retrying: (retry) => options.notice(retryLine(retry, config)) })
      : await openStore(options);
    if (spec.key !== 'migrate') await ensureMigrated(store, config);
    await spec.run({ store, config, flags: values, io });
    return stdoutGone ? SIGPIPE_STATUS : 0;
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, usage);
    if ((error as NodeJS.ErrnoException)?.code === 'EPIPE') return SIGPIPE_STATUS;
    return reportError(error);
  } finally {
    await store?.close();
  }
}

/** One stderr line per failed attempt of `gatehouse migrate` to reach the database. */
function retryLine(retry: Retry, config: Config): string {
  const why = retry.code ? `${retry.reason}, ${retry.code}` : retry.reason;
  return `database not reachable yet (${why}) at ${retry.database}: attempt ${retry.attempt}, retrying in ${retry.retryInMs} ms (DATABASE_STARTUP_WAIT_MS: ${config.database.startupWaitMs} ms)`;
}

/** parseArgs's complaint about a value, in the CLI's words ("Option '--name <value>' argument missing" → "option --name needs a value"). */
function optionProblem(error: Error): string {
  const option = /'(-[\w-]+)/.exec(error.message)?.[1];
  if (option && /argument (missing|is ambiguous)/.test(error.message)) return `option ${option} needs a value`;
  if (option && /does not take an argument/.test(error.message)) return `option ${option} takes no value`;
  return error.message.split('\n')[0] ?? error.message;
}

/** The CLI works on a fresh store too: it migrates like the server does, unless told not to. */
async function ensureMigrated(store: Store, config: Config): Promise<void> {
  const { pending } = await migrationStatus(store.orm);
  if (!pending.length) return;
  if (!config.migrateOnStart) {
    throw new CliError(`the database has ${pending.length} pending migration(s) and MIGRATE_ON_START=false: run "gatehouse migrate" first`);
  }
  await migrate(store.orm);
}

function reportError(error: unknown): number {
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
