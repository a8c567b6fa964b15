/**
 * Text PostgreSQL cannot store: `text` and `jsonb` refuse U+0000 outright (the driver's
 * error was a 500), and a lone UTF-16 surrogate (JSON allows `"\ud800"`) is no Unicode
 * character at all: jsonb refuses it, and a text column silently got U+FFFD instead.
 * Found by walking a parsed body or query string once, before any handler runs, so a
 * refusal names where the character is and nothing is half-written.
 */
export interface TextProblem {
  /** Keys and indexes from the root to the string (the last one is the bad name itself when the name is at fault). */
  path: string[];
  /** The end of a sentence naming the field: "title: must not…", "ti\u0000tle: its name must not…". */
  reason: string;
}

/** Why `text` cannot be stored, as the end of a sentence naming it ("title: must not…"), if it cannot. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!text.isWellFormed()) return 'must be valid Unicode text (it holds a lone UTF-16 surrogate)';
  return undefined;
}

/**
 * A string (or object key) in `value` that cannot be stored as text, if any: an object's
 * keys are looked at before its values. Every request body and query string goes through
 * here, so the path is built only for the one found, on the way back out. Recursive: the
 * depth is bounded before this runs (json-depth for bodies, the query parser's own limit).
 */
export function findTextProblem(value: unknown): TextProblem | undefined {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason ? { path: [], reason } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findTextProblem(value[i]);
      if (found) return { ...found, path: [String(i), ...found.path] };
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const reason = unstorableReason(key);
    if (reason) return { path: [key], reason: `its name ${reason}` };
  }
  for (const key in record) {
    const found = findTextProblem(record[key]);
    if (found) return { ...found, path: [key, ...found.path] };
  }
  return undefined;
}

/** A path for a message: dot-joined, with the offending characters spelled as `\uXXXX`. */
export function printablePath(path: readonly string[]): string {
  return path.map(printable).join('.');
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function printable(part: string): string {
  const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return part.replaceAll('\u0000', escape).replace(LONE_SURROGATE, escape);
}
