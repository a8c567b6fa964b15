import { loadConfig } from './config.ts';
import { runServe } from './serve.ts';

// `npm start`: configuration from config/ and the environment, then serve until SIGTERM.
await runServe(() => loadConfig());
