import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { repoRoot } from './support/cli.ts';

/** Every .ts and .js file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.(ts|js)$/.test(entry.name) ? [full] : [];
  });
}

/** The packages a file loads at run time: value imports, re-exports and dynamic imports; `import type` is erased. */
function runtimePackages(text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^;'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]!);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('packaging', () => {
  it('loads at run time only packages package.json lists in dependencies (the image installs with --omit=dev; a hoisted transitive one may move)', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const undeclared = new Set<string>();
    for (const file of [...sources(path.join(repoRoot, 'src')), ...sources(path.join(repoRoot, 'bin'))]) {
      for (const name of runtimePackages(readFileSync(file, 'utf8'))) {
        if (!(name in pkg.dependencies)) undeclared.add(`${name} (${path.relative(repoRoot, file)})`);
      }
    }
    assert.deepEqual([...undeclared], []);
  });

  it('pins the production dependencies in package-lock.json as package.json lists them', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dependencies?: Record<string, string>; version?: string }> };
    assert.deepEqual(lock.packages['']!.dependencies, pkg.dependencies);
  });
});
