/** The outcome of parsing untrusted input: a value, or a machine-readable code and a human detail. */
export type Result<T, C extends string = string> =
  | { ok: true; value: T }
  | { ok: false; code: C; detail: string };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<C extends string>(code: C, detail: string): { ok: false; code: C; detail: string } {
  return { ok: false, code, detail };
}
