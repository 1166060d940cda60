/**
 * Report data: the demand waterfall, multi-touch attribution, speed-to-lead and SLA
 * compliance, sales' rejections, score-band calibration and the "limbo" figure (SPEC §3
 * `GET /v1/reports/*`, and the weekly snapshot of SPEC §5).
 *
 * The SQL only gathers data (stage times from the timeline, handoffs from `assignments`,
 * touch paths from `lead_events`, ...). The math is the domain's where the domain has it —
 * `waterfall()`, `rejectionAlarm()`, `percentile()`, `effectiveReachedAt()`,
 * `attribute()` / `attributeAll()` — and, where it has not, the small pure functions of
 * this file (SLA outcomes per handoff, group figures, score bands), exported so they can
 * be tested on their own.
 *
 * Every report takes the period `[from, to)` (half-open), the current time and the
 * agreement whose targets and settings apply; the caller chooses them (the API uses the
 * active agreement, a what-if could pass a draft).
 */
import {
  type Agreement, AttributionModel, AttributionResult, type AttributionInputError, attribute, attributeAll, type AttributionSettings,
  type ConversionPath, durationMillis, effectiveReachedAt, type LeadJourney, percentile, RejectionReason, rejectionAlarm, type StageTimes,
  type Touch, waterfall, type WaterfallReport, WaterfallStage
} from "@handoff/domain"
import { Context, Effect, Either, Layer, Option, Schema } from "effect"
import { sql } from "kysely"
import { SqlRunner } from "./Store.ts"

// ---------------------------------------------------------------------------
// Shapes shared by the reports
// ---------------------------------------------------------------------------

/** A date-time: a `Date` in code, an ISO 8601 string on the wire. */
const ReportDate = Schema.Date.annotations({ jsonSchema: { type: "string", format: "date-time" } })
const Rate = Schema.NullOr(Schema.Number).annotations({ description: "A fraction (0.25 = 25%); null when the denominator is 0." })
const Ms = Schema.NullOr(Schema.Number).annotations({ description: "Milliseconds; null when there is nothing to measure." })

/** The reporting period, half-open: `from` ≤ t < `to`. */
export const ReportPeriod = Schema.Struct({ from: ReportDate, to: ReportDate })
export type ReportPeriod = typeof ReportPeriod.Type

/** What every report is asked with. */
export interface ReportInput {
  readonly period: ReportPeriod
  /** The current time: bounds "reached by now" and decides which deadlines have passed. */
  readonly now: Date
  /** The agreement whose targets, thresholds and attribution settings apply. */
  readonly agreement: Agreement
}

/** The dimensions a report can be broken down by. */
export const ReportGroupBy = Schema.Literal("source", "rep", "tier")
export type ReportGroupBy = typeof ReportGroupBy.Type

const byKey = (a: string | null, b: string | null): number => a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null)

const toDate = (v: unknown): Date | null => {
  if (v === null || v === undefined) return null
  const d = v instanceof Date ? v : new Date(v as string)
  return Number.isNaN(d.getTime()) ? null : d
}
const mustDate = (v: unknown): Date => toDate(v) ?? new Date(Number.NaN)
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null)

/** Group rows by a key (null: the rows without one), groups sorted by key with null last. */
const groupRows = <A>(rows: ReadonlyArray<A>, key: (a: A) => string | null): Array<readonly [string | null, Array<A>]> => {
  const groups = new Map<string | null, Array<A>>()
  for (const r of rows) {
    const k = key(r)
    const g = groups.get(k)
    if (g === undefined) groups.set(k, [r])
    else g.push(r)
  }
  return [...groups.entries()].sort(([a], [b]) => byKey(a, b))
}

// ---------------------------------------------------------------------------
// Waterfall
// ---------------------------------------------------------------------------

const WaterfallTransitionSchema = Schema.Struct({
  from: WaterfallStage,
  to: WaterfallStage,
  enteredFrom: Schema.Number.annotations({ description: "Leads that entered `from` in the period (the cohort)." }),
  enteredTo: Schema.Number.annotations({ description: "Leads that entered `to` in the period." }),
  flowRate: Rate.annotations({ description: "enteredTo ÷ enteredFrom (may exceed 1 when earlier cohorts arrive)." }),
  cohortReached: Schema.Number.annotations({ description: "Cohort leads that reached `to` by now." }),
  cohortRate: Rate.annotations({ description: "cohortReached ÷ enteredFrom." }),
  medianMs: Ms,
  p90Ms: Ms,
  target: Schema.NullOr(Schema.Number),
  deltaPoints: Schema.NullOr(Schema.Number).annotations({ description: "(cohortRate − target) × 100, in percentage points." }),
  owner: Schema.NullOr(Schema.String).annotations({ description: "Who owns the gap, as the agreement names it." }),
  status: Schema.Literal("ok", "below", "above", "no_target", "no_data")
})

const ReportAlarm = Schema.Struct({
  kind: Schema.Literal("reject_rate", "mql_to_sql_drift"),
  message: Schema.String,
  value: Schema.Number,
  limit: Schema.Number
})

const WaterfallFigures = Schema.Struct({
  /** Leads in the report: those that entered at least one stage in the period. */
  leads: Schema.Number,
  counts: Schema.Struct({
    inquiry: Schema.Number,
    mql: Schema.Number,
    sal: Schema.Number,
    sql: Schema.Number,
    opportunity: Schema.Number,
    won: Schema.Number
  }),
  transitions: Schema.Array(WaterfallTransitionSchema),
  mqlToSql: Schema.Struct({
    rate: Rate,
    band: Schema.Tuple(Schema.Number, Schema.Number),
    target: Schema.NullOr(Schema.Number),
    status: Schema.Literal("healthy", "too_low", "too_high", "no_data")
  }),
  alarms: Schema.Array(ReportAlarm)
})

