import type { Filter } from 'scim2-parse-filter';
import { fail, ok, type Result } from '../../lib/result.ts';
import type { Comparison, FilterAst } from './ast.ts';
import { followsComparison, isJsonNumber, type Token } from './vendor-quirks.ts';
import { unstorableReason } from '../../lib/text.ts';

/**
 * Filter values (RFC 7644 §3.4.2.2: a compValue is a JSON literal, so a string is a JSON string,
 * RFC 8259 §7), read here rather than by scim2-parse-filter. Version 0.2.10 doubles every
 * backslash that does not precede a quote before it calls JSON.parse, so `"a\\b"` came out as
 * `a\\b` and `"\u0022"` as the six characters `\u0022`, and it takes the `\"` ending `"a\\"` for
 * an escaped quote. The parser therefore never sees a string: each one is decoded here and
 * replaced by a placeholder `"<n>"` (digits only, which it keeps as they are), and the decoded
 * values are put back into its AST. Numbers in a value's place get a placeholder too, so
 * their source text reaches the AST (`raw`, see ast.ts).
 */
export interface Literal {
  value: string | number;
  /** The token as it stood in the (normalised) filter: error details, and a number's `raw`. */
  text: string;
}

export interface Placeholders {
  /** The filter with every literal replaced by its placeholder, for scim2-parse-filter. */
  text: string;
  literals: Literal[];
}

const simpleEscapes = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/**
 * Checks a string token against RFC 8259 §7 and decodes it. JSON.parse does the decoding, so
 * the value is exactly JSON's; the scan before it names the first problem and its position.
 */
export function decodeString(token: Token): Result<string, 'invalidFilter'> {
  const { text, at } = token;
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i]!;
    const position = at + i + 1;
    if (c < ' ') {
      const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      return fail('invalidFilter', `Unescaped control character ${code} at position ${position}: a JSON string writes it as an escape such as \\n or \\u000a (RFC 8259 §7)`);
    }
    if (c !== '\\') continue;
    const escape = text[i + 1]!;
    if (escape === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        const shown = text.slice(i, Math.min(i + 6, text.length - 1));
        return fail('invalidFilter', `Invalid escape '${shown}' at position ${position}: \\u must be followed by four hex digits (RFC 8259 §7)`);
      }
      i += 5;
    } else if (simpleEscapes.has(escape)) {
      i += 1;
    } else {
      return fail('invalidFilter', `Invalid escape '\\${escape}' at position ${position}: a JSON string allows \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX (RFC 8259 §7)`);
    }
  }
  try {
    return ok(JSON.parse(text) as string);
  } catch (error) {
    return fail('invalidFilter', `The string at position ${at + 1} is not a JSON string: ${(error as Error).message}`);
  }
}

/**
 * Decodes every string token, and reads every number after a comparison operator, replacing
 * each with its placeholder; the first bad string fails.
 */
export function placeholders(tokens: readonly Token[]): Result<Placeholders, 'invalidFilter'> {
  const literals: Literal[] = [];
  const parts: string[] = [];
  const hold = (literal: Literal) => parts.push(JSON.stringify(String(literals.push(literal) - 1)));
  for (const [i, token] of tokens.entries()) {
    if (token.kind === 'string') {
      const decoded = decodeString(token);
      if (!decoded.ok) return decoded;
      hold({ value: decoded.value, text: token.text });
    } else if (token.kind === 'word' && isJsonNumber(token.text) && followsComparison(tokens, i)) {
      hold({ value: JSON.parse(token.text) as number, text: token.text });
    } else {
      parts.push(token.text);
    }
  }
  return ok({ text: parts.join(''), literals });
}

/** The AST with each placeholder replaced by its value (and a number's source text). */
export function restoreLiterals(node: Filter, literals: readonly Literal[]): FilterAst {
  switch (node.op) {
    case 'and':
    case 'or':
      return { ...node, filters: node.filters.map((f) => restoreLiterals(f, literals)) };
    case 'not':
      return { ...node, filter: restoreLiterals(node.filter, literals) };
    case '[]':
      return { ...node, valFilter: restoreLiterals(node.valFilter, literals) };
    case 'pr':
      return node;
    default: {
      const literal = typeof node.compValue === 'string' ? literals[Number(node.compValue)] : undefined;
      if (!literal) return node;
      const comparison: Comparison = { ...node, compValue: literal.value };
      if (typeof literal.value === 'number') comparison.raw = literal.text;
      return comparison;
    }
  }
}

/** A parser message with the placeholders it quotes spelled as the client sent them. */
export function restoreText(message: string, literals: readonly Literal[]): string {
  return message.replace(/"(\d+)"/g, (placeholder, n: string) => literals[Number(n)]?.text ?? placeholder);
}

/**
 * A string value no stored text can hold (lib/text.ts: U+0000, which a JSON string spells
 * `\u0000`): PostgreSQL refuses it as a bound parameter, and a PATCH value path would
 * store it. The refusal's detail, for an invalidFilter; undefined when every value is fine.
 * Kept out of parseFilter, which reads any JSON string as JSON.parse does.
 */
export function unstorableLiteral(node: FilterAst): string | undefined {
  switch (node.op) {
    case 'and':
    case 'or':
      for (const filter of node.filters) {
        const detail = unstorableLiteral(filter);
        if (detail) return detail;
      }
      return undefined;
    case 'not':
      return unstorableLiteral(node.filter);
    case '[]':
      return unstorableLiteral(node.valFilter);
    case 'pr':
      return undefined;
    default: {
      const reason = typeof node.compValue === 'string' ? unstorableReason(node.compValue) : undefined;
      return reason && `The value compared with '${node.attrPath}' ${reason}`;
    }
  }
}
