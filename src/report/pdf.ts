/**
 * The PDF of a report (docs/contract.md §5): the kept HTML printed to A4 by headless Chromium run
 * as a child process (`chromium --headless --print-to-pdf`), so the hub needs no browser library
 * at run time (docs/dependencies.md). Chromium prints on Letter unless the page says otherwise, so
 * the page printed is the report's HTML with an `@page` rule added in its `<head>` when it has none
 * (the kept HTML stays as rendered).
 */
import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeAtomic } from './files.ts';

/** Added to a report without its own `@page` rule: A4, and no table row or section cut in two. */
export const PRINT_CSS =
  '<style media="print">@page{size:A4;margin:14mm}section,figure,table,tr,svg{break-inside:avoid}</style>';

/** What {@link printPdf} needs. */
export interface PrintOptions {
  /** The Chromium binary. */
  chromium: string;
  /** The report's HTML file. */
  html: string;
  /** Where the PDF goes (written atomically). */
  pdf: string;
  /** Chromium is killed after this long (ms). */
  timeoutMs: number;
  /** Aborting kills Chromium (the hub stopping). */
  signal?: AbortSignal;
}

/** Whether `chromium` exists and may be run. */
export async function chromiumUsable(chromium: string): Promise<boolean> {
  return access(chromium, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Prints `html` to `pdf`; rejects with what Chromium said when it printed nothing. */
export async function printPdf(o: PrintOptions): Promise<void> {
  if (!(await chromiumUsable(o.chromium))) throw new Error(`no Chromium to run at ${o.chromium} (report.chromium)`);
  // A profile of its own: Chromium refuses a second browser on one profile, and reports may be
  // printed while another Chromium runs.
  const work = await mkdtemp(join(tmpdir(), 'hub-pdf-'));
  try {
    const page = join(work, 'report.html');
    const out = join(work, 'report.pdf');
    const text = await readFile(o.html, 'utf8');
    await writeFile(page, /@page\b/.test(text) ? text : text.replace(/<\/head>/i, `${PRINT_CSS}</head>`));
    await run(
      o.chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--no-pdf-header-footer',
        `--user-data-dir=${join(work, 'profile')}`,
        `--print-to-pdf=${out}`,
        pathToFileURL(page).href,
      ],
      o.timeoutMs,
      o.signal,
      work,
    );
    const pdf = await readFile(out).catch(() => undefined);
    if (!pdf || pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('Chromium exited without a PDF');
    await writeAtomic(o.pdf, pdf);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Runs the command in a process group of its own (Chromium starts helpers), killed as a whole on
 * timeout or abort, with `tmp` as its TMPDIR.
 */
function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
  tmp: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('the hub is stopping'));
    // Its temporary folders (org.chromium.Chromium.*) go into the work folder, removed after it.
    const env = { ...process.env, TMPDIR: tmp };
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString();
    });
    let failure: Error | undefined;
    const kill = (why: Error): void => {
      failure ??= why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => kill(new Error('the hub is stopping'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => kill(new Error(`Chromium did not print within ${timeoutMs} ms (report.pdfTimeout)`)),
      timeoutMs,
    );
    const done = (err?: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    child.on('error', (err) => done(err));
    // After the whole group exited (its pipes closed): the profile folder can then be removed.
    child.on('close', (code, sig) =>
      done(
        failure ??
          (code === 0 ? undefined : new Error(`Chromium exited with ${code ?? sig}: ${stderr.trim().slice(-500)}`)),
      ),
    );
  });
}
