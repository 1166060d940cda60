/**
 * The handoff use cases: what happens when a lead comes in, when events and enrichment
 * arrive, when sales accepts, rejects, touches, qualifies and closes, and when an SLA
 * clock runs out. Each use case loads what it needs through the ports, calls the pure
 * policy (score → tier → route → SLA plan → lifecycle transition) with the active
 * agreement and `now`, and writes the lead, its timeline, the rotation ledger and the
 * outbox through the ports — inside one `Transactor` unit.
 */
import { Clock, Context, Effect, Either, Layer, Option } from "effect"
import { durationMillis } from "./IsoDuration.ts"
import type { Agreement, AgreementVersion, RejectionReason, Tier } from "./Agreement.ts"
import {
  accountDomainOf, type Account, applyEnrichment, type Enrichment, fitSignature, type LeadEvent,
  type LeadId, type LeadProfile, normalizeEmail, type Rep, type RepLoad
} from "./Lead.ts"
import {
  type Actor, IllegalTransition, inquiryEntry, initialLeadState, LeadCommand, type RecycleReason, type TimelineEntry, transition
} from "./Lifecycle.ts"
import {
  AccountDirectory, AgreementStore, type Assignment, IdGenerator, LeadNotFound, type LeadRecord, LeadStore, Outbox,
  type OutboxMessage, reevaluationDueAt, RepDirectory, RepNotFound, RotationLedger, type RoutingSummary, type SweepClaim, Transactor
} from "./Ports.ts"
import { emptyLedgerSummary, extendLedgerSummary, type LedgerEntry, type LedgerSummary, podChain, route, type RouteDecision } from "./Routing.ts"
import { eventIdentity, type KeyedEvent, receiveInstant } from "./Receipt.ts"
import { type Activity, type SlaAssignment, type SlaBreach, slaPlan } from "./Sla.ts"
import {
  backToNurture, breachEntry, decayDecision, decayedEntry, nextScoreChangeAt, reevaluationDecision, slaSweepPlan, type SweepAction,
  type SweepReport
} from "./Sweeps.ts"
import { type EnrichmentTierChange, enrichmentTierChange, notifications } from "./Tiering.ts"
import { decide as decideLead, evaluateLead, type HandoffDecision, routingNeeds } from "./Decision.ts"

// ---------------------------------------------------------------------------
// Inputs and results
// ---------------------------------------------------------------------------

/** An inbound inquiry: a form fill, trial signup or contact request. */
export interface InboundLead {
  readonly profile: LeadProfile
  /** The inquiry's event type (`demo_request`, `trial_signup`, `content_download`, ...). */
  readonly intent?: string
  /** T0, the form submission time; default now. */
  readonly occurredAt?: Date
  /** Event properties of the inquiry itself (e.g. `kind: case_study` for a download). */
  readonly properties?: Readonly<Record<string, string | number | boolean | null>>
  /**
   * How a repeat inquiry treats the stored profile (see `mergeInquiry`): `fill_blanks` (the
   * default: a public form, whose sender proves nothing about who they are) or `overwrite`
   * (a trusted caller correcting the record).
   */
  readonly merge?: InquiryMergeMode
}

/** An event for a lead known by id or by email. */
export interface InboundEvent {
  readonly email?: string
  readonly leadId?: string
  /** The sender's own id for the event: a resend with the same id (for the same lead or email) is a duplicate. */
  readonly id?: string
  readonly event: LeadEvent
}

/** `clamped`: the given `occurredAt` was too far ahead of our clock and the receipt time was stored instead. */
export type EventResult =
  | { readonly status: "attached"; readonly leadId: string; readonly clamped: boolean }
  | { readonly status: "pending"; readonly email: string; readonly clamped: boolean }
  | { readonly status: "duplicate"; readonly leadId: string | null }
  | { readonly status: "rejected"; readonly reason: string }


export interface LeadOutcome {
  readonly lead: LeadRecord
  readonly decision?: HandoffDecision
  /**
   * What the unit already read that a view of the lead needs, so the caller need not read it
   * again: the agreement version it decided under, the owner when it routed the lead, and the
   * activities when it knows them (a lead created by this unit has none).
   */
  readonly known?: LeadContext
}

export interface LeadContext {
  readonly agreement: AgreementVersion
  readonly owner?: Rep
  readonly activities?: ReadonlyArray<Activity>
}

/** The transaction left the lead in a state the command does not apply to. */
export type HandoffError = LeadNotFound | IllegalTransition | RepNotFound

// ---------------------------------------------------------------------------
// The pure part: merging a repeat inquiry
// ---------------------------------------------------------------------------

export type InquiryMergeMode = "fill_blanks" | "overwrite"

/** The stored profile fields a repeat inquiry may touch: who the person is and where they work. */
export const identityFields = [
  "firstName", "lastName", "title", "seniority", "company", "domain", "country", "region", "employees", "industry", "estimatedAcv", "phone"
] as const satisfies ReadonlyArray<keyof LeadProfile>
export type IdentityField = typeof identityFields[number]

export interface InquiryMerge {
  readonly profile: LeadProfile
  /** Blank fields the form filled in. */
  readonly filled: ReadonlyArray<IdentityField>
  /** Fields where the form said something else than the stored profile, with what it said (kept, or written with `overwrite`). */
  readonly differing: Readonly<Partial<Record<IdentityField, string | number>>>
}

/**
 * A repeat inquiry (same normalized email) merged into the stored profile. Anyone can type
 * anyone's email into a public form, so by default (`fill_blanks`) the form only fills
 * identity fields the lead does not have yet; a differing value is not written but returned
 * in `differing`, for the timeline to keep as what the form said. The stored values change
 * through a trusted caller (`overwrite`: its values win) or enrichment. The inquiry's source
 * (its channel, campaign and form) is the latest one's, and its form answers are added to
 * the earlier ones (the newest answer to a question wins): they describe the inquiry, not
 * the person.
 */
export const mergeInquiry = (stored: LeadProfile, form: LeadProfile, mode: InquiryMergeMode): InquiryMerge => {
  const next: Record<string, unknown> = { ...stored }
  const filled: Array<IdentityField> = []
  const differing: Partial<Record<IdentityField, string | number>> = {}
  for (const field of identityFields) {
    const said = form[field]
    if (said === undefined) continue
    const kept = stored[field]
    if (kept === undefined) {
      next[field] = said
      filled.push(field)
    } else if (kept !== said) {
      differing[field] = said
      if (mode === "overwrite") next[field] = said
    }
  }
  if (form.source !== undefined) next.source = form.source
  if (form.fields !== undefined) next.fields = { ...stored.fields, ...form.fields }
  return { profile: next as LeadProfile, filled, differing }
}

/** The timeline's words for a merge: what the form filled in and what else it said. */
export const inquiryMergeExplanation = (intent: string, merge: InquiryMerge, mode: InquiryMergeMode): string => {
  const said = Object.entries(merge.differing).map(([k, v]) => `${k}: ${String(v)}`)
  return [
    `New inquiry (${intent}) merged into the existing lead.`,
    ...(merge.filled.length === 0 ? [] : [`Filled in ${merge.filled.join(", ")}.`]),
    ...(said.length === 0 ? [] : [mode === "overwrite" ? `Corrected ${said.join(", ")}.` : `The form said ${said.join(", ")}; the stored values are kept.`])
  ].join(" ")
}

// ---------------------------------------------------------------------------
// The pure part: one decision
// ---------------------------------------------------------------------------

const uniq = (xs: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(xs)]

/** What the SLA evaluation needs from a stored lead's assignment. */
export const slaAssignmentOf = (lead: LeadRecord, a: Assignment): SlaAssignment => ({
  tier: a.tier,
  ...(a.cadence === undefined ? {} : { cadence: a.cadence }),
  t0: a.t0,
  routedAt: a.routedAt,
  repId: a.repId,
  ...(a.acceptBy === undefined ? {} : { acceptBy: a.acceptBy }),
  ...(a.firstTouchBy === undefined ? {} : { firstTouchBy: a.firstTouchBy }),
  ...(lead.state.acceptedAt === undefined ? {} : { acceptedAt: lead.state.acceptedAt }),
  reassignments: a.reassignments
})

