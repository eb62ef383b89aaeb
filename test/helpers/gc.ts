/**
 * A full garbage collection on demand, for tests that check what is no longer kept. Node starts
 * without `--expose-gc`; the flag set at run time takes effect for code compiled afterwards, which
 * is how `vm` gets a `gc` function (the V8 flag is documented in `node --v8-options`).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Collects garbage once the current job is over: a WeakRef dereferenced in a job keeps its target
 * until the job ends (ECMA-262 AddToKeptObjects), so the collection waits for a macrotask.
 */
export async function fullGc(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    collect();
  }
}
