/**
 * The drainer's stop (src/store/spool/stop-signal.ts): a race settles with its work or with the
 * stop, and once its work settles nothing of it stays reachable from the signal, however long the
 * signal lives. The control case shows the check can fail: racing a long-lived promise the plain
 * way keeps what each race's closures held.
 */
import { describe, expect, it } from 'vitest';
import { STOPPED, StopSignal } from '../../src/store/spool/stop-signal.ts';
import { fullGc } from '../helpers/gc.ts';

/**
 * Races work against a stop that outlives it, the way the drainer raced each chunk of records, and
 * reports whether the chunk is still reachable afterwards. The closures are written in the chunk's
 * scope, so they share its context, as the drainer's did.
 */
async function heldAfterRace(how: 'signal' | 'plain'): Promise<boolean> {
  const signal = new StopSignal();
  const stopped = new Promise<symbol>(() => undefined);
  let ref: WeakRef<number[]> | undefined;
  await (async () => {
    const chunk = Array.from({ length: 10_000 }, (_, i) => i);
    ref = new WeakRef(chunk);
    const work = new Promise<number>((resolve) => setImmediate(() => resolve(chunk.length)));
    const got =
      how === 'signal' ? await signal.race(work) : await Promise.race([work, stopped.then(() => chunk.length)]);
    if (got !== chunk.length) throw new Error(`the race gave ${String(got)}`);
  })();
  await fullGc();
  expect(signal.waiting).toBe(0);
  return ref!.deref() !== undefined;
}

describe('StopSignal', () => {
  it("gives the work's value, or its rejection, while not stopped", async () => {
    const signal = new StopSignal();
    expect(await signal.race(Promise.resolve(7))).toBe(7);
    await expect(signal.race(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(signal.waiting).toBe(0);
    expect(signal.stopped).toBe(false);
  });

  it('settles a waiting race with STOPPED at the stop, and every later race at once', async () => {
    const signal = new StopSignal();
    const never = new Promise<number>(() => undefined);
    const waiting = signal.race(never);
    expect(signal.waiting).toBe(1);
    signal.stop();
    expect(await waiting).toBe(STOPPED);
    expect(await signal.race(Promise.resolve(1))).toBe(STOPPED);
    expect(signal.waiting).toBe(0);
    expect(signal.stopped).toBe(true);
  });

  it('keeps nothing of a race once its work settled', async () => {
    expect(await heldAfterRace('signal')).toBe(false);
  });

  it('control: Promise.race against one long-lived promise keeps each race’s closures', async () => {
    expect(await heldAfterRace('plain')).toBe(true);
  });
});
