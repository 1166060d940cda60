/**
 * The weekly funnel site's content, computed from one report snapshot: for each page the
 * story in one sentence, the headline figures, the charts (SVG) and the tables (which the
 * site also offers as CSV). Pure: the same snapshot gives the same site, and every figure on
 * a page is a value of the snapshot (the same the API's `/v1/reports/*` give for that week)
 * or a difference of two of them.
 */
import type { WeeklySnapshot } from "@handoff/db"
import { barChart, funnelChart, lineChart } from "./charts.ts"
import { day, duration, type Format, int, label, modelName, money, pct, points, stageName } from "./format.ts"

export interface Column {
  readonly key: string
  readonly label: string
  readonly format: Format
}

export interface Table {
  /** Unique on the site: the CSV is `csv/<id>.csv`. */
  readonly id: string
  readonly title: string
  readonly columns: ReadonlyArray<Column>
  readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>
  /** Rows shown on the page (the CSV has them all). */
  readonly show?: number
  readonly empty?: string
}

export type Tone = "good" | "bad" | "neutral"

export interface Kpi {
  readonly id: string
  readonly label: string
  readonly value: number | string | null
  readonly format: Format
  /** Last week's value, when the comparison means something. */
  readonly previous?: number | null
  readonly tone?: Tone
  readonly hint?: string
}

export interface Chart {
  readonly id: string
  readonly title: string
  readonly svg: string
}

export interface Section {
  readonly id: string
  readonly title: string
  readonly story?: string
  readonly kpis?: ReadonlyArray<Kpi>
  readonly charts?: ReadonlyArray<Chart>
  readonly tables?: ReadonlyArray<Table>
  /** Preformatted text (the agreement as YAML). */
  readonly pre?: string
}

export interface Alarm {
  readonly kind: string
  readonly message: string
}

export interface Page {
  /** `index` for the overview; the page is `<slug>.html`. */
  readonly slug: string
  readonly title: string
  readonly story: string
  readonly alarms: ReadonlyArray<Alarm>
  readonly sections: ReadonlyArray<Section>
}

export interface SiteModel {
  readonly title: string
  readonly weekStart: string
  /** "Mon 23 Nov 2026 – Sun 29 Nov 2026" in the agreement's time zone. */
  readonly weekLabel: string
  readonly timezone: string
  readonly generatedAt: string
  readonly agreement: { readonly version: number; readonly name: string }
  readonly pages: ReadonlyArray<Page>
}

const stages = ["inquiry", "mql", "sal", "sql", "opportunity", "won"] as const
type Stage = typeof stages[number]
type Counts = Readonly<Record<Stage, number>>

const col = (key: string, labelText: string, format: Format = "int"): Column => ({ key, label: labelText, format })
const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : d)

/** The change from last week as a fraction (null when last week had none). */
export const change = (now: number, before: number | null | undefined): number | null =>
  before === null || before === undefined || before === 0 ? null : (now - before) / before

const changeText = (now: number, before: number | undefined): string => {
  if (before === undefined) return ""
  const c = change(now, before)
  if (c === null) return now === 0 ? " (none last week either)" : ` (none last week)`
  if (c === 0) return " (same as last week)"
  return ` (${c > 0 ? "+" : "−"}${Math.round(Math.abs(c) * 100)}% on last week)`
}

const rateTone = (status: string): Tone => (status === "ok" || status === "healthy" ? "good" : status === "below" || status === "too_low" || status === "too_high" ? "bad" : "neutral")

// ---------------------------------------------------------------------------
// Overview
// ---------------------------------------------------------------------------

