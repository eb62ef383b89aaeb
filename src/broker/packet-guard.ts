/**
 * A packet-size guard that reads only MQTT fixed headers [MQTT-2.2]: the packet type (high nibble
 * of byte 1) and the Remaining Length, a variable byte integer of at most four bytes
 * [MQTT-2.2.3]. A packet announcing more than its limit closes the connection at its header,
 * before its body is buffered (aedes' parser, mqtt-packet, has no size limit of its own and would
 * buffer up to the protocol's 256 MB).
 *
 * It observes the bytes aedes reads without copying or re-piping them: with a `'readable'`
 * listener attached (aedes reads with `conn.read()`), a `'data'` listener only sees each chunk as
 * `read()` returns it and does not switch the stream to flowing mode (Node.js stream docs,
 * "Choose one API style").
 */
import type { Duplex } from 'node:stream';

/** MQTT control packet type 3 = PUBLISH [MQTT-2.2.1]. */
const PUBLISH = 3;

/** Limits, in bytes of the whole packet (fixed header included). */
export interface PacketLimits {
  /** PUBLISH packets. */
  publish: number;
  /** Every other packet type (CONNECT, SUBSCRIBE, …). */
  other: number;
}

/** What went wrong. */
export interface PacketViolation {
  type: number;
  /** Whole packet size announced by the header; undefined for a malformed length. */
  bytes?: number;
  limit: number;
}

/** Incremental fixed-header scanner over a byte stream. */
export class PacketScanner {
  #state: 'type' | 'length' | 'body' = 'type';
  #type = 0;
  #length = 0;
  #lengthBytes = 0;
  #remaining = 0;

  readonly #limits: PacketLimits;

  constructor(limits: PacketLimits) {
    this.#limits = limits;
  }

  /** Feed the next chunk; returns the first violation, after which the scanner must not be fed. */
  push(chunk: Buffer): PacketViolation | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === 'body') {
        const skip = Math.min(this.#remaining, chunk.length - i);
        this.#remaining -= skip;
        i += skip;
        if (this.#remaining === 0) this.#state = 'type';
        continue;
      }
      const byte = chunk[i++]!;
      if (this.#state === 'type') {
        this.#type = byte >> 4;
        this.#length = 0;
        this.#lengthBytes = 0;
        this.#state = 'length';
        continue;
      }
      // state 'length': 7 bits per byte, least significant first; bit 8 = more bytes follow.
      this.#length += (byte & 0x7f) * 128 ** this.#lengthBytes;
      this.#lengthBytes++;
      if (byte & 0x80) {
        // [MQTT-2.2.3] at most four bytes of Remaining Length
        if (this.#lengthBytes === 4) return { type: this.#type, limit: this.#limitOf(this.#type) };
        continue;
      }
      const bytes = 1 + this.#lengthBytes + this.#length;
      const limit = this.#limitOf(this.#type);
      if (bytes > limit) return { type: this.#type, bytes, limit };
      this.#remaining = this.#length;
      this.#state = this.#remaining > 0 ? 'body' : 'type';
    }
    return undefined;
  }

  #limitOf(type: number): number {
    return type === PUBLISH ? this.#limits.publish : this.#limits.other;
  }
}

/**
 * Watch the packets aedes reads from `conn` (call after `aedes.handle(conn)`, which attaches the
 * `'readable'` listener). On a violation, `onViolation` is called once and the connection is
 * destroyed; aedes then closes the client (and publishes its Will, [MQTT-3.1.2-8]).
 */
export function guardPacketSizes(conn: Duplex, limits: PacketLimits, onViolation: (v: PacketViolation) => void): void {
  const scanner = new PacketScanner(limits);
  const onData = (chunk: Buffer | string): void => {
    const violation = scanner.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (!violation) return;
    conn.off('data', onData);
    onViolation(violation);
    conn.destroy();
  };
  conn.on('data', onData);
}
