/**
 * The decision about a lead, in one pure function: score → tier → flags → handoff → route →
 * SLA plan, with the lifecycle transitions it makes and a trace in words.
 *
 * Everything that decides calls it — the use cases (a form fill, events, enrichment of a lead
 * marketing holds), `POST /v1/agreement/preview`, the backtest (`simulate`) — so a what-if
 * predicts what production does, and there is one place to change a rule. Callers bring
 * what it reads as data: the lead, its events, its account, and — only when `routingNeeds`
 * says it will route — the team, their loads and the pods' rotation ledgers.
 */
import { Either } from "effect"
import type { Agreement } from "./Agreement.ts"
import { type Account, fitSignature, type LeadEvent, type LeadProfile, type Rep, type RepLoad } from "./Lead.ts"
import { type Actor, LeadCommand, type LeadState, type TimelineEntry, transition } from "./Lifecycle.ts"
import { type LedgerSummary, podChain, route, type RouteDecision } from "./Routing.ts"
import { score as scoreLead, type Score } from "./Scoring.ts"
import { type SlaPlan, slaPlan } from "./Sla.ts"
import { assignTier, handoffFlags, type TierDecision } from "./Tiering.ts"
import type { RejectionReason } from "./Agreement.ts"

/** What a lead is decided on. */
export interface DecidedLead {
  readonly id: string
  readonly profile: LeadProfile
  readonly state: LeadState
  readonly enrichedAt?: Date | undefined
}

/** Score, tier and flags: the first stage of a decision (no routing). */
export interface HandoffDecision {
  readonly score: Score
  readonly tier: TierDecision
  readonly flags: ReadonlyArray<string>
  readonly route?: RouteDecision
}

const scoringLeadOf = (lead: Pick<DecidedLead, "profile" | "enrichedAt" | "state">) => ({
  profile: lead.profile,
  ...(lead.enrichedAt === undefined ? {} : { enrichedAt: lead.enrichedAt }),
  ...(lead.state.wrongIcpBlock === undefined ? {} : { wrongIcpBlock: lead.state.wrongIcpBlock }),
  // a lead sales gave back is handed over again by a new hand-raise, not by the one it came with
  ...(lead.state.stage === "nurture" && lead.state.recycle !== undefined ? { signalsAfter: lead.state.recycle.at } : {})
})

/** Score, tier and flag a lead under an agreement at `now` (no routing, no writes). */
export const evaluateLead = (
  agreement: Agreement,
  lead: Pick<DecidedLead, "profile" | "enrichedAt" | "state">,
  events: ReadonlyArray<LeadEvent>,
  account: Account | undefined,
  now: Date
): HandoffDecision => {
  const s = scoreLead(agreement, scoringLeadOf(lead), events, now)
  const ctx = { profile: lead.profile, namedAccount: account?.named === true }
  const tier = assignTier(agreement, s, ctx)
  const previous = lead.state.rejections[lead.state.rejections.length - 1]?.reason as RejectionReason | undefined
  const flags = handoffFlags(agreement, s, {
    ...ctx,
    ...(account === undefined ? {} : { account }),
    ...(previous === undefined ? {} : { previousRejection: previous })
  })
  return { score: s, tier, flags }
}

/** What made the decision now: a form fill (T0 and its type), or nothing new (events, enrichment). */
export interface DecisionTrigger {
  /** When the inquiry was made: the SLA's T0. */
  readonly t0: Date
  /** The inquiry's type (`demo_request`, ...): its `byIntent` first-touch target applies. */
  readonly intent?: string | undefined
}

export interface DecisionInput {
  readonly lead: DecidedLead
  readonly events: ReadonlyArray<LeadEvent>
  readonly account?: Account | undefined
  /** The team, their open-lead loads and the pods' rotation ledgers (empty when `routingNeeds` says it will not route). */
  readonly reps: ReadonlyArray<Rep>
  readonly loads: ReadonlyMap<string, RepLoad>
  readonly rotation: ReadonlyMap<string, LedgerSummary>
  readonly now: Date
  readonly trigger: DecisionTrigger
  /** Who decides, and under which agreement version: for the timeline entries of the transitions. */
  readonly actor: Actor
  readonly agreementVersion: number
}

