/**
 * The inputs of test/e2e/payback.test.ts and its ledger, kept from those inputs alone (nothing of
 * src/): revenue from integer grams and fen per kg, each deposit's month read off its local time
 * text, the recovery month, and the projection found by stepping month by month.
 */
/** Hub prices, yuan per kg, as hub.yaml gives them; site `alder` overrides kitchen. */
export const HUB_PRICES = { recyclable: 1.0, kitchen: 0.05, hazardous: 0, residual: 0 };
export const ALDER = {
  investment: { government: 200, socialCapital: 40, residents: 60 },
  monthlyOperatingCost: 10,
  monthlyOtherIncome: 5,
  prices: { kitchen: 0.08 },
  startMonth: '2026-08',
};
export const BIRCH = {
  investment: { government: 1000, socialCapital: 500, residents: 0 },
  monthlyOperatingCost: 4,
  monthlyOtherIncome: 0,
};

type Sorting = 'correct' | 'incorrect' | 'unchecked';
/** One deposit: site, local time with its offset, category, grams, sorting. */
export type Deposit = [string, string, string, number, Sorting];

export const DEPOSITS: Deposit[] = [
  // alder: July is before its startMonth (not counted).
  ['alder', '2026-07-15T10:00:00+08:00', 'recyclable', 9000, 'correct'],
  ['alder', '2026-08-03T09:00:00+08:00', 'recyclable', 12_340, 'correct'],
  ['alder', '2026-08-10T09:00:00+08:00', 'kitchen', 25_000, 'unchecked'],
  ['alder', '2026-08-31T23:30:00+08:00', 'recyclable', 4_560, 'correct'],
  // Incorrect: weighed but not sold.
  ['alder', '2026-09-02T09:00:00+08:00', 'recyclable', 50_000, 'incorrect'],
  ['alder', '2026-09-12T09:00:00+08:00', 'residual', 30_000, 'correct'],
  ['alder', '2026-09-20T09:00:00+08:00', 'recyclable', 21_000, 'correct'],
  ['alder', '2026-09-30T23:30:00+08:00', 'kitchen', 12_500, 'correct'],
  ['alder', '2026-10-01T00:00:00+08:00', 'recyclable', 18_750, 'unchecked'],
  ['alder', '2026-10-18T09:00:00+08:00', 'hazardous', 2_000, 'correct'],
  ['alder', '2026-11-05T09:00:00+08:00', 'recyclable', 3_000, 'correct'],
  ['alder', '2026-12-01T08:00:00+08:00', 'recyclable', 7_770, 'correct'],
  // birch: no startMonth, so the clock starts at its first deposit (September).
  ['birch', '2026-09-01T00:00:00+08:00', 'recyclable', 10_000, 'correct'],
  ['birch', '2026-09-15T09:00:00+08:00', 'kitchen', 40_000, 'correct'],
  ['birch', '2026-10-31T23:30:00+08:00', 'recyclable', 6_000, 'correct'],
  ['birch', '2026-11-09T09:00:00+08:00', 'recyclable', 8_000, 'incorrect'],
  ['birch', '2026-11-30T23:30:00+08:00', 'recyclable', 5_500, 'unchecked'],
  // cedar: no evaluation block at all.
  ['cedar', '2026-10-20T09:00:00+08:00', 'recyclable', 1_230, 'correct'],
  ['cedar', '2026-11-30T23:30:00+08:00', 'kitchen', 4_000, 'correct'],
];

// The ledger: integers (grams, fen), months read off the local time text.

const fenPerKg = (site: string, category: string): number => {
  const override = site === 'alder' ? (ALDER.prices as Record<string, number>)[category] : undefined;
  return Math.round((override ?? (HUB_PRICES as Record<string, number>)[category]!) * 100);
};
const nextMonth = (m: string): string => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
};

export interface LedgerMonth {
  month: string;
  revenue: number;
  otherIncome: number;
  operatingCost: number;
  net: number;
  cumulative: number;
}

export function ledger(site: string, settings: Partial<typeof ALDER> | undefined, current: string) {
  const mine = DEPOSITS.filter((d) => d[0] === site);
  const first = settings?.startMonth ?? mine.map((d) => d[1].slice(0, 7)).sort()[0]!;
  const milliFen = new Map<string, number>();
  for (const [, ts, category, grams, sorting] of mine) {
    if (sorting === 'incorrect') continue;
    const m = ts.slice(0, 7);
    milliFen.set(m, (milliFen.get(m) ?? 0) + grams * fenPerKg(site, category));
  }
  const other = Math.round((settings?.monthlyOtherIncome ?? 0) * 100);
  const cost = Math.round((settings?.monthlyOperatingCost ?? 0) * 100);
  const months: LedgerMonth[] = [];
  let cumulative = 0;
  for (let m = first; m <= current; m = nextMonth(m)) {
    const revenue = Math.round((milliFen.get(m) ?? 0) / 1000);
    cumulative += revenue + other - cost;
    months.push({
      month: m,
      revenue,
      otherIncome: other,
      operatingCost: cost,
      net: revenue + other - cost,
      cumulative,
    });
  }
  const capital = settings?.investment ? Math.round(settings.investment.socialCapital * 100) : null;
  const recoveredIn = capital === null ? null : (months.find((x) => x.cumulative >= capital)?.month ?? null);
  let projected: string | null = null;
  if (capital !== null && recoveredIn === null) {
    const complete = months.filter((x) => x.month < current);
    const last3 = complete.slice(-3);
    const average = last3.reduce((a, x) => a + x.net, 0) / last3.length;
    if (average > 0) {
      // Step month by month from the last complete one (no division: a check on the hub's ceil).
      let cum = complete.at(-1)!.cumulative;
      let m = complete.at(-1)!.month;
      while (cum < capital) {
        cum += average;
        m = nextMonth(m);
      }
      projected = m;
    }
  }
  return { months, recoveredIn, projected, capital };
}
