/**
 * The worker's sweeps, as pure decisions: what each periodic sweep does to one lead at
 * `now`, given the agreement and what the store holds. The use cases in `Handoff.ts`
 * claim leads in batches, call these, and write the outcome; these functions never read a
 * clock, so the same inputs always give the same decision and a sweep run twice does
 * nothing the second time (every decision is keyed on state the first run changed).
 *
 * - **Decay** (`nextScoreChangeAt`, `decayDecision`): a score is a pure function of
 *   (lead, events, agreement, now). The sweep re-scores a lead marketing holds when its
 *   score can next change by itself (a decay step after the last engagement, a count
 *   window or hand-raise window running out) — never subtracting repeatedly. A lead whose
 *   score now crosses the MQL line becomes an MQL and is routed; a queued MQL nobody owns
 *   whose score fell below the line goes back to nurture.
 * - **SLA** (`slaSweepPlan`): the speed-to-lead clock (seed 000): accept missed →
 *   reassign to the backup pod, once; first touch missed → the manager hears of it, the
 *   lead is flagged, the breach counted per rep and source; cadence steps missed are
 *   flagged; a cadence used up with no conversation recycles the lead for low-frequency
 *   re-engagement.
 * - **Re-evaluation** (`reevaluationDecision`): a `premature` lead is re-scored after its
 *   delay — an MQL again if it qualifies, else it stays in nurture for another delay; other
 *   holds (unreachable, cadence exhausted, closed-lost) are lifted when they end.
 * - **Inactivity**: no sales activity for the agreement's period → back to nurture
 *   (`isInactive` in Lifecycle.ts, through the `Recycle` command).
 */
import { Data } from "effect"
import type { Agreement, Decay } from "./Agreement.ts"
import { durationMillis } from "./IsoDuration.ts"
import { fitSignature, type LeadEvent } from "./Lead.ts"
import { type LeadState, scoreMqlBlock, type TimelineEntry } from "./Lifecycle.ts"
import { clockSkewTolerance } from "./Receipt.ts"
import type { Assignment, LeadRecord } from "./Ports.ts"
import { eventMatches, type Score } from "./Scoring.ts"
import { type Activity, evaluateSla, type SlaBreach, type SlaStatus } from "./Sla.ts"

// ---------------------------------------------------------------------------
// Decay: when can a score change by itself?
// ---------------------------------------------------------------------------

/** Past this many half-lives a decayed contribution rounds to 0 points: nothing left to re-score. */
const halfLivesToZero = 20

/**
 * The next instant after `now` at which the lead's score can change with no new event:
 * a decay step passing (counted from the last engagement, or each event's age for
 * `basis: event_age`), a half-life period, a count rule's window or the hand-raise window
 * running out for an event, or an event dated in the future becoming known. `undefined`
 * when the score is final until something new happens.
 *
 * It may name an instant where the score happens not to change (re-scoring then is
 * harmless); it never misses one where it does.
 */
export const nextScoreChangeAt = (
  agreement: Agreement,
  events: ReadonlyArray<LeadEvent>,
  lastEngagementAt: Date | null,
  now: Date
): Date | undefined => {
  const t = now.getTime()
  let next = Number.POSITIVE_INFINITY
  const consider = (at: number) => {
    if (at > t && at < next) next = at
  }
  const scoring = agreement.scoring
  const decays: Array<Decay> = []
  if (scoring.decay !== undefined) decays.push(scoring.decay)
  for (const r of scoring.intent) if (r.decay !== undefined && r.points > 0) decays.push(r.decay)

  const stepsOf = (d: Decay, from: number) => {
    if (d.halfLife !== undefined) {
      const half = durationMillis(d.halfLife)
      const elapsed = t - from
      // continuous decay: look again every eighth of a half-life until nothing is left
      if (half > 0 && elapsed < halfLivesToZero * half) consider(t + Math.max(half / 8, 60_000))
      return
    }
    for (const s of d.steps ?? []) consider(from + durationMillis(s.after))
  }
  for (const d of decays) {
    if (d.basis === "inactivity") {
      if (lastEngagementAt !== null) stepsOf(d, lastEngagementAt.getTime())
    } else {
      for (const e of events) stepsOf(d, e.occurredAt.getTime())
    }
  }
  const hrWithin = durationMillis(agreement.handRaise.within)
  const hr = agreement.handRaise
  for (const e of events) {
    const at = e.occurredAt.getTime()
    // an event dated later than now counts from the clock-skew tolerance before its time (as
    // happening "now"), then at its time
    consider(at - clockSkewTolerance)
    consider(at)
    const handRaising = hr.events.includes(e.type) || hr.pql.some((p) => eventMatches(e, p.event, p.where))
    if (handRaising) consider(at + hrWithin)
    for (const r of scoring.intent) {
      if (!eventMatches(e, r.event, r.where)) continue
      if (r.count !== undefined) consider(at + durationMillis(r.count.within))
      if (r.instantMql === true) consider(at + hrWithin)
    }
  }
  return Number.isFinite(next) ? new Date(next) : undefined
}

