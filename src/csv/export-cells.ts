/**
 * Cell values of the exports as text: dates in ISO 8601 (UTC), empty for
 * null, and text that a spreadsheet would run as a formula neutralised.
 */

export type Cell = string | Date | null | undefined;

/**
 * OWASP "CSV Injection": a cell starting with `=`, `+`, `-`, `@`, tab or
 * carriage return may be evaluated by Excel, LibreOffice or Sheets (`=HYPERLINK(…)`,
 * `@SUM(…)`, DDE). Prefixing a single quote makes the application read it as
 * text; the quote shows in the cell, which is the point (it says "this was not
 * a formula"). Applied to every text cell, whoever wrote it.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * The inverse, for imports: a cell our export neutralised (`'` + a formula
 * start) reads back as the original text, so an exported file imports unchanged.
 */
export function restoreNeutralised(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}

export function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return neutraliseFormula(value);
}

/**
 * The field separator of an export: `,` (RFC 4180), or `;` — what Excel reads from a
 * double-clicked file in locales whose decimal separator is a comma (German, French…).
 */
export type CsvDelimiter = ',' | ';';

const NEEDS_QUOTES: Record<CsvDelimiter, RegExp> = { ',': /[",\r\n]/, ';': /[";\r\n]/ };

/**
 * One RFC 4180 record, CRLF-terminated: a field is quoted only when it holds a
 * quote, the delimiter or a line break, and quotes inside are doubled. Hand-written
 * because it is the export's hot loop (a million rows): csv-stringify's general
 * machinery cost more than the database reads; the tests check this against
 * csv-stringify's output for the awkward cases.
 */
export function csvRecord(fields: readonly string[], delimiter: CsvDelimiter = ','): string {
  return `${csvFields(fields, delimiter)}\r\n`;
}

function csvFields(fields: readonly string[], delimiter: CsvDelimiter): string {
  const needsQuotes = NEEDS_QUOTES[delimiter];
  return fields.map((f) => (needsQuotes.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(delimiter);
}

/** Many records as one flat string (join, not `+=`: no rope of a million pieces for the GC to walk). */
export function csvRecords(records: readonly (readonly string[])[], delimiter: CsvDelimiter = ','): string {
  const lines = records.map((r) => csvFields(r, delimiter));
  lines.push('');
  return lines.join('\r\n');
}
