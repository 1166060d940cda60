/**
 * Report snapshots to build the site from: `fixtureSnapshot()`, a small week with figures
 * small enough to check by hand, and `largeSnapshot()`, the week of a company taking 4,000
 * leads a month after a year (many reps, sources, campaigns and score bands; long lead lists).
 */
import { agreementDocumentOf, type WeeklySnapshot } from "@handoff/db"
import { defaultAgreement } from "@handoff/domain"

type Counts = WeeklySnapshot["waterfall"]["counts"]
type Waterfall = WeeklySnapshot["waterfall"]
type SlaGroup = WeeklySnapshot["sla"]["overall"]
type Transition = Waterfall["transitions"][number]

const from = new Date("2026-11-23T05:00:00.000Z") // Monday 00:00 in New York
const to = new Date("2026-11-30T05:00:00.000Z")
const now = new Date("2026-11-30T06:00:00.000Z")
const period = { from, to }

const rate = (n: number, d: number) => (d > 0 ? n / d : null)

const transition = (f: Transition["from"], t: Transition["to"], enteredFrom: number, reached: number, target: number | null, owner: string | null, medianMs: number | null): Transition => {
  const cohortRate = rate(reached, enteredFrom)
  const deltaPoints = cohortRate === null || target === null ? null : (cohortRate - target) * 100
  return {
    from: f,
    to: t,
    enteredFrom,
    enteredTo: reached,
    flowRate: cohortRate,
    cohortReached: reached,
    cohortRate,
    medianMs,
    p90Ms: medianMs === null ? null : medianMs * 3,
    target,
    deltaPoints,
    owner,
    status: cohortRate === null ? "no_data" : target === null ? "no_target" : cohortRate >= target ? "ok" : "below"
  }
}

const figures = (c: Counts) => {
  const mqlToSql = rate(c.sql, c.mql)
  return {
    leads: c.inquiry,
    counts: c,
    transitions: [
      transition("inquiry", "mql", c.inquiry, c.mql, null, "marketing", 3_600_000),
      transition("mql", "sal", c.mql, c.sal, null, "sdr", 1_800_000),
      transition("sal", "sql", c.sal, c.sql, null, "sdr", 86_400_000),
      transition("mql", "sql", c.mql, c.sql, 0.55, "marketing", 90_000_000),
      transition("sql", "opportunity", c.sql, c.opportunity, null, "ae", 172_800_000),
      transition("opportunity", "won", c.opportunity, c.won, null, "ae", null)
    ],
    mqlToSql: {
      rate: mqlToSql,
      band: [0.4, 0.7] as const,
      target: 0.55,
      status: mqlToSql === null ? "no_data" as const : mqlToSql < 0.4 ? "too_low" as const : mqlToSql > 0.7 ? "too_high" as const : "healthy" as const
    },
    alarms: mqlToSql !== null && Math.abs(mqlToSql - 0.55) > 0.05
      ? [{ kind: "mql_to_sql_drift" as const, message: `MQL→SQL is ${(mqlToSql * 100).toFixed(1)}%, more than 5 points off the 55% target: recalibrate the score.`, value: mqlToSql, limit: 0.05 }]
      : []
  }
}

const waterfallReport = (c: Counts, groupBy: Waterfall["groupBy"], groups: ReadonlyArray<{ key: string | null; counts: Counts }>): Waterfall => ({
  period,
  now,
  groupBy,
  ...figures(c),
  groups: groups.map((g) => ({ key: g.key, ...figures(g.counts) })),
  pipeline: { sourced: { leads: c.mql, opportunities: c.opportunity, value: c.opportunity * 40_000 }, worked: { leads: c.sal, opportunities: c.opportunity, value: c.opportunity * 40_000 }, rejected: 2, untouched: c.mql - c.sal - 2 }
})

const timing = (count: number, medianMs: number | null) => ({ count, medianMs, p90Ms: medianMs === null ? null : medianMs * 4 })

const slaGroup = (key: string | null, name: string | null, handoffs: number, medianTouchMs: number | null, breached: number): SlaGroup => ({
  key,
  name,
  handoffs,
  leads: handoffs,
  timeToRoute: timing(handoffs, handoffs === 0 ? null : 180),
  timeToAccept: timing(handoffs, handoffs === 0 ? null : 75_000),
  timeToFirstTouch: timing(handoffs, medianTouchMs),
  accept: { met: handoffs, breached: 0, pending: 0, notApplicable: 0, compliance: handoffs === 0 ? null : 1 },
  firstTouch: { met: handoffs - breached, breached, pending: 0, notApplicable: 0, compliance: rate(handoffs - breached, handoffs) },
  breaches: breached
})