/** The lead as the rep's handoff notification carries it (seed 002: call with context). */
export const handoffContext = (
  lead: LeadRecord,
  events: ReadonlyArray<LeadEvent>,
  rep: Rep | undefined
): Record<string, unknown> => {
  const p = lead.profile
  const recent = [...events].sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime()).slice(0, 20)
  const s = lead.score
  return {
    leadId: lead.id,
    name: [p.firstName, p.lastName].filter((x) => x !== undefined).join(" ") || undefined,
    title: p.title,
    company: p.company,
    email: p.email,
    phone: p.phone,
    score: s === undefined ? undefined : { total: s.total, fit: s.fit, intent: s.intent, threshold: s.threshold },
    drivers: s?.drivers.map((d) => `${d.points > 0 ? "+" : ""}${d.points} ${d.rule}: ${d.reason}`) ?? [],
    raisedHand: s?.handRaise !== null && s?.handRaise !== undefined,
    how: s?.handRaise ? `raised a hand (${s.handRaise.type}${s.handRaise.pql ? ", product-qualified" : ""})` : "crossed the MQL threshold by accumulated activity",
    content: recent.filter((e) => e.type === "content_download" || e.type === "webinar_registration").map((e) => ({ type: e.type, ...e.properties })),
    pages: recent.filter((e) => e.type === "page_view").map((e) => e.properties),
    emails: recent.filter((e) => e.type.startsWith("email_")).map((e) => ({ type: e.type, ...e.properties })),
    formAnswers: p.fields ?? {},
    source: p.source,
    tier: lead.tier,
    sla: lead.assignment === undefined ? undefined : { acceptBy: lead.assignment.acceptBy?.toISOString(), firstTouchBy: lead.assignment.firstTouchBy?.toISOString() },
    owner: rep === undefined ? undefined : { repId: rep.id, name: rep.name, bookingUrl: rep.bookingUrl },
    flags: lead.flags,
    recommendedApproach: recommendApproach(lead, recent)
  }
}

/** A first line for the rep, from the strongest signals (seed 002: "a recommended first contact approach"). */
export const recommendApproach = (lead: LeadRecord, recent: ReadonlyArray<LeadEvent>): string => {
  const s = lead.score
  if (s?.handRaise) {
    if (s.handRaise.pql) return `They are using the product (${s.handRaise.type}): offer help getting value from it and ask about the team's rollout.`
    if (s.handRaise.type === "pricing_request") return "They asked for pricing: confirm scope and seats, send the pricing page, offer a short call to tailor a quote."
    return "They asked to talk to sales: call now, confirm the problem they want solved, and book the demo on this call."
  }
  const caseStudy = recent.find((e) => e.type === "content_download" && e.properties.kind === "case_study")
  if (caseStudy !== undefined) return `Open with the case study they read${caseStudy.properties.title ? ` ("${String(caseStudy.properties.title)}")` : ""} and ask whether that challenge matches theirs.`
  if (recent.some((e) => e.type === "page_view" && e.properties.category === "pricing")) return "They looked at pricing: ask what they are evaluating and by when."
  return "Reference the content they engaged with and ask a discovery question about their current process."
}

/** A trace line as a sentence for the timeline. */
const sentence = (line: string): string => `${line.charAt(0).toUpperCase()}${line.slice(1)}${line.endsWith(".") ? "" : "."}`

/**
 * The timeline entry of an inquiry handed to its account's owner under ABM suppression (the
 * stage does not change: it is ownership of the conversation, not an MQL handoff).
 */
export const abmOwnerEntry = (
  ctx: { readonly at: Date; readonly actor: Actor; readonly agreementVersion: number },
  stage: "inquiry" | "nurture",
  domain: string,
  ownerName: string,
  ownerId: string,
  previousOwnerId: string | undefined
): TimelineEntry => ({
  at: ctx.at,
  stage,
  from: stage,
  cause: "AbmOwnership",
  reason: "abm_suppressed",
  actor: ctx.actor,
  agreementVersion: ctx.agreementVersion,
  explanation: `Owned by ${ownerName} (${ownerId}), the owner of ${domain}${previousOwnerId === undefined ? "" : ` (before: ${previousOwnerId})`}: the account is in an active outbound play, so its owner owns the conversation regardless of form fills. It stays ${stage === "inquiry" ? "an inquiry" : "in nurture"}, not an MQL: no SDR cadence, no rotation, no speed-to-lead SLA timer (ABM-suppressed).`,
  data: { repId: ownerId, domain, strategy: "abm_owner", ...(previousOwnerId === undefined ? {} : { fromRepId: previousOwnerId }) }
})

// ---------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------

export interface HandoffService {
  /** An inbound inquiry: dedupe by email, match the account, score, tier, route, start the SLA clock. */
  readonly ingest: (input: InboundLead, actor: Actor) => Effect.Effect<LeadOutcome & { readonly created: boolean }>
  /**
   * Behavioral and product events, all in one unit: unknown emails are held and attached
   * when the lead appears; an event already stored (same sender id, or same content) is a
   * `duplicate` and stored no second time.
   */
  readonly recordEvents: (events: ReadonlyArray<InboundEvent>, actor: Actor) => Effect.Effect<ReadonlyArray<EventResult>>
  /**
   * Firmographic enrichment: the second scoring stage. The lead is re-scored; one marketing
   * holds is decided on again (an MQL now is routed); one handed off on its provisional score
   * and not accepted yet that is now of a higher tier (hot) moves to that tier's pod, its SLA
   * counted from T0; any other tier change is recorded (see `enrichmentTierChange`).
   */
  readonly enrich: (leadId: string, enrichment: Enrichment, actor: Actor) => Effect.Effect<LeadOutcome, LeadNotFound>
  readonly accept: (leadId: string, repId: string, actor: Actor) => Effect.Effect<LeadRecord, HandoffError>
  readonly reject: (
    leadId: string,
    input: { readonly repId: string; readonly reason: RejectionReason; readonly note?: string | undefined; readonly into?: string | undefined },
    actor: Actor
  ) => Effect.Effect<LeadRecord, HandoffError>
  readonly logActivity: (leadId: string, activity: Activity, actor: Actor) => Effect.Effect<LeadRecord, HandoffError>
  readonly qualify: (
    leadId: string,
    input: { readonly repId: string; readonly framework: string; readonly fields: Readonly<Record<string, string | number | boolean | null>> },
    actor: Actor
  ) => Effect.Effect<LeadRecord, HandoffError>
  readonly openOpportunity: (leadId: string, input: { readonly amount: number; readonly opportunityId?: string }, actor: Actor) => Effect.Effect<LeadRecord, HandoffError>
  readonly closeOpportunity: (leadId: string, input: { readonly won: boolean; readonly amount?: number }, actor: Actor) => Effect.Effect<LeadRecord, HandoffError>
  /**
   * Return a lead sales holds to marketing nurture: no activity for the agreement's
   * inactivity period, an exhausted cadence, a closed-lost opportunity, or a premature lead
   * re-evaluated and still not ready. Refused (typed) when the rule does not apply yet.
   */
  readonly recycle: (leadId: string, reason: RecycleReason, actor: Actor) => Effect.Effect<LeadRecord, HandoffError>
  /**
   * Act on every SLA breach due at `now`, each exactly once: accept missed → reassign to
   * the backup pod; first touch missed → notify the manager and flag the lead.
   */
  readonly handleBreaches: (limit: number) => Effect.Effect<ReadonlyArray<BreachAction>>
  /**
   * The SLA sweep, one batch: claim up to `limit` leads whose next SLA instant has passed
   * (skipping those another worker holds), act on each new breach once (accept missed →
   * reassign to the backup pod, routed in memory with the pods' rotation kept up to date;
   * first touch missed → the manager is notified and the lead flagged; cadence steps
   * missed → flagged; every breach recorded on the timeline with rep and source), recycle
   * cadences used up without a conversation, and write everything with multi-row
   * statements in one short unit.
   */
  readonly sweepSla: (limit: number) => Effect.Effect<SweepReport & { readonly breaches: ReadonlyArray<BreachAction> }>
  /**
   * The decay sweep, one batch: re-score the leads marketing holds (and queued MQLs) whose
   * score can have changed by now (`rescoreAt`); a lead that now qualifies becomes an MQL
   * and is routed, a queued MQL that fell below the line goes back to nurture, any other
   * change is recorded. Running it twice changes nothing.
   */
  readonly sweepDecay: (limit: number) => Effect.Effect<SweepReport>
  /**
   * The re-evaluation sweep, one batch: leads in nurture whose recycle hold ended. A
   * premature lead is re-scored (MQL again if it qualifies, else another delay); other holds
   * are lifted (and the lead becomes an MQL if it qualifies). A returning lead keeps its history.
   */
  readonly sweepReevaluations: (limit: number) => Effect.Effect<SweepReport>
  /** The inactivity sweep, one batch: leads with no sales activity for the agreement's period go back to nurture. */
  readonly sweepInactivity: (limit: number) => Effect.Effect<SweepReport>
}

