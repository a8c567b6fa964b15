import { exportNames } from '../csv/columns.ts';
import type { Command } from './context.ts';
import { userInvite } from './user-invite.ts';
import { orgDelete } from './org-delete.ts';
import { migrateCommand, orgCreate, orgList, orgSsoDomains, tokenCreate, tokenList, tokenRevoke, userAccess, userMfaReset } from './directory-commands.ts';
import { samlRefresh, samlSet, samlShow } from './saml-commands.ts';
import { samlEncryptionKeyAdd, samlEncryptionKeyRemove, samlEncryptionKeys } from './saml-key-commands.ts';
import { exportCommand, importCsv } from './csv-commands.ts';

/**
 * The `gatehouse` commands, each declared once: its help text, the options it takes (any other is a
 * usage error, not silently ignored) and those it cannot run without (checked before the database is
 * opened). The full help and each command's own usage are printed from here.
 */
export interface CommandSpec {
  /** `org create`, `migrate`, `export users`. */
  key: string;
  /** Its usage, shown with a usage error. */
  help: Help;
  /** How the full help lists it, when several commands share one entry. */
  listedAs?: Help;
  options: readonly string[];
  required: readonly string[];
  /** Absent for `serve`, which does not return. */
  run?: Command;
}

interface Help {
  /** The synopsis, its first line starting with the command's name. */
  synopsis: readonly string[];
  summary: string;
}

/** Every command takes these. */
export const commonOptions = ['json', 'help'] as const;

const SUMMARY_COLUMN = 48;

function spec(key: string, synopsis: string | readonly string[], summary: string, options: readonly string[], required: readonly string[], run?: Command): CommandSpec {
  return { key, help: { synopsis: typeof synopsis === 'string' ? [synopsis] : synopsis, summary }, options, required, run };
}

/** How the full help lists the export commands: one entry for the five. */
const exportListing: Help = {
  synopsis: [
    `export ${exportNames.join('|')} --org <slug> [--out <file>] [--delimiter comma|semicolon]`,
    '       [--status <s>] [--q <text>] [--group <id>] [--ids <id,id…>]          (users, users-memberships)',
    '       [--status <s>]                                                     (invitations…)',
    '       [--actor <a>] [--target <t>] [--action <a|family.*>] [--since <iso>] [--until <iso>]  (audit)',
  ],
  summary: 'stream a CSV export to stdout or a file',
};

const exportFilters: Record<(typeof exportNames)[number], string> = {
  users: '[--status <s>] [--q <text>] [--group <id>] [--ids <id,id…>]',
  'users-memberships': '[--status <s>] [--q <text>] [--group <id>] [--ids <id,id…>]',
  invitations: '[--status <s>]',
  'invitations-memberships': '[--status <s>]',
  audit: '[--actor <a>] [--target <t>] [--action <a|family.*>] [--since <iso>] [--until <iso>]',
};

function exportSpec(name: (typeof exportNames)[number]): CommandSpec {
  const filters = exportFilters[name];
  return {
    ...spec(`export ${name}`, `export ${name} --org <slug> [--out <file>] [--delimiter comma|semicolon] ${filters}`, `stream ${name}.csv to stdout or a file`,
      ['org', 'out', 'delimiter', ...[...filters.matchAll(/--([a-z]+)/g)].map((m) => m[1]!)], ['org'], exportCommand(name)),
    listedAs: exportListing,
  };
}