export const WaterfallReportSchema = Schema.Struct({
  period: ReportPeriod,
  now: ReportDate,
  groupBy: Schema.NullOr(ReportGroupBy),
  ...WaterfallFigures.fields,
  /** One waterfall per source / rep / tier when `groupBy` is set (key null: leads without one). */
  groups: Schema.Array(Schema.Struct({ key: Schema.NullOr(Schema.String), ...WaterfallFigures.fields })),
  /**
   * Pipeline sourced vs worked (seed 004): what marketing handed to sales in the period and how
   * much of it sales worked. `sourced`: leads first routed to a rep in the period, and the
   * opportunities (count and amount) they have opened by now; `worked`: of those, the leads a
   * rep accepted and touched, and their opportunities. The gap is lead quality (`rejected`) or
   * follow-up (`untouched`: never touched by any owner, not rejected).
   */
  pipeline: Schema.Struct({
    sourced: Schema.Struct({ leads: Schema.Number, opportunities: Schema.Number, value: Schema.Number }),
    worked: Schema.Struct({ leads: Schema.Number, opportunities: Schema.Number, value: Schema.Number }),
    rejected: Schema.Number,
    untouched: Schema.Number
  })
}).annotations({ identifier: "WaterfallReport" })
export type WaterfallReportData = typeof WaterfallReportSchema.Type

// ---------------------------------------------------------------------------
// Attribution
// ---------------------------------------------------------------------------

const Credit = Schema.Struct({ conversions: Schema.Number, value: Schema.Number })

export const AttributionReportSchema = Schema.Struct({
  period: ReportPeriod,
  now: ReportDate,
  /** What counts as a conversion: an opportunity opened in the period, worth its amount. */
  conversion: Schema.Literal("opportunity_opened"),
  model: AttributionModel,
  /** Where the model came from: the agreement, or the `model` query parameter. */
  modelSource: Schema.Literal("agreement", "query"),
  /** Opportunities opened in the period and their total amount. */
  conversions: Schema.Number,
  value: Schema.Number,
  /** Opportunities with no marketing touch (no event with a channel) before they opened: not credited. */
  unattributed: Credit,
  /** Journeys the Markov model sees: converted paths and leads created in the period with no opportunity by `to` (nulls). */
  journeys: Schema.Struct({ converted: Schema.Number, notConverted: Schema.Number }),
  /** The credit split under `model`. */
  result: AttributionResult,
  /** The same paths under every model (the agreement's custom weights only when it has them). */
  comparison: Schema.Array(AttributionResult),
  /** The comparison as a table: one row per channel, the credit under each model. */
  table: Schema.Array(Schema.Struct({
    channel: Schema.String,
    credits: Schema.Array(Schema.Struct({ model: AttributionModel, conversions: Schema.Number, value: Schema.Number }))
  }))
}).annotations({ identifier: "AttributionReport" })
export type AttributionReportData = typeof AttributionReportSchema.Type

/** One opportunity and the lead's channel touches (oldest first) up to the report's `to`. */
export interface ConvertedJourney {
  readonly opportunityId: string
  readonly leadId: string
  readonly amount: number
  readonly openedAt: Date
  /** When the lead became the MQL this opportunity came from (the latest MarkMql before it opened). */
  readonly mqlAt: Date | null
  readonly touches: ReadonlyArray<{ readonly channel: string; readonly campaign: string | null; readonly at: Date }>
}

/**
 * The conversion path of one opportunity: the lead's channel touches up to the moment
 * the opportunity opened, oldest first. The lead-creation milestone (W-shaped, custom)
 * is the last touch at or before the MQL time; the opportunity-creation milestone is the
 * last touch of the path. Empty when the lead had no touch before it opened.
 */
export const conversionPath = (j: ConvertedJourney): ReadonlyArray<Touch> => {
  const touches = j.touches.filter((t) => t.at.getTime() <= j.openedAt.getTime())
  let leadIndex = -1
  if (j.mqlAt !== null) {
    touches.forEach((t, i) => {
      if (t.at.getTime() <= j.mqlAt!.getTime()) leadIndex = i
    })
  }
  const last = touches.length - 1
  // one milestone per touch: "lead" is marked; "opportunity" is the last touch, which is
  // also the domain's default, so a touch that is both keeps "lead" and still gets both
  return touches.map((t, i): Touch => {
    const milestone = i === leadIndex ? "lead" as const : i === last ? "opportunity" as const : undefined
    return {
      channel: t.channel,
      ...(t.campaign === null ? {} : { campaign: t.campaign }),
      at: t.at,
      ...(milestone === undefined ? {} : { milestone })
    }
  })
}

// ---------------------------------------------------------------------------
// SLA and speed-to-lead
// ---------------------------------------------------------------------------

/** One handoff to a rep (a row of `assignments`), with how it ended. */
export interface HandoffRow {
  readonly leadId: string
  readonly repId: string
  readonly repName: string | null
  readonly pod: string
  readonly tier: string
  readonly source: string | null
  /** T0: when the inquiry that started the handoff was submitted. */
  readonly t0: Date
  readonly routedAt: Date
  readonly acceptBy: Date | null
  readonly firstTouchBy: Date | null
  readonly acceptedAt: Date | null
  readonly firstTouchAt: Date | null
  /** When this rep rejected the lead after getting it, if they did. */
  readonly rejectedAt: Date | null
  /** When the handoff ended otherwise: reassigned away, rejected, recycled, merged, closed. */
  readonly endedAt: Date | null
}

/**
 * How one SLA clock of a handoff went: `met` (done by the deadline), `breached` (done
 * late, or the deadline passed with it undone while the handoff was still open),
 * `pending` (deadline ahead), `n/a` (no such clock for the tier, or the handoff ended
 * before its deadline without needing it — say rejected within the window).
 */
export type SlaOutcome = "met" | "breached" | "pending" | "n/a"

const outcome = (done: Date | null, deadline: Date | null, endedAt: Date | null, now: Date): SlaOutcome => {
  if (deadline === null) return "n/a"
  if (done !== null) return done.getTime() <= deadline.getTime() ? "met" : "breached"
  if (endedAt !== null) return endedAt.getTime() < deadline.getTime() ? "n/a" : "breached"
  return deadline.getTime() <= now.getTime() ? "breached" : "pending"
}

/** The accept clock: accepting — or rejecting, which is also an answer — by `acceptBy`. */
export const acceptOutcome = (h: HandoffRow, now: Date): SlaOutcome => {
  const answered = h.acceptedAt ?? h.rejectedAt
  return outcome(answered, h.acceptBy, h.endedAt, now)
}

/** The first-touch clock: the owner's first logged activity by `firstTouchBy`. */
export const firstTouchOutcome = (h: HandoffRow, now: Date): SlaOutcome => outcome(h.firstTouchAt, h.firstTouchBy, h.endedAt, now)

