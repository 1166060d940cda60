/**
 * The demand waterfall (Forrester / SiriusDecisions Demand Unit Waterfall):
 * Inquiry → MQL → SAL (sales accepted) → SQL (sales qualified) → Opportunity → Closed-Won.
 *
 * Each stage-to-stage conversion has a target and an owner in the agreement; the weekly
 * report shows the rates against those targets, the time leads take between stages,
 * whether MQL→SQL sits in the healthy band (seed 002: 40–70%), and the alarms that call
 * a calibration session (sales rejects > 20% of routed leads in a month) or a scoring
 * recalibration (MQL→SQL drifting > 5 points off target).
 *
 * Pure: journeys, the period, the policy and `now` are all parameters.
 *
 * Implicit stage passing: a lead that reached a later stage passed every earlier one.
 * A stage with no recorded time counts as reached at the earliest recorded time of any
 * later stage (a lead with an SQL time and no SAL time was accepted when it was
 * qualified; one that arrives as an MQL from a list import was an inquiry then too).
 * Recorded times are used as given, even when out of order.
 */
import { Option, Schema } from "effect"

// ---------------------------------------------------------------------------
// Stages, journeys, policy
// ---------------------------------------------------------------------------

/** A waterfall stage. "won" is Closed-Won. */
export const WaterfallStage = Schema.Literal("inquiry", "mql", "sal", "sql", "opportunity", "won")
export type WaterfallStage = typeof WaterfallStage.Type

/** The stages in funnel order. */
export const waterfallStages: ReadonlyArray<WaterfallStage> = WaterfallStage.literals

const stageIndex = (stage: WaterfallStage): number => waterfallStages.indexOf(stage)

/** When a lead reached each stage it reached (missing stages: see implicit stage passing). */
export const StageTimes = Schema.partialWith(Schema.Record({ key: WaterfallStage, value: Schema.DateFromSelf }), { exact: true })
export type StageTimes = Partial<Record<WaterfallStage, Date>>

/** One lead's trip down the waterfall, with its source and rep for grouping. */
export const LeadJourney = Schema.Struct({
  leadId: Schema.String,
  reachedAt: StageTimes,
  source: Schema.optional(Schema.String),
  repId: Schema.optional(Schema.String)
})
export interface LeadJourney {
  readonly leadId: string
  readonly reachedAt: StageTimes
  readonly source?: string | undefined
  readonly repId?: string | undefined
}

/** A reporting period, half-open: `from` ≤ t < `to`. */
export interface WaterfallPeriod {
  readonly from: Date
  readonly to: Date
}

/**
 * The agreement's `waterfall` section, decoded: stage targets with their owners, the
 * healthy MQL→SQL band and the alarm limits (all rates are fractions: 0.05 = 5 points).
 */
export interface WaterfallPolicy {
  readonly targets: ReadonlyArray<{ readonly from: WaterfallStage; readonly to: WaterfallStage; readonly rate?: number | undefined; readonly owner: string }>
  readonly mqlToSqlBand: readonly [number, number]
  readonly alarms: { readonly rejectRate: number; readonly mqlToSqlDrift: number }
}

