import { ValidationError } from '../directory/errors.ts';

/**
 * Bytes of an uploaded CSV → text. Without a declared charset: UTF-8 (with or
 * without BOM) first, decoded strictly (`fatal`), so a Latin-1/Windows-1252
 * file — what Excel writes in many locales — is detected rather than read as
 * replacement characters, then decoded as windows-1252 and reported as such to
 * the admin. A charset the upload declares (`Content-Type: text/csv;
 * charset=…`) is honoured: UTF-8 (strictly), Windows-1252 / ISO-8859-1, UTF-16.
 */
export type CsvEncoding = 'utf-8' | 'utf-8-bom' | 'windows-1252' | 'utf-16le' | 'utf-16be';

/** The charsets an upload may declare, by what they are read as. */
export type CsvCharset = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be' | 'utf-16';

/**
 * A declared charset label → how it is read, or null for one this server does
 * not read. Latin-1 labels are Windows-1252, as browsers read them (WHATWG
 * Encoding: its C1 range holds the characters Excel writes there).
 */
export function csvCharset(label: string): CsvCharset | null {
  const name = label.trim().toLowerCase();
  if (['utf-8', 'utf8', 'unicode-1-1-utf-8', 'us-ascii', 'ascii'].includes(name)) return 'utf-8';
  if (['windows-1252', 'cp1252', 'x-cp1252', 'iso-8859-1', 'iso8859-1', 'latin1', 'l1', 'iso_8859-1'].includes(name)) return 'windows-1252';
  if (name === 'utf-16le' || name === 'utf-16be' || name === 'utf-16') return name;
  return null;
}

export const csvCharsetNames = 'utf-8, windows-1252 (iso-8859-1), utf-16le, utf-16be, utf-16';

export interface DecodedCsv {
  text: string;
  encoding: CsvEncoding;
}

export function decodeCsv(bytes: Uint8Array, charset?: CsvCharset): DecodedCsv {
  // A UTF-16 byte order mark names the encoding by itself (Excel's "Unicode text", HR tools): no charset needed.
  if (charset === undefined && bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    charset = 'utf-16';
  }
  if (charset === 'windows-1252') return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  if (charset === 'utf-16le' || charset === 'utf-16be' || charset === 'utf-16') {
    // RFC 2781 §4.3: "UTF-16" without a BOM is big-endian, but every Windows tool writes little-endian
    // with a BOM; the BOM decides, and without one little-endian (what Excel's "Unicode text" is).
    const be = charset === 'utf-16be' || (charset === 'utf-16' && bytes[0] === 0xfe && bytes[1] === 0xff);
    const encoding = be ? 'utf-16be' : 'utf-16le';
    try {
      return { text: new TextDecoder(encoding, { fatal: true }).decode(bytes), encoding };
    } catch {
      throw ValidationError.field('file', `is not valid ${encoding.toUpperCase()} (the upload declares charset=${charset})`);
    }
  }
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body), encoding: bom ? 'utf-8-bom' : 'utf-8' };
  } catch {
    if (charset === 'utf-8') {
      throw ValidationError.field('file', 'is not valid UTF-8 although the upload declares charset=utf-8: send its real charset (e.g. windows-1252), or none to have it detected');
    }
    return { text: new TextDecoder('windows-1252').decode(body), encoding: 'windows-1252' };
  }
}

/**
 * The delimiter of the header line: `;` (Excel where the decimal separator is
 * a comma) or `,`, whichever occurs more outside quotes. Ties go to `,`.
 */
export function sniffDelimiter(text: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c === ',') commas++;
    else if (!quoted && c === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}
