/**
 * The run's temporary root: every temporary file or folder of a test run lives under ONE folder,
 * `<OS temp dir>/community-hub-test-<pid>-XXXXXX`, created by the global setup and removed at its
 * teardown. The setup points `TMPDIR` at it before the test workers start, so `os.tmpdir()` in the
 * tests, and in everything they spawn (the CLIs and their tsx compile cache `tsx-<uid>`,
 * scripts/influxdb.sh, mosquitto clients, chromium), is that folder. At teardown the root must hold
 * nothing but the caches listed in {@link EXPECTED}: a test that leaks fails the run, named.
 *
 * New entries in the OS temp directory itself with the names the suite's files and tools use are
 * reported too, but by name alone they cannot be told from those of another test run on the same
 * machine at the same time (another checkout, an older branch): they fail the run only when
 * COMMUNITY_HUB_TEST_TMP_STRICT=1 (a machine of its own, CI), else they are printed as a warning.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the root may hold at the end: caches of tools the tests run, not test files. */
const EXPECTED: readonly RegExp[] = [
  // tsx's compile cache of the spawned CLI processes (bin/*.js register tsx), keyed by user id.
  /^tsx-\w+$/,
];

/**
 * Names the suite and what it runs would give an entry of the OS temp directory, were it to ignore
 * TMPDIR. Only these are compared: other programs on the machine create entries there meanwhile.
 */
const SUITE_NAMES = /^(hub-|sim-|community-|model-folder-|tsx-|broker-|dash-|playwright|\.org\.chromium\.)/;

/** What a run left behind. */
export interface Leftovers {
  /** Entries of the run's root beyond the expected caches (full paths): the run's own, surely. */
  inRoot: string[];
  /** New entries of the OS temp directory with a name of the suite's (full paths): maybe another run's. */
  outside: string[];
}

/** The per-run root; {@link TempRoot.finish} checks and removes it. */
export interface TempRoot {
  readonly dir: string;
  /** Restores TMPDIR, lists what was left, and removes the root. */
  finish(): Leftovers;
}

/** Creates the root and points TMPDIR (this process and every worker started after) at it. */
export function createTempRoot(): TempRoot {
  const os = tmpdir();
  const before = new Set(readdirSync(os));
  const dir = mkdtempSync(join(os, `community-hub-test-${process.pid}-`));
  const previous = process.env['TMPDIR'];
  process.env['TMPDIR'] = dir;
  return {
    dir,
    finish() {
      if (previous === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = previous;
      const inRoot = readdirSync(dir).filter((name) => !EXPECTED.some((re) => re.test(name)));
      rmSync(dir, { recursive: true, force: true });
      // Other runs' roots (another checkout testing at the same time) are theirs, not leaks.
      const outside = readdirSync(os).filter(
        (name) => !before.has(name) && SUITE_NAMES.test(name) && !name.startsWith('community-hub-test-'),
      );
      return { inRoot: inRoot.map((name) => join(dir, name)), outside: outside.map((name) => join(os, name)) };
    },
  };
}
