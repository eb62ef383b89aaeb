/**
 * Temporary folders of tests. They live under the run's temporary root (temp-root.ts: the global
 * setup points TMPDIR there), and the run fails at teardown if any is left behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A new folder `<prefix>XXXXXX`; call it inside a test: it is removed when that test finishes. */
export function testDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
