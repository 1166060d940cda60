/**
 * What-if backtesting: replay a period's real inbound history under a draft agreement and
 * compare it with what happened.
 *
 * The replay is pure and writes nothing. It walks every lead created in the period through
 * time, in the order things happened: at each of the lead's events (the inquiry, page
 * views, downloads, hand-raises, ...) it scores and tiers the lead under the draft as of
 * that instant; the first time the draft would hand the lead to sales, the lead becomes a
 * simulated MQL there and then, and is routed over the reps as they are configured now —
 * with the rotation, the open loads and the per-day counts the replay itself has built up
 * so far (capacity caps, out-of-office days and working hours apply as in live routing).
 * The SLA plan of that handoff gives the deadlines whose exposure is reported: a deadline
 * that falls while its owner is off shift, a hot lead routed when nobody was on shift.
 *
 * What cannot be replayed is said, not invented: the sales outcomes (SAL, SQL, opportunity,
 * won) of a lead the draft hands off but the live agreement did not were never observed;
 * the waterfall counts those leads as `unobserved`, and lists the observed wins the draft
 * would have kept away from sales.
 */
import { Either, Schema } from "effect"
import type { Agreement, Tier } from "./Agreement.ts"
import { compileCalendarEither, isWorkingTime, wallClock } from "./BusinessTime.ts"
import { decide, evaluateLead } from "./Decision.ts"
import { durationMillis } from "./IsoDuration.ts"
import type { Account, LeadEvent, LeadProfile, Rep, RepLoad } from "./Lead.ts"
import { initialLeadState } from "./Lifecycle.ts"
import { emptyLedgerSummary, extendLedgerSummary, type LedgerSummary, podMembers, RouteDecision } from "./Routing.ts"
import { type StageTimes, WaterfallStage } from "./Waterfall.ts"

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

/** What really happened to a lead, as the store recorded it. */
export interface ActualOutcome {
  /** First time the lead reached each waterfall stage. */
  readonly reachedAt: StageTimes
  /** The tier of its (first) handoff, or the tier marketing holds it in. */
  readonly tier?: string | undefined
  /** Its first owner and the pod it came from (absent: never assigned to a rep). */
  readonly repId?: string | undefined
  readonly pod?: string | undefined
  /** When sales stopped holding it (recycled, rejected, lost, won), if it did. */
  readonly endedAt?: Date | undefined
  /** The amount of its won opportunity. */
  readonly wonAmount?: number | undefined
}

/** A lead created in the replayed period, with everything the replay reads. */
export interface HistoricalLead {
  readonly id: string
  readonly email: string
  readonly profile: LeadProfile
  readonly accountDomain?: string | undefined
  /** When the lead was created (its first inquiry). */
  readonly createdAt: Date
  /** When enrichment arrived (before it, scores are provisional). */
  readonly enrichedAt?: Date | undefined
  /** Its events up to the end of the period, any order. */
  readonly events: ReadonlyArray<LeadEvent>
  readonly actual: ActualOutcome
}

