/**
 * Fuzzing the topic parser (src/normalise/topic.ts, docs/contract.md §2): any string under any root
 * is either refused (undefined) or parsed into levels that obey the id rule and rebuild exactly the
 * topic given; it never throws. Valid topics always parse back to what built them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN } from '../../src/config/inventory.ts';
import { DEFAULT_TOPIC_ROOT, deviceTopic, parseTopic, statusTopic } from '../../src/normalise/topic.ts';
import { fuzz } from './settings.ts';

/** Levels near the grammar: ids, channel names, wildcards, empty, odd characters. */
const level = fc.oneof(
  fc.constantFrom('status', 'telemetry', 'event', '+', '#', '', 'community', 'v1', 'maple-court', 'gw-east', 'dev-01'),
  fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const topicish = fc.array(level, { maxLength: 7 }).map((ls) => ls.join('/'));
const root = fc.oneof(
  fc.constant(DEFAULT_TOPIC_ROOT),
  fc.constant('/community/v1/'),
  fc.array(level, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('/')),
);
const id = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/);

describe('topic parser fuzz', () => {
  it('refuses or parses exactly, never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          topicish,
          fc.string({ unit: 'binary' }),
          root.chain((r) => topicish.map((t) => `${r}/${t}`)),
        ),
        root,
        (topic, r) => {
          const p = parseTopic(topic, r);
          if (p === undefined) return;
          for (const l of [p.site, p.gateway, ...(p.kind === 'device' ? [p.device] : [])])
            expect(ID_PATTERN.test(l)).toBe(true);
          const rebuilt =
            p.kind === 'device'
              ? deviceTopic(p.site, p.gateway, p.device, p.channel, r)
              : statusTopic(p.site, p.gateway, r);
          expect(rebuilt).toBe(topic);
        },
      ),
      fuzz(2000, {
        examples: [
          ['community/v1/a/b/status', 'community/v1'],
          ['//', '/'],
        ],
      }),
    );
  });

  it('parses back every topic it builds', () => {
    fc.assert(
      fc.property(id, id, id, fc.constantFrom('telemetry' as const, 'event' as const), (s, g, d, ch) => {
        expect(parseTopic(deviceTopic(s, g, d, ch))).toEqual({
          kind: 'device',
          site: s,
          gateway: g,
          device: d,
          channel: ch,
        });
        expect(parseTopic(statusTopic(s, g))).toEqual({ kind: 'status', site: s, gateway: g });
      }),
      fuzz(500),
    );
  });
});