/** What the decay sweep does with one lead, from its stored record and its score now. */
export type DecayDecision = Data.TaggedEnum<{
  /** The score did not change: only the next re-score time moves. */
  Unchanged: {}
  /** The score changed without crossing the line: store it (materialize). */
  Rescored: { readonly before: number | undefined; readonly after: number }
  /** Marketing holds the lead and it now qualifies: it becomes an MQL and is routed. */
  Qualifies: { readonly before: number | undefined; readonly after: number }
  /** A queued MQL nobody owns no longer qualifies: back to marketing nurture. */
  FallsBelow: { readonly before: number | undefined; readonly after: number }
}>
export const DecayDecision = Data.taggedEnum<DecayDecision>()

/**
 * Decide what a decayed (or otherwise changed) score means for a lead at `now`:
 * - marketing holds it (inquiry, nurture) and the tier now hands it to sales, with no
 *   recycle hold or wrong-ICP block standing in the way of a score-based MQL → `Qualifies`;
 * - it is an MQL waiting in a queue (no owner) and its tier no longer goes to sales →
 *   `FallsBelow`;
 * - otherwise the new total is recorded (`Rescored`) or nothing changed (`Unchanged`).
 * A lead sales already works is never moved by its score.
 */
export const decayDecision = (
  lead: Pick<LeadRecord, "state" | "score" | "profile">,
  score: Score,
  handedTo: "sales" | "marketing",
  now: Date
): DecayDecision => {
  const before = lead.score?.total
  const after = score.total
  const s = lead.state
  if ((s.stage === "inquiry" || s.stage === "nurture") && handedTo === "sales") {
    const viaScore = score.handRaise === null
    const blocked = s.stage === "nurture" && viaScore && scoreMqlBlock(s, now, fitSignature(lead.profile)) !== undefined
    if (!blocked) return DecayDecision.Qualifies({ before, after })
  }
  if (s.stage === "mql" && s.ownerId === undefined && handedTo === "marketing") return DecayDecision.FallsBelow({ before, after })
  return before === after && lead.score?.mql === score.mql ? DecayDecision.Unchanged() : DecayDecision.Rescored({ before, after })
}

/**
 * A queued MQL back in nurture because its score fell below the line: the queue, pod and
 * handoff fields go, the history (cycles, rejections) stays, and it can become an MQL
 * again as soon as its score qualifies (no hold).
 */
export const backToNurture = (state: LeadState, at: Date): LeadState => {
  const { acceptedAt: _c, assignedAt: _a, opportunity: _op, ownerId: _o, pod: _p, qualification: _qu, queue: _q, recycle: _r, ...rest } = state
  return { ...rest, stage: "nurture", reassignments: 0, recycles: state.recycles + 1, recycle: { reason: "inactivity", at } }
}

/** The timeline entry of a queued MQL whose decayed score sent it back to nurture. */
export const decayedEntry = (
  from: LeadState["stage"],
  decision: { readonly before: number | undefined; readonly after: number },
  threshold: number,
  ctx: { readonly at: Date; readonly agreementVersion: number; readonly actor: TimelineEntry["actor"] }
): TimelineEntry => ({
  at: ctx.at,
  stage: "nurture",
  from,
  cause: "Decay",
  reason: "score_decayed",
  actor: ctx.actor,
  agreementVersion: ctx.agreementVersion,
  explanation: `Back to marketing nurture: the score decayed from ${decision.before ?? "—"} to ${decision.after}, below the MQL threshold ${threshold}, while the lead waited in a queue with no owner.`,
  data: { before: decision.before ?? null, after: decision.after, threshold }
})

// ---------------------------------------------------------------------------
// SLA: accept, first touch, cadence
// ---------------------------------------------------------------------------

/** What the SLA sweep must do with one lead at `now`. */
export interface SlaSweepPlan {
  readonly status: SlaStatus
  /** Breaches not acted on yet (and not made good late): each is acted on exactly once. */
  readonly fresh: ReadonlyArray<SlaBreach>
  /** Every cadence step done or skipped and nobody connected: recycle for low-frequency re-engagement. */
  readonly exhausted: boolean
  /** When to look at the cadence next (just after its next step falls due), if anything is pending. */
  readonly cadenceCheckAt?: Date
}

/**
 * The SLA sweep's decision for a lead with a live assignment: which breaches are new
 * (`evaluateSla` minus `handledBreaches`), whether the cadence is used up without a
 * conversation, and when its cadence needs looking at next. A step is breached only once
 * `now` is past its due time, so the next check is 1 ms after the earliest pending due time.
 */
