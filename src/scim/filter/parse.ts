import { parse } from 'scim2-parse-filter';
import { fail, ok, type Result } from '../../lib/result.ts';
import type { FilterAst } from './ast.ts';
import { placeholders, restoreLiterals, restoreText } from './literals.ts';
import { lex, normalizeTokens } from './vendor-quirks.ts';

export type { FilterAst } from './ast.ts';

/** RFC 7644 §3.4.2.2 puts no limit on length; we do, so a filter cannot cost unbounded work. */
export const maxFilterLength = 4096;

/**
 * Each and/or/not/[...] level becomes one level of nested SQL; PostgreSQL's parser recurses
 * on it (max_stack_depth), and no IdP nests beyond three or four. Flat chains (`a and b and c`)
 * are one level, so this bounds nesting, not the number of terms.
 */
export const maxFilterDepth = 16;

/**
 * Parses a filter (RFC 7644 §3.4.2.2) after the vendor quirks are normalised; string values are
 * decoded as JSON strings (literals.ts). Never throws: every failure is `invalidFilter`
 * (RFC 7644 §3.12) with a detail naming the problem.
 */
export function parseFilter(text: string): Result<FilterAst, 'invalidFilter'> {
  if (text.trim() === '') return fail('invalidFilter', 'The filter is empty');
  if (text.length > maxFilterLength) {
    return fail('invalidFilter', `The filter is longer than ${maxFilterLength} characters (maxFilterLength)`);
  }
  const tokens = lex(text);
  const unterminated = tokens.find((t) => t.kind === 'unterminated');
  if (unterminated) {
    return fail('invalidFilter', `Unterminated string starting at position ${unterminated.at + 1}: ${unterminated.text}`);
  }
  const values = placeholders(normalizeTokens(tokens));
  if (!values.ok) return values;
  const { literals } = values.value;
  let ast: FilterAst;
  try {
    ast = restoreLiterals(parse(values.value.text), literals);
  } catch (error) {
    return fail('invalidFilter', `Invalid filter '${text}': ${restoreText(describe(error), literals)}`);
  }
  if (depthOf(ast) > maxFilterDepth) {
    return fail('invalidFilter', `The filter nests and/or/not/[...] deeper than ${maxFilterDepth} levels (maxFilterDepth)`);
  }
  return ok(ast);
}

/** Nesting of logical and value-path nodes; a comparison is depth 0. */
function depthOf(node: FilterAst): number {
  switch (node.op) {
    case 'and':
    case 'or':
      return 1 + Math.max(...node.filters.map(depthOf));
    case 'not':
      return 1 + depthOf(node.filter);
    case '[]':
      return 1 + depthOf(node.valFilter);
    default:
      return 0;
  }
}

/** scim2-parse-filter's messages, made readable ("unexpected EOT a,[b]" names the stray token). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('unexpected EOT')) {
    const stray = message.split(',').find((t) => t.length > 2 && t.startsWith('[') && t.endsWith(']'));
    return stray ? `unexpected '${stray.slice(1, -1)}' after a complete expression` : 'unexpected text after a complete expression';
  }
  const operator = /^Unexpected token (\S+) (\S+) as valFilter operator$/.exec(message);
  if (operator) return `'${operator[2]}' after '${operator[1]}' is not an operator (eq ne co sw ew gt ge lt le pr)`;
  const value = /^\[(.*)\((\w+)\)\] is not json$/.exec(message);
  if (value) {
    return value[1] === ''
      ? 'a comparison operator needs a value'
      : `'${value[1]}' is not a value (a quoted string, number, true, false or null)`;
  }
  if (message === 'Unexpected token  (EOT)') return 'the filter ends where an expression was expected';
  const missing = /^Unexpected token \[?(.*?)(?:\((\w+)\)\])? expected '([)\]])'$/.exec(message);
  if (missing) return missing[1] === '' ? `missing '${missing[3]}'` : `'${missing[1]}' where '${missing[3]}' was expected`;
  return message;
}