const overview = (s: WeeklySnapshot): Page => {
  const counts: Counts = s.waterfall.counts
  const last = s.trend.length >= 2 ? s.trend[s.trend.length - 2] : undefined
  const stageKpis: Array<Kpi> = stages.map((st) => ({
    id: `count-${st}`,
    label: stageName[st]!,
    value: counts[st],
    format: "int",
    ...(last === undefined ? {} : { previous: last[st] })
  }))
  const ft = s.sla.overall.firstTouch
  const ac = s.sla.overall.accept
  const limbo = s.limbo.limbo
  const p = s.waterfall.pipeline
  const alarms = [...s.waterfall.alarms, ...(s.rejections.calibration.alarm === null ? [] : [s.rejections.calibration.alarm])]
  const uniqueAlarms = alarms.filter((a, i) => alarms.findIndex((b) => b.kind === a.kind && b.message === a.message) === i)
  const story = `${int(counts.inquiry)} ${counts.inquiry === 1 ? "inquiry" : "inquiries"}${changeText(counts.inquiry, last?.inquiry)}, ` +
    `${int(counts.mql)} MQLs and ${int(counts.sql)} SQLs; ` +
    (ft.compliance === null ? "no first touch was due yet; " : `first touch on time for ${pct(ft.compliance)} of handoffs; `) +
    `${limbo === 0 ? "no lead in limbo" : `${int(limbo)} ${limbo === 1 ? "lead" : "leads"} in limbo — must be 0`}.`
  const trendRows = s.trend.map((w) => ({ weekStart: w.weekStart, ...Object.fromEntries(stages.map((st) => [st, w[st]])) }))
  const limboLeads = [
    ...s.limbo.unowned.leads.map((l) => ({ ...l, kind: "no owner, no queue" })),
    ...s.limbo.overdue.leads.map((l) => ({ ...l, kind: "deadline passed" }))
  ]
  return {
    slug: "index",
    title: "Overview",
    story,
    alarms: uniqueAlarms.map((a) => ({ kind: a.kind, message: a.message })),
    sections: [
      {
        id: "this-week",
        title: "This week against last",
        kpis: stageKpis
      },
      {
        id: "trend",
        title: "The trailing 13 weeks",
        charts: [{
          id: "trend",
          title: "Leads entering each stage, per week",
          svg: lineChart({ title: "Trend", categories: s.trend.map((w) => w.weekStart.slice(5)), series: stages.map((st) => ({ name: stageName[st]!, data: s.trend.map((w) => w[st]) })) })
        }],
        tables: [{ id: "trend", title: "Leads entering each stage, per week", columns: [col("weekStart", "Week of", "text"), ...stages.map((st) => col(st, stageName[st]!))], rows: trendRows }]
      },
      {
        id: "pipeline",
        title: "Pipeline sourced vs worked",
        story: `Marketing handed ${int(p.sourced.leads)} leads to sales (${money(p.sourced.value)} of pipeline so far); sales worked ${int(p.worked.leads)} of them (${money(p.worked.value)}), rejected ${int(p.rejected)} and never touched ${int(p.untouched)}.`,
        kpis: [
          { id: "pipeline-sourced", label: "Pipeline sourced", value: p.sourced.value, format: "money", hint: `${int(p.sourced.leads)} leads, ${int(p.sourced.opportunities)} opportunities` },
          { id: "pipeline-worked", label: "Pipeline worked", value: p.worked.value, format: "money", hint: `${int(p.worked.leads)} leads, ${int(p.worked.opportunities)} opportunities` },
          { id: "pipeline-untouched", label: "Handed over, never touched", value: p.untouched, format: "int", tone: p.untouched > 0 ? "bad" : "good" }
        ],
        tables: [{
          id: "pipeline",
          title: "Pipeline sourced vs worked",
          columns: [col("what", "", "text"), col("leads", "Leads"), col("opportunities", "Opportunities"), col("value", "Pipeline", "money")],
          rows: [
            { what: "Sourced (handed to sales)", ...p.sourced },
            { what: "Worked (accepted and touched)", ...p.worked },
            { what: "Rejected by sales", leads: p.rejected, opportunities: null, value: null },
            { what: "Never touched", leads: p.untouched, opportunities: null, value: null }
          ]
        }]
      },
      {
        id: "sla",
        title: "SLA compliance",
        kpis: [
          { id: "sla-accept", label: "Accepted on time", value: ac.compliance, format: "pct", hint: `${int(ac.met)} met, ${int(ac.breached)} breached` },
          { id: "sla-first-touch", label: "First touch on time", value: ft.compliance, format: "pct", hint: `${int(ft.met)} met, ${int(ft.breached)} breached` },
          { id: "speed-to-lead", label: "Median speed to lead", value: s.sla.overall.timeToFirstTouch.medianMs, format: "ms", hint: `p90 ${duration(s.sla.overall.timeToFirstTouch.p90Ms)}` }
        ]
      },
      {
        id: "limbo",
        title: "Leads in limbo",
        story: limbo === 0
          ? `Every MQL has an owner or sits in a named queue with a running SLA clock${s.limbo.overdue.count > 0 ? `; ${int(s.limbo.overdue.count)} passed a deadline not acted on yet` : ""}.`
          : `${int(limbo)} MQLs have neither an owner nor a queue: they are waiting for no one.`,
        kpis: [
          { id: "limbo", label: "In limbo (must be 0)", value: limbo, format: "int", tone: limbo === 0 ? "good" : "bad" },
          { id: "queued", label: "Waiting in a queue", value: s.limbo.queued.count, format: "int" },
          { id: "overdue", label: "Deadline passed", value: s.limbo.overdue.count, format: "int", tone: s.limbo.overdue.count === 0 ? "good" : "bad" }
        ],
        tables: [{
          id: "limbo",
          title: "Leads in limbo or past a deadline",
          columns: [col("id", "Lead", "text"), col("kind", "Why", "text"), col("stage", "Stage", "text"), col("tier", "Tier", "text"), col("ownerId", "Owner", "text"), col("queue", "Queue", "text"), col("deadlineAt", "Deadline", "date")],
          rows: limboLeads.map((l) => ({ id: l.id, kind: l.kind, stage: l.stage, tier: l.tier, ownerId: l.ownerId, queue: l.queue, deadlineAt: l.deadlineAt === null ? null : iso(l.deadlineAt) })),
          show: 50,
          empty: "None."
        }]
      }
    ]
  }
}

