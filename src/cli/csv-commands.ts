import path from 'node:path';
import { createWriteStream, readFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { importModes, type ImportMode } from '../db/entities/index.ts';
import { runImportCli } from '../csv/import-cli.ts';
import { statusFilters } from '../directory/status.ts';
import { invitationStatuses } from '../directory/invitations.ts';
import { recordExport } from '../directory/export-queries.ts';
import { type ExportName } from '../csv/columns.ts';
import { exportChunks, writeChunks, type ExportRequest } from '../csv/export.ts';
import { orgScope, required, UsageError, type Command, type Flags } from './context.ts';

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
export function exportCommand(name: ExportName): Command {
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

export const importCsv: Command = async (ctx) => {
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

