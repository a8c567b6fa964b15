import { parse } from 'csv-parse/sync';
import { restoreNeutralised } from './export-cells.ts';
import { ValidationError } from '../directory/errors.ts';
import type { GroupCell, ImportField, ImportFile, ImportRowInput, ImportValues, RowProblem } from '../directory/imports.ts';
import { decodeCsv, sniffDelimiter, type CsvCharset } from './decode.ts';
import { mapHeaders } from './import-columns.ts';

/**
 * An uploaded file → typed rows for the domain's preview. Broken files are
 * refused as a whole only when they cannot be read at all (an unclosed quote,
 * a cell over the size limit, no header); a row with the wrong number of
 * fields or a bad value is reported on that row and the others go on.
 */

/** A single cell (in fact: record) larger than this is refused: a 10 MB cell is never a name. */
export const DEFAULT_MAX_RECORD_CHARS = 64 * 1024;

export interface ParseOptions {
  fileName?: string | null;
  maxRecordChars?: number;
  /** The charset the upload declared (decode.ts csvCharset); none: detected. */
  charset?: CsvCharset | undefined;
}

const textFields = ['fullName', 'givenName', 'familyName', 'email', 'userName', 'userId', 'department', 'officeLocation', 'title', 'phone', 'employeeNumber', 'role', 'orgRole', 'manager'] as const;

const statusWords: Record<string, 'active' | 'disabled' | null> = {
  active: 'active', enabled: 'active', true: 'active', yes: 'active',
  disabled: 'disabled', inactive: 'disabled', false: 'disabled', no: 'disabled', suspended: 'disabled',
  // Statuses of the users.csv export an import cannot set (every one it writes is read): left as they are.
  pending: null, expired: null, invited: null, deleted: null,
};

/** `Sales; Support:editor | Ops` → names with optional roles. */
export function parseGroups(cell: string): GroupCell[] {
  return cell.split(/[;|]/).map((part) => part.trim()).filter(Boolean).map((part) => {
    const colon = part.lastIndexOf(':');
    if (colon <= 0) return { name: part, role: null };
    return { name: part.slice(0, colon).trim(), role: part.slice(colon + 1).trim().toLowerCase() || null, whole: part };
  });
}

/**
 * csv-parse does not count a line end that closes the file inside an unquoted last record
 * (`a\r\nb\n` with `\r\n` rows), so that row's line came out one too low; trailing line
 * ends carry no data (empty lines are skipped anyway). Found by test/fuzz/csv.test.ts.
 */