// ---------------------------------------------------------------------------
// Waterfall
// ---------------------------------------------------------------------------

type Transition = WeeklySnapshot["waterfall"]["transitions"][number]
const transitionName = (t: Transition) => `${stageName[t.from]} → ${stageName[t.to]}`

const groupTable = (id: string, title: string, keyLabel: string, report: WeeklySnapshot["waterfall"]): Table => ({
  id,
  title,
  columns: [col("key", keyLabel, "text"), ...stages.map((st) => col(st, stageName[st]!)), col("mqlToSql", "MQL → SQL", "pct")],
  rows: report.groups.map((g) => ({ key: label(g.key), ...g.counts, mqlToSql: g.mqlToSql.rate }))
})

const waterfall = (s: WeeklySnapshot): Page => {
  const w = s.waterfall
  const m = w.mqlToSql
  const gaps = w.transitions.filter((t) => t.deltaPoints !== null && t.deltaPoints < 0).sort((a, b) => a.deltaPoints! - b.deltaPoints!)
  const worst = gaps[0]
  const band = `${Math.round(m.band[0] * 100)}–${Math.round(m.band[1] * 100)}%`
  const story = `MQL → SQL ${m.rate === null ? "has no data this week" : `converted ${pct(m.rate)} of this week's MQLs, ${m.status === "healthy" ? "inside" : m.status === "too_low" ? "below" : "above"} the healthy ${band} band`}` +
    (worst === undefined ? "; no stage is behind its target." : `; the widest gap is ${transitionName(worst)} (${points(worst.deltaPoints)} against target${worst.owner === null ? "" : `, owned by ${worst.owner}`}).`)
  const bySource = s.waterfallBySource
  const byTier = s.waterfallByTier
  return {
    slug: "waterfall",
    title: "Waterfall",
    story,
    alarms: w.alarms.map((a) => ({ kind: a.kind, message: a.message })),
    sections: [
      {
        id: "stages",
        title: "Inquiry → MQL → SAL → SQL → Opportunity → Won",
        charts: [{ id: "funnel", title: "Leads entering each stage this week", svg: funnelChart({ title: "Waterfall", stages: stages.map((st) => ({ name: stageName[st]!, value: w.counts[st] })) }) }],
        kpis: [{ id: "mql-to-sql", label: `MQL → SQL (healthy ${band})`, value: m.rate, format: "pct", tone: rateTone(m.status), ...(m.target === null ? {} : { hint: `target ${pct(m.target)}` }) }]
      },
      {
        id: "conversion",
        title: "Conversion against the agreement's targets",
        story: "Each row follows this week's cohort of a stage to the next one; the owner named by the agreement owns the gap.",
        charts: [{
          id: "conversion",
          title: "Cohort conversion vs target",
          svg: barChart({
            title: "Conversion",
            categories: w.transitions.map(transitionName),
            series: [{ name: "This week", data: w.transitions.map((t) => t.cohortRate) }, { name: "Target", data: w.transitions.map((t) => t.target) }],
            unit: "pct"
          })
        }],
        tables: [{
          id: "conversion",
          title: "Conversion by stage",
          columns: [
            col("step", "Step", "text"),
            col("enteredFrom", "Cohort"),
            col("cohortReached", "Reached"),
            col("cohortRate", "Conversion", "pct"),
            col("target", "Target", "pct"),
            col("deltaPoints", "Gap", "points"),
            col("status", "Status", "text"),
            col("owner", "Owner of the gap", "text"),
            col("medianMs", "Median time in stage", "ms"),
            col("p90Ms", "p90", "ms")
          ],
          rows: w.transitions.map((t) => ({ step: transitionName(t), ...t, status: t.status.replace(/_/g, " ") }))
        }]
      },
      {
        id: "by-source",
        title: "By source",
        charts: [{
          id: "by-source",
          title: "Inquiries, MQLs and SQLs by source",
          svg: barChart({ title: "By source", categories: bySource.groups.map((g) => label(g.key)), series: (["inquiry", "mql", "sql"] as const).map((st) => ({ name: stageName[st]!, data: bySource.groups.map((g) => g.counts[st]) })), horizontal: true })
        }],
        tables: [groupTable("by-source", "Waterfall by source", "Source", bySource)]
      },
      {
        id: "by-tier",
        title: "By tier",
        tables: [groupTable("by-tier", "Waterfall by tier", "Tier", byTier)]
      },
      {
        id: "pipeline",
        title: "Pipeline sourced vs worked",
        kpis: [
          { id: "wf-pipeline-sourced", label: "Sourced", value: w.pipeline.sourced.value, format: "money", hint: `${int(w.pipeline.sourced.leads)} leads` },
          { id: "wf-pipeline-worked", label: "Worked", value: w.pipeline.worked.value, format: "money", hint: `${int(w.pipeline.worked.leads)} leads` }
        ]
      }
    ]
  }
}

