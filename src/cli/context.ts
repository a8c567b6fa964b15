import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Store } from '../db/orm.ts';
import { getOrgBySlug } from '../directory/orgs.ts';
import type { Actor, Scope } from '../directory/scope.ts';

/** What every `gatehouse` command gets: the open store, the config, the parsed flags and where to print. */
export class UsageError extends Error {}

/** The command could not do its own I/O (a file to read or write): one line on stderr naming the flag, exit 1, no usage text. */
export class CliError extends Error {}

/** `ENOENT: no such file or directory` out of Node's `ENOENT: no such file or directory, open '…'`. */
export function ioReason(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return message.split(', ')[0] ?? message;
}

export type Flags = Record<string, string | boolean | string[] | undefined>;

export interface Io {
  out: (text: string) => void;
  json: boolean;
}

export interface CommandContext {
  store: Store;
  config: Config;
  flags: Flags;
  io: Io;
}

export type Command = (ctx: CommandContext) => Promise<void>;

export function required(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return { type: 'cli', label: `cli:${user}` };
}

export async function orgScope(ctx: CommandContext): Promise<Scope> {
  const org = await getOrgBySlug(ctx.store.orm.em.fork(), required(ctx.flags, 'org'));
  // One request id per command run, as an HTTP request has: an import's row events and its import.committed share it.
  return { orgId: org.id, orgSlug: org.slug, actor: cliActor(), requestId: randomUUID() };
}

/**
 * An invitation's link is written into its mail when the invitation is made, with this
 * command's PUBLIC_URL, not the server's: a shell without it sends people to
 * http://localhost:<port>. Says so (stderr), or nothing when PUBLIC_URL is set.
 */
export function publicUrlNote(config: Config): string | null {
  if (config.publicUrlGiven) return null;
  return `gatehouse: note: PUBLIC_URL is not set for this command: the invitation link points to ${config.publicUrl}; run the CLI with the server's PUBLIC_URL (the link is written into the mail now)\n`;
}
