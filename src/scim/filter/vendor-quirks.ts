/**
 * Filters as IdPs really send them, rewritten into RFC 7644 §3.4.2.2 syntax before parsing
 * (CONVENTIONS 5). Each rule is named after its vendor, is tested on its own, and leaves text
 * it does not recognise untouched, so the parser still reports real syntax errors.
 */

export type TokenKind = 'space' | 'string' | 'unterminated' | '(' | ')' | '[' | ']' | 'word';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset in the filter text, for error details. */
  at: number;
}

/** A small lexer that keeps every character, so rules can rewrite tokens and join them back. */
export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    const c = text[i]!;
    if (/\s/.test(c)) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      tokens.push({ kind: 'space', text: text.slice(start, i), at: start });
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      const closed = i < text.length;
      i = Math.min(i + 1, text.length);
      tokens.push({ kind: closed ? 'string' : 'unterminated', text: text.slice(start, i), at: start });
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      i++;
      tokens.push({ kind: c, text: c, at: start });
    } else {
      while (i < text.length && !/[\s"()[\]]/.test(text[i]!)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), at: start });
    }
  }
  return tokens;
}

const comparisons = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const logical = new Set(['and', 'or', 'not']);
// RFC 7159 §6: a JSON number; `00123` is not one, so it counts as an unquoted string.
const jsonNumber = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export function isJsonNumber(word: string): boolean {
  return jsonNumber.test(word);
}

function isLiteral(word: string): boolean {
  return word === 'true' || word === 'false' || word === 'null' || isJsonNumber(word);
}

/** Index of the next non-space token at or after `i`, or -1. */
function next(tokens: readonly Token[], i: number): number {
  for (let j = i; j < tokens.length; j++) if (tokens[j]!.kind !== 'space') return j;
  return -1;
}

function previous(tokens: readonly Token[], i: number): number {
  for (let j = i; j >= 0; j--) if (tokens[j]!.kind !== 'space') return j;
  return -1;
}

function isComparison(token: Token | undefined): boolean {
  return token?.kind === 'word' && comparisons.has(token.text.toLowerCase());
}

/** Whether token `i` stands where a comparison's value does: right after `eq`, `gt`, …. */
export function followsComparison(tokens: readonly Token[], i: number): boolean {
  const op = previous(tokens, i - 1);
  return op >= 0 && isComparison(tokens[op]);
}

/**
 * Entra ID: Microsoft's own documentation shows `externalId eq jyoung` and Entra jobs have been
 * seen sending unquoted values such as `userName eq alice@contoso.com`. A word after a
 * comparison operator (itself after an attribute path) that is not a JSON literal becomes a
 * JSON string. Words such as `and`, and 'single-quoted' values, are left alone: that filter is
 * broken, not quirky.
 */
export function entraUnquotedValue(tokens: readonly Token[]): Token[] {
  return tokens.map((token, i) => {
    if (token.kind !== 'word' || isLiteral(token.text) || logical.has(token.text.toLowerCase())) return token;
    // A single-quoted value is a different mistake (RFC 7644 strings are JSON strings): refuse it.
    if (token.text.startsWith("'")) return token;
    const op = previous(tokens, i - 1);
    if (op < 0 || op === i - 1 || !isComparison(tokens[op])) return token;
    const path = previous(tokens, op - 1);
    if (path < 0 || tokens[path]!.kind !== 'word' || path !== op - 2) return token;
    return { ...token, kind: 'string', text: JSON.stringify(token.text) };
  });
}

/**
 * Entra ID: `emails[type eq "work"].value eq "x"` — the PATCH path form of RFC 7644 §3.5.2
 * (valuePath then subAttr) used in a filter. It means one element matching both, so it
 * becomes the value path `emails[(type eq "work") and value eq "x"]` (the parser would
 * otherwise split it into two conditions that different elements could satisfy).
 */
export function entraValuePathSubAttribute(input: readonly Token[]): Token[] {
  let tokens = [...input];
  for (let close = 0; close < tokens.length; close++) {
    const sub = tokens[close + 1];
    if (tokens[close]!.kind !== ']' || sub?.kind !== 'word' || !/^\.\w+$/.test(sub.text)) continue;
    const open = matchingOpen(tokens, close);
    const op = next(tokens, close + 2);
    if (open < 0 || op < 0 || tokens[op]!.kind !== 'word') continue;
    const opName = tokens[op]!.text.toLowerCase();
    let end = op;
    if (opName !== 'pr') {
      const value = next(tokens, op + 1);
      if (!comparisons.has(opName) || value < 0 || !['string', 'word'].includes(tokens[value]!.kind)) continue;
      end = value;
    }
    const at = tokens[close]!.at;
    const piece = (kind: TokenKind, text: string): Token => ({ kind, text, at });
    const condition = tokens.slice(op, end + 1);
    tokens = [
      ...tokens.slice(0, open + 1),
      piece('(', '('),
      ...tokens.slice(open + 1, close),
      piece(')', ')'),
      piece('space', ' '),
      piece('word', 'and'),
      piece('space', ' '),
      piece('word', sub.text.slice(1)),
      piece('space', ' '),
      ...condition,
      piece(']', ']'),
      ...tokens.slice(end + 1),
    ];
  }
  return tokens;
}

function matchingOpen(tokens: readonly Token[], close: number): number {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    const kind = tokens[i]!.kind;
    if (kind === ']') depth++;
    else if (kind === '[' && --depth === 0) return i;
  }
  return -1;
}

export interface Quirk {
  name: string;
  apply(tokens: readonly Token[]): Token[];
}

/** In order: values are quoted before the value-path rule looks for a quoted value. */
export const quirks: readonly Quirk[] = [
  { name: 'entraUnquotedValue', apply: entraUnquotedValue },
  { name: 'entraValuePathSubAttribute', apply: entraValuePathSubAttribute },
];

/** Applies every quirk to lexed text; tokens no quirk recognises come back unchanged. */
export function normalizeTokens(tokens: readonly Token[]): Token[] {
  return quirks.reduce<Token[]>((acc, quirk) => quirk.apply(acc), [...tokens]);
}

/** Applies every quirk; text no quirk recognises comes back unchanged. */
export function normalizeFilter(text: string): string {
  const tokens = lex(text);
  if (tokens.some((t) => t.kind === 'unterminated')) return text;
  return normalizeTokens(tokens).map((t) => t.text).join('');
}