// ---------------------------------------------------------------------------
// Speed to lead
// ---------------------------------------------------------------------------

type SlaGroup = WeeklySnapshot["sla"]["overall"]

const slaColumns = (keyLabel: string): ReadonlyArray<Column> => [
  col("key", keyLabel, "text"),
  col("handoffs", "Handoffs"),
  col("routeMedian", "Route, median", "ms"),
  col("routeP90", "Route, p90", "ms"),
  col("acceptMedian", "Accept, median", "ms"),
  col("acceptP90", "Accept, p90", "ms"),
  col("touchMedian", "First touch, median", "ms"),
  col("touchP90", "First touch, p90", "ms"),
  col("acceptCompliance", "Accept on time", "pct"),
  col("touchCompliance", "First touch on time", "pct"),
  col("breaches", "Breaches")
]

const slaRow = (g: SlaGroup, key: string) => ({
  key,
  handoffs: g.handoffs,
  routeMedian: g.timeToRoute.medianMs,
  routeP90: g.timeToRoute.p90Ms,
  acceptMedian: g.timeToAccept.medianMs,
  acceptP90: g.timeToAccept.p90Ms,
  touchMedian: g.timeToFirstTouch.medianMs,
  touchP90: g.timeToFirstTouch.p90Ms,
  acceptCompliance: g.accept.compliance,
  touchCompliance: g.firstTouch.compliance,
  breaches: g.breaches
})

const repName = (g: { readonly key: string | null; readonly name: string | null }) => g.name ?? g.key ?? "(unassigned)"

const speed = (s: WeeklySnapshot): Page => {
  const o = s.sla.overall
  const shame = s.sla.wallOfShame
  const slowest = shame[0]
  const e = s.sla.escalation
  const story = o.handoffs === 0
    ? "No lead was handed to sales this week."
    : `Median speed to lead was ${duration(o.timeToFirstTouch.medianMs)} (p90 ${duration(o.timeToFirstTouch.p90Ms)}); ${pct(o.firstTouch.compliance)} of first touches met the SLA` +
      (slowest === undefined ? ", and no rep breached one." : `; slowest: ${slowest.name ?? slowest.repId} (median ${duration(slowest.medianFirstTouchMs)}, ${int(slowest.breaches)} ${slowest.breaches === 1 ? "breach" : "breaches"}).`)
  const reps = s.sla.byRep
  return {
    slug: "speed",
    title: "Speed to lead",
    story,
    alarms: [],
    sections: [
      {
        id: "overall",
        title: "From form to first touch",
        kpis: [
          { id: "time-to-route", label: "Time to route, median", value: o.timeToRoute.medianMs, format: "ms", hint: `p90 ${duration(o.timeToRoute.p90Ms)}` },
          { id: "time-to-accept", label: "Time to accept, median", value: o.timeToAccept.medianMs, format: "ms", hint: `p90 ${duration(o.timeToAccept.p90Ms)}` },
          { id: "time-to-first-touch", label: "Speed to lead, median", value: o.timeToFirstTouch.medianMs, format: "ms", hint: `p90 ${duration(o.timeToFirstTouch.p90Ms)}` },
          { id: "accept-compliance", label: "Accepted on time", value: o.accept.compliance, format: "pct", tone: o.accept.breached > 0 ? "bad" : "good" },
          { id: "first-touch-compliance", label: "First touch on time", value: o.firstTouch.compliance, format: "pct", tone: o.firstTouch.breached > 0 ? "bad" : "good" },
          { id: "handoffs", label: "Handoffs", value: o.handoffs, format: "int" }
        ]
      },
      {
        id: "wall-of-shame",
        title: "Wall of shame",
        story: shame.length === 0 ? "No rep missed an SLA this week." : "The slowest reps with at least one missed SLA, slowest median first touch first.",
        tables: [{
          id: "wall-of-shame",
          title: "Wall of shame",
          columns: [col("rank", "#"), col("name", "Rep", "text"), col("handoffs", "Handoffs"), col("medianFirstTouchMs", "First touch, median", "ms"), col("p90FirstTouchMs", "p90", "ms"), col("firstTouchCompliance", "On time", "pct"), col("breaches", "Breaches")],
          rows: shame.map((r) => ({ ...r, name: r.name ?? r.repId })),
          show: 10,
          empty: "Nobody: every SLA was met."
        }]
      },
      {
        id: "by-rep",
        title: "By rep",
        charts: reps.length === 0 ? [] : [
          {
            id: "first-touch-by-rep",
            title: "Median speed to lead by rep (minutes)",
            svg: barChart({ title: "By rep", categories: reps.map(repName), series: [{ name: "Median first touch", data: reps.map((r) => r.timeToFirstTouch.medianMs) }], unit: "minutes", horizontal: true })
          },
          {
            id: "compliance-by-rep",
            title: "SLA compliance by rep",
            svg: barChart({ title: "Compliance", categories: reps.map(repName), series: [{ name: "Accept on time", data: reps.map((r) => r.accept.compliance) }, { name: "First touch on time", data: reps.map((r) => r.firstTouch.compliance) }], unit: "pct", horizontal: true })
          }
        ],
        tables: [{ id: "sla-by-rep", title: "Speed to lead by rep", columns: slaColumns("Rep"), rows: reps.map((r) => slaRow(r, repName(r))) }]
      },
      {
        id: "by-source",
        title: "By source",
        tables: [{ id: "sla-by-source", title: "Speed to lead by source", columns: slaColumns("Source"), rows: s.sla.bySource.map((g) => slaRow(g, label(g.key))) }]
      },
      {
        id: "by-tier",
        title: "By tier",
        tables: [{ id: "sla-by-tier", title: "Speed to lead by tier", columns: slaColumns("Tier"), rows: s.sla.byTier.map((g) => slaRow(g, label(g.key))) }]
      },
      {
        id: "escalation",
        title: "Reassignments and escalations",
        kpis: [
          { id: "reassignments", label: "Reassigned", value: e.reassignments, format: "int" },
          { id: "escalations", label: "Escalated to a manager", value: e.escalations, format: "int" }
        ],
        tables: [{ id: "reassignments", title: "Reassignments by cause", columns: [col("cause", "Cause", "text"), col("count", "Leads")], rows: e.reassignmentsByCause.map((r) => ({ cause: label(r.cause), count: r.count })), empty: "None." }]
      }
    ]
  }
}