/** One breach acted on: the lead, the breach, and what was done (`reassigned to ae-9`, `notified manager mgr-1`, ...). */
export interface BreachAction {
  readonly leadId: string
  readonly breach: SlaBreach
  readonly action: string
}

export class Handoff extends Context.Tag("@handoff/domain/Handoff")<Handoff, HandoffService>() {}

const systemActor: Actor = { kind: "system", id: "handoff" }

export const makeHandoff = Effect.gen(function*() {
  const leads = yield* LeadStore
  const repsDir = yield* RepDirectory
  const accounts = yield* AccountDirectory
  const ledger = yield* RotationLedger
  const agreements = yield* AgreementStore
  const outbox = yield* Outbox
  const ids = yield* IdGenerator
  const tx = yield* Transactor

  const now = Clock.currentTimeMillis.pipe(Effect.map((ms) => new Date(ms)))

  const message = (topic: string, lead: LeadRecord, at: Date, payload: Record<string, unknown>): OutboxMessage => ({
    topic,
    key: lead.id,
    at,
    payload: { leadId: lead.id, stage: lead.state.stage, tier: lead.tier, agreementVersion: lead.agreementVersion, ...payload }
  })

  const loadLead = (leadId: string) =>
    leads.findById(leadId as LeadId).pipe(
      Effect.flatMap(Option.match({
        onNone: () => Effect.fail(new LeadNotFound({ leadId, message: `No lead with id ${leadId}.` })),
        onSome: Effect.succeed
      }))
    )

  const accountOf = (lead: Pick<LeadRecord, "accountDomain">) =>
    lead.accountDomain === undefined
      ? Effect.succeed(undefined)
      : accounts.findByDomain(lead.accountDomain).pipe(Effect.map(Option.getOrUndefined))

  /** Route a lead that just became an MQL (or is reassigned), and plan its SLA. */
  const routeLead = (
    agreement: Agreement,
    lead: LeadRecord,
    tier: Tier,
    account: Account | undefined,
    at: Date,
    opts: { readonly exclude?: ReadonlyArray<string>; readonly t0: Date; readonly intent?: string }
  ) =>
    Effect.gen(function*() {
      const reps = yield* repsDir.list()
      const loads = yield* repsDir.loads(at)
      const pods = tier.route === undefined ? [] : podChain(agreement, tier.route.pod)
      const rotation = pods.length === 0 ? new Map() : yield* ledger.summaries(pods)
      const decision = route(agreement, {
        leadId: lead.id,
        profile: lead.profile,
        tier,
        ...(account === undefined ? {} : { account }),
        reps,
        loads,
        ledger: [],
        rotation,
        now: at,
        ...(opts.exclude === undefined ? {} : { exclude: opts.exclude })
      })
      if (decision._tag !== "NotRouted" && decision.ledger.length > 0) yield* ledger.append(decision.ledger)
      return { decision, reps }
    })

  const assignmentFor = (
    agreement: Agreement,
    tier: Tier,
    decision: Extract<RouteDecision, { _tag: "Assigned" }>,
    at: Date,
    t0: Date,
    intent: string | undefined,
    reassignments: number,
    clockFrom?: Date
  ): Assignment => {
    // a first assignment times first touch from T0; a reassignment gives the new owner a
    // fresh window from the moment they get the lead (T0 stays for speed-to-lead reports);
    // `clockFrom` says otherwise (a lead moved up a tier by enrichment keeps T0)
    const clockStart = clockFrom ?? (reassignments === 0 ? t0 : at)
    const plan = slaPlan(agreement, tier, { t0: clockStart, routedAt: at, ...(intent === undefined ? {} : { intent }) })
    const withCadence = plan.cadence !== undefined && !decision.flags.includes("abm_suppressed")
    // the cadence is looked at just after its first step falls due (each activity brings the next look forward)
    const firstStep = withCadence
      ? Math.min(...plan.steps.filter((st) => !st.projected).map((st) => st.dueAt.getTime()))
      : Number.POSITIVE_INFINITY
    return {
      repId: decision.repId,
      pod: decision.pod,
      strategy: decision.strategy,
      tier: tier.name,
      ...(plan.cadence === undefined || decision.flags.includes("abm_suppressed") ? {} : { cadence: plan.cadence }),
      t0,
      routedAt: at,
      ...(plan.acceptBy === undefined ? {} : { acceptBy: plan.acceptBy }),
      ...(plan.firstTouchBy === undefined ? {} : { firstTouchBy: plan.firstTouchBy }),
      reassignments,
      handledBreaches: [],
      ...(Number.isFinite(firstStep) ? { cadenceCheckAt: new Date(firstStep + 1) } : {})
    }
  }

  const routingSummary = (decision: RouteDecision): RoutingSummary | undefined => {
    switch (decision._tag) {
      case "Assigned":
        return { pod: decision.pod, strategy: decision.strategy, explanation: decision.explanation }
      case "Queued":
        return { pod: decision.queue, strategy: "queue", explanation: decision.explanation, queue: decision.queue }
      case "NotRouted":
        return undefined
    }
  }

  /**
   * Re-decide a lead after something changed (new inquiry, events, enrichment): store the
   * new score and tier; a lead marketing holds that now qualifies is marked MQL and routed.
   * `known` is the lead's events when the caller already has them (read before its own
   * append, plus what it appended), so they are not read back.
   */
  const decide = (
    version: AgreementVersion,
    lead: LeadRecord,
    at: Date,
    actor: Actor,
    trigger: { readonly t0: Date; readonly intent?: string },
    known?: ReadonlyArray<LeadEvent>
  ) =>
    Effect.gen(function*() {
      const agreement = version.agreement
      const events = known ?? (yield* leads.events(lead.id))
      const account = yield* accountOf(lead)
      const evaluation = evaluateLead(agreement, lead, events, account, at)
      const ctx = { at, actor, agreementVersion: version.version }
      const { rescoreAt: _r, ...rest } = lead
      const rescoreAt = nextScoreChangeAt(agreement, events, evaluation.score.lastEngagementAt, at)
      let next: LeadRecord = {
        ...rest,
        score: evaluation.score,
        flags: uniq([...lead.flags.filter((f) => !f.startsWith("disqualified:") && f !== "provisional"), ...evaluation.flags]),
        agreementVersion: version.version,
        updatedAt: at,
        ...(rescoreAt === undefined ? {} : { rescoreAt })
      }
      const timeline: Array<TimelineEntry> = []
      const messages: Array<OutboxMessage> = []

      const marketingHolds = lead.state.stage === "inquiry" || lead.state.stage === "nurture"
      // while marketing holds the lead its tier follows the score; once sales has it, the handoff's tier stays
      if (marketingHolds) next = { ...next, tier: evaluation.tier.name }
      // the team, their loads and the ledgers are read only when the decision will route
      const pods = routingNeeds(agreement, evaluation, lead.state, account, trigger)
      const reps = pods === undefined ? [] : yield* repsDir.list()
      const d = decideLead(agreement, {
        lead: next,
        events,
        account,
        reps,
        loads: pods === undefined ? new Map() : yield* repsDir.loads(at),
        rotation: pods === undefined || pods.length === 0 ? new Map() : yield* ledger.summaries(pods),
        now: at,
        trigger,
        actor,
        agreementVersion: version.version
      }, evaluation)
      const decision = d.route
      if (decision !== undefined && decision._tag !== "NotRouted" && decision.ledger.length > 0) yield* ledger.append(decision.ledger)
      const summary = decision === undefined ? undefined : routingSummary(decision)
      const repOf = (id: string) => reps.find((r) => r.id === id)
      timeline.push(...d.timeline)
      if (d.handoff.outcome === "mql") {
        next = { ...next, state: d.state, tier: evaluation.tier.name }
        messages.push(message("lead.mql", next, at, { via: d.handoff.via, score: evaluation.score.total, tier: evaluation.tier.name }))
        if (decision?._tag === "Assigned" && d.state.ownerId === decision.repId) {
          next = {
            ...next,
            assignment: assignmentFor(agreement, evaluation.tier.tier, decision, at, trigger.t0, trigger.intent, 0),
            flags: uniq([...next.flags, ...decision.flags]),
            ...(summary === undefined ? {} : { routing: summary })
          }
          messages.push(message("lead.routed", next, at, { repId: decision.repId, pod: decision.pod, handoff: handoffContext(next, events, repOf(decision.repId)) }))
        } else if (decision?._tag === "Queued" && d.sla !== undefined) {
          const plan = d.sla
          next = {
            ...next,
            flags: uniq([...next.flags, ...decision.flags, "queued"]),
            ...(summary === undefined ? {} : { routing: summary }),
            // a queued MQL keeps a running first-touch clock, so a breach escalates it
            assignment: {
              repId: "",
              pod: decision.queue,
              strategy: "queue",
              tier: evaluation.tier.name,
              t0: trigger.t0,
              routedAt: at,
              ...(plan.acceptBy === undefined ? {} : { acceptBy: plan.acceptBy }),
              ...(plan.firstTouchBy === undefined ? {} : { firstTouchBy: plan.firstTouchBy }),
              reassignments: 0,
              handledBreaches: []
            }
          }
          messages.push(message("lead.queued", next, at, { queue: decision.queue, reason: decision.reason }))
        }
      } else if (d.handoff.outcome === "abm_owner" && decision?._tag === "Assigned" && account !== undefined) {
        // ownership of the conversation under ABM suppression, not a handoff (see `decide`)
        const rep = repOf(decision.repId)
        const held = lead.state.stage === "nurture" ? "nurture" as const : "inquiry" as const
        next = { ...next, state: d.state, flags: uniq([...next.flags, ...decision.flags]), routing: summary! }
        timeline.push(abmOwnerEntry(ctx, held, account.domain, rep?.name ?? decision.repId, decision.repId, lead.state.ownerId))
        messages.push(message("lead.routed", next, at, { repId: decision.repId, pod: decision.pod, strategy: decision.strategy, handoff: handoffContext(next, events, rep) }))
      } else if (trigger.intent !== undefined && lead.state.ownerId !== undefined && (!marketingHolds || decision?._tag === "Assigned")) {
        // a new inquiry from a lead its owner already works (sales, or the account owner under ABM): tell the owner, keep the owner
        messages.push(message("lead.activity", next, at, { repId: lead.state.ownerId, intent: trigger.intent }))
      }
      for (const n of notifications(agreement, { ...(account === undefined ? {} : { account }) })) {
        if (trigger.intent !== undefined) messages.push(message("account.named_inbound", next, at, { repId: n.repId, domain: account?.domain }))
      }
      const owner = next.state.ownerId === undefined ? undefined : repOf(next.state.ownerId)
      return { lead: next, timeline, messages, decision: { ...evaluation, ...(decision === undefined ? {} : { route: decision }) }, ...(owner === undefined ? {} : { owner }) }
    })

  const persist = (lead: LeadRecord, timeline: ReadonlyArray<TimelineEntry>, messages: ReadonlyArray<OutboxMessage>) =>
    Effect.gen(function*() {
      yield* leads.update(lead)
      if (timeline.length > 0) yield* leads.appendTimeline(lead.id, timeline)
      if (messages.length > 0) yield* outbox.publish(messages)
    })

  // A concurrent ingest of the same email may insert first: run again, as a merge.
  const ingest: HandoffService["ingest"] = (input, actor) =>
    ingestOnce(input, actor).pipe(
      Effect.retry({ times: 3, while: (e) => e._tag === "EmailTaken" }),
      Effect.orDie
    )

  const ingestOnce = (input: InboundLead, actor: Actor) =>
    tx.transaction(Effect.gen(function*() {
      const at = yield* now
      const version = yield* agreements.active()
      const email = normalizeEmail(input.profile.email)
      const received = receiveInstant(input.occurredAt, at)
      const t0 = received.t0
      const inquiry: LeadEvent = {
        type: input.intent ?? "inquiry",
        occurredAt: received.occurredAt,
        properties: input.properties ?? {},
        ...(input.profile.source?.channel === undefined ? {} : { channel: input.profile.source.channel }),
        ...(input.profile.source?.campaign === undefined ? {} : { campaign: input.profile.source.campaign })
      }
      const existing = yield* leads.findByEmail(email)
      const ctx = { at, actor, agreementVersion: version.version }
      let lead: LeadRecord
      let created: boolean
      /** The lead's events before this inquiry, in the store's order. */
      let before: ReadonlyArray<LeadEvent>
      const opening: Array<TimelineEntry> = []
      if (Option.isSome(existing)) {
        created = false
        const prev = existing.value
        before = yield* leads.events(prev.id)
        const mode = input.merge ?? "fill_blanks"
        const merge = mergeInquiry(prev.profile, input.profile, mode)
        lead = { ...prev, profile: merge.profile, updatedAt: at }
        opening.push({
          ...inquiryEntry(ctx, inquiryMergeExplanation(inquiry.type, merge, mode)),
          stage: prev.state.stage,
          from: prev.state.stage,
          data: {
            intent: inquiry.type,
            ...(merge.filled.length === 0 ? {} : { filled: merge.filled }),
            ...(Object.keys(merge.differing).length === 0 ? {} : { [mode === "overwrite" ? "corrected" : "formSaid"]: merge.differing })
          }
        })
      } else {
        created = true
        const id = (yield* ids.next("lead")) as LeadId
        const domain = accountDomainOf(email, input.profile.domain)
        lead = {
          id,
          email,
          profile: input.profile,
          ...(domain === undefined ? {} : { accountDomain: domain }),
          createdAt: at,
          updatedAt: at,
          state: initialLeadState,
          flags: [],
          agreementVersion: version.version
        }
        yield* leads.insert(lead)
        opening.push(inquiryEntry(ctx, `New inquiry (${inquiry.type}) from ${input.profile.source?.channel ?? "an unknown channel"}.`))
        const pending = yield* leads.takePendingEvents(email)
        if (pending.length > 0) yield* leads.appendEvents(id, pending)
        before = pending
      }
      yield* leads.appendEvents(lead.id, [inquiry])
      // a form's clock far ahead of ours: T0 is when we heard of it, and the lead says so
      if (received.clamped) lead = { ...lead, flags: uniq([...lead.flags, "clock_skew_clamped"]) }
      const result = yield* decide(version, lead, at, actor, { t0, intent: inquiry.type }, [...before, inquiry])
      const messages = created ? [message("lead.created", result.lead, at, { email }), ...result.messages] : result.messages
      yield* persist(result.lead, [...opening, ...result.timeline], messages)
      const known: LeadContext = { agreement: version, ...(result.owner === undefined ? {} : { owner: result.owner }), ...(created ? { activities: [] } : {}) }
      return { lead: result.lead, decision: result.decision, created, known }
    }))

  const recordEvents: HandoffService["recordEvents"] = (items, actor) =>
    items.length === 0 ? Effect.succeed([]) : tx.transaction(Effect.gen(function*() {
      const at = yield* now
      const version = yield* agreements.active()
      const prepared = items.map((item) => {
        const email = item.email === undefined ? undefined : normalizeEmail(item.email)
        const target = item.leadId !== undefined ? { leadId: item.leadId } : { email: email ?? "" }
        const received = receiveInstant(item.event.occurredAt, at)
        const event: KeyedEvent = {
          ...item.event,
          occurredAt: received.occurredAt,
          ...(received.clamped ? { properties: { ...item.event.properties, clockSkewClamped: true } } : {}),
          key: eventIdentity(target, item.event, item.id)
        }
        return { item, email, event, received }
      })
      const stored = yield* leads.storedEventKeys(prepared.map((p) => p.event.key!))
      const seen = new Set(stored)
      const results: Array<EventResult> = new Array(items.length)
      // one lead's events in the order given, leads in a fixed order: concurrent batches lock them alike
      const order = prepared.map((_, i) => i).sort((a, b) => {
        const ka = prepared[a]!.item.leadId ?? prepared[a]!.email ?? ""
        const kb = prepared[b]!.item.leadId ?? prepared[b]!.email ?? ""
        return ka < kb ? -1 : ka > kb ? 1 : a - b
      })
      for (const i of order) {
        const { email, event, item, received } = prepared[i]!
        const clamped = received.clamped
        if (seen.has(event.key!)) {
          results[i] = { status: "duplicate", leadId: item.leadId ?? null }
          continue
        }
        seen.add(event.key!)
        const found = item.leadId !== undefined
          ? yield* leads.findById(item.leadId as LeadId)
          : email !== undefined
          ? yield* leads.findByEmail(email)
          : Option.none<LeadRecord>()
        if (Option.isNone(found)) {
          if (email === undefined) {
            results[i] = { status: "rejected", reason: `no lead with id ${item.leadId}` }
            continue
          }
          yield* leads.holdPendingEvents(email, [event])
          results[i] = { status: "pending", email, clamped }
          continue
        }
        const lead = found.value
        if (lead.state.stage === "merged" || lead.state.stage === "won") {
          yield* leads.appendEvents(lead.id, [event])
          results[i] = { status: "attached", leadId: lead.id, clamped }
          continue
        }
        // the lead's events as they were, then this one: decided on without reading them back
        const before = yield* leads.events(lead.id)
        yield* leads.appendEvents(lead.id, [event])
        const result = yield* decide(version, lead, at, actor, { t0: received.t0, ...(isHandRaise(version.agreement, event) ? { intent: event.type } : {}) }, [...before, event])
        yield* persist(result.lead, result.timeline, result.messages)
        results[i] = { status: "attached", leadId: lead.id, clamped }
      }
      return results
    }))

  const enrich: HandoffService["enrich"] = (leadId, enrichment, actor) =>
    tx.transaction(Effect.gen(function*() {
      const lead = yield* loadLead(leadId)
      const at = yield* now
      const version = yield* agreements.active()
      const before = lead.score
      const enriched: LeadRecord = { ...lead, profile: applyEnrichment(lead.profile, enrichment), enrichedAt: at }
      const result = yield* decide(version, enriched, at, actor, { t0: at })
      const entry: TimelineEntry = {
        ...inquiryEntry({ at, actor, agreementVersion: version.version }, `Enriched: score ${before?.total ?? "—"} → ${result.lead.score?.total ?? "—"} (no longer provisional).`),
        cause: "Enrichment",
        stage: lead.state.stage,
        from: lead.state.stage
      }
      const extra: Array<TimelineEntry> = []
      const extraMessages: Array<OutboxMessage> = []
      let final = result.lead
      let rerouted: RouteDecision | undefined
      // routed on the provisional score: a lead nobody accepted yet that enrichment shows to be
      // of a higher tier (hot) moves to that tier's pod; any other change is recorded for
      // calibration while sales keeps the handoff's tier, owner and SLA
      const change = enrichmentTierChange(version.agreement, { stage: lead.state.stage, handoffTier: lead.tier }, result.decision.tier)
      const recordChange = (reason: string) => {
        extra.push({ ...entry, reason: "tier_changed", explanation: sentence(reason), data: { from: lead.tier, to: result.decision.tier.name, action: "recorded" } })
        extraMessages.push(message("lead.tier_changed", result.lead, at, { from: lead.tier, to: result.decision.tier.name, action: "recorded", repId: lead.state.ownerId }))
      }
      if (change.action === "record") recordChange(change.reason)
      else if (change.action === "reroute") {
        const account = yield* accountOf(result.lead)
        const moved = yield* moveUpTier(version, result.lead, change, account, at, actor, entry)
        rerouted = moved.route
        if (moved.lead === undefined) recordChange(moved.reason)
        else {
          final = moved.lead
          extra.push(...moved.timeline)
          extraMessages.push(...moved.messages)
        }
      }
      yield* persist(final, [entry, ...extra, ...result.timeline], [message("lead.enriched", final, at, { before: before?.total, after: final.score?.total }), ...extraMessages, ...result.messages])
      return { lead: final, decision: { ...result.decision, ...(rerouted === undefined ? {} : { route: rerouted }) } }
    }))

  /**
   * Enrichment shows a lead handed off on its provisional score, that nobody has accepted
   * yet, to be of a higher tier (hot): it goes to that tier's pod as any routed lead (the
   * pod's rotation credit is written), the previous assignment is replaced as in a
   * reassignment, and the new tier's SLA counts from the original T0 — so a first-touch
   * deadline already past when enrichment lands is the SLA sweep's to act on, as any breach.
   * The previous owner is told the way a reassignment after a breach tells them
   * (`lead.reassigned` with `fromRepId`, the new owner's handoff context), and
   * `lead.tier_changed` says why. When the new tier's pod routes it to the owner it already
   * has (an ABM account owner, a rep in both pods), they keep it on the new tier's SLA. When
   * nobody there (nor in its backups) can take it now, the lead keeps its handoff and the
   * change is recorded (`lead` undefined, `reason` says why).
   */
  const moveUpTier = (
    version: AgreementVersion,
    lead: LeadRecord,
    change: Extract<EnrichmentTierChange, { readonly action: "reroute" }>,
    account: Account | undefined,
    at: Date,
    actor: Actor,
    entry: TimelineEntry
  ) =>
    Effect.gen(function*() {
      const agreement = version.agreement
      const ctx = { at, actor, agreementVersion: version.version }
      const prev = lead.assignment
      const t0 = prev?.t0 ?? lead.state.mqlAt ?? at
      const fromRepId = lead.state.ownerId
      const tier = change.tier
      const { decision, reps } = yield* routeLead(agreement, lead, tier, account, at, { t0 })
      /** The lead cannot move: it keeps its handoff, and the change is recorded with why. */
      const kept = (why: string) => ({
        lead: undefined, route: decision, timeline: [], messages: [],
        reason: `on the enriched data the lead would be ${change.to}, not ${change.from}, but ${why.replace(/\.$/, "")}: recorded; the handoff keeps its tier, owner and SLA`
      })
      if (decision._tag !== "Assigned") return kept(decision.reason)
      const intent = lead.score?.handRaise?.type
      const assignment = assignmentFor(agreement, tier, decision, at, t0, intent, prev?.reassignments ?? 0, t0)
      const moved: Array<TimelineEntry> = []
      let state = lead.state
      if (fromRepId !== undefined && fromRepId !== decision.repId) {
        const r = transition(agreement, state, LeadCommand.Reassign({ fromRepId, toRepId: decision.repId, cause: "tier_upgraded", pod: decision.pod }), ctx)
        if (Either.isLeft(r)) return kept(r.left.message)
        state = r.right.state
        moved.push(...r.right.timeline)
      } else if (fromRepId === undefined) {
        const r = transition(agreement, state, LeadCommand.Route({ repId: decision.repId, pod: decision.pod }), ctx)
        if (Either.isLeft(r)) return kept(r.left.message)
        state = r.right.state
        moved.push(...r.right.timeline)
      }
      const next: LeadRecord = {
        ...lead,
        state: { ...state, tier: tier.name },
        tier: tier.name,
        assignment,
        routing: routingSummary(decision)!,
        flags: uniq([...lead.flags.filter((f) => f !== "queued"), ...decision.flags])
      }
      const deadlines = {
        t0: t0.toISOString(),
        ...(assignment.acceptBy === undefined ? {} : { acceptBy: assignment.acceptBy.toISOString() }),
        ...(assignment.firstTouchBy === undefined ? {} : { firstTouchBy: assignment.firstTouchBy.toISOString() })
      }
      const rep = reps.find((r) => r.id === decision.repId)
      const who = rep?.name ?? decision.repId
      const owner = fromRepId === undefined ? "out of its queue" : fromRepId === decision.repId ? `and stays with ${who}` : `from ${fromRepId}`
      const to = fromRepId === decision.repId ? "" : ` to ${who} (${decision.repId})`
      const clock = `${change.to} SLA counted from T0 ${deadlines.t0}${deadlines.firstTouchBy === undefined ? "" : `: first touch by ${deadlines.firstTouchBy}`}${deadlines.acceptBy === undefined ? "" : `, accept by ${deadlines.acceptBy}`}`
      const timeline: Array<TimelineEntry> = [
        {
          ...entry,
          reason: "tier_changed",
          explanation: `On the enriched data the lead is ${change.to}, not ${change.from}, and nobody has accepted it yet: moved ${owner}${to} in pod ${decision.pod}, on the ${clock}.`,
          data: { from: change.from, to: change.to, action: "rerouted", ...(fromRepId === undefined ? {} : { fromRepId }), toRepId: decision.repId, pod: decision.pod, ...deadlines }
        },
        ...moved
      ]
      const events = yield* leads.events(lead.id)
      const handoff = handoffContext(next, events, rep)
      const messages: Array<OutboxMessage> = [
        message("lead.tier_changed", next, at, { from: change.from, to: change.to, action: "rerouted", repId: fromRepId, toRepId: decision.repId, pod: decision.pod, ...deadlines })
      ]
      if (fromRepId === undefined) messages.push(message("lead.routed", next, at, { repId: decision.repId, pod: decision.pod, handoff }))
      else if (fromRepId !== decision.repId) messages.push(message("lead.reassigned", next, at, { fromRepId, toRepId: decision.repId, pod: decision.pod, cause: "tier_upgraded", handoff }))
      return { lead: next, route: decision, reason: change.reason, timeline, messages }
    })

  /** Apply one lifecycle command to a stored lead, with the extra record changes it implies. */
  const command = (
    leadId: string,
    actor: Actor,
    build: (lead: LeadRecord, agreement: Agreement) => LeadCommand,
    after: (lead: LeadRecord, at: Date) => LeadRecord,
    topic: string | undefined,
    extra: Record<string, unknown> = {},
    prepare?: (lead: LeadRecord) => Effect.Effect<void, HandoffError>
  ) =>
    tx.transaction(Effect.gen(function*() {
      const lead = yield* loadLead(leadId)
      if (prepare !== undefined) yield* prepare(lead)
      const at = yield* now
      const active = yield* agreements.active()
      const r = transition(active.agreement, lead.state, build(lead, active.agreement), { at, actor, agreementVersion: active.version })
      if (Either.isLeft(r)) return yield* Effect.fail(r.left)
      const next = after({ ...lead, state: r.right.state, updatedAt: at, agreementVersion: active.version }, at)
      yield* persist(next, r.right.timeline, topic === undefined ? [] : [message(topic, next, at, extra)])
      return next
    }))

  const clearAssignment = (lead: LeadRecord): LeadRecord => {
    const { assignment: _a, ...rest } = lead
    return rest
  }

  const ensureRep = (repId: string) =>
    repsDir.get(repId).pipe(
      Effect.flatMap(Option.match({
        onNone: () => Effect.fail(new RepNotFound({ repId, message: `No rep with id ${repId}.` })),
        onSome: () => Effect.void
      }))
    )

  const accept: HandoffService["accept"] = (leadId, repId, actor) =>
    ensureRep(repId).pipe(Effect.zipRight(command(
      leadId,
      actor,
      () => LeadCommand.Accept({ repId }),
      (lead, at) => lead.assignment === undefined ? lead : { ...lead, assignment: { ...lead.assignment, acceptedAt: at } },
      "lead.accepted",
      { repId }
    )))

  const reject: HandoffService["reject"] = (leadId, input, actor) =>
    command(
      leadId,
      actor,
      (lead) => LeadCommand.Reject({
        repId: input.repId,
        reason: input.reason,
        fitSignature: fitSignature(lead.profile),
        ...(input.note === undefined ? {} : { note: input.note }),
        ...(input.into === undefined ? {} : { into: input.into })
      }),
      (lead, at) => ({ ...clearAssignment(lead), flags: uniq([...lead.flags, `rejected_before:${input.reason}`]), rescoreAt: at }),
      "lead.recycled",
      { repId: input.repId, reason: input.reason, note: input.note }
    )

  const logActivity: HandoffService["logActivity"] = (leadId, activity, actor) =>
    tx.transaction(Effect.gen(function*() {
      yield* ensureRep(activity.repId)
      return yield* command(
        leadId,
        actor,
        () => LeadCommand.LogActivity({ activity }),
        (lead, at) => {
          const a = lead.assignment
          if (a === undefined) return lead
          const firstTouch = a.firstTouchAt === undefined && a.repId === activity.repId && activity.occurredAt.getTime() >= a.routedAt.getTime()
          return {
            ...lead,
            assignment: {
              ...a,
              ...(firstTouch ? { firstTouchAt: activity.occurredAt } : {}),
              // the cadence moved: the SLA sweep looks at it again on its next pass
              ...(a.cadence === undefined ? {} : { cadenceCheckAt: a.cadenceCheckAt !== undefined && a.cadenceCheckAt.getTime() < at.getTime() ? a.cadenceCheckAt : at })
            }
          }
        },
        undefined,
        {},
        // the activity is kept whatever the command makes of it (the lead exists: it was just loaded)
        (lead) => leads.appendActivity(lead.id, activity)
      )
    }))

  const qualify: HandoffService["qualify"] = (leadId, input, actor) =>
    command(leadId, actor, () => LeadCommand.Qualify(input), (l) => l, "lead.sql", { repId: input.repId, framework: input.framework })

  const openOpportunity: HandoffService["openOpportunity"] = (leadId, input, actor) =>
    command(leadId, actor, () => LeadCommand.OpenOpportunity(input), (l) => l, "lead.opportunity", { amount: input.amount })

  const closeOpportunity: HandoffService["closeOpportunity"] = (leadId, input, actor) =>
    command(
      leadId,
      actor,
      () => input.won ? LeadCommand.CloseWon(input.amount === undefined ? {} : { amount: input.amount }) : LeadCommand.CloseLost({}),
      (l, at) => (input.won ? l : { ...clearAssignment(l), rescoreAt: at }),
      input.won ? "lead.won" : "lead.recycled",
      { won: input.won, amount: input.amount }
    )

  const recycle: HandoffService["recycle"] = (leadId, reason, actor) =>
    command(
      leadId,
      actor,
      () => LeadCommand.Recycle({ reason }),
      (lead, at) => ({ ...clearAssignment(lead), flags: uniq([...lead.flags, `recycled:${reason}`]), rescoreAt: at }),
      "lead.recycled",
      { reason }
    )

  // -------------------------------------------------------------------------
  // Sweeps: each batch is one short unit over leads claimed with SKIP LOCKED
  // -------------------------------------------------------------------------

  /** The accounts of many leads, one query. */
  const accountsOf = (batch: ReadonlyArray<LeadRecord>) => {
    const domains = [...new Set(batch.flatMap((l) => (l.accountDomain === undefined ? [] : [l.accountDomain])))]
    return domains.length === 0 ? Effect.succeed(new Map<string, Account>() as ReadonlyMap<string, Account>) : accounts.findByDomains(domains)
  }

  /**
   * Route many leads in one unit: reps, loads and the pods' rotation are read once (the
   * rotation of `pods` is held until the unit ends), then kept up to date in memory as each
   * lead is placed, so the batch routes exactly as one-at-a-time routing would.
   */
  const batchRouter = (agreement: Agreement, at: Date, pods: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const reps = yield* repsDir.list()
      // loads and rotation matter only to routing: a batch with no pod to route into reads neither
      const loads = new Map<string, RepLoad>(pods.length === 0 ? [] : yield* repsDir.loads(at))
      const rotation = new Map<string, LedgerSummary>(pods.length === 0 ? [] : yield* ledger.summaries([...pods].sort()))
      let position = 1
      for (const s of rotation.values()) for (const p of s.lastTurn.values()) position = Math.max(position, p + 1)
      const appended: Array<LedgerEntry> = []
      const routeOne = (lead: LeadRecord, tier: Tier, account: Account | undefined, exclude: ReadonlyArray<string>): RouteDecision => {
        const decision = route(agreement, {
          leadId: lead.id,
          profile: lead.profile,
          tier,
          ...(account === undefined ? {} : { account }),
          reps,
          loads,
          ledger: [],
          rotation,
          now: at,
          exclude
        })
        if (decision._tag !== "NotRouted" && decision.ledger.length > 0) {
          for (const pod of new Set(decision.ledger.map((e) => e.pod))) {
            rotation.set(pod, extendLedgerSummary(pod, rotation.get(pod) ?? emptyLedgerSummary, decision.ledger, position))
          }
          position += decision.ledger.length
          appended.push(...decision.ledger)
        }
        if (decision._tag === "Assigned") {
          const load = loads.get(decision.repId) ?? { open: 0, today: 0 }
          loads.set(decision.repId, { open: load.open + 1, today: load.today + 1 })
          for (const from of exclude) {
            const l = loads.get(from)
            if (l !== undefined) loads.set(from, { open: Math.max(0, l.open - 1), today: l.today })
          }
        }
        return decision
      }
      return { reps, routeOne, appended }
    })

  /** Write a batch: ledger, leads, timeline and outbox, each with one multi-row statement. */
  const persistBatch = (
    ledgerEntries: ReadonlyArray<LedgerEntry>,
    updated: ReadonlyArray<LeadRecord>,
    timeline: ReadonlyArray<{ readonly leadId: LeadId; readonly entry: TimelineEntry }>,
    messages: ReadonlyArray<OutboxMessage>
  ) =>
    Effect.gen(function*() {
      if (ledgerEntries.length > 0) yield* ledger.append(ledgerEntries)
      if (updated.length > 0) yield* leads.updateMany(updated)
      if (timeline.length > 0) yield* leads.appendTimelines(timeline)
      if (messages.length > 0) yield* outbox.publish(messages)
    })

  /**
   * Run a sweep's unit only when it has something to claim: the store is asked first,
   * outside a unit (nothing locked), so an idle sweep does not open a transaction. A lead
   * that falls due in between is the next run's, as if this run had come a moment earlier.
   */
  const whenDue = <A>(claim: Effect.Effect<SweepClaim>, idle: A, unit: Effect.Effect<A>): Effect.Effect<A> =>
    Effect.flatMap(claim, (c) => Effect.flatMap(leads.claimBatch(c, 1), (due) => (due.length === 0 ? Effect.succeed(idle) : unit)))

  const sweepSla: HandoffService["sweepSla"] = (limit) =>
    whenDue(Effect.map(now, (at): SweepClaim => ({ kind: "sla", now: at })), { sweep: "sla", claimed: 0, actions: [], breaches: [] }, tx.transaction(Effect.gen(function*() {
      const at = yield* now
      const claimed = yield* leads.claimBatch({ kind: "sla", now: at }, limit)
      if (claimed.length === 0) return { sweep: "sla", claimed: 0, actions: [], breaches: [] }
      const version = yield* agreements.active()
      const agreement = version.agreement
      const ctx = { at, actor: systemActor, agreementVersion: version.version }
      const activities = yield* leads.activitiesOf(claimed.map((l) => l.id))
      const plans = claimed.map((lead) => {
        const a = lead.assignment
        return a === undefined ? undefined : slaSweepPlan(agreement, a, lead.state.acceptedAt, activities.get(lead.id) ?? [], at)
      })
      // the pods a reassignment may route into, read (and held) once for the whole batch
      const pods = new Set<string>()
      claimed.forEach((lead, i) => {
        const a = lead.assignment
        if (a === undefined || a.repId === "") return
        if (!plans[i]!.fresh.some((b) => b.action === "reassign_backup")) return
        const backup = agreement.routing.pods.find((p) => p.id === a.pod)?.backup
        if (backup !== undefined) for (const p of podChain(agreement, backup)) pods.add(p)
      })
      const router = yield* batchRouter(agreement, at, [...pods])
      const repById = new Map(router.reps.map((r) => [r.id as string, r]))
      const accountByDomain = pods.size === 0 ? new Map<string, Account>() : yield* accountsOf(claimed)

      const updated: Array<LeadRecord> = []
      const timeline: Array<{ leadId: LeadId; entry: TimelineEntry }> = []
      const messages: Array<OutboxMessage> = []
      const breaches: Array<BreachAction> = []
      const actions: Array<SweepAction> = []
      claimed.forEach((lead, i) => {
        const assignment = lead.assignment
        const plan = plans[i]
        if (assignment === undefined || plan === undefined) return
        const { cadenceCheckAt: _c, ...assignmentRest } = assignment
        let next: LeadRecord = {
          ...lead,
          assignment: {
            ...assignmentRest,
            handledBreaches: uniq([...assignment.handledBreaches, ...plan.fresh.map((b) => b.key)]),
            ...(plan.cadenceCheckAt === undefined ? {} : { cadenceCheckAt: plan.cadenceCheckAt })
          },
          updatedAt: at
        }
        const source = lead.profile.source?.channel ?? null
        const owner = assignment.repId === "" ? undefined : repById.get(assignment.repId)
        const managerId = owner?.managerId
        const facts = { repId: assignment.repId, pod: assignment.pod, tier: assignment.tier, source }
        const record = (breach: SlaBreach, action: string) => {
          timeline.push({ leadId: lead.id, entry: breachEntry(lead.state.stage, breach, { ...facts, action, managerId }, ctx) })
          breaches.push({ leadId: lead.id, breach, action })
          actions.push({ leadId: lead.id, action: `${breach.key}: ${action}` })
        }
        let reassigned = false
        for (const breach of plan.fresh) {
          messages.push(message("sla.breached", next, at, {
            kind: breach.kind, stepId: breach.stepId, dueAt: breach.dueAt.toISOString(), repId: assignment.repId, pod: assignment.pod,
            source, managerId, action: breach.action
          }))
          if (breach.flag !== undefined) next = { ...next, flags: uniq([...next.flags, breach.flag]) }
          if (breach.action === "reassign_backup" && !reassigned && assignment.repId !== "") {
            const tier = agreement.tiers.find((t) => t.name === assignment.tier)
            const backup = agreement.routing.pods.find((p) => p.id === assignment.pod)?.backup
            if (tier !== undefined && backup !== undefined) {
              const backupTier: Tier = { ...tier, route: { pod: backup, onShiftOnly: tier.route?.onShiftOnly ?? false } }
              const account = lead.accountDomain === undefined ? undefined : accountByDomain.get(lead.accountDomain)
              const decision = router.routeOne(next, backupTier, account, [assignment.repId])
              if (decision._tag === "Assigned") {
                const r = transition(agreement, next.state, LeadCommand.Reassign({ fromRepId: assignment.repId, toRepId: decision.repId, cause: breach.kind === "accept" ? "accept_sla_missed" : "first_touch_sla_missed", pod: decision.pod }), ctx)
                if (Either.isRight(r)) {
                  const newAssignment = assignmentFor(agreement, tier, decision, at, assignment.t0, undefined, assignment.reassignments + 1)
                  // the new owner's clocks start fresh; the old assignment's breaches stay handled with it
                  next = { ...next, state: r.right.state, assignment: newAssignment, routing: routingSummary(decision)! }
                  for (const entry of r.right.timeline) timeline.push({ leadId: lead.id, entry })
                  messages.push(message("lead.reassigned", next, at, { fromRepId: assignment.repId, toRepId: decision.repId, pod: decision.pod, cause: breach.kind, handoff: handoffContext(next, [], repById.get(decision.repId)) }))
                  record(breach, `reassigned to ${decision.repId}`)
                  reassigned = true
                  continue
                }
              }
            }
            // nobody to reassign to: escalate to the manager instead
            messages.push(message("sla.escalated", next, at, { kind: breach.kind, repId: assignment.repId, managerId, source }))
            record(breach, "notified manager (no backup rep available)")
          } else {
            messages.push(message("sla.escalated", next, at, { kind: breach.kind, stepId: breach.stepId, repId: assignment.repId, managerId, source }))
            record(breach, breach.action === "flag" ? "flagged" : `notified manager ${managerId ?? "(none set)"}`)
          }
        }
        // a cadence used up without a live conversation: back to marketing for low-frequency re-engagement
        if (!reassigned && plan.exhausted) {
          const r = transition(agreement, next.state, LeadCommand.Recycle({ reason: "cadence_exhausted" }), ctx)
          if (Either.isRight(r)) {
            next = { ...clearAssignment({ ...next, state: r.right.state }), flags: uniq([...next.flags, "recycled:cadence_exhausted", "unreachable"]), rescoreAt: at }
            for (const entry of r.right.timeline) timeline.push({ leadId: lead.id, entry })
            messages.push(message("lead.recycled", next, at, { reason: "cadence_exhausted", repId: assignment.repId, track: next.state.recycle?.track }))
            actions.push({ leadId: lead.id, action: "recycled: cadence exhausted without a conversation" })
          }
        }
        updated.push(next)
      })
      yield* persistBatch(router.appended, updated, timeline, messages)
      return { sweep: "sla", claimed: claimed.length, actions, breaches }
    })))

  const handleBreaches: HandoffService["handleBreaches"] = (limit) => Effect.map(sweepSla(limit), (r) => r.breaches)

  const sweepDecay: HandoffService["sweepDecay"] = (limit) =>
    whenDue(Effect.map(now, (at): SweepClaim => ({ kind: "rescore", now: at })), { sweep: "decay", claimed: 0, actions: [] }, tx.transaction(Effect.gen(function*() {
      const at = yield* now
      const claimed = yield* leads.claimBatch({ kind: "rescore", now: at }, limit)
      if (claimed.length === 0) return { sweep: "decay", claimed: 0, actions: [] }
      const version = yield* agreements.active()
      const agreement = version.agreement
      const ctx = { at, actor: systemActor, agreementVersion: version.version }
      const events = yield* leads.eventsOf(claimed.map((l) => l.id))
      const accountByDomain = yield* accountsOf(claimed)
      const updated: Array<LeadRecord> = []
      const timeline: Array<{ leadId: LeadId; entry: TimelineEntry }> = []
      const messages: Array<OutboxMessage> = []
      const actions: Array<SweepAction> = []
      for (const lead of claimed) {
        const evs = events.get(lead.id) ?? []
        const account = lead.accountDomain === undefined ? undefined : accountByDomain.get(lead.accountDomain)
        const evaluation = evaluateLead(agreement, lead, evs, account, at)
        const d = decayDecision(lead, evaluation.score, evaluation.tier.handedTo, at)
        if (d._tag === "Qualifies") {
          // crossing the line upwards is a new MQL: the same decision an event would have made
          const result = yield* decide(version, lead, at, systemActor, { t0: at })
          updated.push(result.lead)
          for (const entry of result.timeline) timeline.push({ leadId: lead.id, entry })
          messages.push(...result.messages)
          actions.push({ leadId: lead.id, action: `score ${d.before ?? "—"} → ${d.after}: ${result.lead.state.stage === "mql" ? `MQL, ${result.lead.state.ownerId === undefined ? `queued in ${result.lead.state.queue ?? "?"}` : `routed to ${result.lead.state.ownerId}`}` : "recorded"}` })
          continue
        }
        const { rescoreAt: _r, ...rest } = lead
        const rescoreAt = nextScoreChangeAt(agreement, evs, evaluation.score.lastEngagementAt, at)
        let next: LeadRecord = { ...rest, score: evaluation.score, updatedAt: at, ...(rescoreAt === undefined ? {} : { rescoreAt }) }
        if (lead.state.stage === "inquiry" || lead.state.stage === "nurture") next = { ...next, tier: evaluation.tier.name }
        if (d._tag === "FallsBelow") {
          next = { ...clearAssignment(next), state: backToNurture(lead.state, at), tier: evaluation.tier.name, flags: uniq([...lead.flags.filter((f) => f !== "queued"), "recycled:score_decayed"]), agreementVersion: version.version }
          timeline.push({ leadId: lead.id, entry: decayedEntry(lead.state.stage, d, evaluation.score.threshold, ctx) })
          messages.push(message("lead.recycled", next, at, { reason: "score_decayed", before: d.before, after: d.after, threshold: evaluation.score.threshold }))
          actions.push({ leadId: lead.id, action: `score ${d.before ?? "—"} → ${d.after}: below the MQL line, back to nurture` })
        } else if (d._tag === "Rescored") {
          actions.push({ leadId: lead.id, action: `score ${d.before ?? "—"} → ${d.after}` })
        }
        updated.push(next)
      }
      yield* persistBatch([], updated, timeline, messages)
      return { sweep: "decay", claimed: claimed.length, actions }
    })))

  const sweepReevaluations: HandoffService["sweepReevaluations"] = (limit) =>
    whenDue(Effect.map(now, (at): SweepClaim => ({ kind: "reevaluate", now: at })), { sweep: "reevaluate", claimed: 0, actions: [] }, tx.transaction(Effect.gen(function*() {
      const at = yield* now
      const claimed = yield* leads.claimBatch({ kind: "reevaluate", now: at }, limit)
      if (claimed.length === 0) return { sweep: "reevaluate", claimed: 0, actions: [] }
      const version = yield* agreements.active()
      const agreement = version.agreement
      const ctx = { at, actor: systemActor, agreementVersion: version.version }
      const events = yield* leads.eventsOf(claimed.map((l) => l.id))
      const accountByDomain = yield* accountsOf(claimed)
      const updated: Array<LeadRecord> = []
      const timeline: Array<{ leadId: LeadId; entry: TimelineEntry }> = []
      const messages: Array<OutboxMessage> = []
      const actions: Array<SweepAction> = []
      /** Keep nurturing: a premature lead waits another delay, any other hold is lifted. */
      const keepNurturing = (lead: LeadRecord, evaluation: HandoffDecision) => {
        const premature = lead.state.recycle?.reason === "premature" || lead.state.recycle?.reason === "premature_reevaluated"
        const r = transition(agreement, lead.state, premature ? LeadCommand.Recycle({ reason: "premature_reevaluated" }) : LeadCommand.Reevaluate({ fitSignature: fitSignature(lead.profile) }), ctx)
        // should the command not apply, drop the hold date so the lead is not claimed again and again
        const state = Either.isRight(r)
          ? r.right.state
          : { ...lead.state, ...(lead.state.recycle === undefined ? {} : { recycle: { reason: lead.state.recycle.reason, at: lead.state.recycle.at } }) }
        const next: LeadRecord = { ...lead, state, score: evaluation.score, tier: evaluation.tier.name, updatedAt: at, agreementVersion: version.version }
        if (Either.isRight(r)) for (const entry of r.right.timeline) timeline.push({ leadId: lead.id, entry })
        if (premature) messages.push(message("lead.recycled", next, at, { reason: "premature_reevaluated", score: evaluation.score.total, reevaluateAt: next.state.recycle?.reevaluateAt?.toISOString() }))
        actions.push({ leadId: lead.id, action: premature ? `still not ready (score ${evaluation.score.total}): nurture until ${next.state.recycle?.reevaluateAt?.toISOString().slice(0, 10) ?? "—"}` : "hold lifted, nurture continues" })
        return next
      }
      for (const lead of claimed) {
        const account = lead.accountDomain === undefined ? undefined : accountByDomain.get(lead.accountDomain)
        const evaluation = evaluateLead(agreement, lead, events.get(lead.id) ?? [], account, at)
        const d = reevaluationDecision(lead.state, evaluation.tier.handedTo, at)
        if (d._tag === "NotDue") continue
        if (d._tag === "Qualifies") {
          let base = lead
          if (d.lift) {
            const lifted = transition(agreement, lead.state, LeadCommand.Reevaluate({ fitSignature: fitSignature(lead.profile) }), ctx)
            if (Either.isRight(lifted)) {
              base = { ...lead, state: lifted.right.state }
              for (const entry of lifted.right.timeline) timeline.push({ leadId: lead.id, entry })
            }
          }
          const result = yield* decide(version, base, at, systemActor, { t0: at })
          const stillDue = reevaluationDueAt(result.lead)
          if (result.lead.state.stage === "nurture" && stillDue !== undefined && stillDue.getTime() <= at.getTime()) {
            updated.push(keepNurturing(result.lead, evaluation))
            continue
          }
          updated.push(result.lead)
          for (const entry of result.timeline) timeline.push({ leadId: lead.id, entry })
          messages.push(...result.messages)
          actions.push({ leadId: lead.id, action: `re-evaluated: MQL again (score ${evaluation.score.total}, returning lead)` })
          continue
        }
        updated.push(keepNurturing(lead, evaluation))
      }
      yield* persistBatch([], updated, timeline, messages)
      return { sweep: "reevaluate", claimed: claimed.length, actions }
    })))

  const inactiveClaim = Effect.gen(function*() {
    const at = yield* now
    const version = yield* agreements.active()
    return { kind: "inactive", touchedBefore: new Date(at.getTime() - durationMillis(version.agreement.recycle.inactivity.after)) } as const
  })

  const sweepInactivity: HandoffService["sweepInactivity"] = (limit) =>
    whenDue(inactiveClaim, { sweep: "inactivity", claimed: 0, actions: [] }, tx.transaction(Effect.gen(function*() {
      const at = yield* now
      const version = yield* agreements.active()
      const agreement = version.agreement
      const after = durationMillis(agreement.recycle.inactivity.after)
      const claimed = yield* leads.claimBatch({ kind: "inactive", touchedBefore: new Date(at.getTime() - after) }, limit)
      if (claimed.length === 0) return { sweep: "inactivity", claimed: 0, actions: [] }
      const ctx = { at, actor: systemActor, agreementVersion: version.version }
      const updated: Array<LeadRecord> = []
      const timeline: Array<{ leadId: LeadId; entry: TimelineEntry }> = []
      const messages: Array<OutboxMessage> = []
      const actions: Array<SweepAction> = []
      for (const lead of claimed) {
        const r = transition(agreement, lead.state, LeadCommand.Recycle({ reason: "inactivity" }), ctx)
        if (Either.isLeft(r)) continue
        const repId = lead.state.ownerId
        const next: LeadRecord = { ...clearAssignment({ ...lead, state: r.right.state, updatedAt: at, agreementVersion: version.version }), flags: uniq([...lead.flags, "recycled:inactivity"]), rescoreAt: at }
        updated.push(next)
        for (const entry of r.right.timeline) timeline.push({ leadId: lead.id, entry })
        messages.push(message("lead.recycled", next, at, { reason: "inactivity", repId, lastActivityAt: lead.state.lastActivityAt?.toISOString() }))
        actions.push({ leadId: lead.id, action: `recycled: no sales activity by ${repId} for ${agreement.recycle.inactivity.after}` })
      }
      yield* persistBatch([], updated, timeline, messages)
      return { sweep: "inactivity", claimed: claimed.length, actions }
    })))

  return Handoff.of({
    ingest, recordEvents, enrich, accept, reject, logActivity, qualify, openOpportunity, closeOpportunity, recycle, handleBreaches,
    sweepSla, sweepDecay, sweepReevaluations, sweepInactivity
  })
})

const isHandRaise = (agreement: Agreement, event: LeadEvent): boolean =>
  agreement.handRaise.events.includes(event.type) || agreement.handRaise.pql.some((p) => p.event === event.type)

/** The handoff service over whatever ports the layer is given. */
export const HandoffLive = Layer.effect(Handoff, makeHandoff)
