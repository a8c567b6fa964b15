/**
 * The "paste a list of addresses" box, as a pure function: what admins copy
 * out of a mail client (`Ann Lee <ann@x.test>; "Lee, Bob" <bob@x.test>`), a
 * spreadsheet column (one per line) or a chat (`ann@x.test, bob@x.test`)
 * becomes one entry per address attempted, each valid, invalid or a repeat.
 */

export type AddressProblem = 'invalid_email' | 'duplicate_in_request';

export interface ParsedAddress {
  /** The text this entry came from, trimmed: what the admin sees next to a problem. */
  input: string;
  /** Lower-cased, as users.email is stored; null when the entry is not an address. */
  email: string | null;
  /** The display name that came with it (`Ann Lee <…>`), unquoted. */
  name: string | null;
  problem?: AddressProblem;
}

export const MAX_EMAIL_LENGTH = 254;

// RFC 5321/5322 "dot-atom" local part (no quoted local parts: no mail system people
// are invited from produces them) and a DNS host name with a letter TLD or an IDN (xn--).
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

export function isEmailAddress(value: string): boolean {
  if (value.length > MAX_EMAIL_LENGTH) return false;
  const at = value.lastIndexOf('@');
  if (at < 1) return false;
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  if (local.length > 64 || !LOCAL.test(local) || labels.length < 2) return false;
  return labels.every((label) => LABEL.test(label)) && TLD.test(labels[labels.length - 1]!);
}

/** Splits at `,` `;` and line breaks that are outside quotes and angle brackets. */
function segments(text: string): string[] {
  const out: Array<{ text: string; comma: boolean }> = [];
  let current = '';
  let quoted = false;
  let angled = false;
  for (const char of text) {
    if (char === '"' && !angled) quoted = !quoted;
    else if (char === '<' && !quoted) angled = true;
    else if (char === '>' && !quoted) angled = false;
    if (!quoted && !angled && (char === ',' || char === ';' || char === '\n' || char === '\r')) {
      out.push({ text: current, comma: char === ',' });
      current = '';
    } else {
      current += char;
    }
  }
  out.push({ text: current, comma: false });
  return joinDirectoryNames(out.map((s) => ({ text: s.text.trim(), comma: s.comma })).filter((s) => s.text));
}

const NAME_ONLY = /^[^@<>"]+$/;
const NAMED_ADDRESS = /^[^@<>"]+<[^<>]*>/;

/**
 * Outlook copies recipients whose directory name is `Last, First` without
 * quotes (`Lee, Ann <ann@x.test>; Doe, Bob <bob@x.test>`): a piece of name
 * words ended by a comma, followed by a `Name <address>` piece, is that
 * entry's family name rather than an address of its own.
 */
function joinDirectoryNames(pieces: Array<{ text: string; comma: boolean }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const next = pieces[i + 1];
    if (piece.comma && next && NAME_ONLY.test(piece.text) && NAMED_ADDRESS.test(next.text)) {
      out.push(`${piece.text}, ${next.text}`);
      i++;
    } else {
      out.push(piece.text);
    }
  }
  return out;
}

function unquote(name: string): string | null {
  let value = name.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
  else if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
  // `ann@x.test (Ann Lee)`: the old RFC 822 way of naming an address.
  else if (value.length >= 2 && value.startsWith('(') && value.endsWith(')')) value = value.slice(1, -1);
  value = value.replace(/\s+/g, ' ').trim();
  return value || null;
}

function entry(input: string, address: string, name: string | null): ParsedAddress {
  const email = address.trim().replace(/^mailto:/i, '').toLowerCase();
  return isEmailAddress(email) ? { input: input.trim(), email, name } : { input: input.trim(), email: null, name, problem: 'invalid_email' };
}

/** A segment without `<…>`: whitespace-separated words; words around a single address are its name. */
function bareWords(segment: string): ParsedAddress[] {
  const words = segment.split(/\s+/).filter(Boolean);
  const addresses = words.filter((w) => w.includes('@'));
  if (!addresses.length) return [{ input: segment, email: null, name: null, problem: 'invalid_email' }];
  if (addresses.length === 1) {
    const name = unquote(words.filter((w) => !w.includes('@')).join(' '));
    return [entry(segment, addresses[0]!, name)];
  }
  return words.map((word) => (word.includes('@') ? entry(word, word, null) : { input: word, email: null, name: null, problem: 'invalid_email' as const }));
}

/** Each `<address>` of a segment, outside double quotes: `"Lee, Ann <External>" <ann@x.test>` has one. */
function angleAddresses(segment: string): Array<{ index: number; end: number; address: string }> {
  const out: Array<{ index: number; end: number; address: string }> = [];
  // A stray quote (`Ann "Lee <ann@x.test>`) quotes nothing: only pairs do.
  const paired = (segment.match(/"/g)?.length ?? 0) % 2 === 0;
  let quoted = false;
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i];
    if (char === '"' && paired) quoted = !quoted;
    else if (char === '<' && !quoted) {
      const close = segment.indexOf('>', i + 1);
      if (close < 0) break;
      const address = segment.slice(i + 1, close);
      // `<a<b>`: the innermost pair holds the address, as the former pattern read it.
      const inner = address.lastIndexOf('<');
      out.push({ index: inner < 0 ? i : i + 1 + inner, end: close + 1, address: inner < 0 ? address : address.slice(inner + 1) });
      i = close;
    }
  }
  return out;
}

function parseSegment(segment: string): ParsedAddress[] {
  const out: ParsedAddress[] = [];
  let start = 0;
  for (const match of angleAddresses(segment)) {
    const before = segment.slice(start, match.index);
    out.push(entry(segment.slice(start, match.end), match.address, unquote(before)));
    start = match.end;
  }
  if (start === 0) return bareWords(segment);
  const rest = segment.slice(start).trim();
  if (rest) out.push(...bareWords(rest));
  return out;
}

/**
 * Every address attempted in the input (a pasted string or a list of them), in
 * order. A repeat of an earlier address (compared lower-cased) is marked
 * `duplicate_in_request`; the first occurrence is the one that counts.
 */
export function parseAddressList(input: string | readonly string[]): ParsedAddress[] {
  const parts = typeof input === 'string' ? [input] : input;
  const seen = new Set<string>();
  const out: ParsedAddress[] = [];
  for (const part of parts) {
    for (const parsed of segments(part).flatMap(parseSegment)) {
      if (parsed.email && seen.has(parsed.email)) out.push({ ...parsed, problem: 'duplicate_in_request' });
      else {
        if (parsed.email) seen.add(parsed.email);
        out.push(parsed);
      }
    }
  }
  return out;
}

/**
 * A display name → given and family name. `Lee, Ann` (the directory form) is
 * family first; otherwise the last word is the family name. One word is a given name.
 */
export function splitName(name: string | null): { givenName: string | null; familyName: string | null } {
  const value = name?.replace(/\s+/g, ' ').trim();
  if (!value) return { givenName: null, familyName: null };
  const comma = value.indexOf(',');
  if (comma > 0) {
    const family = value.slice(0, comma).trim();
    const given = value.slice(comma + 1).trim();
    return { givenName: given || null, familyName: family || null };
  }
  const space = value.lastIndexOf(' ');
  if (space < 0) return { givenName: value, familyName: null };
  return { givenName: value.slice(0, space), familyName: value.slice(space + 1) };
}