// ---------------------------------------------------------------------------
// Feedback
// ---------------------------------------------------------------------------

const feedback = (s: WeeklySnapshot): Page => {
  const r = s.rejections
  const c = r.calibration
  const top = [...r.byReason].sort((a, b) => b.count - a.count)[0]
  const story = r.routed === 0 && r.rejected === 0
    ? "No lead was routed or rejected this week."
    : `Sales rejected ${int(r.rejected)} of ${int(r.routed)} routed leads (${pct(r.rate)})` +
      `${top === undefined || top.count === 0 ? "" : `, most often as ${label(top.reason)} (${int(top.count)})`}; ` +
      `over the last 30 days ${pct(c.rate)}, ${c.alarm === null ? "under" : "over"} the ${pct(c.limit)} alarm.`
  const groupColumns = (keyLabel: string) => [col("key", keyLabel, "text"), col("routed", "Routed"), col("rejected", "Rejected"), col("rate", "Rejection rate", "pct")]
  const groupRows = (gs: typeof r.byRep) => gs.map((g) => ({ key: g.name ?? label(g.key), routed: g.routed, rejected: g.rejected, rate: g.rate }))
  return {
    slug: "feedback",
    title: "Feedback",
    story,
    alarms: c.alarm === null ? [] : [{ kind: c.alarm.kind, message: c.alarm.message }],
    sections: [
      {
        id: "rejections",
        title: "What sales did not take",
        kpis: [
          { id: "routed", label: "Routed", value: r.routed, format: "int" },
          { id: "rejected", label: "Rejected", value: r.rejected, format: "int" },
          { id: "rejection-rate", label: "Rejection rate", value: r.rate, format: "pct" },
          { id: "rejection-rate-30d", label: `Last 30 days (alarm above ${pct(c.limit)})`, value: c.rate, format: "pct", tone: c.alarm === null ? "good" : "bad", hint: `${int(c.rejected)} of ${int(c.routed)}` }
        ],
        charts: r.byReason.length === 0 ? [] : [{ id: "reasons", title: "Rejections by reason", svg: barChart({ title: "Reasons", categories: r.byReason.map((x) => label(x.reason)), series: [{ name: "Rejections", data: r.byReason.map((x) => x.count) }], horizontal: true }) }],
        tables: [{ id: "rejection-reasons", title: "Rejections by reason", columns: [col("reason", "Reason", "text"), col("count", "Rejections"), col("share", "Share", "pct")], rows: r.byReason.map((x) => ({ reason: label(x.reason), count: x.count, share: x.share })), empty: "No rejection." }]
      },
      { id: "by-rep", title: "By rep", tables: [{ id: "rejections-by-rep", title: "Rejections by rep", columns: groupColumns("Rep"), rows: groupRows(r.byRep) }] },
      { id: "by-source", title: "By source", tables: [{ id: "rejections-by-source", title: "Rejections by source", columns: groupColumns("Source"), rows: groupRows(r.bySource) }] },
      {
        id: "recycling",
        title: "Recycled and returning leads",
        story: `${int(r.recycling.recycled)} leads went back to marketing this week and ${int(r.recycling.returned)} came back as MQLs; none is dropped.`,
        kpis: [
          { id: "recycled", label: "Recycled to nurture", value: r.recycling.recycled, format: "int" },
          { id: "returned", label: "Returned as MQLs", value: r.recycling.returned, format: "int" }
        ],
        tables: [{ id: "recycled-by-reason", title: "Recycled by reason", columns: [col("reason", "Reason", "text"), col("count", "Leads")], rows: r.recycling.byReason.map((x) => ({ reason: label(x.reason), count: x.count })), empty: "None." }]
      }
    ]
  }
}