const Timing = Schema.Struct({ count: Schema.Number, medianMs: Ms, p90Ms: Ms })
const Compliance = Schema.Struct({
  met: Schema.Number,
  breached: Schema.Number,
  pending: Schema.Number,
  notApplicable: Schema.Number,
  compliance: Rate.annotations({ description: "met ÷ (met + breached)." })
})

export const SlaGroupSchema = Schema.Struct({
  key: Schema.NullOr(Schema.String),
  /** The rep's name in the by-rep breakdown; null elsewhere. */
  name: Schema.NullOr(Schema.String),
  handoffs: Schema.Number,
  leads: Schema.Number,
  /** routedAt − T0. */
  timeToRoute: Timing,
  /** acceptedAt − routedAt (the accept clock runs from routing). */
  timeToAccept: Timing,
  /** firstTouchAt − T0: speed-to-lead. */
  timeToFirstTouch: Timing,
  accept: Compliance,
  firstTouch: Compliance,
  /** accept.breached + firstTouch.breached. */
  breaches: Schema.Number
})
export type SlaGroup = typeof SlaGroupSchema.Type

export const SlaReportSchema = Schema.Struct({
  period: ReportPeriod,
  now: ReportDate,
  overall: SlaGroupSchema,
  bySource: Schema.Array(SlaGroupSchema),
  byRep: Schema.Array(SlaGroupSchema),
  byTier: Schema.Array(SlaGroupSchema),
  /** The slowest reps with at least one breach, slowest median first touch first (never touching ranks slowest). */
  wallOfShame: Schema.Array(Schema.Struct({
    rank: Schema.Number,
    repId: Schema.String,
    name: Schema.NullOr(Schema.String),
    handoffs: Schema.Number,
    medianFirstTouchMs: Ms,
    p90FirstTouchMs: Ms,
    firstTouchCompliance: Rate,
    breaches: Schema.Number
  })),
  /** What the SLA clock did about missed deadlines in the period (seed 001: reassign, then escalate). */
  escalation: Schema.Struct({
    /** Leads taken from one rep and given to another in the period, by cause. */
    reassignments: Schema.Number,
    reassignmentsByCause: Schema.Array(Schema.Struct({ cause: Schema.String, count: Schema.Number })),
    /** Breaches sent to a manager in the period (`sla.escalated` messages). */
    escalations: Schema.Number
  })
}).annotations({ identifier: "SlaReport" })
export type SlaReportData = typeof SlaReportSchema.Type

const timing = (values: ReadonlyArray<number>) => ({ count: values.length, medianMs: percentile(values, 0.5), p90Ms: percentile(values, 0.9) })

const compliance = (outcomes: ReadonlyArray<SlaOutcome>) => {
  const met = outcomes.filter((o) => o === "met").length
  const breached = outcomes.filter((o) => o === "breached").length
  return {
    met,
    breached,
    pending: outcomes.filter((o) => o === "pending").length,
    notApplicable: outcomes.filter((o) => o === "n/a").length,
    compliance: ratio(met, met + breached)
  }
}

/** Speed-to-lead and SLA compliance over a set of handoffs. */
export const slaGroup = (key: string | null, name: string | null, handoffs: ReadonlyArray<HandoffRow>, now: Date): SlaGroup => {
  const ms = (a: Date | null, b: Date | null) => (a === null || b === null ? [] : [b.getTime() - a.getTime()])
  const accept = compliance(handoffs.map((h) => acceptOutcome(h, now)))
  const firstTouch = compliance(handoffs.map((h) => firstTouchOutcome(h, now)))
  return {
    key,
    name,
    handoffs: handoffs.length,
    leads: new Set(handoffs.map((h) => h.leadId)).size,
    timeToRoute: timing(handoffs.flatMap((h) => ms(h.t0, h.routedAt))),
    timeToAccept: timing(handoffs.flatMap((h) => ms(h.routedAt, h.acceptedAt))),
    timeToFirstTouch: timing(handoffs.flatMap((h) => ms(h.t0, h.firstTouchAt))),
    accept,
    firstTouch,
    breaches: accept.breached + firstTouch.breached
  }
}

/**
 * The SLA report's figures from the handoffs routed in the period. The wall of shame
 * (seed 001) lists the reps with at least one breach, slowest median speed-to-lead
 * first; a rep with breaches and no first touch at all ranks slowest. At most 10.
 */
export const slaFigures = (handoffs: ReadonlyArray<HandoffRow>, now: Date) => {
  const byRep = groupRows(handoffs, (h) => h.repId).map(([k, rows]) => slaGroup(k, rows[0]?.repName ?? null, rows, now))
  const wallOfShame = byRep
    .filter((g) => g.breaches > 0)
    .sort((a, b) =>
      (b.timeToFirstTouch.medianMs ?? Number.POSITIVE_INFINITY) - (a.timeToFirstTouch.medianMs ?? Number.POSITIVE_INFINITY) ||
      b.breaches - a.breaches || byKey(a.key, b.key)
    )
    .slice(0, 10)
    .map((g, i) => ({
      rank: i + 1,
      repId: g.key ?? "",
      name: g.name,
      handoffs: g.handoffs,
      medianFirstTouchMs: g.timeToFirstTouch.medianMs,
      p90FirstTouchMs: g.timeToFirstTouch.p90Ms,
      firstTouchCompliance: g.firstTouch.compliance,
      breaches: g.breaches
    }))
  return {
    overall: slaGroup(null, null, handoffs, now),
    bySource: groupRows(handoffs, (h) => h.source).map(([k, rows]) => slaGroup(k, null, rows, now)),
    byRep,
    byTier: groupRows(handoffs, (h) => h.tier).map(([k, rows]) => slaGroup(k, null, rows, now)),
    wallOfShame
  }
}

// ---------------------------------------------------------------------------
// Rejections
// ---------------------------------------------------------------------------

const ReasonCount = Schema.Struct({ reason: RejectionReason, count: Schema.Number, share: Rate })
const RejectionGroup = Schema.Struct({
  key: Schema.NullOr(Schema.String),
  name: Schema.NullOr(Schema.String),
  routed: Schema.Number,
  rejected: Schema.Number,
  rate: Rate,
  byReason: Schema.Array(ReasonCount)
})