const add = (a: Counts, b: Counts): Counts => ({ inquiry: a.inquiry + b.inquiry, mql: a.mql + b.mql, sal: a.sal + b.sal, sql: a.sql + b.sql, opportunity: a.opportunity + b.opportunity, won: a.won + b.won })
const zero: Counts = { inquiry: 0, mql: 0, sal: 0, sql: 0, opportunity: 0, won: 0 }

export interface SnapshotShape {
  /** Leads per source this week. */
  readonly sources: ReadonlyArray<{ readonly key: string; readonly counts: Counts }>
  readonly reps: ReadonlyArray<{ readonly id: string; readonly name: string; readonly handoffs: number; readonly medianTouchMs: number; readonly breaches: number }>
  readonly campaigns: number
  readonly limboLeads: number
  readonly overdueLeads: number
  readonly bands: number
  /** Last week's counts (the trend's second-to-last week). */
  readonly lastWeek: Counts
}

/** A snapshot of the shape given: every figure follows from the shape, so tests can predict it. */
export const snapshotOf = (shape: SnapshotShape): WeeklySnapshot => {
  const counts = shape.sources.reduce((acc, s) => add(acc, s.counts), zero)
  const routed = shape.reps.reduce((n, r) => n + r.handoffs, 0)
  const breached = shape.reps.reduce((n, r) => n + r.breaches, 0)
  const channels = shape.sources.map((s) => s.key)
  const value = counts.opportunity * 40_000
  const share = (i: number) => (channels.length === 0 ? 0 : (i + 1) / ((channels.length * (channels.length + 1)) / 2))
  const credit = (model: "w_shaped" | "first_touch" | "last_touch" | "linear" | "u_shaped" | "time_decay" | "markov", tilt: number) => ({
    model,
    byChannel: channels.map((channel, i) => ({ channel, conversions: counts.opportunity * share(i) * (1 + tilt) / (1 + tilt), value: value * share(i) })),
    ...(model === "markov"
      ? { removalEffects: channels.map((channel, i) => ({ channel, removalEffect: share(i) })), conversionProbability: 0.05 }
      : { byCampaign: Array.from({ length: shape.campaigns }, (_, i) => ({ channel: channels[i % Math.max(1, channels.length)] ?? "organic", campaign: `campaign-${String(i + 1).padStart(3, "0")}`, conversions: counts.opportunity / Math.max(1, shape.campaigns), value: value / Math.max(1, shape.campaigns) })) }),
    totals: { conversions: counts.opportunity, value }
  })
  const models = ["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov"] as const
  const comparison = models.map((m, i) => credit(m, i / 10))
  const lead = (i: number, kind: "unowned" | "overdue") => ({
    id: `lead-${kind}-${i}`,
    stage: "mql",
    tier: "warm",
    ownerId: kind === "overdue" ? shape.reps[i % Math.max(1, shape.reps.length)]?.id ?? null : null,
    queue: kind === "overdue" ? "sdr" : null,
    mqlAt: from,
    deadlineAt: kind === "overdue" ? new Date(now.getTime() - 60_000 * (i + 1)) : null,
    createdAt: from
  })
  const bandRows = Array.from({ length: shape.bands }, (_, i) => {
    const leads = 20 + i
    const sql = Math.min(leads, Math.round(leads * (i / shape.bands)))
    return {
      from: i * 10,
      to: i * 10 + 10,
      aboveThreshold: i * 10 >= 55,
      leads,
      mql: i * 10 >= 50 ? leads : 0,
      sal: sql,
      sql,
      opportunity: Math.floor(sql / 2),
      won: Math.floor(sql / 4),
      rates: { leadToMql: i * 10 >= 50 ? 1 : 0, leadToSql: sql / leads, mqlToSql: i * 10 >= 50 ? sql / leads : null, leadToOpportunity: Math.floor(sql / 2) / leads, leadToWon: Math.floor(sql / 4) / leads }
    }
  })
  const firstHealthy = bandRows.find((b) => b.rates.leadToSql >= 0.4)
  const previous = { version: 1, agreement: defaultAgreement, createdAt: new Date("2026-09-01T14:00:00Z"), createdBy: "key:admin" }
  const active = {
    version: 2,
    agreement: {
      ...defaultAgreement,
      scoring: { ...defaultAgreement.scoring, mqlThreshold: 55 },
      signatures: [{ role: "VP Marketing", name: "Avery Stone", signedAt: "2026-10-01" }, { role: "VP Sales", name: "Jordan Blake", signedAt: "2026-10-02" }]
    },
    createdAt: new Date("2026-10-02T15:00:00Z"),
    createdBy: "key:admin"
  }
  const byReason = [
    { reason: "wrong_icp" as const, count: 3, share: rate(3, 6) },
    { reason: "premature" as const, count: 2, share: rate(2, 6) },
    { reason: "unreachable" as const, count: 1, share: rate(1, 6) }
  ]
  const rejected = byReason.reduce((n, r) => n + r.count, 0)
  return {
    weekStart: "2026-11-23",
    period,
    generatedAt: now,
    timezone: "America/New_York",
    agreement: { version: 2, name: defaultAgreement.name },
    waterfall: waterfallReport(counts, null, []),
    waterfallBySource: waterfallReport(counts, "source", shape.sources),
    waterfallByTier: waterfallReport(counts, "tier", [{ key: "hot", counts: { ...zero, inquiry: counts.mql, mql: counts.mql } }]),
    sla: {
      period,
      now,
      overall: slaGroup(null, null, routed, shape.reps.length === 0 ? null : [...shape.reps].sort((a, b) => a.medianTouchMs - b.medianTouchMs)[Math.floor(shape.reps.length / 2)]!.medianTouchMs, breached),
      bySource: shape.sources.map((s) => slaGroup(s.key, null, s.counts.mql, 240_000, 0)),
      byRep: shape.reps.map((r) => slaGroup(r.id, r.name, r.handoffs, r.medianTouchMs, r.breaches)),
      byTier: [slaGroup("hot", null, routed, 240_000, breached)],
      wallOfShame: shape.reps.filter((r) => r.breaches > 0).sort((a, b) => b.medianTouchMs - a.medianTouchMs).map((r, i) => ({
        rank: i + 1,
        repId: r.id,
        name: r.name,
        handoffs: r.handoffs,
        medianFirstTouchMs: r.medianTouchMs,
        p90FirstTouchMs: r.medianTouchMs * 4,
        firstTouchCompliance: rate(r.handoffs - r.breaches, r.handoffs),
        breaches: r.breaches
      })),
      escalation: { reassignments: 4, reassignmentsByCause: [{ cause: "accept_sla_missed", count: 3 }, { cause: "rep_inactive", count: 1 }], escalations: breached }
    },
    rejections: {
      period,
      now,
      routed,
      rejected,
      rate: rate(rejected, routed),
      byReason,
      byRep: shape.reps.map((r, i) => ({ key: r.id, name: r.name, routed: r.handoffs, rejected: i === 0 ? rejected : 0, rate: rate(i === 0 ? rejected : 0, r.handoffs), byReason: i === 0 ? byReason : [] })),
      bySource: shape.sources.map((s) => ({ key: s.key, name: null, routed: s.counts.mql, rejected: 0, rate: rate(0, s.counts.mql), byReason: [] })),
      byTier: [],
      calibration: {
        window: { from: new Date(to.getTime() - 30 * 86_400_000), to },
        routed: routed * 4,
        rejected: rejected * 4,
        rate: rate(rejected * 4, routed * 4),
        limit: 0.2,
        alarm: routed > 0 && rejected / routed > 0.2 ? { kind: "reject_rate", message: `Sales rejected ${((rejected / routed) * 100).toFixed(1)}% of routed leads in 30 days (limit 20%): hold a calibration session.`, value: rejected / routed, limit: 0.2 } : null
      },
      recycling: { recycled: rejected + 2, byReason: [...byReason.map((r) => ({ reason: r.reason, count: r.count })), { reason: "inactivity", count: 2 }], returned: 1 }
    },
    attribution: {
      period,
      now,
      conversion: "opportunity_opened",
      model: "w_shaped",
      modelSource: "agreement",
      conversions: counts.opportunity,
      value,
      unattributed: { conversions: 0, value: 0 },
      journeys: { converted: counts.opportunity, notConverted: counts.inquiry - counts.opportunity },
      result: comparison.find((c) => c.model === "w_shaped")!,
      comparison,
      table: channels.map((channel) => ({ channel, credits: comparison.map((c) => ({ model: c.model, conversions: c.byChannel.find((x) => x.channel === channel)!.conversions, value: c.byChannel.find((x) => x.channel === channel)!.value })) }))
    },
    calibration: {
      period,
      now,
      scoreBasis: "current_score",
      bandWidth: 10,
      threshold: 55,
      healthyBand: [0.4, 0.7],
      bands: bandRows,
      unscored: { leads: 0, mql: 0, sal: 0, sql: 0, opportunity: 0, won: 0, rates: { leadToMql: null, leadToSql: null, mqlToSql: null, leadToOpportunity: null, leadToWon: null } },
      firstHealthyBand: firstHealthy === undefined ? null : { from: firstHealthy.from, to: firstHealthy.to, rate: firstHealthy.rates.leadToSql },
      note: firstHealthy === undefined ? "No score band converts to SQL at 40% or more yet." : `Leads scoring ${firstHealthy.from}–${firstHealthy.to - 1} convert to SQL at ${(firstHealthy.rates.leadToSql * 100).toFixed(1)}%.`
    },
    limbo: {
      asOf: now,
      limbo: shape.limboLeads,
      invariantHolds: shape.limboLeads === 0,
      unowned: { count: shape.limboLeads, leads: Array.from({ length: shape.limboLeads }, (_, i) => lead(i, "unowned")) },
      queued: { count: 0, leads: [] },
      overdue: { count: shape.overdueLeads, leads: Array.from({ length: shape.overdueLeads }, (_, i) => lead(i, "overdue")) }
    },
    trend: [
      ...Array.from({ length: 11 }, (_, i) => {
        const d = new Date(from.getTime() - (12 - i) * 7 * 86_400_000)
        return { weekStart: d.toISOString().slice(0, 10), ...shape.lastWeek, inquiry: shape.lastWeek.inquiry + i }
      }),
      { weekStart: "2026-11-16", ...shape.lastWeek },
      { weekStart: "2026-11-23", ...counts }
    ],
    agreementDocument: agreementDocumentOf(active, previous)
  }
}

