import { runScim } from './scim.ts';
import { runCsvExport } from './csv-export.ts';
import { runCsvImport } from './csv-import.ts';
import { runCsvInvite } from './csv-invite.ts';
import { runWebhooks } from './webhooks.ts';
import { runSoak } from './soak.ts';

/**
 * `npm run bench [-- <suite>]`: every benchmark suite, or the one named.
 * Exit code 1 when a suite misses a target or gives wrong answers; 2 on a bad argument.
 * `soak` (issue 9's load soak, ~10 min) and `csv-invite` (imports with invitations) run only when named; it reads `--name=value`
 * options (`npm run bench -- soak --minutes=1`), which are not suite names.
 */

const suites: Record<string, () => Promise<boolean>> = { scim: runScim, 'csv-export': runCsvExport, 'csv-import': runCsvImport, 'csv-invite': runCsvInvite, webhooks: runWebhooks, soak: runSoak };

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length) {
  console.error(`bench: unknown suite ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
let ok = true;
for (const name of wanted.length ? wanted : Object.keys(suites).filter((name) => name !== 'soak' && name !== 'csv-invite')) {
  console.log(`bench: ${name}`);
  ok = (await suites[name]!()) && ok;
}
process.exit(ok ? 0 : 1);