export const RejectionsReportSchema = Schema.Struct({
  period: ReportPeriod,
  now: ReportDate,
  /** Distinct leads handed to a rep in the period. */
  routed: Schema.Number,
  /** Rejections by sales in the period. */
  rejected: Schema.Number,
  /** rejected ÷ routed. */
  rate: Rate,
  byReason: Schema.Array(ReasonCount),
  byRep: Schema.Array(RejectionGroup),
  bySource: Schema.Array(RejectionGroup),
  byTier: Schema.Array(RejectionGroup),
  /**
   * The calibration alarm (seed 000: sales rejects more than the agreement's limit of the
   * leads routed in a month): judged over the 30 days ending at `to`.
   */
  calibration: Schema.Struct({
    window: ReportPeriod,
    routed: Schema.Number,
    rejected: Schema.Number,
    rate: Rate,
    limit: Schema.Number,
    alarm: Schema.NullOr(ReportAlarm)
  }),
  /** What sales sent back (seed 000: every lead sales does not take goes back to marketing, none is dropped). */
  recycling: Schema.Struct({
    /** Leads sent to nurture in the period: rejected by sales or recycled (inactivity, cadence used up, closed lost). */
    recycled: Schema.Number,
    byReason: Schema.Array(Schema.Struct({ reason: Schema.String, count: Schema.Number })),
    /** Leads that became MQLs again in the period after an earlier spell in nurture or rejected. */
    returned: Schema.Number
  })
}).annotations({ identifier: "RejectionsReport" })
export type RejectionsReportData = typeof RejectionsReportSchema.Type

export interface RejectionRow {
  readonly leadId: string
  readonly at: Date
  readonly reason: string
  readonly repId: string | null
  readonly source: string | null
  readonly tier: string | null
}

export interface RoutedRow {
  readonly leadId: string
  readonly repId: string
  readonly source: string | null
  readonly tier: string | null
}

const reasonCounts = (rows: ReadonlyArray<RejectionRow>) =>
  RejectionReason.literals.map((reason) => {
    const count = rows.filter((r) => r.reason === reason).length
    return { reason, count, share: ratio(count, rows.length) }
  })

/** Rejection counts, by reason and per source / rep / tier against the leads routed there. */
export const rejectionFigures = (rejections: ReadonlyArray<RejectionRow>, routed: ReadonlyArray<RoutedRow>, repNames: ReadonlyMap<string, string>) => {
  const distinctLeads = (rows: ReadonlyArray<RoutedRow>) => new Set(rows.map((r) => r.leadId)).size
  const breakdown = (key: (r: RejectionRow | RoutedRow) => string | null, named: boolean) => {
    const keys = new Set<string | null>([...rejections.map(key), ...routed.map(key)])
    return [...keys].sort(byKey).map((k) => {
      const rej = rejections.filter((r) => key(r) === k)
      const rt = distinctLeads(routed.filter((r) => key(r) === k))
      return {
        key: k,
        name: named && k !== null ? repNames.get(k) ?? null : null,
        routed: rt,
        rejected: rej.length,
        rate: ratio(rej.length, rt),
        byReason: reasonCounts(rej)
      }
    })
  }
  const routedCount = distinctLeads(routed)
  return {
    routed: routedCount,
    rejected: rejections.length,
    rate: ratio(rejections.length, routedCount),
    byReason: reasonCounts(rejections),
    byRep: breakdown((r) => r.repId, true),
    bySource: breakdown((r) => r.source, false),
    byTier: breakdown((r) => r.tier, false)
  }
}

// ---------------------------------------------------------------------------
// Calibration by score band
// ---------------------------------------------------------------------------

const BandFigures = Schema.Struct({
  leads: Schema.Number,
  mql: Schema.Number,
  sal: Schema.Number,
  sql: Schema.Number,
  opportunity: Schema.Number,
  won: Schema.Number,
  rates: Schema.Struct({
    leadToMql: Rate,
    leadToSql: Rate.annotations({ description: "The band's conversion: leads that reached SQL ÷ leads in the band." }),
    mqlToSql: Rate,
    leadToOpportunity: Rate,
    leadToWon: Rate
  })
})

export const CalibrationReportSchema = Schema.Struct({
  period: ReportPeriod,
  now: ReportDate,
  /** Which score the bands use: the lead's current total score (`score_total`). */
  scoreBasis: Schema.Literal("current_score"),
  bandWidth: Schema.Number,
  /** Where the MQL line is now: the agreement's `scoring.mqlThreshold`. */
  threshold: Schema.Number,
  /** The agreement's healthy MQL→SQL band. */
  healthyBand: Schema.Tuple(Schema.Number, Schema.Number),
  /** Bands of the leads created in the period, lowest score first; `from` ≤ score < `to`. */
  bands: Schema.Array(Schema.Struct({
    from: Schema.Number,
    to: Schema.Number,
    aboveThreshold: Schema.Boolean.annotations({ description: "The whole band is at or above the MQL line." }),
    ...BandFigures.fields
  })),
  /** Leads that have no score yet. */
  unscored: BandFigures,
  /**
   * The lowest band whose leads convert to SQL at or above the healthy band's low end —
   * where the data says the MQL line could sit; null when no band does.
   */
  firstHealthyBand: Schema.NullOr(Schema.Struct({ from: Schema.Number, to: Schema.Number, rate: Schema.Number })),
  note: Schema.String
}).annotations({ identifier: "CalibrationReport" })
export type CalibrationReportData = typeof CalibrationReportSchema.Type

export interface ScoredJourney {
  readonly score: number | null
  readonly reachedAt: StageTimes
}

const bandFigures = (rows: ReadonlyArray<ScoredJourney>, now: Date) => {
  const reached = (stage: keyof StageTimes) =>
    rows.filter((r) => {
      const t = effectiveReachedAt({ leadId: "", reachedAt: r.reachedAt })[stage]
      return t !== undefined && t.getTime() <= now.getTime()
    }).length
  const leads = rows.length
  const mql = reached("mql")
  const sql = reached("sql")
  const opportunity = reached("opportunity")
  const won = reached("won")
  return {
    leads,
    mql,
    sal: reached("sal"),
    sql,
    opportunity,
    won,
    rates: {
      leadToMql: ratio(mql, leads),
      leadToSql: ratio(sql, leads),
      mqlToSql: ratio(sql, mql),
      leadToOpportunity: ratio(opportunity, leads),
      leadToWon: ratio(won, leads)
    }
  }
}

/**
 * Conversion by score band (bands of `width` points: 40 ≤ score < 50 is band 40), with
 * implicit stage passing. `firstHealthyBand` is the lowest band whose lead→SQL rate is at
 * or above the healthy MQL→SQL band's low end.
 */