/** A small week: 3 sources, 3 reps (one breaching), 2 campaigns, no lead in limbo. */
export const fixtureShape: SnapshotShape = {
  sources: [
    { key: "paid_search", counts: { inquiry: 40, mql: 16, sal: 10, sql: 8, opportunity: 4, won: 1 } },
    { key: "organic", counts: { inquiry: 30, mql: 10, sal: 7, sql: 5, opportunity: 2, won: 1 } },
    { key: "webinar", counts: { inquiry: 30, mql: 4, sal: 3, sql: 2, opportunity: 1, won: 0 } }
  ],
  reps: [
    { id: "rep-ana", name: "Ana Ruiz", handoffs: 12, medianTouchMs: 180_000, breaches: 0 },
    { id: "rep-ben", name: "Ben Okafor", handoffs: 10, medianTouchMs: 3_600_000, breaches: 4 },
    { id: "rep-cy", name: "Cy Tanaka", handoffs: 8, medianTouchMs: 420_000, breaches: 1 }
  ],
  campaigns: 2,
  limboLeads: 0,
  overdueLeads: 2,
  bands: 10,
  lastWeek: { inquiry: 80, mql: 25, sal: 18, sql: 12, opportunity: 5, won: 2 }
}

export const fixtureSnapshot = (): WeeklySnapshot => snapshotOf(fixtureShape)