export const slaSweepPlan = (
  agreement: Agreement,
  assignment: Assignment,
  acceptedAt: Date | undefined,
  activities: ReadonlyArray<Activity>,
  now: Date
): SlaSweepPlan => {
  const status = evaluateSla(agreement, {
    tier: assignment.tier,
    ...(assignment.cadence === undefined ? {} : { cadence: assignment.cadence }),
    t0: assignment.t0,
    routedAt: assignment.routedAt,
    repId: assignment.repId,
    ...(assignment.acceptBy === undefined ? {} : { acceptBy: assignment.acceptBy }),
    ...(assignment.firstTouchBy === undefined ? {} : { firstTouchBy: assignment.firstTouchBy }),
    ...(acceptedAt === undefined ? {} : { acceptedAt }),
    reassignments: assignment.reassignments
  }, activities, now)
  const fresh = status.breaches.filter((b) => b.doneAt === undefined && !assignment.handledBreaches.includes(b.key))
  const cadence = status.cadence
  const exhausted = cadence !== undefined && cadence.exhausted
  let next: number | undefined
  if (cadence !== undefined && !cadence.connected && !cadence.exhausted) {
    for (const s of cadence.steps) {
      if (s.status === "pending" && s.dueAt !== undefined) next = Math.min(next ?? Number.POSITIVE_INFINITY, s.dueAt.getTime() + 1)
    }
  }
  return { status, fresh, exhausted, ...(next === undefined ? {} : { cadenceCheckAt: new Date(next) }) }
}

/**
 * The timeline entry that records a breach on the lead, with the rep and the lead's source
 * so reports count breaches per rep and per source.
 */
export const breachEntry = (
  stage: LeadState["stage"],
  breach: SlaBreach,
  facts: { readonly repId: string; readonly pod: string; readonly tier: string; readonly source: string | null; readonly action: string; readonly managerId?: string | undefined },
  ctx: { readonly at: Date; readonly agreementVersion: number; readonly actor: TimelineEntry["actor"] }
): TimelineEntry => {
  const what = breach.kind === "accept" ? "accept SLA" : breach.kind === "first_touch" ? "first-touch SLA" : `cadence step ${breach.stepId}`
  return {
    at: ctx.at,
    stage,
    from: stage,
    cause: "SlaBreach",
    reason: breach.key,
    actor: ctx.actor,
    agreementVersion: ctx.agreementVersion,
    explanation: `Missed the ${what} (due ${breach.dueAt.toISOString()})${facts.repId === "" ? " in queue " + facts.pod : ` by ${facts.repId}`}: ${facts.action}.`,
    data: {
      kind: breach.kind,
      ...(breach.stepId === undefined ? {} : { stepId: breach.stepId }),
      repId: facts.repId,
      pod: facts.pod,
      tier: facts.tier,
      source: facts.source,
      dueAt: breach.dueAt.toISOString(),
      action: breach.action,
      ...(facts.managerId === undefined ? {} : { managerId: facts.managerId })
    }
  }
}

// ---------------------------------------------------------------------------
// Re-evaluation of recycled leads
// ---------------------------------------------------------------------------

/** What the re-evaluation sweep does with a lead in nurture whose recycle hold has ended. */
export type ReevaluationDecision = Data.TaggedEnum<{
  /** The hold has not ended (or the lead is not in nurture): nothing to do. */
  NotDue: {}
  /** It qualifies now: an MQL again (with its whole history), routed. */
  Qualifies: { readonly lift: boolean }
  /** A premature lead still not ready: back to nurture for another delay. */
  StillPremature: {}
  /** Another hold ended (unreachable, cadence exhausted, closed-lost) and it does not qualify: lift the hold, keep nurturing. */
  LiftHold: {}
}>
export const ReevaluationDecision = Data.taggedEnum<ReevaluationDecision>()

/**
 * A recycled lead at the end of its hold: a `premature` rejection is re-scored (seed 002:
 * "re-evaluated after a delay") — MQL again if its tier now goes to sales, otherwise it
 * stays in nurture for another delay; the other holds are lifted, and the lead becomes an
 * MQL at once when it qualifies.
 */
export const reevaluationDecision = (state: LeadState, handedTo: "sales" | "marketing", now: Date): ReevaluationDecision => {
  const r = state.recycle
  if (state.stage !== "nurture" || r?.reevaluateAt === undefined || r.reevaluateAt.getTime() > now.getTime()) return ReevaluationDecision.NotDue()
  const premature = r.reason === "premature" || r.reason === "premature_reevaluated"
  if (handedTo === "sales") return ReevaluationDecision.Qualifies({ lift: !premature })
  return premature ? ReevaluationDecision.StillPremature() : ReevaluationDecision.LiftHold()
}

// ---------------------------------------------------------------------------
// Sweep reports
// ---------------------------------------------------------------------------

/** One thing a sweep did to one lead, for its JSON log and tests. */
export interface SweepAction {
  readonly leadId: string
  readonly action: string
}

/** What one sweep batch did: how many leads it claimed, and what it did to them. */
export interface SweepReport {
  readonly sweep: string
  readonly claimed: number
  readonly actions: ReadonlyArray<SweepAction>
}
