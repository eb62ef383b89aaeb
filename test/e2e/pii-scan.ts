/**
 * A scanner for personal data and credentials in what the hub shows or keeps (docs/contract.md §3:
 * household ids are pseudonymised before they are stored; gateway secrets are kept hashed).
 *
 * It looks for each needle case-insensitively (a card may send a household id in lower case) and
 * also inside every base64 run of the text, decoded: the spool keeps payloads as base64, so a plain
 * search of its files would miss a raw id and the scan would pass for the wrong reason.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One thing that must not appear, with what it is (named in a finding, never the value itself). */
export interface Needle {
  kind: string;
  value: string;
}

/** A needle found in a place. */
export interface Finding {
  where: string;
  kind: string;
  value: string;
}

/** Runs of base64 long enough to hold an id (shorter runs are words and hex digests). */
const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;

/** The text and, appended, the decoding of each base64 run in it (at the run's 4 possible alignments). */
export function expand(text: string): string {
  const decoded: string[] = [text];
  for (const m of text.matchAll(BASE64_RUN)) {
    for (let skip = 0; skip < 4; skip++) {
      const run = m[0].slice(skip);
      decoded.push(Buffer.from(run.slice(0, run.length - (run.length % 4)), 'base64').toString('utf8'));
    }
  }
  return decoded.join('\n');
}

/** The needles found in `text` (one place named `where`). */
export function scanText(where: string, text: string, needles: readonly Needle[]): Finding[] {
  const hay = expand(text).normalize('NFKC').toLowerCase();
  return needles
    .filter((n) => hay.includes(n.value.normalize('NFKC').toLowerCase()))
    .map((n) => ({ where, kind: n.kind, value: n.value }));
}

/** Every regular file under `dir`, recursively, as [path, contents] (none when `dir` is absent). */
export async function filesUnder(dir: string): Promise<[string, Buffer][]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  const out: [string, Buffer][] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.push([path, await readFile(path)]);
  }
  return out;
}

/** The needles found in the files under `dir`, each file read as UTF-8. */
export async function scanFiles(dir: string, needles: readonly Needle[]): Promise<Finding[]> {
  const found: Finding[] = [];
  for (const [path, data] of await filesUnder(dir)) found.push(...scanText(path, data.toString('utf8'), needles));
  return found;
}