export interface SimulationInput {
  /** The draft agreement to replay under. */
  readonly agreement: Agreement
  /** Half-open: leads created at `from` ≤ t < `to`. */
  readonly period: { readonly from: Date; readonly to: Date }
  readonly leads: ReadonlyArray<HistoricalLead>
  /** The reps as configured now (hours, time zones, out of office, capacity, pods). */
  readonly reps: ReadonlyArray<Rep>
  /** Accounts by domain (named accounts, ABM plays, owners). */
  readonly accounts: ReadonlyMap<string, Account>
  /** How many changed leads to list one by one (default 200). */
  readonly listLimit?: number
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/** One handoff the replay made (internal to the replay; summarized in the result). */
export interface SimulatedHandoff {
  readonly at: Date
  readonly via: "hand_raise" | "score"
  readonly tier: string
  readonly score: number
  readonly outcome: "assigned" | "queued" | "not_routed"
  readonly pod?: string
  readonly repId?: string
  readonly acceptBy?: Date
  readonly firstTouchBy?: Date
  /** The owner was off shift when the lead arrived (assigned anyway: no on-shift rule for its tier). */
  readonly ownerOffShiftAtRouting: boolean
  /** The first-touch deadline falls while its owner is off shift. */
  readonly firstTouchDueOffShift: boolean
  /** The accept deadline falls while its owner is off shift. */
  readonly acceptDueOffShift: boolean
}

const Count = Schema.Number
const Counts = Schema.Record({ key: Schema.String, value: Count })
const Change = Schema.Literal("mql", "tier", "owner")

export const LeadComparison = Schema.Struct({
  leadId: Schema.String,
  email: Schema.String,
  actual: Schema.Struct({ mql: Schema.Boolean, tier: Schema.NullOr(Schema.String), pod: Schema.NullOr(Schema.String), repId: Schema.NullOr(Schema.String), stage: WaterfallStage }),
  simulated: Schema.Struct({ mql: Schema.Boolean, tier: Schema.String, pod: Schema.NullOr(Schema.String), repId: Schema.NullOr(Schema.String), at: Schema.NullOr(Schema.Date), via: Schema.NullOr(Schema.String) }),
  /** What differs: `mql`, `tier`, `owner`. */
  changes: Schema.Array(Change)
}).annotations({ identifier: "SimulatedLead" })
export type LeadComparison = typeof LeadComparison.Type

export const RepLoadComparison = Schema.Struct({
  repId: Schema.String,
  name: Schema.String,
  pods: Schema.Array(Schema.String),
  capacity: Schema.Struct({ maxOpen: Schema.NullOr(Count), maxPerDay: Schema.NullOr(Count) }),
  actual: Schema.Struct({ assigned: Count }),
  simulated: Schema.Struct({
    assigned: Count,
    /** Most leads open at once (an assignment stays open until the lead really left sales, or for the inactivity period). */
    peakOpen: Count,
    /** Most leads assigned on one of the rep's days. */
    peakDay: Count,
    /** Days over `maxPerDay` (routing respects the cap, so this counts what it could not stop). */
    daysOverPerDay: Count
  }),
  /** Share of the replay's assignments that went to this rep. */
  share: Schema.Number
}).annotations({ identifier: "SimulatedRepLoad" })
export type RepLoadComparison = typeof RepLoadComparison.Type

/** The difference between what happened and what the draft would have done. */
export const SimulationResult = Schema.Struct({
  period: Schema.Struct({ from: Schema.Date, to: Schema.Date }),
  leads: Count,
  mql: Schema.Struct({
    actual: Count,
    simulated: Count,
    /** Handed to sales under the draft, not in reality. */
    gained: Count,
    /** Handed to sales in reality, not under the draft. */
    lost: Count,
    viaHandRaise: Count,
    viaScore: Count
  }),
  tiers: Schema.Struct({
    actual: Counts,
    simulated: Counts,
    /** Leads whose tier changes, by (actual → simulated). */
    moves: Schema.Array(Schema.Struct({ from: Schema.String, to: Schema.String, count: Count }))
  }),
  routing: Schema.Struct({ assigned: Count, queued: Count, ownerChanged: Count, byPod: Counts }),
  reps: Schema.Array(RepLoadComparison),
  sla: Schema.Struct({
    handoffs: Count,
    withAcceptSla: Count,
    withFirstTouchSla: Count,
    ownerOffShiftAtRouting: Count,
    acceptDueOffShift: Count,
    firstTouchDueOffShift: Count,
    /** Handoffs nobody could take when they came (waiting in a queue with their timer running). */
    queued: Count,
    byTier: Schema.Array(Schema.Struct({ tier: Schema.String, handoffs: Count, firstTouchDueOffShift: Count, queued: Count }))
  }),
  waterfall: Schema.Struct({
    /** `simulated`: leads the draft hands off whose reality reached the stage (a lower bound: see `unobserved`). */
    stages: Schema.Array(Schema.Struct({ stage: WaterfallStage, actual: Count, simulated: Count })),
    /** Handed off by the draft only: their sales outcome was never observed. */
    unobserved: Count,
    /** Leads that really reached an opportunity (or won) that the draft would have kept with marketing. */
    opportunitiesNotHandedOff: Count,
    wonNotHandedOff: Count,
    wonAmountNotHandedOff: Schema.Number
  }),
  /** Leads with a difference, the first `listLimit` by creation time. */
  changed: Schema.Struct({ total: Count, items: Schema.Array(LeadComparison) }),
  /** What the replay assumes, in words. */
  assumptions: Schema.Array(Schema.String)
}).annotations({ identifier: "SimulationResult" })
export type SimulationResult = typeof SimulationResult.Type

// ---------------------------------------------------------------------------
// The replay
// ---------------------------------------------------------------------------

const stagesInOrder: ReadonlyArray<WaterfallStage> = ["inquiry", "mql", "sal", "sql", "opportunity", "won"]

const furthestStage = (reached: StageTimes): WaterfallStage => {
  let out: WaterfallStage = "inquiry"
  for (const s of stagesInOrder) if (reached[s] !== undefined) out = s
  return out
}

const inc = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by)

