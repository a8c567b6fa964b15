#!/usr/bin/env node
// The `gatehouse` command (package.json "bin"). The source runs with Node's own type stripping.
await import('../src/cli.ts');
