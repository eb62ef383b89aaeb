/**
 * The lifecycle every long-running part of the hub shares (docs/architecture.md, "Lifecycle"): a
 * component is constructed idle (its constructor only assigns), `start()` does the work (opens
 * files, binds ports, starts timers), `stop()` undoes it. The hub (src/hub.ts) keeps one ordered
 * list: it starts the components in that order and stops, in one loop, those it began to start,
 * in reverse. A root file: every stage may implement it, none imports another through it.
 */

/** What `stop()` is given: the time by which writes in flight are given up (epoch ms). */
export interface StopContext {
  /** Half the shutdown budget from the start of the stop; past it, a component cuts off what is left. */
  readonly deadline: number;
}

/** A part of the hub with a start and a stop. */
export interface Component {
  /** For logs: what failed to start or stop. */
  readonly name: string;
  /** Do the work the constructor did not. A failure aborts the start; `stop()` is still called. */
  start(): Promise<unknown> | void;
  /**
   * Undo `start()`, also after a start that failed half-way or never ran to its end; safe to call
   * twice. Does not throw for what it can log instead.
   */
  stop(ctx: StopContext): Promise<void> | void;
}

/** True when `p` settles before `deadline` (epoch ms); its outcome is not needed. */
export async function settlesBy(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>(
    (resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))),
  );
  const settled = p.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