/** Is the rep working at `at`, in their own hours and time zone? (Unusable hours: no.) */
const onShift = (rep: Rep, at: Date): boolean => {
  const cal = compileCalendarEither(rep)
  return Either.isRight(cal) && isWorkingTime(cal.right, at)
}

interface OpenInterval {
  readonly from: number
  readonly to: number
}

/** Replay `input.leads` under `input.agreement` and compare with what happened. */
export const simulate = (input: SimulationInput): SimulationResult => {
  const { agreement, period } = input
  const listLimit = input.listLimit ?? 200
  const inactivityMs = durationMillis(agreement.recycle.inactivity.after)
  const repsById = new Map(input.reps.map((r) => [r.id as string, r]))

  // every decision point: each event of each lead in the period, in time order
  const points: Array<{ readonly t: number; readonly lead: number }> = []
  const sortedEvents = input.leads.map((l) => [...l.events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime()))
  input.leads.forEach((lead, i) => {
    const seen = new Set<number>()
    const add = (t: number) => {
      if (t < lead.createdAt.getTime() || t >= period.to.getTime() || seen.has(t)) return
      seen.add(t)
      points.push({ t, lead: i })
    }
    add(lead.createdAt.getTime())
    for (const e of sortedEvents[i]!) add(e.occurredAt.getTime())
    if (lead.enrichedAt !== undefined) add(lead.enrichedAt.getTime())
  })
  points.sort((a, b) => a.t - b.t || a.lead - b.lead)

  // the replay's own routing state
  let rotation = new Map<string, LedgerSummary>()
  let position = 0
  const open = new Map<string, Array<OpenInterval>>()
  const perDay = new Map<string, Map<string, number>>()
  const dayOf = (rep: Rep, t: number) => {
    const w = wallClock(rep.timezone, new Date(t))
    return `${w.year}-${w.month}-${w.day}`
  }
  const loadsAt = (t: number): ReadonlyMap<string, RepLoad> => {
    const m = new Map<string, RepLoad>()
    for (const rep of input.reps) {
      const intervals = open.get(rep.id) ?? []
      let n = 0
      for (const iv of intervals) if (iv.from <= t && t < iv.to) n++
      m.set(rep.id, { open: n, today: perDay.get(rep.id)?.get(dayOf(rep, t)) ?? 0 })
    }
    return m
  }

  const handoffs = new Map<number, SimulatedHandoff>()
  const lastTier = new Map<number, string>()

  for (const p of points) {
    if (handoffs.has(p.lead)) continue
    const lead = input.leads[p.lead]!
    const at = new Date(p.t)
    const events = sortedEvents[p.lead]!.filter((e) => e.occurredAt.getTime() <= p.t)
    const account = lead.accountDomain === undefined ? undefined : input.accounts.get(lead.accountDomain)
    const evaluation = evaluateLead(
      agreement,
      { profile: lead.profile, state: initialLeadState, ...(lead.enrichedAt !== undefined && lead.enrichedAt.getTime() <= p.t ? { enrichedAt: lead.enrichedAt } : {}) },
      events,
      account,
      at
    )
    lastTier.set(p.lead, evaluation.tier.name)
    if (evaluation.tier.handedTo !== "sales") continue
    const tier: Tier = evaluation.tier.tier
    const via = evaluation.score.handRaise !== null ? "hand_raise" as const : "score" as const
    const base = { at, via, tier: tier.name, score: evaluation.score.total }
    if (tier.route === undefined) {
      handoffs.set(p.lead, { ...base, outcome: "not_routed", ownerOffShiftAtRouting: false, firstTouchDueOffShift: false, acceptDueOffShift: false })
      continue
    }
    // the decision production makes (Decision.ts), on the replay's own team state
    const intent = evaluation.score.handRaise?.type
    const decided = decide(agreement, {
      lead: { id: lead.id, profile: lead.profile, state: initialLeadState, ...(lead.enrichedAt !== undefined && lead.enrichedAt.getTime() <= p.t ? { enrichedAt: lead.enrichedAt } : {}) },
      events,
      account,
      reps: input.reps,
      loads: loadsAt(p.t),
      rotation,
      now: at,
      trigger: { t0: at, ...(intent === undefined ? {} : { intent }) },
      actor: { kind: "system", id: "backtest" },
      agreementVersion: 0
    }, evaluation)
    const decision: RouteDecision = decided.route ?? RouteDecision.NotRouted({ reason: decided.handoff.reason })
    if (decision._tag !== "NotRouted" && decision.ledger.length > 0) {
      const next = new Map(rotation)
      for (const pod of new Set(decision.ledger.map((e) => e.pod))) {
        next.set(pod, extendLedgerSummary(pod, rotation.get(pod) ?? emptyLedgerSummary, decision.ledger, position))
      }
      rotation = next
      position += decision.ledger.length
    }
    const plan = decided.sla
    const deadlines = {
      ...(plan?.acceptBy === undefined ? {} : { acceptBy: plan.acceptBy }),
      ...(plan?.firstTouchBy === undefined ? {} : { firstTouchBy: plan.firstTouchBy })
    }
    if (decision._tag === "Assigned") {
      const rep = repsById.get(decision.repId)
      const end = lead.actual.endedAt !== undefined && lead.actual.repId !== undefined && lead.actual.endedAt.getTime() > p.t
        ? lead.actual.endedAt.getTime()
        : p.t + inactivityMs
      open.set(decision.repId, [...(open.get(decision.repId) ?? []), { from: p.t, to: end }])
      if (rep !== undefined) {
        const days = perDay.get(rep.id) ?? new Map<string, number>()
        inc(days, dayOf(rep, p.t))
        perDay.set(rep.id, days)
      }
      handoffs.set(p.lead, {
        ...base,
        ...deadlines,
        outcome: "assigned",
        pod: decision.pod,
        repId: decision.repId,
        ownerOffShiftAtRouting: rep !== undefined && !onShift(rep, at),
        firstTouchDueOffShift: rep !== undefined && plan?.firstTouchBy !== undefined && !onShift(rep, new Date(plan.firstTouchBy.getTime() - 1)),
        acceptDueOffShift: rep !== undefined && plan?.acceptBy !== undefined && !onShift(rep, new Date(plan.acceptBy.getTime() - 1))
      })
    } else if (decision._tag === "Queued") {
      handoffs.set(p.lead, { ...base, ...deadlines, outcome: "queued", pod: decision.queue, ownerOffShiftAtRouting: false, firstTouchDueOffShift: false, acceptDueOffShift: false })
    } else {
      handoffs.set(p.lead, { ...base, outcome: "not_routed", ownerOffShiftAtRouting: false, firstTouchDueOffShift: false, acceptDueOffShift: false })
    }
  }

  // ---- compare
  const actualTiers = new Map<string, number>()
  const simulatedTiers = new Map<string, number>()
  const moves = new Map<string, number>()
  const byPod = new Map<string, number>()
  const actualAssigned = new Map<string, number>()
  const simulatedAssigned = new Map<string, number>()
  const stageActual = new Map<WaterfallStage, number>()
  const stageSimulated = new Map<WaterfallStage, number>()
  const slaByTier = new Map<string, { handoffs: number; firstTouchDueOffShift: number; queued: number }>()
  const changedItems: Array<LeadComparison> = []
  let changedTotal = 0
  let actualMql = 0
  let gained = 0
  let lost = 0
  let ownerChanged = 0
  let unobserved = 0
  let oppsNotHandedOff = 0
  let wonNotHandedOff = 0
  let wonAmountNotHandedOff = 0

  input.leads.forEach((lead, i) => {
    const h = handoffs.get(i)
    const actual = lead.actual
    const wasMql = actual.reachedAt.mql !== undefined
    const simMql = h !== undefined
    if (wasMql) actualMql++
    if (simMql && !wasMql) gained++
    if (!simMql && wasMql) lost++
    const actualTier = actual.tier ?? null
    const simTier = h?.tier ?? lastTier.get(i) ?? "—"
    if (actualTier !== null) inc(actualTiers, actualTier)
    inc(simulatedTiers, simTier)
    if (actualTier !== null && actualTier !== simTier) inc(moves, `${actualTier}\u0000${simTier}`)
    if (actual.repId !== undefined) inc(actualAssigned, actual.repId)
    if (h?.repId !== undefined) inc(simulatedAssigned, h.repId)
    if (h?.pod !== undefined) inc(byPod, h.pod)
    const ownerDiffers = (h?.repId ?? null) !== (actual.repId ?? null)
    if (ownerDiffers) ownerChanged++

    for (const s of stagesInOrder) {
      if (actual.reachedAt[s] !== undefined || s === "inquiry") inc(stageActual, s)
      if (s === "inquiry") inc(stageSimulated, s)
      else if (s === "mql") { if (simMql) inc(stageSimulated, s) }
      else if (simMql && wasMql && actual.reachedAt[s] !== undefined) inc(stageSimulated, s)
    }
    if (simMql && !wasMql) unobserved++
    if (!simMql && wasMql) {
      if (actual.reachedAt.opportunity !== undefined) oppsNotHandedOff++
      if (actual.reachedAt.won !== undefined) {
        wonNotHandedOff++
        wonAmountNotHandedOff += actual.wonAmount ?? 0
      }
    }
    if (h !== undefined) {
      const t = slaByTier.get(h.tier) ?? { handoffs: 0, firstTouchDueOffShift: 0, queued: 0 }
      t.handoffs++
      if (h.firstTouchDueOffShift) t.firstTouchDueOffShift++
      if (h.outcome === "queued") t.queued++
      slaByTier.set(h.tier, t)
    }

    const changes: Array<"mql" | "tier" | "owner"> = []
    if (simMql !== wasMql) changes.push("mql")
    if (actualTier !== null && actualTier !== simTier) changes.push("tier")
    if (ownerDiffers) changes.push("owner")
    if (changes.length > 0) {
      changedTotal++
      if (changedItems.length < listLimit) {
        changedItems.push({
          leadId: lead.id,
          email: lead.email,
          actual: { mql: wasMql, tier: actualTier, pod: actual.pod ?? null, repId: actual.repId ?? null, stage: furthestStage(actual.reachedAt) },
          simulated: { mql: simMql, tier: simTier, pod: h?.pod ?? null, repId: h?.repId ?? null, at: h?.at ?? null, via: h?.via ?? null },
          changes
        })
      }
    }
  })

  const hs = [...handoffs.values()]
  const totalSimAssigned = hs.filter((h) => h.outcome === "assigned").length
  const reps: Array<RepLoadComparison> = input.reps
    .filter((r) => r.active || (actualAssigned.get(r.id) ?? 0) > 0 || (simulatedAssigned.get(r.id) ?? 0) > 0)
    .map((rep) => {
      const intervals = open.get(rep.id) ?? []
      let peakOpen = 0
      for (const iv of intervals) {
        let n = 0
        for (const o of intervals) if (o.from <= iv.from && iv.from < o.to) n++
        peakOpen = Math.max(peakOpen, n)
      }
      const days = [...(perDay.get(rep.id)?.values() ?? [])]
      const maxPerDay = rep.capacity?.maxPerDay
      const assigned = simulatedAssigned.get(rep.id) ?? 0
      return {
        repId: rep.id,
        name: rep.name,
        pods: rep.pods,
        capacity: { maxOpen: rep.capacity?.maxOpen ?? null, maxPerDay: maxPerDay ?? null },
        actual: { assigned: actualAssigned.get(rep.id) ?? 0 },
        simulated: {
          assigned,
          peakOpen,
          peakDay: days.length === 0 ? 0 : Math.max(...days),
          daysOverPerDay: maxPerDay === undefined ? 0 : days.filter((d) => d > maxPerDay).length
        },
        share: totalSimAssigned === 0 ? 0 : assigned / totalSimAssigned
      }
    })

  const record = (m: Map<string, number>) => Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  const pods = agreement.routing.pods.filter((p) => podMembers(p, input.reps).length === 0).map((p) => p.id)

  return {
    period,
    leads: input.leads.length,
    mql: {
      actual: actualMql,
      simulated: handoffs.size,
      gained,
      lost,
      viaHandRaise: hs.filter((h) => h.via === "hand_raise").length,
      viaScore: hs.filter((h) => h.via === "score").length
    },
    tiers: {
      actual: record(actualTiers),
      simulated: record(simulatedTiers),
      moves: [...moves.entries()].map(([k, count]) => {
        const [from, to] = k.split("\u0000") as [string, string]
        return { from, to, count }
      }).sort((a, b) => b.count - a.count || (a.from + a.to < b.from + b.to ? -1 : 1))
    },
    routing: {
      assigned: totalSimAssigned,
      queued: hs.filter((h) => h.outcome === "queued").length,
      ownerChanged,
      byPod: record(byPod)
    },
    reps,
    sla: {
      handoffs: hs.length,
      withAcceptSla: hs.filter((h) => h.acceptBy !== undefined).length,
      withFirstTouchSla: hs.filter((h) => h.firstTouchBy !== undefined).length,
      ownerOffShiftAtRouting: hs.filter((h) => h.ownerOffShiftAtRouting).length,
      acceptDueOffShift: hs.filter((h) => h.acceptDueOffShift).length,
      firstTouchDueOffShift: hs.filter((h) => h.firstTouchDueOffShift).length,
      queued: hs.filter((h) => h.outcome === "queued").length,
      byTier: [...slaByTier.entries()].map(([tier, t]) => ({ tier, ...t }))
    },
    waterfall: {
      stages: stagesInOrder.map((stage) => ({ stage, actual: stageActual.get(stage) ?? 0, simulated: stageSimulated.get(stage) ?? 0 })),
      unobserved,
      opportunitiesNotHandedOff: oppsNotHandedOff,
      wonNotHandedOff,
      wonAmountNotHandedOff
    },
    changed: { total: changedTotal, items: changedItems },
    assumptions: [
      "Leads created in the period are replayed from their first inquiry with a fresh lifecycle; leads created earlier are left out.",
      "Reps are taken as configured now (pods, working hours, time zones, out-of-office days, capacity); the replay starts every pod's rotation afresh.",
      `A simulated assignment counts as open until the lead really left sales, or for the inactivity period (${agreement.recycle.inactivity.after}) when it never reached sales.`,
      "Sales outcomes (SAL, SQL, opportunity, won) are those observed: a lead only the draft hands off has none (`unobserved`).",
      "The stored profile is used throughout (enriched values included); scores are provisional before the enrichment time.",
      ...(pods.length === 0 ? [] : [`Pods with no reps today: ${pods.join(", ")} (leads routed there wait in their queue).`])
    ]
  }
}
