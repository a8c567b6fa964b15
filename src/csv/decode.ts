/**
 * Bytes of an uploaded CSV → text. UTF-8 (with or without BOM) first, decoded
 * strictly (`fatal`), so a Latin-1/Windows-1252 file — what Excel writes in
 * many locales — is detected rather than read as replacement characters, then
 * decoded as windows-1252 and reported as such to the admin.
 */
export type CsvEncoding = 'utf-8' | 'utf-8-bom' | 'windows-1252';

export interface DecodedCsv {
  text: string;
  encoding: CsvEncoding;
}

export function decodeCsv(bytes: Uint8Array): DecodedCsv {
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body), encoding: bom ? 'utf-8-bom' : 'utf-8' };
  } catch {
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
