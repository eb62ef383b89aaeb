/**
 * Idle gateways for `npm run bench -- scale` (docs/benchmarks.md), as their own process:
 * `node --import tsx bench/scale/idle-clients.ts PORT SECRETS.json`. Each gateway is a bare TCP
 * socket that sends a CONNECT (MQTT 3.1.1, built here: 10,000 mqtt.js clients would weigh more
 * than the hub) and waits for CONNACK 0; then it sits idle, pinging every 2 minutes. A refused,
 * reset or closed connection is counted and retried with exponential backoff and jitter, never
 * fatal. Prints a JSON line whenever every gateway is connected (`{"event":"all",…}`), with the
 * epoch ms of the last CONNACK and the failures counted since the previous line.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/** A CONNECT packet [MQTT-3.1]: clean session, username and password, keepalive 300 s. */
export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, 0xc2, 300 >> 8, 300 & 0xff]),
    str(clientId),
    str(username),
    str(password),
  ]);
  const len: number[] = [];
  let n = body.length;
  do {
    len.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...len]), body]);
}

const PINGREQ = Buffer.from([0xc0, 0]);

function main(port: number, secrets: { id: string; password: string }[]): void {
  const counts = { resets: 0, refused: 0, closed: 0, other: 0, connacks: 0 };
  let connected = 0;
  let lastAck = 0;
  const startedMs = Date.now();
  const report = (): void => {
    process.stdout.write(`${JSON.stringify({ event: 'all', connected, startedMs, lastAckMs: lastAck, ...counts })}\n`);
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] = 0;
  };
  const gateway = (id: string, password: string): void => {
    let attempt = 0;
    let up = false;
    let ping: NodeJS.Timeout | undefined;
    const open = (): void => {
      let errored = false;
      const s: Socket = connect({ host: '127.0.0.1', port });
      s.setNoDelay(true);
      s.on('connect', () => s.write(connectPacket(id, id, password)));
      s.on('data', (d: Buffer) => {
        if (up || d[0] !== 0x20) return; // PINGRESP and anything else: ignored
        if (d[3] !== 0) {
          counts.other++;
          s.destroy();
          return;
        }
        up = true;
        attempt = 0;
        counts.connacks++;
        lastAck = Date.now();
        ping = setInterval(() => s.write(PINGREQ), 120_000);
        if (++connected === secrets.length) report();
      });
      s.on('error', (e: NodeJS.ErrnoException) => {
        errored = true;
        if (e.code === 'ECONNRESET' || e.code === 'EPIPE') counts.resets++;
        else if (e.code === 'ECONNREFUSED') counts.refused++;
        else counts.other++;
      });
      s.on('close', () => {
        clearInterval(ping);
        if (up) connected--;
        else if (!errored) counts.closed++;
        up = false;
        // Back off: 100 ms doubling to 2 s, with jitter so a restart is not met by one wall of CONNECTs.
        const delay = Math.min(2_000, 100 * 2 ** attempt++) * (0.5 + Math.random());
        setTimeout(open, delay);
      });
    };
    open();
  };
  // The first connects go out at once: a cold storm, as after a power cut of the whole site.
  for (const s of secrets) gateway(s.id, s.password);
}

if (process.argv[1]?.endsWith('idle-clients.ts')) {
  main(
    Number(process.argv[2]),
    JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as { id: string; password: string }[],
  );
}
