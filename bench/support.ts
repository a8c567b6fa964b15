import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';

/** Drops and creates a benchmark database; WITH (FORCE) (PostgreSQL 13+) ends sessions an interrupted run left open. */
export async function recreateDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
}

/** A TCP port nothing listens on right now, for a child server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** One value of COPY's text format (PostgreSQL docs, COPY "Text Format"): `\N` for null, backslash escapes. */
export function copyText(value: string | number | boolean | null): string {
  if (value === null) return '\\N';
  return String(value).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
}

/** pg's Query, answering the server's CopyInResponse with the data (what pg-copy-streams does, without the dependency). */
class CopyFromStdin extends pg.Query {
  readonly #data: string;
  constructor(sql: string, data: string, callback: (error: Error | undefined) => void) {
    super(sql, undefined, callback);
    this.#data = data;
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    const bytes = Buffer.from(this.#data);
    for (let at = 0; at < bytes.length; at += 1 << 20) connection.sendCopyFromChunk(bytes.subarray(at, at + (1 << 20)));
    connection.endCopyFrom();
  }
}

/** `COPY <table> (<columns>) FROM STDIN` of rows already in COPY text format (one line each, tab-separated). */
export function copyFrom(client: pg.Client, table: string, columns: string[], lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    void client.query(new CopyFromStdin(`copy ${table} (${columns.join(', ')}) from stdin`, lines.length ? `${lines.join('\n')}\n` : '', (error) => (error ? reject(error) : resolve())));
  });
}

/** utime + stime of a process in ms, from /proc (Linux; clock ticks are 10 ms); 0 once the process is gone. */
export function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Resident memory of a process in MiB, from /proc (Linux); peak is VmHWM. undefined once the process is gone. */
export function memoryOf(pid: number | undefined): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

