// scripts/influxdb.sh: private servers coexist, keep their data across restarts, and stop cleanly.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectInflux, ensureDatabase, InfluxPointWriter, ping, query } from '../../src/store/index.ts';
import { startInflux } from '../helpers/influx.ts';
import { binLevel } from './point-writer.contract.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/influxdb.sh', import.meta.url));
const run = promisify(execFile);

// Running, and not a zombie (where PID 1 does not reap orphans, an exited server stays one).
const alive = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('scripts/influxdb.sh', () => {
  it('runs two private servers side by side and restarts one on its data', async () => {
    const [a, b] = await Promise.all([startInflux(), startInflux()]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const conn = connectInflux({ url: a.url, database: 'kept' });
      await ensureDatabase(conn);
      const writer = new InfluxPointWriter(conn);
      await writer.write([binLevel('m', 1), binLevel('m', 2)]);
      await writer.close();

      const before = a.pid;
      await a.stop();
      expect(alive(before)).toBe(false);
      expect((await ping(connectInflux({ url: b.url }))).ok).toBe(true); // b is not affected

      await a.start();
      expect(a.pid).not.toBe(before);
      const rows = await query(conn, 'SELECT count(seq) FROM m');
      expect(rows[0]?.values['count']).toBe(2);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
    expect(alive(a.pid) || alive(b.pid)).toBe(false);
    expect(existsSync(a.dir) || existsSync(b.dir)).toBe(false);
  });

  it('starting again on a running directory reports the same server', async () => {
    const server = await startInflux();
    try {
      const env = { ...process.env, HUB_INFLUX_URL: '' };
      const { stdout } = await run('bash', [SCRIPT, 'start', '--dir', server.dir], { env });
      expect(stdout).toContain(`HUB_INFLUX_URL=${server.url}\n`);
      expect(stdout).toContain(`INFLUX_PID=${server.pid}\n`);
    } finally {
      await server.destroy();
    }
  });

  it('starts nothing when HUB_INFLUX_URL is set', async () => {
    const env = { ...process.env, HUB_INFLUX_URL: 'http://influx.example:8086' };
    const { stdout, stderr } = await run('bash', [SCRIPT, 'start'], { env });
    expect(stdout).toBe('HUB_INFLUX_URL=http://influx.example:8086\n');
    expect(stderr).toMatch(/starting nothing/);
  });

  it('refuses to remove a directory it did not make', async () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    await expect(run('bash', [SCRIPT, 'stop', '--dir', dir, '--clean'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/refusing to remove/),
    });
    expect(existsSync(dir)).toBe(true);
  });
});
