/**
 * printPdf's refusals (src/report/pdf.ts): no Chromium, a Chromium that prints nothing, one that
 * hangs past the timeout or is aborted by the hub's stop. The stand-ins are shell scripts (unit
 * tests); the real Chromium prints in test/report/auto.test.ts.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printPdf } from '../../src/report/index.ts';
import { testDir } from '../helpers/tmp.ts';

async function setUp(script?: string): Promise<{ dir: string; chromium: string; html: string; pdf: string }> {
  const dir = testDir('hub-pdf-test-');
  const chromium = join(dir, 'chromium');
  if (script !== undefined) {
    await writeFile(chromium, `#!/bin/sh\n${script}\n`);
    await chmod(chromium, 0o755);
  }
  const html = join(dir, 'r.html');
  await writeFile(html, '<!doctype html><html><head><title>r</title></head><body>r</body></html>');
  return { dir, chromium, html, pdf: join(dir, 'r.pdf') };
}

describe('printPdf refuses clearly', () => {
  it('when there is no Chromium at report.chromium', async () => {
    const o = await setUp();
    await expect(printPdf({ ...o, timeoutMs: 10_000 })).rejects.toThrow(/no Chromium to run at .*report\.chromium/);
  });

  it('when Chromium fails or exits without a PDF', async () => {
    const failing = await setUp('echo "cannot open display" >&2; exit 3');
    await expect(printPdf({ ...failing, timeoutMs: 10_000 })).rejects.toThrow(/exited with 3: cannot open display/);
    const silent = await setUp('exit 0');
    await expect(printPdf({ ...silent, timeoutMs: 10_000 })).rejects.toThrow(/without a PDF/);
  });

  it('when Chromium hangs past the timeout, or the hub stops: it is killed', async () => {
    const o = await setUp('sleep 600');
    await expect(printPdf({ ...o, timeoutMs: 200 })).rejects.toThrow(/did not print within 200 ms/);
    const ac = new AbortController();
    const printing = printPdf({ ...o, timeoutMs: 600_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(printing).rejects.toThrow(/the hub is stopping/);
  });
});
