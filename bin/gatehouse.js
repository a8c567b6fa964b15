#!/usr/bin/env node
// The `gatehouse` command (package.json "bin"). The source runs with Node's own type stripping,
// from the compile cache after the first run (compile-cache.js).
import './compile-cache.js';

await import('../src/cli.ts');
