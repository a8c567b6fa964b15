import type { Request } from 'express';
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { z } from 'zod';
import { importActions, importModes } from '../../db/entities/index.ts';
import { commitImport } from '../../directory/import-commit.ts';
import { getImport } from '../../directory/imports.ts';
import { previewImport } from '../../directory/import-preview.ts';
import { parseImportFile } from '../../csv/import-parse.ts';
import { csvCharset, csvCharsetNames, type CsvCharset } from '../../csv/decode.ts';
import { scopeFor } from '../context.ts';
import { HttpError } from '../errors.ts';
import { importNeeds, importNeedsOf } from '../../directory/import-needs.ts';
import { apiRoute, requirePermission, type ApiRoute } from './route.ts';
import { sizeToBytes } from '../../lib/size.ts';
import { listImportRows, listImports } from '../../directory/import-list.ts';
import { importReportChunks } from '../../csv/import-report.ts';
import { streamCsv } from './streamed-csv.ts';
import { undecodable } from '../bodies.ts';
import { fileTooLarge, readMultipartFile } from './import-multipart.ts';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').optional();
const uploadQuery = z.strictObject({
  mode: z.enum(importModes, { error: `must be one of ${importModes.join(', ')}` }),
  noInvite: flag,
  createGroups: flag,
  exceptScim: flag,
  fileName: z.string().max(300).optional(),
});
const rowsQuery = z.strictObject({
  action: z.enum(importActions).optional(),
  errors: flag,
  cursor: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const commitBody = z.strictObject({
  rows: z.union([z.literal('all'), z.array(z.number().int().min(1)).min(1).max(1_000_000)], { error: 'must be "all" or a list of row numbers' }).default('all'),
  force: z.boolean().optional(),
});

const csvTypes = ['text/csv', 'application/csv', 'text/plain', 'application/octet-stream', 'application/vnd.ms-excel'];

/**
 * The upload route reads its own body (a CSV file, not JSON): app.ts leaves
 * it to this route even when it is sent as JSON, so that it is refused as a
 * media type (415) rather than parsed and refused as bad JSON.
 */
export function isImportUpload(req: Request): boolean {
  return req.method === 'POST' && /^\/api\/orgs\/[^/]+\/imports\/?$/.test(req.path);
}

/**
 * The content encodings the JSON routes inflate (body-parser: gzip, deflate,
 * br, and zstd where Node has it), read the same way here; another is 415.
 */
function inflater(encoding: string): Transform | null {
  switch (encoding) {
    case 'identity':
      return null;
    case 'gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    case 'zstd':
      if ('createZstdDecompress' in zlib) return (zlib as unknown as { createZstdDecompress(): Transform }).createZstdDecompress();
  }
  throw new HttpError(415, 'unsupported_encoding', `Content-Encoding "${encoding}" is not read here: send the file as is, or gzip, deflate, br or zstd compressed`, { encoding });
}

/**
 * Reads the request body as it streams in (inflated when compressed),
 * refusing it as soon as it passes the limit: the limit is on the file, so a
 * small compressed body that inflates past it is refused too.
 */
async function readBody(req: Request, maxBytes: number): Promise<Buffer> {
  const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase() || 'identity';
  const inflate = inflater(encoding);
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > maxBytes) throw fileTooLarge(maxBytes);
  const source: AsyncIterable<Buffer> = inflate ? req.pipe(inflate) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) throw fileTooLarge(maxBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    req.unpipe();
    inflate?.destroy();
    req.resume();
    if (error instanceof HttpError || !inflate) throw error;
    throw undecodable('file', encoding, error);
  }
  return Buffer.concat(chunks);
}

/** The declared charset, if any, as the CSV reader reads it; one it does not read is 415. */
function declaredCharset(req: Request): CsvCharset | undefined {
  const header = req.get('content-type') ?? '';
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(header);
  if (!match) return undefined;
  const charset = csvCharset(match[1]!);
  if (!charset) throw new HttpError(415, 'unsupported_encoding', `charset "${match[1]}" is not read here; send the file as ${csvCharsetNames}, or without a charset to have UTF-8 or Windows-1252 detected`, { charset: match[1] });
  return charset;
}

const idParams = z.strictObject({ id: z.string().max(100) });
const listQuery = z.strictObject({
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
});
const summary = { description: 'The import: mode, status, options, columns, counts per action, massDisable, progress, commitNeeds (the permissions its commit needs besides users.edit)' };

/**
 * /api/orgs/:org/imports: upload (a `text/csv` body, or a multipart/form-data
 * file part) → stored preview; rows of the preview;
 * commit of all or selected rows; progress.
 */
