/**
 * Text PostgreSQL cannot store: `text` and `jsonb` refuse U+0000 outright (the driver's
 * error was a 500), and a lone UTF-16 surrogate (JSON allows `"\ud800"`) is no Unicode
 * character at all: jsonb refuses it, and a text column silently got U+FFFD instead.
 * Found by walking a parsed body or query string once, before any handler runs, so a
 * refusal names where the character is and nothing is half-written.
 */
export interface TextProblem {
  /** Keys and indexes from the root to the string (the last one is the bad name itself when `inName`). */
  path: string[];
  /** The character is in an object key, not in a value. */
  inName: boolean;
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
 * keys are looked at before its values. Iterative, so a body's depth cannot exhaust the
 * stack (json-depth bounds it anyway).
 */
export function findTextProblem(value: unknown): TextProblem | undefined {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      const reason = unstorableReason(current);
      if (reason) return { path, inName: false, reason };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const entries = Object.entries(current);
    for (const [key] of entries) {
      const reason = Array.isArray(current) ? undefined : unstorableReason(key);
      if (reason) return { path: [...path, key], inName: true, reason: `its name ${reason}` };
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (child !== null && (typeof child === 'string' || typeof child === 'object')) stack.push({ value: child, path: [...path, key] });
    }
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