// ---------------------------------------------------------------------------
// Calibration
// ---------------------------------------------------------------------------

const calibration = (s: WeeklySnapshot): Page => {
  const c = s.calibration
  const m = s.waterfall.mqlToSql
  const drift = s.waterfall.alarms.find((a) => a.kind === "mql_to_sql_drift")
  const bandName = (b: { readonly from: number; readonly to: number }) => `${b.from}–${b.to - 1}`
  const lineBand = c.bands.find((b) => b.from <= c.threshold && c.threshold < b.to)
  return {
    slug: "calibration",
    title: "Calibration",
    story: c.note,
    alarms: drift === undefined ? [] : [{ kind: drift.kind, message: drift.message }],
    sections: [
      {
        id: "line",
        title: "Where the MQL line sits",
        kpis: [
          { id: "mql-threshold", label: "MQL line (score)", value: c.threshold, format: "int" },
          { id: "data-line", label: `Lowest band converting ≥ ${pct(c.healthyBand[0])}`, value: c.firstHealthyBand === null ? null : c.firstHealthyBand.from, format: "int", ...(c.firstHealthyBand === null ? {} : { hint: `converts at ${pct(c.firstHealthyBand.rate)}` }) },
          { id: "mql-to-sql-band", label: `MQL → SQL (healthy ${pct(c.healthyBand[0])}–${pct(c.healthyBand[1])})`, value: m.rate, format: "pct", tone: rateTone(m.status) },
          { id: "mql-to-sql-drift", label: "Drift from target", value: m.rate === null || m.target === null ? null : (m.rate - m.target) * 100, format: "points", tone: drift === undefined ? "good" : "bad" }
        ]
      },
      {
        id: "bands",
        title: "Conversion by score band",
        story: `Leads created this week, by their current score in bands of ${c.bandWidth} points; the dashed lines are the MQL line and the healthy conversion floor.`,
        charts: c.bands.length === 0 ? [] : [{
          id: "bands",
          title: "Lead → SQL by score band",
          svg: barChart({
            title: "Bands",
            categories: c.bands.map(bandName),
            series: [{ name: "Lead → SQL", data: c.bands.map((b) => b.rates.leadToSql) }],
            unit: "pct",
            lines: [
              { label: `healthy ${pct(c.healthyBand[0])}`, value: c.healthyBand[0], axis: "value" },
              ...(lineBand === undefined ? [] : [{ label: `MQL line ${c.threshold}`, value: bandName(lineBand), axis: "category" as const }])
            ]
          })
        }],
        tables: [{
          id: "score-bands",
          title: "Conversion by score band",
          columns: [col("band", "Score", "text"), col("leads", "Leads"), col("mql", "MQL"), col("sql", "SQL"), col("won", "Won"), col("leadToSql", "Lead → SQL", "pct"), col("mqlToSql", "MQL → SQL", "pct"), col("side", "MQL line", "text")],
          rows: [
            ...c.bands.map((b) => ({ band: bandName(b), leads: b.leads, mql: b.mql, sql: b.sql, won: b.won, leadToSql: b.rates.leadToSql, mqlToSql: b.rates.mqlToSql, side: b.aboveThreshold ? "above" : b.to <= c.threshold ? "below" : "across" })),
            ...(c.unscored.leads === 0 ? [] : [{ band: "no score", leads: c.unscored.leads, mql: c.unscored.mql, sql: c.unscored.sql, won: c.unscored.won, leadToSql: c.unscored.rates.leadToSql, mqlToSql: c.unscored.rates.mqlToSql, side: "" }])
          ],
          empty: "No lead was scored this week."
        }]
      }
    ]
  }
}

// ---------------------------------------------------------------------------
// Attribution
// ---------------------------------------------------------------------------