/**
 * What the decision does with the lead:
 * - `mql`: marketing held it and it qualifies — marked MQL, then assigned, queued or (no one
 *   to take it anywhere) left unrouted, as `route` says;
 * - `abm_owner`: an inquiry that is no MQL, from an account in an active outbound play, owned
 *   by the account's owner (ABM suppression: no MQL, no cadence, no rotation, no SLA timer);
 * - `none`: nothing changes hands (marketing keeps it, or sales already has it); `reason` says why.
 */
export type HandoffOutcome = "mql" | "abm_owner" | "none"

export interface Decision extends HandoffDecision {
  readonly handoff: { readonly outcome: HandoffOutcome; readonly via: "score" | "hand_raise" | null; readonly reason: string }
  /** The routing decision, when the decision routed (an MQL, or an inquiry under ABM suppression). */
  readonly route?: RouteDecision
  /** The SLA plan of an MQL assigned or queued: first touch counted from the trigger's T0. */
  readonly sla?: SlaPlan
  /** The lead's state after the decision's transitions, and their timeline entries, in order. */
  readonly state: LeadState
  readonly timeline: ReadonlyArray<TimelineEntry>
  /** Each step, in words: the score, the tier, the handoff, the routing, the clock. */
  readonly trace: ReadonlyArray<string>
}

const heldByMarketing = (state: LeadState): state is LeadState & { readonly stage: "inquiry" | "nurture" } =>
  state.stage === "inquiry" || state.stage === "nurture"

/** Does ABM suppression give this inquiry (no MQL: its tier has no route) to its account's owner? */
const abmInquiry = (agreement: Agreement, evaluation: HandoffDecision, state: LeadState, account: Account | undefined, trigger: DecisionTrigger): boolean =>
  heldByMarketing(state) && trigger.intent !== undefined && evaluation.tier.tier.route === undefined &&
  agreement.routing.abmSuppression && account?.activeOutbound === true

/**
 * The pods whose rotation ledgers a decision with this evaluation will read — `[]` when it
 * routes without rotation (an account owner) — or undefined when it will not route at all, so
 * the caller need not load the team, their loads or any ledger.
 */
export const routingNeeds = (
  agreement: Agreement,
  evaluation: HandoffDecision,
  state: LeadState,
  account: Account | undefined,
  trigger: DecisionTrigger
): ReadonlyArray<string> | undefined => {
  const route = evaluation.tier.tier.route
  if (heldByMarketing(state) && evaluation.tier.handedTo === "sales" && route !== undefined) return podChain(agreement, route.pod)
  return abmInquiry(agreement, evaluation, state, account, trigger) ? [] : undefined
}

