import type { Request, Response } from 'express';
import { writeChunks } from '../../csv/export.ts';

/**
 * A CSV file streamed as it is read (exports, an import's report). Whatever can
 * be refused is refused before this is called, as a normal JSON error; once the
 * first byte is sent a failure can only cut the response short, so the socket is
 * destroyed: the client sees an incomplete transfer, never a file that looks whole.
 */
export async function streamCsv(req: Request, res: Response, fileName: string, chunks: AsyncIterable<string>, logContext: Record<string, unknown>): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
  res.setHeader('Cache-Control', 'no-store');
  try {
    if (await writeChunks(chunks, res)) res.end();
  } catch (error) {
    req.ctx.log.error({ err: error, ...logContext }, 'CSV download failed after the response started');
    res.destroy(error as Error);
  }
}
