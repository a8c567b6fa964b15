import fc from 'fast-check';

/**
 * Shared settings of the property-based tests. Every property runs with a fixed seed, so a
 * failure reproduces: fast-check's error names the seed and the counterexample's path, and
 * `FUZZ_SEED=<n>` replays a run with another seed. `FUZZ_RUNS=<factor>` multiplies the run
 * counts for a longer local session; `FUZZ_REPORT=1` prints cases and time per property
 * (the figures in docs/reliability.md).
 */
const seedOverride = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const factor = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 1;

export function settings(seed: number, numRuns: number): { seed: number; numRuns: number } {
  return { seed: seedOverride ?? seed, numRuns: Math.max(1, Math.round(numRuns * factor)) };
}

/** fc.assert with fixed settings; prints the figures when FUZZ_REPORT is set, the seed on failure. */
export async function check<T>(name: string, property: fc.IProperty<T> | fc.IAsyncProperty<T>, seed: number, numRuns: number): Promise<void> {
  const options = settings(seed, numRuns);
  const started = performance.now();
  try {
    await fc.assert(property as fc.IAsyncProperty<T>, options);
  } catch (error) {
    console.error(`fuzz ${name}: failed with seed ${options.seed} (replay: FUZZ_SEED=${options.seed})`);
    throw error;
  }
  if (process.env.FUZZ_REPORT) {
    console.log(`fuzz ${name}: ${options.numRuns} cases in ${Math.round(performance.now() - started)} ms (seed ${options.seed})`);
  }
}

/** Random edits of a valid input: cut, insert, delete, duplicate or swap a slice. */
export function mutated(base: fc.Arbitrary<string>, alphabet: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.string({ unit: alphabet, maxLength: 12 }), fc.constantFrom('cut', 'insert', 'delete', 'duplicate', 'replace'));
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
    let out = text;
    for (const [at, length, insert, kind] of edits) {
      const i = out.length === 0 ? 0 : at % (out.length + 1);
      if (kind === 'cut') out = out.slice(0, i);
      else if (kind === 'insert') out = out.slice(0, i) + insert + out.slice(i);
      else if (kind === 'delete') out = out.slice(0, i) + out.slice(i + length);
      else if (kind === 'duplicate') out = out.slice(0, i + length) + out.slice(i, i + length) + out.slice(i + length);
      else out = out.slice(0, i) + insert + out.slice(i + insert.length);
    }
    return out;
  });
}
