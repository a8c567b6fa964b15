/**
 * Figures for docs/reliability.md: printed with RELIABILITY_REPORT=1, silent
 * otherwise. Tests never assert on them (the machine's load decides times).
 */
export function report(name: string, figures: Record<string, unknown>): void {
  if (process.env.RELIABILITY_REPORT) process.stdout.write(`      [figures] ${name} ${JSON.stringify(figures)}\n`);
}