export const calibrationFigures = (
  rows: ReadonlyArray<ScoredJourney>,
  opts: { readonly width: number; readonly threshold: number; readonly healthyBand: readonly [number, number]; readonly now: Date }
) => {
  const scored = rows.filter((r) => r.score !== null && Number.isFinite(r.score))
  const bandOf = (score: number) => Math.floor(score / opts.width) * opts.width
  const starts = [...new Set(scored.map((r) => bandOf(r.score!)))].sort((a, b) => a - b)
  const bands = starts.map((from) => ({
    from,
    to: from + opts.width,
    aboveThreshold: from >= opts.threshold,
    ...bandFigures(scored.filter((r) => bandOf(r.score!) === from), opts.now)
  }))
  const low = opts.healthyBand[0]
  const first = bands.find((b) => b.rates.leadToSql !== null && b.rates.leadToSql >= low - 1e-9)
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`
  const note = first === undefined
    ? `No score band converts to SQL at ${pct(low)} or more yet: the MQL line at ${opts.threshold} cannot be placed from this period's data.`
    : first.to <= opts.threshold
    ? `Leads scoring ${first.from}–${first.to - 1} already convert to SQL at ${pct(first.rates.leadToSql!)} (≥ ${pct(low)}), below the MQL line at ${opts.threshold}: consider lowering it.`
    : first.from > opts.threshold
    ? `Only leads scoring ${first.from} or more convert to SQL at ${pct(low)} or more; the MQL line at ${opts.threshold} lets weaker leads through: consider raising it.`
    : `The first band converting to SQL at ${pct(low)} or more (${first.from}–${first.to - 1}) holds the MQL line at ${opts.threshold}.`
  return {
    bands,
    unscored: bandFigures(rows.filter((r) => r.score === null || !Number.isFinite(r.score)), opts.now),
    firstHealthyBand: first === undefined ? null : { from: first.from, to: first.to, rate: first.rates.leadToSql! },
    note
  }
}

// ---------------------------------------------------------------------------
// Limbo
// ---------------------------------------------------------------------------

const LimboLead = Schema.Struct({
  id: Schema.String,
  stage: Schema.String,
  tier: Schema.NullOr(Schema.String),
  ownerId: Schema.NullOr(Schema.String),
  queue: Schema.NullOr(Schema.String),
  mqlAt: Schema.NullOr(ReportDate),
  deadlineAt: Schema.NullOr(ReportDate),
  createdAt: ReportDate
})
const LimboList = Schema.Struct({ count: Schema.Number, leads: Schema.Array(LimboLead) })

export const LimboReportSchema = Schema.Struct({
  asOf: ReportDate,
  /** The invariant figure, which must be 0: MQLs with neither an owner nor a named queue. */
  limbo: Schema.Number,
  invariantHolds: Schema.Boolean,
  unowned: LimboList,
  /** MQLs waiting in a named queue for a rep (not limbo, but waiting). */
  queued: LimboList,
  /** Leads whose next SLA deadline passed and was not acted on yet. */
  overdue: LimboList
}).annotations({ identifier: "LimboReport" })
export type LimboReportData = typeof LimboReportSchema.Type

// ---------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------

export class ReportQueries extends Context.Tag("@handoff/db/ReportQueries")<ReportQueries, {
  /**
   * The demand waterfall: stage times from the timeline (inquiry = lead created; MQL =
   * first MarkMql; SAL = first Accept; SQL = first Qualify; opportunity = first
   * OpenOpportunity, or the CRM's earlier opening date on the opportunity; won = first
   * CloseWon, or the CRM's earlier close date), through the domain's `waterfall()`, with the
   * reject-rate alarm of `rejectionAlarm()` over the 30 days ending at `to` added to the
   * overall alarms. `groupBy`: source (profile source channel), rep (the first rep the lead
   * was routed to) or tier (the lead's tier).
   */
  readonly waterfall: (input: ReportInput & { readonly groupBy?: ReportGroupBy | undefined }) => Effect.Effect<WaterfallReportData>
  /**
   * Attribution of the opportunities opened in the period (value: their amount) over
   * their leads' channel touches, under `model` (default the agreement's) and every model.
   */
  readonly attribution: (input: ReportInput & { readonly model?: AttributionModel | undefined }) => Effect.Effect<AttributionReportData, AttributionInputError>
  /** Speed-to-lead and SLA compliance of the handoffs routed in the period. */
  readonly sla: (input: ReportInput) => Effect.Effect<SlaReportData>
  /** Sales' rejections in the period by reason, rep, source and tier, and the calibration alarm. */
  readonly rejections: (input: ReportInput) => Effect.Effect<RejectionsReportData>
  /** Conversion by score band of the leads created in the period. */
  readonly calibration: (input: ReportInput) => Effect.Effect<CalibrationReportData>
  /** Leads in limbo now (must be 0), queued MQLs and overdue deadlines: counts and the first 100 of each. */
  readonly limbo: (now: Date) => Effect.Effect<LimboReportData>
}>() {}

const month = 30 * 24 * 60 * 60 * 1000
const limboListLimit = 100

type JourneyRow = {
  id: string
  created_at: unknown
  tier: string | null
  source: string | null
  rep_id: string | null
  score_total: number | null
  mql_at: unknown
  sal_at: unknown
  sql_at: unknown
  opp_at: unknown
  won_at: unknown
}

const stageTimesOf = (r: JourneyRow): StageTimes => {
  const out: Partial<Record<WaterfallStage, Date>> = {}
  const put = (stage: WaterfallStage, v: unknown) => {
    const d = toDate(v)
    if (d !== null) out[stage] = d
  }
  put("inquiry", r.created_at)
  put("mql", r.mql_at)
  put("sal", r.sal_at)
  put("sql", r.sql_at)
  put("opportunity", r.opp_at)
  put("won", r.won_at)
  return out
}

const figuresOf = (w: WaterfallReport, leads: number) => ({
  leads,
  counts: w.counts,
  transitions: w.transitions,
  mqlToSql: w.mqlToSql,
  alarms: w.alarms
})