const attribution = (s: WeeklySnapshot): Page => {
  const a = s.attribution
  const byChannel = [...a.result.byChannel].sort((x, y) => y.value - x.value || y.conversions - x.conversions)
  const top = byChannel[0]
  const models = a.comparison.map((r) => r.model)
  const story = a.conversions === 0
    ? "No opportunity opened this week, so there is no credit to split."
    : `Under the agreement's ${modelName[a.model] ?? a.model} model, ${top === undefined ? "no channel" : `${label(top.channel)} earned the most credit: ${(Math.round(top.conversions * 10) / 10).toString()} of ${int(a.conversions)} opportunities (${money(top.value)} of ${money(a.value)})`}.`
  const comparisonRows = a.table.map((row) => ({ channel: label(row.channel), ...Object.fromEntries(row.credits.map((c) => [c.model, c.value])) }))
  return {
    slug: "attribution",
    title: "Attribution",
    story,
    alarms: [],
    sections: [
      {
        id: "model",
        title: `Credit under the agreement's model: ${modelName[a.model] ?? a.model}`,
        kpis: [
          { id: "conversions", label: "Opportunities opened", value: a.conversions, format: "int" },
          { id: "value", label: "Pipeline opened", value: a.value, format: "money" },
          { id: "unattributed", label: "With no marketing touch", value: a.unattributed.conversions, format: "int", hint: money(a.unattributed.value) }
        ],
        charts: byChannel.length === 0 ? [] : [{ id: "by-channel", title: "Pipeline credited by channel", svg: barChart({ title: "By channel", categories: byChannel.map((c) => label(c.channel)), series: [{ name: "Pipeline", data: byChannel.map((c) => c.value) }], unit: "money", horizontal: true }) }],
        tables: [
          { id: "credit-by-channel", title: "Credit by channel", columns: [col("channel", "Channel", "text"), col("conversions", "Opportunities", "decimal"), col("value", "Pipeline", "money")], rows: byChannel.map((c) => ({ channel: label(c.channel), conversions: c.conversions, value: c.value })), empty: "No credit this week." },
          {
            id: "credit-by-campaign",
            title: "Credit by campaign",
            columns: [col("channel", "Channel", "text"), col("campaign", "Campaign", "text"), col("conversions", "Opportunities", "decimal"), col("value", "Pipeline", "money")],
            rows: [...(a.result.byCampaign ?? [])].sort((x, y) => y.value - x.value).map((c) => ({ channel: label(c.channel), campaign: c.campaign ?? "(no campaign)", conversions: c.conversions, value: c.value })),
            show: 40,
            empty: "No campaign credit this week."
          }
        ]
      },
      {
        id: "comparison",
        title: "Every model side by side",
        story: "The same journeys under first touch, last touch, linear, U, W, time decay and the data-driven Markov model: where they disagree, the channel's credit depends on the model more than on the data.",
        charts: a.table.length === 0 ? [] : [{
          id: "comparison",
          title: "Pipeline credited by channel, per model",
          svg: barChart({ title: "Models", categories: a.table.map((r) => label(r.channel)), series: models.map((mo) => ({ name: modelName[mo] ?? mo, data: a.table.map((r) => r.credits.find((c) => c.model === mo)?.value ?? 0) })), unit: "money", horizontal: true })
        }],
        tables: [
          { id: "model-comparison", title: "Pipeline credited by channel under each model", columns: [col("channel", "Channel", "text"), ...models.map((mo) => col(mo, modelName[mo] ?? mo, "money"))], rows: comparisonRows, empty: "No journey converted this week." },
          ...((): Array<Table> => {
            const markov = a.comparison.find((r) => r.model === "markov")
            return markov?.removalEffects === undefined ? [] : [{ id: "removal-effects", title: "Markov removal effect (share of conversions lost without the channel)", columns: [col("channel", "Channel", "text"), col("removalEffect", "Removal effect", "pct")], rows: markov.removalEffects.map((r) => ({ channel: label(r.channel), removalEffect: r.removalEffect })) }]
          })()
        ]
      }
    ]
  }
}

// ---------------------------------------------------------------------------
// The agreement
// ---------------------------------------------------------------------------

const record = (v: unknown): Readonly<Record<string, unknown>> => (typeof v === "object" && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {})
const list = (v: unknown): ReadonlyArray<unknown> => (Array.isArray(v) ? v : [])
const str = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : compact(v))
/** A condition or value in one line: `{ title: { matches: "vp" } }` → `title matches "vp"`-like compact JSON. */
const compact = (v: unknown): string => JSON.stringify(v).replace(/"([A-Za-z_.][\w.]*)":/g, "$1: ").replace(/,(?=\S)/g, ", ")

