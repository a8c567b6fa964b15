import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { errorCodes } from '../../src/http/error-codes.ts';

const SRC = join(import.meta.dirname, '../../src');

/**
 * The ways code under src/ names an error code of the `{error: {code, …}}` body:
 * a DomainError subclass (`readonly code = 'x'`), an HttpError
 * (`new HttpError(status, 'x', …)`), or a body written by hand or by mapError
 * (`code: 'x', message`). SCIM answers RFC 7644 errors (scimType), not these.
 */
const PATTERNS = [/readonly code = '([a-z_]+)'/g, /new HttpError\(\s*\d{3},\s*'([a-z_]+)'/g, /\bcode:\s*'([a-z_]+)',\s*message\b/g];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return relative(SRC, path) === 'scim' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !path.endsWith('error-codes.ts') ? [path] : [];
  });
}

function emittedCodes(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of PATTERNS) {
      for (const match of text.matchAll(pattern)) found.set(match[1]!, relative(SRC, file));
    }
  }
  return found;
}

describe('error code catalogue', () => {
  const catalogued = new Set<string>(errorCodes.map((e) => e.code));

  it('lists every error code the code base can emit', () => {
    const emitted = emittedCodes();
    assert.ok(emitted.size >= 10, 'the scan finds the codes (patterns still match the code base)');
    const missing = [...emitted].filter(([code]) => !catalogued.has(code)).map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(missing, [], 'add these to src/http/error-codes.ts with a description');
  });

  it('lists no code that nothing emits', () => {
    const emitted = emittedCodes();
    assert.deepEqual(errorCodes.filter((e) => !emitted.has(e.code)).map((e) => e.code), []);
  });

  it('lists each code once, with an error status and a description', () => {
    assert.equal(catalogued.size, errorCodes.length);
    for (const entry of errorCodes) {
      assert.match(entry.code, /^[a-z]+(_[a-z]+)*$/, entry.code);
      assert.ok(entry.status >= 400 && entry.status < 600, entry.code);
      assert.ok(entry.description.length > 10, entry.code);
    }
  });

  it('is the table in the README', () => {
    const readme = readFileSync(join(SRC, '../README.md'), 'utf8');
    for (const entry of errorCodes) assert.match(readme, new RegExp(`\\| \`${entry.code}\` \\| ${entry.status} \\|`), `README lists ${entry.code}`);
  });
});
