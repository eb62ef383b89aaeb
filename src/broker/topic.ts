/**
 * The broker's own small topic helpers (the normaliser has its own parser; the broker must not
 * import a later stage). Topics are compared level by level, never by string prefix, so
 * `community/v1/site/gw-1` never matches a gateway called `gw`.
 */

/** Topic levels of a root such as `community/v1` (leading and trailing `/` ignored). */
export function rootLevels(root: string): string[] {
  return root.replace(/^\/+|\/+$/g, '').split('/');
}

/** True when a topic name holds a wildcard, which a PUBLISH must not [MQTT-3.3.2-2] [MQTT-4.7.1-1]. */
export function hasWildcard(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

/**
 * The levels of `topic` after `prefix`, or undefined when `topic` does not start with exactly
 * those levels.
 */
export function levelsAfter(topic: string, prefix: readonly string[]): string[] | undefined {
  const levels = topic.split('/');
  if (levels.length < prefix.length) return undefined;
  for (let i = 0; i < prefix.length; i++) if (levels[i] !== prefix[i]) return undefined;
  return levels.slice(prefix.length);
}

/**
 * True when every topic a subscription `filter` can match lies under `prefix`: the filter's first
 * levels are the prefix's levels, literally (no `+` or `#` among them) [MQTT-4.7.1-2] [MQTT-4.7.1-3].
 * `{prefix}/#` also matches `{prefix}` itself (the parent level, [MQTT-4.7.1-2]), which is inside.
 */
export function filterWithin(filter: string, prefix: readonly string[]): boolean {
  return levelsAfter(filter, prefix) !== undefined;
}
