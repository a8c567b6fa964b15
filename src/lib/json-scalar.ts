/**
 * body-parser's strict JSON mode refuses a body that does not start with `{` or `[` as a parse
 * failure, with JSON.parse's message for a mangled copy ("Unexpected token 'n', "null" is not
 * valid JSON"): a client that sent the valid JSON `null`, `42`, `"x"` or `true` was told its
 * JSON was broken. The error keeps the raw text as `body`; this says what it holds, when it is
 * JSON, so the error mappers can answer "must be a JSON object, got null" as they answer an array.
 */
export function jsonScalarKind(error: unknown): string | undefined {
  const { type, body } = (error ?? {}) as { type?: unknown; body?: unknown };
  if (type !== 'entity.parse.failed' || typeof body !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null) return 'null';
  if (typeof value === 'object') return undefined;
  return `a ${typeof value}`;
}