export const commands: readonly CommandSpec[] = [
  spec('serve', 'serve', 'run the HTTP server (same as npm start)', [], []),
  spec('migrate', 'migrate [--status]', 'apply pending database migrations, or list them', ['status'], [], migrateCommand),
  spec('org create', 'org create --slug <slug> --name <name>', 'create an organization', ['slug', 'name'], ['slug', 'name'], orgCreate),
  spec('org list', 'org list', 'list organizations', [], [], orgList),
  spec('org delete', 'org delete --slug <slug> --confirm <slug>',
    'delete an organization and all its data, for good (--confirm repeats the slug)', ['slug', 'confirm'], ['slug', 'confirm'], orgDelete),
  spec('org sso-domains', 'org sso-domains --org <slug> [--set <domain,domain…>]',
    'show, or set (--set "" clears), the email domains "Sign in with SSO" sends to the org', ['org', 'set'], ['org'], orgSsoDomains),
  spec('token create', 'token create --org <slug> --scope scim|admin [--name <name>]',
    'create a token; the secret is printed once', ['org', 'scope', 'name'], ['org', 'scope'], tokenCreate),
  spec('token list', 'token list --org <slug>', 'list an organization\'s tokens (never the secrets)', ['org'], ['org'], tokenList),
  spec('token revoke', 'token revoke --org <slug> --id <token id>',
    'revoke a token (running servers drop it within auth.tokenCacheMs)', ['org', 'id'], ['org', 'id'], tokenRevoke),
  spec('user access', 'user access --org <slug> --email <email> --role org_admin|member [--permissions <p,p…>]',
    'set a person\'s org role and permissions (make the first org admin)', ['org', 'email', 'role', 'permissions'], ['org', 'email', 'role'], userAccess),
  spec('user mfa-reset', 'user mfa-reset --org <slug> --email <email>',
    'remove a person\'s second factors and recovery codes (in every org they belong to)', ['org', 'email'], ['org', 'email'], userMfaReset),
  spec('user invite', 'user invite --org <slug> --email <email> [--role org_admin|member] [--name <name>]',
    'invite one person (the first admin of a new org: --role org_admin)', ['org', 'email', 'role', 'name'], ['org', 'email'], userInvite),
  spec('saml set', [
    'saml set --org <slug> (--metadata-file <file> | --metadata-url <url> | --idp-entity-id <id> --idp-sso-url <url> --idp-cert-file <file>…)',
    '         [--connection <name>] [--allow-idp-initiated|--no-allow-idp-initiated] [--jit off|link|create] [--redirect-url <url>…]',
  ], 'configure SAML single sign-on (replaces the IdP side; options not given keep their values)',
  ['org', 'connection', 'metadata-file', 'metadata-url', 'idp-entity-id', 'idp-sso-url', 'idp-cert-file', 'allow-idp-initiated', 'no-allow-idp-initiated', 'jit', 'redirect-url'], ['org'], samlSet),
  spec('saml refresh', 'saml refresh --org <slug> [--connection <name>]',
    'fetch each connection\'s IdP metadata URL again and take its certificates (all connections with one, or --connection)', ['org', 'connection'], ['org'], samlRefresh),
  spec('saml show', 'saml show --org <slug>', 'the URLs to enter at the IdP, and each connection\'s certificates', ['org'], ['org'], samlShow),
  spec('saml encryption-keys', 'saml encryption-keys --org <slug> [--connection <name>]',
    'a connection\'s assertion-encryption keys (certificates with --json)', ['org', 'connection'], ['org'], samlEncryptionKeys),
  spec('saml encryption-key-add', 'saml encryption-key-add --org <slug> [--connection <name>] [--cert-file <file>]',
    'add an assertion-encryption key and print (or write) the certificate to upload at the IdP', ['org', 'connection', 'cert-file'], ['org'], samlEncryptionKeyAdd),
  spec('saml encryption-key-remove', 'saml encryption-key-remove --org <slug> [--connection <name>] --id <key id>',
    'remove an assertion-encryption key: assertions encrypted to it are refused', ['org', 'connection', 'id'], ['org', 'id'], samlEncryptionKeyRemove),
  spec('import', 'import --org <slug> --mode upsert|disable|sync --file <file.csv> [--no-invite] [--create-groups] [--except-scim] [--commit] [--force]',
    'preview a CSV import and print the counts; --commit applies it (progress on stderr)',
    ['org', 'mode', 'file', 'no-invite', 'create-groups', 'except-scim', 'commit', 'force'], ['org', 'mode', 'file'], importCsv),
  ...exportNames.map(exportSpec),
];

/** The command the positionals name (`org list`, `migrate`), the words it took, or undefined. */
export function findCommand(positionals: readonly string[]): { spec: CommandSpec; words: number } | undefined {
  const [first = '', second] = positionals;
  const one = commands.find((c) => c.key === first);
  if (one) return { spec: one, words: 1 };
  const two = commands.find((c) => c.key === `${first} ${second ?? ''}`);
  return two ? { spec: two, words: 2 } : undefined;
}

/** The commands of a group (`org …`), for an unknown or missing subcommand. */
export function commandGroup(word: string): CommandSpec[] {
  return commands.filter((c) => c.key.startsWith(`${word} `));
}

function renderHelp(help: Help, prefix: string): string[] {
  const [first = '', ...more] = help.synopsis.map((line, i) => `${i === 0 ? prefix : ' '.repeat(prefix.length)}${line}`);
  if (!more.length && first.length + 2 <= SUMMARY_COLUMN) return [`${first.padEnd(SUMMARY_COLUMN)}${help.summary}`];
  return [first, ...more, `${' '.repeat(SUMMARY_COLUMN)}${help.summary}`];
}

/** The usage of some commands, for a usage error: `Usage: gatehouse org list    list organizations`. */
export function usageOf(specs: readonly CommandSpec[]): string {
  return specs
    .map((c) => c.help)
    .flatMap((help, i) => renderHelp(help, i === 0 ? 'Usage: gatehouse ' : '       gatehouse '))
    .join('\n');
}

export const FULL_HELP = `Usage: gatehouse <command> [options]

Commands:
${[...new Set(commands.map((c) => c.listedAs ?? c.help))].flatMap((help) => renderHelp(help, '  ')).join('\n')}

Every command accepts --json: one JSON object on stdout. Errors go to stderr, one line: exit code 2
when what was given is wrong (an unknown command, a missing or invalid flag, a value refused, with the
field named), 1 when it could not be done (not found, already exists, the database away).
Configuration comes from config/ and the environment (DATABASE_URL, DATA_DIR, …), as for the server.`;
