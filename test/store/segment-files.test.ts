/**
 * writevAll (src/store/spool/segment-files.ts): a group commit's frames reach the file whole and in
 * order, past the writev(2) limit of 1,024 buffers per call, with empty parts among them.
 */
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writevAll } from '../../src/store/spool/segment-files.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('writevAll', () => {
  it('writes every part in order, across more parts than one writev takes, empty ones included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-writev-'));
    dirs.push(dir);
    const parts = Array.from({ length: 2500 }, (_, i) =>
      i % 7 === 3 ? Buffer.alloc(0) : Buffer.from(`part ${i};`.repeat(1 + (i % 5))),
    );
    const handle = await open(join(dir, 'f'), 'w');
    try {
      await writevAll(handle, [Buffer.from('head|')]);
      await writevAll(handle, parts);
      await writevAll(handle, []);
    } finally {
      await handle.close();
    }
    expect((await readFile(join(dir, 'f'))).equals(Buffer.concat([Buffer.from('head|'), ...parts]))).toBe(true);
  });
});