/** Seed defaults: no targets, healthy MQL→SQL band 40–70%, reject alarm above 20%, drift alarm beyond 5 points. */
export const defaultWaterfallPolicy: WaterfallPolicy = {
  targets: [],
  mqlToSqlBand: [0.4, 0.7],
  alarms: { rejectRate: 0.2, mqlToSqlDrift: 0.05 }
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/**
 * How a conversion compares with its target. Within ± `alarms.mqlToSqlDrift` of the
 * target is "ok"; "no_target" when the pair has no target rate; "no_data" when no lead
 * entered the `from` stage in the period (the rate is then null, never NaN).
 */
export type TransitionStatus = "ok" | "below" | "above" | "no_target" | "no_data"

/** One stage-to-stage conversion of the waterfall for a period. */
export interface WaterfallTransition {
  readonly from: WaterfallStage
  readonly to: WaterfallStage
  /** Leads that entered `from` in the period (the cohort). */
  readonly enteredFrom: number
  /** Leads that entered `to` in the period, wherever they came from. */
  readonly enteredTo: number
  /** Flow view: enteredTo ÷ enteredFrom (may exceed 1 when earlier cohorts arrive); null when enteredFrom is 0. */
  readonly flowRate: number | null
  /** Cohort leads that reached `to` at any time up to `now`. */
  readonly cohortReached: number
  /** Cohort view: cohortReached ÷ enteredFrom; null when enteredFrom is 0. */
  readonly cohortRate: number | null
  /** Median time from `from` to `to` over cohort leads that reached `to` (ms); null when none did. */
  readonly medianMs: number | null
  /** 90th percentile of the same times (ms); null when none did. */
  readonly p90Ms: number | null
  /** The agreed rate, if the agreement sets one for this pair. */
  readonly target: number | null
  /** (cohortRate − target) × 100, in percentage points; null without both. */
  readonly deltaPoints: number | null
  /** Who owns the gap, as named by the agreement. */
  readonly owner: string | null
  readonly status: TransitionStatus
}

/**
 * MQL→SQL against the healthy band (seed 002): below it the MQL criteria need
 * tightening; above it the MQL bar is too high and good leads are over-nurtured.
 */
export interface MqlToSqlHealth {
  readonly rate: number | null
  readonly band: readonly [number, number]
  readonly target: number | null
  readonly status: "healthy" | "too_low" | "too_high" | "no_data"
}

/** An alarm the report raises. `value` and `limit` are fractions (0.2 = 20%). */
export interface WaterfallAlarm {
  readonly kind: "reject_rate" | "mql_to_sql_drift"
  readonly message: string
  readonly value: number
  readonly limit: number
}

export interface WaterfallReport {
  readonly period: WaterfallPeriod
  readonly now: Date
  /** Leads that entered each stage within the period (flow view). */
  readonly counts: Readonly<Record<WaterfallStage, number>>
  /** Consecutive stage pairs in funnel order, then MQL→SQL and the other pairs the agreement targets. */
  readonly transitions: ReadonlyArray<WaterfallTransition>
  readonly mqlToSql: MqlToSqlHealth
  /** Drift alarm only; add {@link rejectionAlarm}'s result for the reject-rate alarm. */
  readonly alarms: ReadonlyArray<WaterfallAlarm>
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** Tolerance for comparing rates, so that exactly-at-the-limit never alarms because of float noise. */
const epsilon = 1e-9

const validTime = (d: Date | undefined): number | undefined => {
  if (d === undefined) return undefined
  const t = d.getTime()
  return Number.isNaN(t) ? undefined : t
}

const effectiveTimes = (journey: LeadJourney): Array<number | undefined> => {
  const out = new Array<number | undefined>(waterfallStages.length).fill(undefined)
  let earliestLater: number | undefined
  for (let i = waterfallStages.length - 1; i >= 0; i--) {
    const recorded = validTime(journey.reachedAt[waterfallStages[i]!])
    out[i] = recorded ?? earliestLater
    if (recorded !== undefined) earliestLater = earliestLater === undefined ? recorded : Math.min(earliestLater, recorded)
  }
  return out
}

/**
 * When the lead reached each stage, with implicit stage passing applied: a stage
 * without a (valid) recorded time takes the earliest recorded time of any later stage;
 * stages after the last one reached stay absent.
 */
export const effectiveReachedAt = (journey: LeadJourney): StageTimes => {
  const times = effectiveTimes(journey)
  const out: Partial<Record<WaterfallStage, Date>> = {}
  waterfallStages.forEach((stage, i) => {
    const t = times[i]
    if (t !== undefined) out[stage] = new Date(t)
  })
  return out
}

/** Time from reaching `from` to reaching `to` (ms, implicit passing applied); null if either was not reached. */
export const timeBetween = (journey: LeadJourney, from: WaterfallStage, to: WaterfallStage): number | null => {
  const times = effectiveTimes(journey)
  const a = times[stageIndex(from)]
  const b = times[stageIndex(to)]
  return a === undefined || b === undefined ? null : b - a
}

/**
 * How long the lead has spent in `stage`: until it reached the next stage, or until
 * `now` if it is still there. Null if it never reached `stage`, and for "won" (the end).
 */
export const timeInStage = (journey: LeadJourney, stage: WaterfallStage, now: Date): number | null => {
  const i = stageIndex(stage)
  if (i === waterfallStages.length - 1) return null
  const times = effectiveTimes(journey)
  const entered = times[i]
  if (entered === undefined) return null
  const left = times[i + 1]
  return (left ?? now.getTime()) - entered
}

/**
 * The p-th percentile (0 ≤ p ≤ 1) by linear interpolation between closest ranks
 * (Excel PERCENTILE.INC, numpy's default): the median of [1, 2, 3, 4] is 2.5.
 * Null for an empty list.
 */
export const percentile = (values: ReadonlyArray<number>, p: number): number | null => {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const h = (sorted.length - 1) * Math.min(1, Math.max(0, p))
  const lo = Math.floor(h)
  const below = sorted[lo]!
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!
  return below + (h - lo) * (above - below)
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null)

const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const points = (x: number) => `${(Math.abs(x) * 100).toFixed(1)} points`

// ---------------------------------------------------------------------------
// The waterfall
// ---------------------------------------------------------------------------

/**
 * The demand waterfall for one period.
 *
 * - `counts`: leads that entered each stage in [period.from, period.to) — the flow view,
 *   with implicit stage passing (an SQL with no SAL time entered SAL at its SQL time).
 * - `transitions`: every consecutive pair (inquiry→mql … opportunity→won), then MQL→SQL
 *   (always: seed 002's quality check) and every other forward pair the agreement
 *   targets (e.g. inquiry→won), in funnel order, each with the flow rate
 *   (entered `to` in the period ÷ entered `from` in the period), the cohort rate (of the
 *   leads that entered `from` in the period, the share that reached `to` by `now`), the
 *   median and p90 time between the two stages over that cohort, the target, the gap in
 *   points, the owner and a status. A rate with a zero denominator is null ("no_data").
 *   A pair targeted twice takes the first target; backward pairs are ignored.
 * - `mqlToSql`: the cohort MQL→SQL rate against `policy.mqlToSqlBand` (inclusive).
 * - `alarms`: the MQL→SQL drift alarm when |cohort rate − target| > `alarms.mqlToSqlDrift`
 *   (only when the agreement sets an MQL→SQL target). The reject-rate alarm needs the
 *   month's routing and rejection counts: see {@link rejectionAlarm}.
 *
 * `now` (default: `period.to`) bounds the cohort view: stage times after `now` are not
 * counted as reached.
 */
export const waterfall = (
  journeys: ReadonlyArray<LeadJourney>,
  period: WaterfallPeriod,
  policy: WaterfallPolicy,
  now: Date = period.to
): WaterfallReport => {
  const from = period.from.getTime()
  const to = period.to.getTime()
  const nowMs = now.getTime()
  const inPeriod = (t: number | undefined): t is number => t !== undefined && t >= from && t < to
  const times = journeys.map(effectiveTimes)

  const counts = Object.fromEntries(
    waterfallStages.map((stage, i) => [stage, times.filter((ts) => inPeriod(ts[i])).length])
  ) as Record<WaterfallStage, number>

  // Pairs: consecutive ones first, then MQL→SQL and the other targeted forward pairs in funnel order.
  const pairs: Array<readonly [WaterfallStage, WaterfallStage]> = waterfallStages
    .slice(1)
    .map((stage, i) => [waterfallStages[i]!, stage] as const)
  const extra = [["mql", "sql"] as const, ...policy.targets.map((t) => [t.from, t.to] as const)]
    .filter(([a, b]) => stageIndex(b) > stageIndex(a))
    .sort(([a1, b1], [a2, b2]) => stageIndex(a1) - stageIndex(a2) || stageIndex(b1) - stageIndex(b2))
  for (const pair of extra) {
    if (!pairs.some(([x, y]) => x === pair[0] && y === pair[1])) pairs.push(pair)
  }

  const tolerance = policy.alarms.mqlToSqlDrift
  const transitions = pairs.map(([a, b]): WaterfallTransition => {
    const ia = stageIndex(a)
    const ib = stageIndex(b)
    const cohort = times.filter((ts) => inPeriod(ts[ia]))
    const durations: Array<number> = []
    for (const ts of cohort) {
      const reached = ts[ib]
      if (reached !== undefined && reached <= nowMs) durations.push(reached - ts[ia]!)
    }
    const enteredFrom = cohort.length
    const enteredTo = counts[b]
    const cohortRate = ratio(durations.length, enteredFrom)
    const targetEntry = policy.targets.find((t) => t.from === a && t.to === b)
    const target = targetEntry?.rate ?? null
    const delta = cohortRate !== null && target !== null ? cohortRate - target : null
    const status: TransitionStatus = cohortRate === null
      ? "no_data"
      : delta === null
      ? "no_target"
      : Math.abs(delta) <= tolerance + epsilon
      ? "ok"
      : delta < 0
      ? "below"
      : "above"
    return {
      from: a,
      to: b,
      enteredFrom,
      enteredTo,
      flowRate: ratio(enteredTo, enteredFrom),
      cohortReached: durations.length,
      cohortRate,
      medianMs: percentile(durations, 0.5),
      p90Ms: percentile(durations, 0.9),
      target,
      deltaPoints: delta === null ? null : delta * 100,
      owner: targetEntry?.owner ?? null,
      status
    }
  })

  const mqlSql = transitions.find((t) => t.from === "mql" && t.to === "sql")
  const rate = mqlSql?.cohortRate ?? null
  const [low, high] = policy.mqlToSqlBand
  const mqlToSql: MqlToSqlHealth = {
    rate,
    band: policy.mqlToSqlBand,
    target: mqlSql?.target ?? null,
    status: rate === null ? "no_data" : rate < low - epsilon ? "too_low" : rate > high + epsilon ? "too_high" : "healthy"
  }

  const alarms: Array<WaterfallAlarm> = []
  if (rate !== null && mqlToSql.target !== null) {
    const drift = rate - mqlToSql.target
    if (Math.abs(drift) > tolerance + epsilon) {
      alarms.push({
        kind: "mql_to_sql_drift",
        message: `MQL→SQL conversion is ${pct(rate)}, ${points(drift)} ${drift < 0 ? "below" : "above"} the ${pct(mqlToSql.target)} target ` +
          `(limit ${points(tolerance)}): recalibrate the MQL threshold and scoring.`,
        value: Math.abs(drift),
        limit: tolerance
      })
    }
  }

  return { period, now, counts, transitions, mqlToSql, alarms }
}

/**
 * The calibration alarm (seed 000): when sales rejects more than `alarms.rejectRate`
 * (default 20%) of the leads routed to it in a month, hold a calibration session
 * rather than adjudicating lead by lead. Exactly at the limit does not alarm; with no
 * routed leads there is nothing to judge. The caller chooses the month and counts.
 */
export const rejectionAlarm = (
  routedCount: number,
  rejectedCount: number,
  policy: Pick<WaterfallPolicy, "alarms">
): Option.Option<WaterfallAlarm> => {
  if (!(routedCount > 0) || !(rejectedCount >= 0)) return Option.none()
  const rate = rejectedCount / routedCount
  const limit = policy.alarms.rejectRate
  if (rate <= limit + epsilon) return Option.none()
  return Option.some({
    kind: "reject_rate",
    message: `Sales rejected ${rejectedCount} of ${routedCount} routed leads (${pct(rate)}), above the ${pct(limit)} limit: ` +
      `schedule a marketing–sales calibration session.`,
    value: rate,
    limit
  })
}