export const makeReportQueries = Effect.gen(function*() {
  const { q } = yield* SqlRunner

  /**
   * First time each lead reached each stage. `scope` "touched": leads created in the
   * period or with a stage transition in it; "created": leads created in the period.
   */
  const journeys = (period: ReportPeriod, scope: "touched" | "created") =>
    q(async (db) => {
      const from = period.from
      const to = period.to
      const ids = scope === "created"
        ? sql`select id from leads where created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz`
        : sql`select id from leads where created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz
              union
              select lead_id from lead_timeline
               where at >= ${from}::timestamptz and at < ${to}::timestamptz
                 and cause in ('MarkMql', 'Accept', 'Qualify', 'OpenOpportunity', 'CloseWon')
              union
              select lead_id from opportunities
               where (opened_at >= ${from}::timestamptz and opened_at < ${to}::timestamptz)
                  or (won and closed_at >= ${from}::timestamptz and closed_at < ${to}::timestamptz)`
      const { rows } = await sql<JourneyRow>`
        select l.id, l.created_at, l.tier, l.score_total,
               l.profile->'source'->>'channel' as source,
               (select a.rep_id from assignments a where a.lead_id = l.id order by a.routed_at, a.id limit 1) as rep_id,
               min(t.at) filter (where t.cause = 'MarkMql') as mql_at,
               min(t.at) filter (where t.cause = 'Accept') as sal_at,
               min(t.at) filter (where t.cause = 'Qualify') as sql_at,
               least(min(t.at) filter (where t.cause = 'OpenOpportunity'),
                     (select min(o.opened_at) from opportunities o where o.lead_id = l.id)) as opp_at,
               least(min(t.at) filter (where t.cause = 'CloseWon'),
                     (select min(o.closed_at) from opportunities o where o.lead_id = l.id and o.won)) as won_at
          from leads l
          left join lead_timeline t on t.lead_id = l.id
         where l.id in (${ids})
         group by l.id
         order by l.created_at, l.id`.execute(db)
      return rows
    })

  const rejectionRows = (period: ReportPeriod) =>
    q(async (db) => {
      const { rows } = await sql<{ lead_id: string; at: unknown; reason: string | null; rep_id: string | null; source: string | null; tier: string | null }>`
        select t.lead_id, t.at, t.reason, coalesce(t.data->>'repId', case when t.actor_kind = 'rep' then t.actor_id end) as rep_id,
               l.profile->'source'->>'channel' as source, l.tier
          from lead_timeline t
          join leads l on l.id = t.lead_id
         where t.cause = 'Reject' and t.stage = 'rejected'
           and t.at >= ${period.from}::timestamptz and t.at < ${period.to}::timestamptz
         order by t.at, t.id`.execute(db)
      return rows.map((r): RejectionRow => ({
        leadId: r.lead_id,
        at: mustDate(r.at),
        reason: r.reason ?? "other",
        repId: str(r.rep_id),
        source: str(r.source),
        tier: str(r.tier)
      }))
    })

  const routedRows = (period: ReportPeriod) =>
    q(async (db) => {
      const { rows } = await sql<{ lead_id: string; rep_id: string; source: string | null; tier: string | null }>`
        select a.lead_id, a.rep_id, l.profile->'source'->>'channel' as source, a.tier
          from assignments a
          join leads l on l.id = a.lead_id
         where a.routed_at >= ${period.from}::timestamptz and a.routed_at < ${period.to}::timestamptz`.execute(db)
      return rows.map((r): RoutedRow => ({ leadId: r.lead_id, repId: r.rep_id, source: str(r.source), tier: str(r.tier) }))
    })

  const repNames = q(async (db) => {
    const rows = await db.selectFrom("reps").select(["id", "name"]).execute()
    return new Map(rows.map((r) => [r.id, r.name] as const))
  })

  /** The calibration alarm over the 30 days ending at `to`. */
  const calibrationAlarm = (input: ReportInput) =>
    Effect.gen(function*() {
      const window = { from: new Date(input.period.to.getTime() - month), to: input.period.to }
      const rejected = (yield* rejectionRows(window)).length
      const routed = new Set((yield* routedRows(window)).map((r) => r.leadId)).size
      const alarm = rejectionAlarm(routed, rejected, input.agreement.waterfall)
      return { window, routed, rejected, rate: ratio(rejected, routed), limit: input.agreement.waterfall.alarms.rejectRate, alarm: Option.getOrNull(alarm) }
    })

  const pipelineOf = (period: ReportPeriod) =>
    q(async (db) => {
      const { rows } = await sql<{ lead_id: string; worked: boolean; rejected: boolean; touched: boolean; opportunities: number | string; value: number | string | null }>`
        with handed as (
          select lead_id, min(routed_at) as first_routed_at from assignments
           where lead_id in (select lead_id from assignments where routed_at >= ${period.from}::timestamptz and routed_at < ${period.to}::timestamptz)
           group by lead_id
          having min(routed_at) >= ${period.from}::timestamptz and min(routed_at) < ${period.to}::timestamptz)
        select h.lead_id,
               exists (select 1 from assignments a where a.lead_id = h.lead_id and a.accepted_at is not null and a.first_touch_at is not null) as worked,
               exists (select 1 from assignments a where a.lead_id = h.lead_id and a.first_touch_at is not null) as touched,
               exists (select 1 from lead_timeline t where t.lead_id = h.lead_id and t.cause = 'Reject' and t.at >= h.first_routed_at) as rejected,
               (select count(*) from opportunities o where o.lead_id = h.lead_id) as opportunities,
               (select sum(o.amount) from opportunities o where o.lead_id = h.lead_id) as value
          from handed h`.execute(db)
      const sum = (rs: typeof rows) => ({
        leads: rs.length,
        opportunities: rs.reduce((n, r) => n + Number(r.opportunities), 0),
        value: rs.reduce((n, r) => n + Number(r.value ?? 0), 0)
      })
      return {
        sourced: sum(rows),
        worked: sum(rows.filter((r) => r.worked)),
        rejected: rows.filter((r) => r.rejected).length,
        untouched: rows.filter((r) => !r.touched && !r.rejected).length
      }
    })

  const waterfallReport: ReportQueries["Type"]["waterfall"] = (input) =>
    Effect.gen(function*() {
      const rows = yield* journeys(input.period, "touched")
      const policy = input.agreement.waterfall
      const all: Array<LeadJourney & { readonly tier: string | null }> = rows.map((r) => ({
        leadId: r.id,
        reachedAt: stageTimesOf(r),
        ...(str(r.source) === null ? {} : { source: str(r.source)! }),
        ...(str(r.rep_id) === null ? {} : { repId: str(r.rep_id)! }),
        tier: str(r.tier)
      }))
      const overall = waterfall(all, input.period, policy, input.now)
      const { alarm } = yield* calibrationAlarm(input)
      const keyOf = (j: (typeof all)[number]): string | null =>
        input.groupBy === "source" ? j.source ?? null : input.groupBy === "rep" ? j.repId ?? null : j.tier
      const groups = input.groupBy === undefined
        ? []
        : groupRows(all, keyOf).map(([key, js]) => ({ key, ...figuresOf(waterfall(js, input.period, policy, input.now), js.length) }))
      const figures = figuresOf(overall, all.length)
      const pipeline = yield* pipelineOf(input.period)
      return {
        period: input.period,
        now: input.now,
        groupBy: input.groupBy ?? null,
        ...figures,
        alarms: alarm === null ? figures.alarms : [...figures.alarms, alarm],
        groups,
        pipeline
      }
    })

  const attributionReport: ReportQueries["Type"]["attribution"] = (input) =>
    Effect.gen(function*() {
      const { from, to } = input.period
      const data = yield* q(async (db) => {
        const opps = await sql<{ id: string; lead_id: string; amount: string | number; opened_at: unknown; mql_at: unknown }>`
          select o.id, o.lead_id, o.amount, o.opened_at,
                 (select max(t.at) from lead_timeline t where t.lead_id = o.lead_id and t.cause = 'MarkMql' and t.at <= o.opened_at) as mql_at
            from opportunities o
           where o.opened_at >= ${from}::timestamptz and o.opened_at < ${to}::timestamptz
           order by o.opened_at, o.id`.execute(db)
        const open = await sql<{ id: string }>`
          select l.id from leads l
           where l.created_at >= ${from}::timestamptz and l.created_at < ${to}::timestamptz and l.stage <> 'merged'
             and not exists (select 1 from opportunities o where o.lead_id = l.id and o.opened_at < ${to}::timestamptz)
           order by l.created_at, l.id`.execute(db)
        const events = await sql<{ lead_id: string; channel: string; campaign: string | null; occurred_at: unknown }>`
          select e.lead_id, e.channel, e.campaign, e.occurred_at
            from lead_events e
           where e.channel is not null and e.channel <> '' and e.occurred_at < ${to}::timestamptz
             and e.lead_id in (
               select o.lead_id from opportunities o where o.opened_at >= ${from}::timestamptz and o.opened_at < ${to}::timestamptz
               union
               select l.id from leads l where l.created_at >= ${from}::timestamptz and l.created_at < ${to}::timestamptz)
           order by e.lead_id, e.occurred_at, e.id`.execute(db)
        return { opps: opps.rows, open: open.rows, events: events.rows }
      })
      const touchesByLead = new Map<string, Array<{ channel: string; campaign: string | null; at: Date }>>()
      for (const e of data.events) {
        const list = touchesByLead.get(e.lead_id) ?? []
        list.push({ channel: e.channel, campaign: str(e.campaign), at: mustDate(e.occurred_at) })
        touchesByLead.set(e.lead_id, list)
      }
      const paths: Array<ConversionPath> = []
      let unattributedConversions = 0
      let unattributedValue = 0
      let value = 0
      for (const o of data.opps) {
        const amount = Number(o.amount)
        value += amount
        const touches = conversionPath({
          opportunityId: o.id,
          leadId: o.lead_id,
          amount,
          openedAt: mustDate(o.opened_at),
          mqlAt: toDate(o.mql_at),
          touches: touchesByLead.get(o.lead_id) ?? []
        })
        if (touches.length === 0) {
          unattributedConversions++
          unattributedValue += amount
        } else paths.push({ touches, conversions: 1, value: amount })
      }
      const converted = paths.length
      for (const l of data.open) {
        const touches = (touchesByLead.get(l.id) ?? []).map((t): Touch => ({ channel: t.channel, ...(t.campaign === null ? {} : { campaign: t.campaign }), at: t.at }))
        paths.push({ touches, conversions: 0, value: 0, nulls: 1 })
      }
      const policy = input.agreement.attribution
      const settings: Omit<AttributionSettings, "model"> = {
        halfLife: durationMillis(policy.halfLife),
        ...(policy.custom === undefined ? {} : { custom: policy.custom })
      }
      const model = input.model ?? policy.model
      const result = yield* Either.match(attribute(paths, { ...settings, model }), { onLeft: Effect.fail, onRight: Effect.succeed })
      const comparison = yield* Either.match(attributeAll(paths, settings), { onLeft: Effect.fail, onRight: Effect.succeed })
      const channels = [...new Set(comparison.flatMap((r) => r.byChannel.map((c) => c.channel)))].sort()
      const table = channels.map((channel) => ({
        channel,
        credits: comparison.map((r) => {
          const c = r.byChannel.find((x) => x.channel === channel)
          return { model: r.model, conversions: c?.conversions ?? 0, value: c?.value ?? 0 }
        })
      }))
      return {
        period: input.period,
        now: input.now,
        conversion: "opportunity_opened" as const,
        model,
        modelSource: input.model === undefined ? "agreement" as const : "query" as const,
        conversions: data.opps.length,
        value,
        unattributed: { conversions: unattributedConversions, value: unattributedValue },
        journeys: { converted, notConverted: data.open.length },
        result,
        comparison,
        table
      }
    })

  const slaReport: ReportQueries["Type"]["sla"] = (input) =>
    Effect.gen(function*() {
      const rows = yield* q(async (db) => {
        const { rows } = await sql<{
          lead_id: string; rep_id: string; rep_name: string | null; pod: string; tier: string; source: string | null
          t0: unknown; routed_at: unknown; accept_by: unknown; first_touch_by: unknown; accepted_at: unknown; first_touch_at: unknown
          rejected_at: unknown; ended_at: unknown
        }>`
          select a.lead_id, a.rep_id, r.name as rep_name, a.pod, a.tier, l.profile->'source'->>'channel' as source,
                 a.t0, a.routed_at, a.accept_by, a.first_touch_by, a.accepted_at, a.first_touch_at,
                 (select min(t.at) from lead_timeline t
                   where t.lead_id = a.lead_id and t.at >= a.routed_at and t.cause = 'Reject' and t.stage = 'rejected'
                     and t.data->>'repId' = a.rep_id) as rejected_at,
                 (select min(t.at) from lead_timeline t
                   where t.lead_id = a.lead_id and t.at >= a.routed_at
                     and ((t.cause = 'Reassign' and t.data->>'fromRepId' = a.rep_id)
                          or t.stage in ('rejected', 'nurture', 'merged', 'lost', 'won'))) as ended_at
            from assignments a
            join leads l on l.id = a.lead_id
            left join reps r on r.id = a.rep_id
           where a.routed_at >= ${input.period.from}::timestamptz and a.routed_at < ${input.period.to}::timestamptz
           order by a.routed_at, a.id`.execute(db)
        return rows
      })
      const handoffs = rows.map((r): HandoffRow => ({
        leadId: r.lead_id,
        repId: r.rep_id,
        repName: r.rep_name,
        pod: r.pod,
        tier: r.tier,
        source: str(r.source),
        t0: mustDate(r.t0),
        routedAt: mustDate(r.routed_at),
        acceptBy: toDate(r.accept_by),
        firstTouchBy: toDate(r.first_touch_by),
        acceptedAt: toDate(r.accepted_at),
        firstTouchAt: toDate(r.first_touch_at),
        rejectedAt: toDate(r.rejected_at),
        endedAt: toDate(r.ended_at)
      }))
      const escalation = yield* q(async (db) => {
        const reassigned = await sql<{ cause: string | null; count: number | string }>`
          select reason as cause, count(*) as count from lead_timeline
           where cause = 'Reassign' and at >= ${input.period.from}::timestamptz and at < ${input.period.to}::timestamptz
           group by reason order by count(*) desc, reason`.execute(db)
        const escalated = await sql<{ count: number | string }>`
          select count(*) as count from outbox
           where topic = 'sla.escalated' and at >= ${input.period.from}::timestamptz and at < ${input.period.to}::timestamptz`.execute(db)
        const byCause = reassigned.rows.map((r) => ({ cause: r.cause ?? "unknown", count: Number(r.count) }))
        return {
          reassignments: byCause.reduce((n, r) => n + r.count, 0),
          reassignmentsByCause: byCause,
          escalations: Number(escalated.rows[0]?.count ?? 0)
        }
      })
      return { period: input.period, now: input.now, ...slaFigures(handoffs, input.now), escalation }
    })

  const rejectionsReport: ReportQueries["Type"]["rejections"] = (input) =>
    Effect.gen(function*() {
      const rejections = yield* rejectionRows(input.period)
      const routed = yield* routedRows(input.period)
      const names = yield* repNames
      const calibration = yield* calibrationAlarm(input)
      const recycling = yield* q(async (db) => {
        const { from, to } = input.period
        const recycled = await sql<{ reason: string | null; count: number | string }>`
          select reason, count(distinct lead_id) as count from lead_timeline
           where stage = 'nurture' and from_stage <> 'nurture' and at >= ${from}::timestamptz and at < ${to}::timestamptz
           group by reason order by count(distinct lead_id) desc, reason`.execute(db)
        const leads = await sql<{ count: number | string }>`
          select count(distinct lead_id) as count from lead_timeline
           where stage = 'nurture' and from_stage <> 'nurture' and at >= ${from}::timestamptz and at < ${to}::timestamptz`.execute(db)
        const returned = await sql<{ count: number | string }>`
          select count(distinct t.lead_id) as count from lead_timeline t
           where t.cause = 'MarkMql' and t.at >= ${from}::timestamptz and t.at < ${to}::timestamptz
             and exists (select 1 from lead_timeline p
                          where p.lead_id = t.lead_id and p.at < t.at and p.stage in ('nurture', 'rejected'))`.execute(db)
        return {
          recycled: Number(leads.rows[0]?.count ?? 0),
          byReason: recycled.rows.map((r) => ({ reason: r.reason ?? "other", count: Number(r.count) })),
          returned: Number(returned.rows[0]?.count ?? 0)
        }
      })
      return { period: input.period, now: input.now, ...rejectionFigures(rejections, routed, names), calibration, recycling }
    })

  const calibrationReport: ReportQueries["Type"]["calibration"] = (input) =>
    Effect.gen(function*() {
      const rows = yield* journeys(input.period, "created")
      const width = 10
      const threshold = input.agreement.scoring.mqlThreshold
      const healthyBand = input.agreement.waterfall.mqlToSqlBand
      const figures = calibrationFigures(
        rows.map((r) => ({ score: r.score_total === null ? null : Number(r.score_total), reachedAt: stageTimesOf(r) })),
        { width, threshold, healthyBand, now: input.now }
      )
      return {
        period: input.period,
        now: input.now,
        scoreBasis: "current_score" as const,
        bandWidth: width,
        threshold,
        healthyBand,
        ...figures
      }
    })

  const limboReport: ReportQueries["Type"]["limbo"] = (now) =>
    q(async (db) => {
      type Row = { id: string; stage: string; tier: string | null; owner_id: string | null; queue: string | null; mql_at: unknown; next_deadline_at: unknown; created_at: unknown; total: number | string }
      const list = async (where: ReturnType<typeof sql>, order: ReturnType<typeof sql>) => {
        const { rows } = await sql<Row>`
          select id, stage, tier, owner_id, queue, mql_at, next_deadline_at, created_at, count(*) over () as total
            from leads
           where ${where}
           order by ${order}, id
           limit ${limboListLimit}`.execute(db)
        return {
          count: rows.length === 0 ? 0 : Number(rows[0]!.total),
          leads: rows.map((r) => ({
            id: r.id,
            stage: r.stage,
            tier: r.tier,
            ownerId: r.owner_id,
            queue: r.queue,
            mqlAt: toDate(r.mql_at),
            deadlineAt: toDate(r.next_deadline_at),
            createdAt: mustDate(r.created_at)
          }))
        }
      }
      const unowned = await list(sql`stage = 'mql' and owner_id is null and queue is null`, sql`mql_at nulls first`)
      const queued = await list(sql`stage = 'mql' and owner_id is null and queue is not null`, sql`mql_at nulls first`)
      const overdue = await list(sql`next_deadline_at < ${now}::timestamptz`, sql`next_deadline_at`)
      return { asOf: now, limbo: unowned.count, invariantHolds: unowned.count === 0, unowned, queued, overdue }
    })

  return ReportQueries.of({
    waterfall: waterfallReport,
    attribution: attributionReport,
    sla: slaReport,
    rejections: rejectionsReport,
    calibration: calibrationReport,
    limbo: limboReport
  })
})

/** The report queries on the store. Needs `SqlRunner` (from `storeLayer`). */
export const ReportQueriesLive = Layer.effect(ReportQueries, makeReportQueries)
