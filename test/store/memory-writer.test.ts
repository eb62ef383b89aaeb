import { describe, expect, it } from 'vitest';
import { HubError } from '../../src/errors.ts';
import { MemoryPointWriter } from '../../src/store/index.ts';
import { binLevel, describeWriterContract } from './point-writer.contract.ts';

// One backing writer per case would do too; a shared one shows measurements stay apart.
let current = new MemoryPointWriter();

describeWriterContract('MemoryPointWriter', {
  create() {
    current = new MemoryPointWriter();
    return current;
  },
  createStalled(tuning) {
    const writer = new MemoryPointWriter({ maxQueuedPoints: tuning.maxQueuedPoints });
    writer.pause();
    return writer;
  },
  async readBack(measurement) {
    return current.points.filter((p) => p.measurement === measurement);
  },
});

describe('MemoryPointWriter staging', () => {
  it('holds writes while paused and stores them on resume', async () => {
    const writer = new MemoryPointWriter();
    writer.pause();
    let done = false;
    const pending = writer.write([binLevel('m', 1)]).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    expect(writer.stats().queuedPoints).toBe(1);
    writer.resume();
    await pending;
    expect(writer.points).toHaveLength(1);
  });

  it('fails writes with the staged error until healed', async () => {
    const writer = new MemoryPointWriter();
    writer.failWith(new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'staged outage'));
    await expect(writer.write([binLevel('m', 1)])).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_UNREACHABLE',
      retryable: true,
    });
    writer.failWith(undefined);
    await writer.write([binLevel('m', 1)]);
    expect(writer.points).toHaveLength(1);
    expect(writer.stats()).toMatchObject({
      pointsWritten: 1,
      pointsFailed: 1,
      failures: { HUB_ERR_INFLUX_UNREACHABLE: 1 },
    });
  });
});
