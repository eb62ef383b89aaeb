/** The change between two KPI values, shared by a report's KPI rows and its trend. */

/** `a - b` rounded off float noise (0.95 − 0.9 → 0.05, not 0.04999999999999993); null-safe. */
export function changeOf(value: number | null, previous: number | null): number | null {
  if (value === null || previous === null) return null;
  return Number((value - previous).toPrecision(12));
}
