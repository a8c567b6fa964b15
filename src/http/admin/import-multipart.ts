import busboy from 'busboy';
import type { Request } from 'express';
import { ValidationError } from '../../directory/errors.ts';
import { HttpError } from '../errors.ts';

export interface UploadedFile {
  bytes: Buffer;
  /** The name the browser or client gave the part (`filename=`), if any. */
  fileName: string | null;
}

/** Form fields besides the file are few and small (a browser form may send a submit button or a CSRF token). */
const LIMITS = { files: 1, fields: 20, fieldSize: 4096, parts: 25, headerPairs: 50 } as const;

/**
 * The CSV file of a `multipart/form-data` upload (an HTML form, `curl -F file=@staff.csv`),
 * read as it streams in and refused as soon as it passes `maxBytes`: the one file part
 * (named `file`, or the only one), whatever its own Content-Type. Other fields are ignored;
 * the import's options stay in the query string, as for a `text/csv` body.
 */
export function readMultipartFile(req: Request, maxBytes: number): Promise<UploadedFile> {
  const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw new HttpError(415, 'unsupported_encoding', 'A multipart upload is read as sent: send it without Content-Encoding (or send the file itself, compressed, as a text/csv body)', { encoding });
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { ...LIMITS, fileSize: maxBytes } });
  } catch (error) {
    throw invalid(`the multipart body cannot be read: ${(error as Error).message}`);
  }
  return new Promise<UploadedFile>((resolve, reject) => {
    let file: UploadedFile | undefined;
    let failure: Error | undefined;
    const fail = (error: Error) => {
      failure ??= error;
    };
    parser.on('file', (_field, stream, info) => {
      if (file || failure) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(fileTooLarge(maxBytes)));
      stream.on('end', () => {
        if (!failure) file = { bytes: Buffer.concat(chunks), fileName: info.filename?.slice(0, 300) || null };
      });
    });
    parser.on('filesLimit', () => fail(invalid('must be one file: the upload holds more than one')));
    parser.on('partsLimit', () => fail(invalid(`the multipart body has more than ${LIMITS.parts} parts`)));
    parser.on('error', (error: Error) => {
      req.unpipe(parser);
      req.resume();
      reject(failure ?? invalid(`the multipart body cannot be read: ${error.message}`));
    });
    parser.on('close', () => {
      if (failure) return reject(failure);
      if (!file) return reject(invalid('is missing: send the CSV as a file part named "file" (curl -F file=@staff.csv)'));
      resolve(file);
    });
    req.pipe(parser);
  });
}

/** An uploaded file past `imports.maxFileSize`, however it was sent (a text/csv body or a multipart part). */
export function fileTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `The file exceeds the limit of ${maxBytes} bytes (imports.maxFileSize)`, { limit: maxBytes, setting: 'imports.maxFileSize' });
}

function invalid(reason: string): ValidationError {
  return ValidationError.field('file', reason);
}
