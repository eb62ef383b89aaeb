/**
 * `--write-doc`: a bench rewrites its own block of docs/benchmarks.md, between
 * `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->`, so the figures there are always a
 * whole run's output and can be regenerated (docs/benchmarks.md, "Regenerating the figures").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

/** `text` with the block of `name` replaced by `body`; throws when the markers are missing. */
export function replaceBlock(text: string, name: string, body: string): string {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/benchmarks.md has no ${begin} … ${end} block`);
  return `${text.slice(0, i + begin.length)}\n${body.trim()}\n${text.slice(j)}`;
}

/** Rewrites the block of `name` in docs/benchmarks.md. */
export function writeDocBlock(name: string, body: string): void {
  writeFileSync(DOC, replaceBlock(readFileSync(DOC, 'utf8'), name, body));
}
