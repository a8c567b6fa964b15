// Developer tool: diff the entities against the committed snapshot and write the next migration.
// Usage: npm run migration:create -- <name>   (runs on a throwaway in-memory PGlite)
import { openStore } from '../src/db/orm.ts';

const name = process.argv[2];
const store = await openStore({ dataDir: '', inMemory: true });
try {
  await store.orm.migrator.up();
  const initial = (await store.orm.migrator.getExecuted()).length === 0;
  const result = initial
    ? await store.orm.migrator.create(undefined, false, true, name)
    : await store.orm.migrator.create(undefined, false, false, name);
  if (!result.fileName) process.stdout.write('No changes: the entities match the migrations.\n');
  else process.stdout.write(`Wrote migrations/${result.fileName}\n${result.diff.up.join('\n')}\n`);
} finally {
  await store.close();
}
