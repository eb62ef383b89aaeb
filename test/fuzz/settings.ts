/**
 * Shared settings of the property-based fuzz tests (test/fuzz/*.test.ts, fast-check): a fixed seed
 * and a bounded number of runs in `npm test`, so a run is repeatable and short; `npm run fuzz` raises
 * the runs (FUZZ_RUNS) and may change the seed (FUZZ_SEED) to look further. A failure prints its
 * seed and counterexample; each one found is fixed and kept as a regression case (`examples`).
 */
import type { Parameters } from 'fast-check';
import { isHubError } from '../../src/errors.ts';

const runs = Number(process.env.FUZZ_RUNS ?? '');
const seed = Number(process.env.FUZZ_SEED ?? '');

/** fast-check parameters: the fixed seed and `base` runs (times FUZZ_RUNS / 100 when set). */
export function fuzz<T>(base: number, extra: Parameters<T> = {}): Parameters<T> {
  return {
    seed: Number.isInteger(seed) && process.env.FUZZ_SEED ? seed : 20_261_202,
    numRuns: Number.isFinite(runs) && runs > 0 ? Math.ceil((base * runs) / 100) : base,
    ...extra,
  };
}

/** Runs `f`; returns what it returned, or the HubError it threw. Any other throw fails the property. */
export function hubErrorOr<T>(f: () => T): T | { hubError: string } {
  try {
    return f();
  } catch (e) {
    if (isHubError(e)) return { hubError: e.code };
    throw new Error(`threw something other than a HubError: ${e instanceof Error ? e.stack : String(e)}`, {
      cause: e,
    });
  }
}

/** Async {@link hubErrorOr}. */
export async function hubErrorOrAsync<T>(f: () => Promise<T>): Promise<T | { hubError: string }> {
  try {
    return await f();
  } catch (e) {
    if (isHubError(e)) return { hubError: e.code };
    throw new Error(`threw something other than a HubError: ${e instanceof Error ? e.stack : String(e)}`, {
      cause: e,
    });
  }
}