export const importApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'post',
      path: '/imports',
      tag: 'Imports',
      summary: 'Upload a CSV file and get its preview (nothing is applied yet)',
      permission: 'users.edit',
      query: uploadQuery,
      rawBody: 'text/csv',
      responses: { 201: summary },
    },
    async ({ container, req, res, query }) => {
      const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const multipart = type === 'multipart/form-data';
      if (!multipart && !csvTypes.includes(type)) {
        throw new HttpError(415, 'unsupported_media_type', 'Send the file as the request body with Content-Type: text/csv, or as the file part of a multipart/form-data upload');
      }
      const { maxFileSize, maxRowChars } = container.config.imports;
      let upload: { bytes: Buffer; fileName: string | null; charset?: CsvCharset | undefined };
      if (multipart) upload = await readMultipartFile(req, sizeToBytes(maxFileSize));
      else upload = { charset: declaredCharset(req), bytes: await readBody(req, sizeToBytes(maxFileSize)), fileName: null };
      const file = parseImportFile(upload.bytes, { fileName: query.fileName ?? upload.fileName, maxRecordChars: maxRowChars, charset: upload.charset });
      const preview = await previewImport(container.fork(), scopeFor(req), file, {
        mode: query.mode, noInvite: query.noInvite, createGroups: query.createGroups, exceptScim: query.exceptScim,
      }, container.clock.now());
      res.status(201).json({ ...preview, commitNeeds: await importNeedsOf(container.fork(), preview) });
    },
  ),
  apiRoute(
    {
      method: 'get',
      path: '/imports',
      tag: 'Imports',
      summary: 'The org’s imports, newest first (cursor: the id of the last one shown)',
      permission: 'users.edit',
      query: listQuery,
      responses: { 200: { description: '{imports: [import summary], nextCursor}' } },
    },
    async ({ container, req, res, query }) => void res.json(await listImports(container.fork(), scopeFor(req), { beforeId: query.cursor, limit: query.limit })),
  ),
  apiRoute(
    {
      method: 'get',
      path: '/imports/:id/report.csv',
      tag: 'Imports',
      summary: 'The import’s report as CSV: per row its line, person, action, outcome, changes and problems',
      permission: 'users.edit',
      params: idParams,
      responses: { 200: { description: 'The CSV file, streamed', contentType: 'text/csv' } },
    },
    async ({ container, req, res, params }) => {
      const scope = scopeFor(req);
      const summary = await getImport(container.fork(), scope, params.id);
      const chunks = importReportChunks(container.fork(), scope, params.id);
      const stem = (summary.fileName ?? 'import').replace(/\.csv$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80) || 'import';
      await streamCsv(req, res, `${stem}-report.csv`, chunks, { importId: params.id });
    },
  ),
  apiRoute(
    { method: 'get', path: '/imports/:id', tag: 'Imports', summary: 'An import’s preview counts and commit progress', permission: 'users.edit', params: idParams, responses: { 200: summary } },
    async ({ container, req, res, params }) => {
      const em = container.fork();
      const summary = await getImport(em, scopeFor(req), params.id);
      res.json({ ...summary, commitNeeds: await importNeedsOf(em, summary) });
    },
  ),
  apiRoute(
    {
      method: 'get',
      path: '/imports/:id/rows',
      tag: 'Imports',
      summary: 'The preview’s rows: planned action, changes, problems, notes, outcome',
      permission: 'users.edit',
      params: idParams,
      query: rowsQuery,
      responses: { 200: { description: '{rows, nextCursor}' } },
    },
    async ({ container, req, res, params, query }) => {
      res.json(await listImportRows(container.fork(), scopeFor(req), params.id, { action: query.action, errorsOnly: query.errors, afterRow: query.cursor, limit: query.limit }));
    },
  ),
  apiRoute(
    {
      method: 'post',
      path: '/imports/:id/commit',
      tag: 'Imports',
      summary: 'Apply all or some rows of the preview (resumes an interrupted commit)',
      description: 'Also needs users.disable when the import disables people (disable and sync modes, or a Status column), users.invite when it invites new people, groups.manage with createGroups.',
      permission: 'users.edit',
      params: idParams,
      body: commitBody,
      responses: { 200: summary },
    },
    async ({ container, req, res, params, body }) => {
      const scope = scopeFor(req);
      for (const permission of await importNeeds(container.fork(), scope, params.id)) requirePermission(req, permission);
      const deps = { publicUrl: container.config.publicUrl, now: () => container.clock.now() };
      res.json(await commitImport(() => container.fork(), scope, deps, params.id, { rows: body.rows, force: body.force }, { signal: container.stopping }));
    },
  ),
];