/**
 * A year into a company taking 4,000 leads a month (about 930 a week): 12 sources, 40 reps,
 * 400 campaigns, 20 score bands, and long lists of leads past a deadline.
 */
export const largeSnapshot = (): WeeklySnapshot => {
  const sources = ["organic", "content_syndication", "email", "webinar", "paid_search", "linkedin", "events", "partner", "referral", "direct", "display", "review_sites"]
  return snapshotOf({
    sources: sources.map((key, i) => {
      const inquiry = 40 + i * 10
      const mql = Math.round(inquiry * 0.3)
      const sal = Math.round(mql * 0.8)
      const sql = Math.round(mql * 0.5)
      return { key, counts: { inquiry, mql, sal, sql, opportunity: Math.round(sql * 0.4), won: Math.round(sql * 0.12) } }
    }),
    reps: Array.from({ length: 40 }, (_, i) => ({ id: `rep-${i + 1}`, name: `Rep ${i + 1}`, handoffs: 6 + (i % 7), medianTouchMs: 60_000 * (1 + i * 7), breaches: i % 3 })),
    campaigns: 400,
    limboLeads: 0,
    overdueLeads: 3_000,
    bands: 20,
    lastWeek: { inquiry: 900, mql: 280, sal: 220, sql: 140, opportunity: 55, won: 16 }
  })
}
