// Preloaded by `npm start` (`--import=./bin/compile-cache.js`) and by the `gatehouse` command.
// Node's compile cache keeps each module's type-stripped source and V8 code cache on disk
// (NODE_COMPILE_CACHE, or node-compile-cache in the OS temp directory), keyed by content, so
// every start after the first neither loads Node's TypeScript stripper (~25 MB of resident
// memory for the life of the process) nor compiles again. An unwritable directory only
// disables it; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import module from 'node:module';

module.enableCompileCache?.();
