/**
 * The documentation holds together: every relative link of the Markdown files (README.md, docs/,
 * CHANGELOG.md, each folder's README.md) reaches a file that exists, and a `#fragment` into a
 * Markdown file names one of its headings; no file of the repository (tracked, or new and not
 * ignored) points outside it at the old contract; and docs/configuration.md lists every setting with
 * its environment variable.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSettings } from '../src/config/env.ts';
import { configSchema } from '../src/config/schema.ts';

const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  encoding: 'utf8',
})
  .split('\0')
  .filter(Boolean);
const markdown = tracked.filter((f) => f.endsWith('.md') && existsSync(f));

/** Markdown without code: fenced blocks and inline code spans hold examples, not links. */
function withoutCode(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The targets of inline links and images: `[text](target)` and `[text](target "title")`. */
function linkTargets(md: string): string[] {
  return [...withoutCode(md).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** GitHub's anchors of a Markdown file's headings (lower case, punctuation dropped, spaces → `-`). */
function headingAnchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of withoutHeadingCode(md).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Fenced blocks removed (a `# comment` in a shell block is no heading); inline code kept as its text. */
function withoutHeadingCode(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** What is wrong with `target` as a link of `file`, or undefined when it resolves. */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: … are not checked here
  const [path, fragment] = target.split('#', 2) as [string, string | undefined];
  const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
  if (resolved.startsWith('..')) return `${target}: leaves the repository`;
  if (!existsSync(resolved)) return `${target}: ${resolved} does not exist`;
  if (fragment !== undefined && resolved.endsWith('.md') && statSync(resolved).isFile()) {
    if (!headingAnchors(readFileSync(resolved, 'utf8')).has(fragment)) return `${target}: no heading #${fragment}`;
  }
  return undefined;
}

describe('documentation links', () => {
  it('finds the Markdown files', () => {
    for (const f of ['README.md', 'CHANGELOG.md', 'docs/contract.md', 'devices/README.md'])
      expect(markdown).toContain(f);
  });

  it.each(markdown)('every relative link of %s resolves', (file) => {
    const broken = linkTargets(readFileSync(file, 'utf8'))
      .map((t) => brokenLink(file, t))
      .filter(Boolean);
    expect(broken).toEqual([]);
  });

  it('finds links, anchors and broken ones where they are', () => {
    const md =
      '# Top: the `x` part\n## Top: the x part\n[a](b.md) `[c](d.md)` ![e](f.png "t")\n```\n[g](h)\n# no\n```\n';
    expect(linkTargets(md)).toEqual(['b.md', 'f.png']);
    expect([...headingAnchors(md)]).toEqual(['top-the-x-part', 'top-the-x-part-1']);
    expect(brokenLink('README.md', 'docs/contract.md#2-mqtt')).toBeUndefined();
    expect(brokenLink('docs/api.md', '../README.md')).toBeUndefined();
    expect(brokenLink('docs/api.md', 'contract.md#no-such-heading')).toMatch(/no heading/);
    expect(brokenLink('docs/api.md', 'missing.md')).toMatch(/does not exist/);
    expect(brokenLink('README.md', '../elsewhere.md')).toMatch(/leaves the repository/);
  });
});

describe('the contract is in the repository', () => {
  // Built from pieces, so this file does not name what it looks for.
  const needles = [['..', 'shared'].join('/'), ['shared', 'contract'].join('/')];

  it('no tracked file refers to the contract outside the repository', () => {
    const offenders = tracked.filter((f) => {
      if (!existsSync(f) || !statSync(f).isFile()) return false;
      const text = readFileSync(f).toString('latin1');
      return needles.some((n) => text.includes(n));
    });
    expect(offenders).toEqual([]);
  });
});

describe('docs/configuration.md', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');

  it.each(envSettings(configSchema).map((s) => [s.path.join('.'), s.env]))(
    'lists %s with its variable %s',
    (key, env) => {
      expect(doc).toMatch(new RegExp(`^\\| \`${key.replace(/\./g, '\\.')}\` \\| \`${env}\` \\| .+ \\|$`, 'm'));
    },
  );
});
