import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { importActions, importModes } from '../../db/entities/index.ts';
import { commitImport } from '../../directory/import-commit.ts';
import { getImport, listImportRows, previewImport } from '../../directory/imports.ts';
import { parseImportFile } from '../../csv/import-parse.ts';
import { scopeFor } from '../context.ts';
import { HttpError } from '../errors.ts';
import { parseInput } from '../validate.ts';

/** Default upload limit (issue 6); the route factory takes another. */
export const DEFAULT_IMPORT_MAX_BYTES = 50 * 1024 * 1024;

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

/** Reads the request body as it streams in, refusing it as soon as it passes the limit. */
async function readBody(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > maxBytes) throw new HttpError(413, 'payload_too_large', `The file exceeds the limit of ${maxBytes} bytes`, { limit: maxBytes });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.unpipe();
      req.resume();
      throw new HttpError(413, 'payload_too_large', `The file exceeds the limit of ${maxBytes} bytes`, { limit: maxBytes });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * /api/orgs/:org/imports: upload (a `text/csv` body; multipart is not
 * accepted, see docs/csv-import.md) → stored preview; rows of the preview;
 * commit of all or selected rows; progress.
 */
export function importRoutes(container: Container, options: { maxBytes?: number } = {}): Router {
  const router = Router({ mergeParams: true });
  const maxBytes = options.maxBytes ?? DEFAULT_IMPORT_MAX_BYTES;
  const id = (req: Request) => String(req.params.id ?? '');

  router.post('/imports', async (req, res) => {
    const query = parseInput(uploadQuery, req.query, 'query');
    const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!csvTypes.includes(type)) {
      throw new HttpError(415, 'unsupported_media_type', 'Send the file as the request body with Content-Type: text/csv (multipart uploads are not accepted)');
    }
    const bytes = await readBody(req, maxBytes);
    const file = parseImportFile(bytes, { fileName: query.fileName ?? null });
    const summary = await previewImport(container.fork(), scopeFor(req), file, {
      mode: query.mode, noInvite: query.noInvite, createGroups: query.createGroups, exceptScim: query.exceptScim,
    });
    res.status(201).json(summary);
  });

  router.get('/imports/:id', async (req, res) => {
    res.json(await getImport(container.fork(), scopeFor(req), id(req)));
  });

  router.get('/imports/:id/rows', async (req, res) => {
    const query = parseInput(rowsQuery, req.query, 'query');
    res.json(await listImportRows(container.fork(), scopeFor(req), id(req), { action: query.action, errorsOnly: query.errors, afterRow: query.cursor, limit: query.limit }));
  });

  router.post('/imports/:id/commit', async (req, res) => {
    const body = parseInput(commitBody, req.body);
    const deps = { publicUrl: container.config.publicUrl, now: () => container.clock.now() };
    res.json(await commitImport(() => container.fork(), scopeFor(req), deps, id(req), { rows: body.rows, force: body.force }));
  });

  return router;
}