const agreementPage = (s: WeeklySnapshot): Page => {
  const d = s.agreementDocument
  const doc = record(d.document)
  const scoring = record(doc.scoring)
  const signatures = list(doc.signatures).map(record)
  const tz = s.timezone
  const signedBy = signatures.map((x) => `${str(x.name)} (${str(x.role)})`).join(", ")
  const story = `Version ${d.version} of “${str(doc.name) ?? s.agreement.name}”, ${signatures.length === 0 ? "not signed yet" : `signed by ${signedBy}`}; ` +
    (d.previous === null ? "the first version." : `${d.changes.length} ${d.changes.length === 1 ? "change" : "changes"} since version ${d.previous.version} (${day(d.previous.createdAt, tz)}).`)
  const routing = record(doc.routing)
  const waterfallSection = record(doc.waterfall)
  return {
    slug: "agreement",
    title: "The agreement",
    story,
    alarms: [],
    sections: [
      {
        id: "version",
        title: "Version and signatures",
        kpis: [
          { id: "agreement-version", label: "Version", value: d.version, format: "int", hint: `since ${day(d.createdAt, tz)}, by ${d.createdBy}` },
          { id: "mql-threshold", label: "MQL threshold", value: typeof scoring.mqlThreshold === "number" ? scoring.mqlThreshold : null, format: "int" },
          { id: "min-fit", label: "Minimum fit", value: typeof scoring.minFit === "number" ? scoring.minFit : null, format: "int" }
        ],
        tables: [{ id: "signatures", title: "Signatures", columns: [col("role", "Role", "text"), col("name", "Name", "text"), col("signedAt", "Signed", "text")], rows: signatures.map((x) => ({ role: str(x.role), name: str(x.name), signedAt: str(x.signedAt) })), empty: "Nobody has signed this version." }]
      },
      {
        id: "changes",
        title: d.previous === null ? "Changes" : `What changed since version ${d.previous.version}`,
        tables: [{ id: "agreement-changes", title: "Changes since the previous version", columns: [col("path", "Where", "text"), col("kind", "Change", "text"), col("before", "Before", "text"), col("after", "After", "text")], rows: d.changes.map((c) => ({ path: c.path, kind: c.kind, before: str(c.before), after: str(c.after) })), empty: d.previous === null ? "The first version: nothing to compare with." : "No change." }]
      },
      {
        id: "scoring",
        title: "Scoring",
        tables: [
          { id: "fit-rules", title: "Fit rules", columns: [col("id", "Rule", "text"), col("when", "When", "text"), col("points", "Points"), col("disqualify", "Disqualifies", "text")], rows: list(scoring.fit).map(record).map((r) => ({ id: str(r.id), when: str(r.when), points: r.points, disqualify: str(r.disqualify) })) },
          { id: "intent-rules", title: "Intent rules", columns: [col("id", "Rule", "text"), col("event", "Event", "text"), col("where", "Where", "text"), col("count", "Count", "text"), col("points", "Points"), col("max", "Max"), col("instantMql", "Instant MQL", "text")], rows: list(scoring.intent).map(record).map((r) => ({ id: str(r.id), event: str(r.event), where: str(r.where), count: str(r.count), points: r.points, max: r.max ?? null, instantMql: r.instantMql === true ? "yes" : "" })) }
        ]
      },
      {
        id: "tiers",
        title: "Tiers: hot vs warm",
        tables: [{ id: "tiers", title: "Tiers (first match wins)", columns: [col("name", "Tier", "text"), col("when", "When", "text"), col("route", "Goes to", "text"), col("sla", "SLA", "text"), col("cadence", "Cadence", "text")], rows: list(doc.tiers).map(record).map((t) => ({ name: str(t.name), when: str(t.when), route: str(record(t.route).pod) ?? (t.route === undefined ? "marketing keeps it" : str(t.route)), sla: str(t.sla), cadence: str(t.cadence) })) }]
      },
      {
        id: "routing",
        title: "Routing",
        tables: [{ id: "pods", title: "Pods", columns: [col("id", "Pod", "text"), col("strategy", "Strategy", "text"), col("backup", "Backup", "text")], rows: list(routing.pods).map(record).map((p) => ({ id: str(p.id), strategy: label(str(p.strategy)), backup: str(p.backup) })) }]
      },
      {
        id: "targets",
        title: "Waterfall targets and owners",
        tables: [{ id: "targets", title: "Stage targets", columns: [col("step", "Step", "text"), col("rate", "Target", "pct"), col("owner", "Owner", "text")], rows: list(waterfallSection.targets).map(record).map((t) => ({ step: `${stageName[String(t.from)] ?? str(t.from)} → ${stageName[String(t.to)] ?? str(t.to)}`, rate: typeof t.rate === "number" ? t.rate : null, owner: str(t.owner) })), empty: "No targets set." }]
      },
      { id: "document", title: "The whole document", pre: d.yaml }
    ]
  }
}

/** The whole site from one week's snapshot. */
export const siteModel = (s: WeeklySnapshot): SiteModel => {
  const tz = s.timezone
  const lastDay = new Date(new Date(s.period.to).getTime() - 1)
  return {
    title: "Handoff weekly funnel report",
    weekStart: s.weekStart,
    weekLabel: `${day(s.period.from, tz)} – ${day(lastDay, tz)}`,
    timezone: tz,
    generatedAt: iso(s.generatedAt),
    agreement: s.agreement,
    pages: [overview(s), waterfall(s), speed(s), feedback(s), calibration(s), attribution(s), agreementPage(s)]
  }
}

/** Every table of the site, each once (the CSV downloads). */
export const tablesOf = (model: SiteModel): ReadonlyArray<Table> => {
  const seen = new Map<string, Table>()
  for (const p of model.pages) for (const sec of p.sections) for (const t of sec.tables ?? []) if (!seen.has(t.id)) seen.set(t.id, t)
  return [...seen.values()]
}