/** Decide on a lead: see the module's comment. `evaluation` when the caller has already scored it (same inputs). */
export const decide = (agreement: Agreement, input: DecisionInput, evaluation: HandoffDecision = evaluateLead(agreement, input.lead, input.events, input.account, input.now)): Decision => {
  const { lead, account, now: at, trigger } = input
  const ctx = { at, actor: input.actor, agreementVersion: input.agreementVersion }
  const { score, tier } = evaluation
  const trace: Array<string> = [
    `score ${score.total}${score.provisional ? " (provisional: not enriched yet)" : ""}, MQL threshold ${score.threshold}${score.handRaise === null ? "" : `, hand-raise ${score.handRaise.type}`}`,
    `tier ${tier.name}: ${tier.handedTo === "sales" ? "handed to sales" : "kept by marketing"}`
  ]
  const base = { ...evaluation, state: lead.state, timeline: [] as ReadonlyArray<TimelineEntry> }
  const routeOf = () =>
    route(agreement, {
      leadId: lead.id,
      profile: lead.profile,
      tier: tier.tier,
      ...(account === undefined ? {} : { account }),
      reps: input.reps,
      loads: input.loads,
      ledger: [],
      rotation: input.rotation,
      now: at
    })

  if (!heldByMarketing(lead.state)) {
    const reason = `sales already holds the lead (stage ${lead.state.stage}): a new decision keeps its owner`
    return { ...base, handoff: { outcome: "none", via: null, reason }, trace: [...trace, reason] }
  }

  if (tier.handedTo === "sales" && tier.tier.route !== undefined) {
    const via = score.handRaise !== null ? "hand_raise" as const : "score" as const
    const marked = transition(agreement, lead.state, LeadCommand.MarkMql({ via, tier: tier.name, fitSignature: fitSignature(lead.profile) }), ctx)
    if (Either.isLeft(marked)) {
      return { ...base, handoff: { outcome: "none", via: null, reason: marked.left.message }, trace: [...trace, marked.left.message] }
    }
    const reason = via === "hand_raise"
      ? `the prospect raised a hand (${score.handRaise?.type}): handed to sales as ${tier.name}`
      : `the score ${score.total} reached the MQL threshold ${score.threshold}: handed to sales as ${tier.name}`
    const decision = routeOf()
    const timeline: Array<TimelineEntry> = [...marked.right.timeline]
    let state = marked.right.state
    const steps = [...trace, reason, ...routeTrace(decision)]
    if (decision._tag === "NotRouted") return { ...evaluation, route: decision, handoff: { outcome: "mql", via, reason }, state, timeline, trace: steps }
    const routed = transition(
      agreement,
      state,
      decision._tag === "Assigned" ? LeadCommand.Route({ repId: decision.repId, pod: decision.pod }) : LeadCommand.Route({ pod: decision.queue, queue: decision.queue }),
      ctx
    )
    if (Either.isLeft(routed)) return { ...evaluation, route: decision, handoff: { outcome: "mql", via, reason }, state, timeline, trace: [...steps, routed.left.message] }
    state = routed.right.state
    timeline.push(...routed.right.timeline)
    const sla = slaPlan(agreement, tier.tier, { t0: trigger.t0, routedAt: at, ...(trigger.intent === undefined ? {} : { intent: trigger.intent }) })
    return { ...evaluation, route: decision, sla, handoff: { outcome: "mql", via, reason }, state, timeline, trace: [...steps, slaTrace(sla, trigger.t0)] }
  }

  if (abmInquiry(agreement, evaluation, lead.state, account, trigger)) {
    const decision = routeOf()
    const steps = [...trace, ...routeTrace(decision)]
    if (decision._tag === "Assigned" && decision.repId !== lead.state.ownerId) {
      const reason = `an inquiry from ${account!.domain}, an account in an active outbound play: owned by the account owner ${decision.repId} as an inquiry (no MQL, no cadence, no rotation, no SLA timer)`
      return {
        ...evaluation,
        route: decision,
        handoff: { outcome: "abm_owner", via: null, reason },
        state: { ...lead.state, ownerId: decision.repId, assignedAt: at },
        timeline: [],
        trace: [...steps, reason]
      }
    }
    const reason = decision._tag === "Assigned" ? `already owned by the account owner ${decision.repId}` : decision.reason
    return { ...base, route: decision, handoff: { outcome: "none", via: null, reason }, trace: [...steps, reason] }
  }

  const reason = `tier ${tier.name} keeps the lead with marketing`
  return { ...base, handoff: { outcome: "none", via: null, reason }, trace: [...trace, reason] }
}

const routeTrace = (decision: RouteDecision): ReadonlyArray<string> => {
  switch (decision._tag) {
    case "Assigned":
      return [...decision.explanation, `assigned to ${decision.repId} in ${decision.pod} (${decision.strategy}${decision.viaBackup ? ", via the backup pod" : ""})`]
    case "Queued":
      return [...decision.explanation, `queued in ${decision.queue}: ${decision.reason}`]
    case "NotRouted":
      return [`not routed: ${decision.reason}`]
  }
}

const slaTrace = (plan: SlaPlan, t0: Date): string =>
  `SLA ${plan.tier}: T0 ${t0.toISOString()}${plan.acceptBy === undefined ? "" : `, accept by ${plan.acceptBy.toISOString()}`}` +
  `${plan.firstTouchBy === undefined ? "" : `, first touch by ${plan.firstTouchBy.toISOString()}`}${plan.businessHours ? " (business hours)" : ""}`
