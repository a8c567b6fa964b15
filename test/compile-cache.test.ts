import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, runNode } from './support/cli.ts';

/**
 * Files in the compile cache the preload enabled: without NODE_COMPILE_CACHE (which
 * alone would enable Node's cache) it lives in the OS temp directory, here TMPDIR.
 */
function cached(tmp: string): number {
  const dir = path.join(tmp, 'node-compile-cache');
  return existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0;
}

describe('compile cache (bin/compile-cache.js)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-compile-cache-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('npm start preloads it, and a start that stops early leaves its modules in the cache', async () => {
    const start = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const [node, ...rest] = start.split(/\s+/);
    assert.equal(node, 'node');
    assert.ok(rest.includes('--import=./bin/compile-cache.js'), start);
    const script = rest.pop()!;
    // The flags as npm start passes them, the script last; an unreachable database stops the start after loading.
    const res = await runNode(rest[0]!, [...rest.slice(1), script], {
      TMPDIR: dir, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', PORT: '0', LOG_LEVEL: 'silent',
    });
    assert.equal(res.code, 1, res.stderr);
    assert.ok(cached(dir) > 100, `${cached(dir)} files cached`);
  });

  it('the gatehouse command fills it and runs from it the second time', async () => {
    const first = await runNode('bin/gatehouse.js', ['--help'], { TMPDIR: dir });
    assert.equal(first.code, 0, first.stderr);
    const files = cached(dir);
    assert.ok(files > 100, `${files} files cached`);
    const second = await runNode('bin/gatehouse.js', ['--help'], { TMPDIR: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
    assert.equal(cached(dir), files);
  });

  it('NODE_DISABLE_COMPILE_CACHE turns it off', async () => {
    const res = await runNode('bin/gatehouse.js', ['--help'], { TMPDIR: dir, NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(cached(dir), 0);
  });
});
