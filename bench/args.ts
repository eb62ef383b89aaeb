/**
 * Arguments of `npm run bench [-- NAME… --OPTION [VALUE]…]` (docs/benchmarks.md): bench names are
 * the arguments without `--`; every `--option` is passed to each bench run, with the next
 * argument as its value unless that is another option or a bench name (`--cold-only auth`).
 * `--option=value` works too. Pure, so test/bench/args.test.ts checks it without running a bench.
 */

/** The options of one `npm run bench`, as each bench's `run()` receives them. */
export class BenchOptions {
  readonly #values: ReadonlyMap<string, string | true>;

  constructor(values: ReadonlyMap<string, string | true>) {
    this.#values = values;
  }

  /** Whether `--name` was given (with or without a value). */
  flag(name: string): boolean {
    return this.#values.has(name);
  }

  /** The value of `--name VALUE`; undefined when absent or given without a value. */
  string(name: string): string | undefined {
    const v = this.#values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** `--name N` as a number at least `min`, else `fallback`; a bad value throws (a typo must not pass silently). */
  number(name: string, fallback: number, min = 1): number {
    if (!this.#values.has(name)) return fallback;
    const raw = this.string(name);
    const n = Number(raw);
    if (raw === undefined || !Number.isFinite(n) || n < min) throw new Error(`--${name} needs a number ≥ ${min}`);
    return n;
  }
}

/** Splits `args` into bench names and options; `known` are the bench names there are. */
export function parseBenchArgs(
  args: readonly string[],
  known: readonly string[],
): { names: string[]; options: BenchOptions } {
  const names: string[] = [];
  const values = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      names.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 2) {
      values.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('--') && !known.includes(next)) {
      values.set(arg.slice(2), next);
      i++;
    } else values.set(arg.slice(2), true);
  }
  return { names, options: new BenchOptions(values) };
}