function withoutTrailingLineEnds(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** A row over the limit, named as the README's input limits are: the limit and its config key. */
function rowTooLarge(limit: number, line: number | undefined): ValidationError {
  return ValidationError.field('file', `has a row larger than ${limit} characters (imports.maxRowChars)${line ? `, at line ${line}` : ''} (field_too_large)`, {
    limit, setting: 'imports.maxRowChars',
  });
}

/**
 * The row's size in characters (code points, as the limit is documented). The
 * UTF-16 length is an upper bound, so rows within it cost no second pass.
 */
function recordChars(record: string[], limit: number): number {
  let units = 0;
  for (const cell of record) units += cell.length;
  if (units <= limit) return units;
  let chars = 0;
  for (const cell of record) for (const _ of cell) chars++;
  return chars;
}

/**
 * PostgreSQL stores no U+0000 (the preview's rows are jsonb), and no text file holds one: it
 * is a spreadsheet's binary format or UTF-16 sent without its byte order mark. The whole file
 * is refused, naming the line (every line end counted once, `\r\n` included).
 */
function refuseNul(text: string): void {
  const at = text.indexOf('\u0000');
  if (at < 0) return;
  const line = (text.slice(0, at).match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
  throw ValidationError.field('file', `contains the NUL character (U+0000) at line ${line}: a CSV file is text (this looks like a spreadsheet's own format such as .xlsx, or UTF-16 without a byte order mark: send that with charset=utf-16le)`);
}

/**
 * Excel's `sep=;` first line (written by tools that prepare files for Excel, honoured by
 * Excel itself): it names the delimiter and is no header. It is blanked, not cut, so the
 * rows keep the file's line numbers (blank lines are skipped).
 */
function excelSeparatorLine(text: string): { text: string; delimiter: ',' | ';' | null } {
  const match = /^"?sep=(.?)"?[ \t]*(?=\r\n|\n|\r|$)/i.exec(text);
  if (!match) return { text, delimiter: null };
  const sep = match[1];
  if (sep !== ',' && sep !== ';') {
    throw ValidationError.field('file', `declares its separator as "sep=${sep}" on line 1: only , and ; are read (save the file as CSV with either)`);
  }
  return { text: text.slice(match[0].length), delimiter: sep };
}

/**
 * The records that hold a value, each with the line it starts on in the file. Every record csv-parse
 * gives (blank ones too: nothing is skipped there) ends one line, plus the line ends inside its
 * cells (`\r\n` counted once). Counted here rather than read from csv-parse's `info`, which builds
 * two objects of a dozen fields per record: a fifth of a 100,000-row file's parse.
 */
function numberedRecords(parsed: string[][], limit: number): { records: string[][]; lines: number[] } {
  const records: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  for (const record of parsed) {
    const start = line;
    let blank = true;
    line++;
    for (const cell of record) {
      if (blank && cell !== '' && cell.trim() !== '') blank = false;
      if (cell.includes('\n') || cell.includes('\r')) line += cell.match(/\r\n|\r|\n/g)?.length ?? 0;
    }
    // A blank line, or one of empty values only (`,,`, a spreadsheet's trailing rows), is no row.
    if (blank) continue;
    if (recordChars(record, limit) > limit) throw rowTooLarge(limit, start);
    records.push(record);
    lines.push(start);
  }
  return { records, lines };
}

export function parseImportFile(bytes: Uint8Array, options: ParseOptions = {}): ImportFile {
  const decoded = decodeCsv(bytes, options.charset);
  const { encoding } = decoded;
  refuseNul(decoded.text);
  const declared = excelSeparatorLine(decoded.text);
  const text = declared.text;
  const delimiter = declared.delimiter ?? sniffDelimiter(text);
  const limit = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  let parsed: string[][];
  try {
    parsed = parse(withoutTrailingLineEnds(text), {
      delimiter,
      relax_column_count: true,
      // csv-parse counts the field being read in UTF-8 bytes (at most 4 per character): this bound only keeps a
      // 10 MB cell out of memory, never refuses a row within the limit; the limit itself is counted below.
      max_record_size: limit * 4,
    }) as unknown as string[][];
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'CSV_MAX_RECORD_SIZE') throw rowTooLarge(limit, (error as { lines?: number }).lines);
    throw ValidationError.field('file', `is not a readable CSV file (${code ?? 'parse_error'}): ${(error as Error).message}`);
  }
  const { records, lines } = numberedRecords(parsed, limit);
  const header = records.shift();
  lines.shift();
  if (!header) throw ValidationError.field('file', 'is empty: the first line must name the columns');
  const headers = header.map((h) => h.trim());
  const map = mapHeaders(headers);
  const headerOf: Partial<Record<ImportField, string>> = {};
  for (const [field, index] of Object.entries(map.fields)) headerOf[field as ImportField] = headers[index]!;

  // Per row work is kept to plain loops (a 100,000-row preview has a 5 s budget, issue 6).
  const fieldIndexes = textFields.flatMap((field) => (map.fields[field] === undefined ? [] : [[field, map.fields[field]] as const]));
  const rows: ImportRowInput[] = records.map((record, index) => {
    const line = lines[index]!;
    const problems: RowProblem[] = [];
    let extra = false;
    for (let i = headers.length; i < record.length && !extra; i++) extra = record[i]!.trim() !== '';
    if (record.length < headers.length || extra) {
      problems.push({ column: null, reason: 'wrong_field_count', message: `${record.length} fields, the header has ${headers.length}` });
    }
    const values: ImportValues = {};
    const cell = (index: number | undefined): string | undefined => {
      const raw = index === undefined ? undefined : record[index];
      if (!raw) return undefined;
      const value = restoreNeutralised(raw).trim();
      return value ? value : undefined;
    };
    for (const [field, index] of fieldIndexes) {
      const value = cell(index);
      if (value === undefined) continue;
      if (field === 'fullName') values.displayName = value;
      else if (field === 'email') values.email = value.toLowerCase();
      else if (field === 'role' || field === 'manager') values[field] = value.toLowerCase();
      // `org_admin` as exported, or `Org Admin` as a person writes it.
      else if (field === 'orgRole') values.orgRole = value.toLowerCase().replace(/[\s-]+/g, '_');
      else values[field] = value;
    }
    const status = cell(map.fields.status);
    if (status !== undefined) {
      const word = status.toLowerCase();
      if (!Object.hasOwn(statusWords, word)) problems.push({ column: headerOf.status ?? 'Status', reason: 'invalid_status', message: 'must be active or disabled (pending, expired and deleted, as exported, change nothing)' });
      else if (statusWords[word]) values.status = statusWords[word];
    }
    const groups = cell(map.fields.groups);
    if (groups !== undefined) values.groups = parseGroups(groups);
    return { line, values, problems };
  });
  return {
    fileName: options.fileName ?? null,
    encoding,
    delimiter,
    headers: headerOf,
    columns: { readOnly: map.readOnly, unknown: map.unknown, duplicates: map.duplicates },
    rows,
  };
}
