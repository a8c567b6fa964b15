import path from 'node:path';
import { readFileSync, type WriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { importModes, type ImportMode } from '../db/entities/index.ts';
import { runImportCli } from '../csv/import-cli.ts';
import { statusFilters } from '../directory/status.ts';
import { invitationStatuses } from '../directory/invitation-records.ts';
import { recordExport } from '../directory/export-queries.ts';
import { type ExportName } from '../csv/columns.ts';
import { delimiterNames, exportChunks, writeChunks, type ExportRequest } from '../csv/export.ts';
import { auditInstant } from '../directory/audit-queries.ts';
import { CliError, ioReason, orgScope, publicUrlNote, required, UsageError, type Command, type Flags } from './context.ts';

/** The export commands' own flags, merged into the CLI's option table. */
export const exportOptions = {
  q: { type: 'string' },
  group: { type: 'string' },
  ids: { type: 'string' },
  out: { type: 'string' },
  actor: { type: 'string' },
  target: { type: 'string' },
  action: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  delimiter: { type: 'string' },
} as const;

function optionalFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** `--since` / `--until`, held to the API's rule (auditInstant): a date-time with a time zone. */
function instantFlag(flags: Flags, name: string): Date | undefined {
  const value = optionalFlag(flags, name);
  if (value === undefined) return undefined;
  const parsed = auditInstant.safeParse(value);
  if (!parsed.success) throw new UsageError(`--${name} ${parsed.error.issues[0]?.message ?? 'must be an ISO 8601 date-time with a time zone'}`);
  return parsed.data;
}

/** Opens `--out`'s `.partial` file before anything is exported (or audited): a path it cannot write is the flag's error. */
async function openOut(out: string): Promise<{ file: WriteStream; partial: string }> {
  const partial = `${out}.partial`;
  try {
    const handle = await open(partial, 'w');
    return { file: handle.createWriteStream(), partial };
  } catch (error) {
    throw new CliError(`--out ${out}: cannot write the file (${ioReason(error)})`);
  }
}

function exportRequestFromFlags(name: ExportName, flags: Flags): ExportRequest {
  const delimiter = optionalFlag(flags, 'delimiter');
  if (delimiter !== undefined && !Object.hasOwn(delimiterNames, delimiter)) throw new UsageError(`--delimiter must be one of ${Object.keys(delimiterNames).join(', ')}`);
  return { ...exportFiltersFromFlags(name, flags), delimiter: delimiter ? delimiterNames[delimiter as keyof typeof delimiterNames] : undefined } as ExportRequest;
}

function exportFiltersFromFlags(name: ExportName, flags: Flags): ExportRequest {
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
export function exportCommand(name: ExportName): Command {
  return async (ctx) => {
    const scope = await orgScope(ctx);
    const request = exportRequestFromFlags(name, ctx.flags);
    const out = optionalFlag(ctx.flags, 'out');
    if (ctx.io.json && !out) throw new UsageError('--json needs --out <file>: without it the CSV itself goes to stdout, where --json prints one JSON object');
    const em = ctx.store.orm.em.fork();
    const now = new Date();
    let rows = 0;
    const chunks = exportChunks(em, scope, request, now, { onRows: (n) => (rows += n) });
    if (!out) {
      await recordExport(em, scope, name, request.filters as Record<string, unknown>);
      await writeChunks(chunks, process.stdout);
      return;
    }
    const { file, partial } = await openOut(out);
    let failure: Error | undefined;
    file.on('error', (error) => (failure ??= error));
    try {
      await recordExport(em, scope, name, request.filters as Record<string, unknown>);
      await writeChunks(chunks, file);
      file.end();
      await finished(file);
      if (failure) throw failure;
      await rename(partial, out);
    } catch (error) {
      file.destroy();
      await rm(partial, { force: true });
      // A system call's failure (disk full, a directory named like the file…) is the file's; a database failure is not.
      if (error instanceof Error && 'syscall' in error) throw new CliError(`--out ${out}: cannot write the file (${ioReason(error)})`);
      throw error;
    }
    if (ctx.io.json) ctx.io.out(JSON.stringify({ export: name, org: scope.orgSlug, file: out, rows }));
    else process.stderr.write(`Exported ${rows} rows of ${name}.csv for ${scope.orgSlug} to ${out}\n`);
  };
}

export const importCsv: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const mode = required(ctx.flags, 'mode');
  if (!(importModes as readonly string[]).includes(mode)) throw new UsageError(`--mode must be one of ${importModes.join(', ')}`);
  const file = required(ctx.flags, 'file');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CliError(`--file ${file}: cannot read the file (${ioReason(error)})`);
  }
  const f = ctx.flags;
  const note = f.commit && !f['no-invite'] ? publicUrlNote(ctx.config) : null;
  if (note) process.stderr.write(note);
  await runImportCli({
    fork: () => ctx.store.orm.em.fork(), scope, deps: { publicUrl: ctx.config.publicUrl, now: () => new Date() }, bytes, fileName: path.basename(file), maxRecordChars: ctx.config.imports.maxRowChars,
    mode: mode as ImportMode, noInvite: Boolean(f['no-invite']), createGroups: Boolean(f['create-groups']), exceptScim: Boolean(f['except-scim']),
    commit: Boolean(f.commit), force: Boolean(f.force), json: ctx.io.json, out: ctx.io.out, err: (text) => process.stderr.write(text),
  });
};

