// CI step (issue 9): the production dependency tree must have no high or critical advisory.
// Runs `npm audit --omit=dev --json` and fails on high/critical findings. When the registry
// cannot answer an audit (offline, a mirror without the advisory endpoint), it says so loudly
// and passes: an unreachable audit service must not block every change, a finding must.
import { spawnSync } from 'node:child_process';

interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity: string; via: unknown[]; fixAvailable: unknown }>;
  error?: { summary?: string; detail?: string };
  message?: string;
}

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
let report: AuditReport | undefined;
try {
  report = JSON.parse(run.stdout) as AuditReport;
} catch {
  report = undefined;
}

const counts = report?.metadata?.vulnerabilities;
if (!counts) {
  const reason = report?.message ?? report?.error?.summary ?? (run.stderr.trim().split('\n').at(-1) || `npm exited ${run.status}`);
  console.log(`npm audit: SKIPPED — the registry did not return an audit report (${reason}). Run \`npm audit --omit=dev\` where the registry is reachable.`);
  process.exit(0);
}

const serious = Object.entries(report?.vulnerabilities ?? {}).filter(([, v]) => v.severity === 'high' || v.severity === 'critical');
console.log(`npm audit (production dependencies): ${Object.entries(counts).map(([level, n]) => `${n} ${level}`).join(', ')}`);
for (const [name, v] of serious) console.log(`  ${v.severity}: ${name}${v.fixAvailable ? ' (fix available: npm audit fix)' : ''}`);
process.exit(serious.length > 0 ? 1 : 0);
