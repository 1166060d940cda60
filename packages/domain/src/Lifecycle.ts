/**
 * The lead lifecycle (SPEC §2) as a pure state machine.
 *
 * `inquiry → mql → (routed, awaiting accept) → sal → sql → opportunity → won | lost`,
 * with the side exits `nurture` (recycled to marketing, with a reason), `rejected` (by
 * sales, with a reason code) and `merged` (a duplicate).
 *
 * Design choices:
 * - "Routed, awaiting accept" is not a stage of its own: it is stage `mql` with an owner
 *   (`ownerId`, the rep whose accept clock runs) or a named `queue` (waiting for a rep).
 *   The waterfall counts MQL → SAL, and a lead does not change funnel stage by being
 *   routed; `awaitingAccept` and `isInLimbo` answer the routing questions. An MQL with
 *   neither owner nor queue is "in limbo" (SPEC §2 invariant: that figure must be 0).
 * - A rejection is one command and two timeline entries: `rejected` (with the reason
 *   code, so reports can count rejections by reason) and then where the agreement's
 *   `recycle` rule sends it (`nurture`, or `merged` for a duplicate). A duplicate
 *   rejection names the surviving lead (`into`); without it the lead rests at `rejected`
 *   until a `Merge` names the survivor (or it is merged by email dedupe).
 * - Closed-lost is the same: `lost`, then `nurture` under the `closed_lost` rule.
 * - `won` and `merged` are terminal.
 * - A returning lead (recycled, then MQL again) keeps its history: the state counts MQL
 *   `cycles`, `recycles` and every earlier rejection, and flags the new handoff with
 *   `returning_lead` and `rejected_before:<reason>` so the rep knows what happened before.
 *
 * Every accepted command yields the new state and append-only timeline entries carrying
 * time, actor (system, rep or API key), cause (the command), the agreement version and a
 * human-readable explanation. A command that does not apply in the lead's stage is an
 * `IllegalTransition`, never a silent no-op.
 */
import { Data, Either, Schema } from "effect"
import { type Agreement, RejectionReason } from "./Agreement.ts"
import { durationMillis, formatMillis } from "./IsoDuration.ts"
import { Scalar } from "./Lead.ts"
import type { Activity } from "./Sla.ts"

// ---------------------------------------------------------------------------
// Stages, actors, state
// ---------------------------------------------------------------------------

/** Where a lead is in the funnel, or which side exit it took. */
export const Stage = Schema.Literal("inquiry", "mql", "sal", "sql", "opportunity", "won", "lost", "nurture", "rejected", "merged")
export type Stage = typeof Stage.Type

/** Who caused a transition: the system (worker, scoring), a rep, or an API key (a form, the CRM). */
export const Actor = Schema.Struct({
  kind: Schema.Literal("system", "rep", "api_key"),
  id: Schema.String,
  /** The API key that made the request (a rep acting through a sales key, or the key itself); absent for the system. */
  keyId: Schema.optional(Schema.String)
})
export type Actor = typeof Actor.Type

/** How a lead became an MQL: its score crossed the threshold, or the prospect raised a hand. */
export const MqlVia = Schema.Literal("score", "hand_raise")
export type MqlVia = typeof MqlVia.Type

/** Why a lead sits in nurture: a rejection reason (not duplicate) or a recycle rule. */
export const NurtureReason = Schema.Literal(
  "wrong_icp", "premature", "unreachable", "other", "inactivity", "cadence_exhausted", "closed_lost", "premature_reevaluated"
)
export type NurtureReason = typeof NurtureReason.Type

/** Reasons for the `Recycle` command (rejections recycle through `Reject`). */
export const RecycleReason = Schema.Literal("inactivity", "cadence_exhausted", "closed_lost", "premature_reevaluated")
export type RecycleReason = typeof RecycleReason.Type

/**
 * Why a lead changes hands. Only the two SLA breaches count towards `escalation.maxReassignments`.
 * `tier_upgraded`: enrichment put a lead nobody had accepted yet in a higher tier (hot), whose pod takes it.
 */
export const ReassignCause = Schema.Literal("accept_sla_missed", "first_touch_sla_missed", "manual", "rep_unavailable", "tier_upgraded")
export type ReassignCause = typeof ReassignCause.Type

const RecycleInfo = Schema.Struct({
  reason: NurtureReason,
  /** When it was recycled. */
  at: Schema.Date,
  /** The nurture track (`education`, `low_frequency`, ...) from the agreement's rule. */
  track: Schema.optional(Schema.String),
  /** Before this, the lead cannot become an MQL again on its score (a hand-raise still can). */
  reevaluateAt: Schema.optional(Schema.Date)
})

const RejectionRecord = Schema.Struct({
  reason: RejectionReason,
  repId: Schema.String,
  at: Schema.Date,
  note: Schema.optional(Schema.String)
})

/**
 * What the store keeps about a lead's place in the lifecycle. Fields of the current cycle
 * (owner, queue, acceptance, qualification, opportunity) are cleared when the lead leaves
 * sales; the counters and `rejections` keep its whole history.
 */
export const LeadState = Schema.Struct({
  stage: Stage,
  /** The rep who owns the lead (stage mql once routed, sal, sql, opportunity). */
  ownerId: Schema.optional(Schema.String),
  pod: Schema.optional(Schema.String),
  /** A named queue the MQL waits in when no rep could take it. */
  queue: Schema.optional(Schema.String),
  /** The tier of the current handoff (hot, warm-plus, warm). */
  tier: Schema.optional(Schema.String),
  mqlVia: Schema.optional(MqlVia),
  mqlAt: Schema.optional(Schema.Date),
  /** When the current owner got the lead (routing or reassignment): starts the accept clock and the inactivity clock. */
  assignedAt: Schema.optional(Schema.Date),
  acceptedAt: Schema.optional(Schema.Date),
  /** The latest sales activity logged on the lead. */
  lastActivityAt: Schema.optional(Schema.Date),
  /** Reassignments after SLA breaches in the current handoff. */
  reassignments: Schema.Number,
  flags: Schema.Array(Schema.String),
  /** The lead's fit signature (`fitSignature(profile)`) as last reported with a command. */
  fitSignature: Schema.optional(Schema.String),
  /** Set while the lead is in nurture: why, on which track, and until when score-based MQL waits. */
  recycle: Schema.optional(RecycleInfo),
  /**
   * Rejected as wrong ICP: blocked from score-based MQL until the fit data changes (a
   * different fit signature). A hand-raise still reaches sales, flagged.
   */
  wrongIcpBlock: Schema.optional(Schema.Struct({ fitSignature: Schema.String, at: Schema.Date, repId: Schema.String })),
  /** The surviving lead this one was merged into. */
  mergedInto: Schema.optional(Schema.String),
  /** How many times the lead became an MQL (2+ = a returning lead). */
  cycles: Schema.Number,
  /** How many times it was recycled to nurture. */
  recycles: Schema.Number,
  /** Every rejection by sales, oldest first. */
  rejections: Schema.Array(RejectionRecord),
  qualification: Schema.optional(Schema.Struct({
    repId: Schema.String,
    framework: Schema.String,
    fields: Schema.Record({ key: Schema.String, value: Scalar }),
    at: Schema.Date
  })),
  opportunity: Schema.optional(Schema.Struct({
    id: Schema.optional(Schema.String),
    amount: Schema.Number,
    openedAt: Schema.Date,
    closedAt: Schema.optional(Schema.Date),
    won: Schema.optional(Schema.Boolean)
  }))
})
export type LeadState = typeof LeadState.Type

/** A new inquiry: marketing's, no owner, no history. */
export const initialLeadState: LeadState = { stage: "inquiry", reassignments: 0, flags: [], cycles: 0, recycles: 0, rejections: [] }

/** One append-only line of a lead's history. `stage` is the stage after the entry, `from` the one before. */
export const TimelineEntry = Schema.Struct({
  at: Schema.Date,
  stage: Stage,
  from: Stage,
  /** The command that caused it (`Accept`, `Reject`, ...), or `Inquiry` for the opening entry. */
  cause: Schema.String,
  /** The rejection reason or recycle rule, for reports by reason. */
  reason: Schema.optional(Schema.String),
  actor: Actor,
  agreementVersion: Schema.Number,
  explanation: Schema.NonEmptyString,
  /** Details (JSON-friendly: dates as ISO strings). */
  data: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
export type TimelineEntry = typeof TimelineEntry.Type

// ---------------------------------------------------------------------------
// Commands and results
// ---------------------------------------------------------------------------

/**
 * What can happen to a lead.
 *
 * - `MarkMql`: the score crossed the MQL threshold (`via: score`) or the prospect raised a
 *   hand (`via: hand_raise`: demo, pricing, contact-sales, PQL). `fitSignature` is the
 *   lead's current `fitSignature(profile)` (lifts a wrong-ICP block when it changed).
 * - `Route`: hand the MQL to a rep of a pod (`repId`), or park it in a named queue.
 * - `Accept`: the owner accepts: SAL. `Reject`: the owner rejects with a reason code;
 *   `into` names the surviving lead for `duplicate`; `fitSignature` (or the state's) is
 *   needed for `wrong_icp`.
 * - `LogActivity`: a call, email, voicemail, LinkedIn touch or meeting (no stage change).
 * - `Qualify`: the owner qualifies the SAL (BANT, MEDDICC, ...): SQL.
 * - `OpenOpportunity`, `CloseWon`, `CloseLost`.
 * - `Recycle`: back to nurture for inactivity, an exhausted cadence, a closed-lost
 *   opportunity, or a premature lead re-evaluated and still not ready.
 * - `Reassign`: to another rep (after an SLA breach, by hand, or when a rep is away).
 * - `Merge`: a duplicate of `into`. `Reevaluate`: lift a nurture hold that is over.
 */
export type LeadCommand = Data.TaggedEnum<{
  MarkMql: { readonly via: MqlVia; readonly tier?: string; readonly fitSignature?: string }
  Route: { readonly repId?: string; readonly pod: string; readonly queue?: string }
  Accept: { readonly repId: string }
  Reject: {
    readonly repId: string
    readonly reason: RejectionReason
    readonly note?: string
    readonly into?: string
    readonly fitSignature?: string
  }
  LogActivity: { readonly activity: Activity }
  Qualify: { readonly repId: string; readonly framework: string; readonly fields: Readonly<Record<string, Scalar>> }
  OpenOpportunity: { readonly amount: number; readonly opportunityId?: string }
  CloseWon: { readonly amount?: number }
  CloseLost: { readonly note?: string }
  Recycle: { readonly reason: RecycleReason }
  Reassign: { readonly fromRepId: string; readonly toRepId: string; readonly cause: ReassignCause; readonly pod?: string }
  Merge: { readonly into: string }
  Reevaluate: { readonly fitSignature?: string }
}>
export const LeadCommand = Data.taggedEnum<LeadCommand>()
export type LeadCommandTag = LeadCommand["_tag"]

export interface TransitionContext {
  readonly at: Date
  readonly actor: Actor
  readonly agreementVersion: number
}

export interface TransitionResult {
  readonly state: LeadState
  readonly timeline: ReadonlyArray<TimelineEntry>
}

/**
 * Why a command does not apply:
 * - `terminal`: the lead is won or merged;
 * - `wrong_stage`: the command does not apply in this stage (accepting a lead in nurture);
 * - `not_routed`: the MQL has no owner (queued or in limbo);
 * - `already_routed`: it has one (use `Reassign`);
 * - `not_owner`: the rep is not the lead's owner;
 * - `not_accepted`: qualifying before acceptance;
 * - `recycle_hold`: score-based MQL before the re-evaluation date;
 * - `wrong_icp_block`: score-based MQL of a lead rejected as wrong ICP whose fit data did not change;
 * - `not_due`: inactivity not reached, re-evaluation date not reached, nothing to lift;
 * - `invalid_command`: the command itself is incomplete or contradictory.
 */
export type IllegalReason =
  | "terminal" | "wrong_stage" | "not_routed" | "already_routed" | "not_owner" | "not_accepted"
  | "recycle_hold" | "wrong_icp_block" | "not_due" | "invalid_command"

export class IllegalTransition extends Data.TaggedError("IllegalTransition")<{
  readonly from: Stage
  readonly command: LeadCommandTag
  readonly reason: IllegalReason
  readonly message: string
}> {}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

/** Routed to a rep whose accept clock runs: stage mql with an owner. */
export const awaitingAccept = (state: LeadState): boolean => state.stage === "mql" && state.ownerId !== undefined

/** An MQL with neither owner nor queue: the "limbo" figure that must stay 0. */
export const isInLimbo = (state: LeadState): boolean =>
  state.stage === "mql" && state.ownerId === undefined && state.queue === undefined

/** Rejected as a duplicate without a surviving lead yet: waiting for a `Merge`. */
export const awaitingMerge = (state: LeadState): boolean => state.stage === "rejected"

/**
 * Whether a lead in nurture may become an MQL on its score at `at`: not while a recycle
 * hold runs (`reevaluateAt` in the future) and not while a wrong-ICP block stands (same
 * fit signature, or none given). Hand-raises are never blocked.
 */
export const scoreMqlBlock = (state: LeadState, at: Date, fitSignature?: string): "recycle_hold" | "wrong_icp_block" | undefined => {
  const block = state.wrongIcpBlock
  if (block !== undefined && (fitSignature === undefined || fitSignature === block.fitSignature)) return "wrong_icp_block"
  const until = state.recycle?.reevaluateAt
  if (until !== undefined && at.getTime() < until.getTime()) return "recycle_hold"
  return undefined
}

/**
 * The inactivity recycle rule (seed 001: "reassigned to marketing after X days"): true when
 * no sales activity happened for `recycle.inactivity.after` (default 14 days, wall-clock)
 * since the later of the assignment and the last activity. Inclusive like every deadline:
 * exactly 14 days is not yet inactive.
 */
export const isInactive = (agreement: Agreement, assignedAt: Date, lastActivityAt: Date | undefined, now: Date): boolean => {
  const since = Math.max(assignedAt.getTime(), lastActivityAt?.getTime() ?? Number.NEGATIVE_INFINITY)
  return now.getTime() - since > durationMillis(agreement.recycle.inactivity.after)
}

// ---------------------------------------------------------------------------
// Recycle rules
// ---------------------------------------------------------------------------

/** The default delay before a premature lead is re-evaluated, when the agreement sets none. */
export const defaultPrematureDelay = "P30D"

const rejectionWords: Record<RejectionReason, string> = {
  wrong_icp: "wrong ICP (a demographic disqualifier)",
  premature: "premature (buying signals not yet strong enough)",
  duplicate: "duplicate (already in contact through another record)",
  unreachable: "unreachable (contacted several times, no response)",
  other: "other"
}

const ruleOf = (agreement: Agreement, reason: NurtureReason): { track?: string | undefined; reevaluateAfter?: string | undefined } => {
  const r = agreement.recycle
  switch (reason) {
    case "wrong_icp":
      return r.wrong_icp
    case "premature":
    case "premature_reevaluated":
      return { ...r.premature, reevaluateAfter: r.premature.reevaluateAfter ?? defaultPrematureDelay }
    case "unreachable":
      return r.unreachable
    case "other":
      return r.other
    case "inactivity":
      return {}
    case "cadence_exhausted":
      return r.cadence_exhausted
    case "closed_lost":
      return r.closed_lost
  }
}

const recycleWhy: Record<NurtureReason, string> = {
  wrong_icp: "rejected as wrong ICP",
  premature: "rejected as premature",
  unreachable: "rejected as unreachable",
  other: "rejected (other)",
  inactivity: "no sales activity",
  cadence_exhausted: "the follow-up cadence ran out without a conversation",
  closed_lost: "the opportunity was closed-lost",
  premature_reevaluated: "re-evaluated after the premature delay and still not ready"
}

/** The nurture entry and state for a recycle under the agreement's rule for `reason`. */
const recycleInto = (
  agreement: Agreement,
  state: LeadState,
  reason: NurtureReason,
  ctx: TransitionContext,
  cause: LeadCommandTag
): { state: LeadState; entry: TimelineEntry } => {
  const rule = ruleOf(agreement, reason)
  const reevaluateAt = rule.reevaluateAfter === undefined ? undefined : new Date(ctx.at.getTime() + durationMillis(rule.reevaluateAfter))
  const recycle = {
    reason,
    at: ctx.at,
    ...(rule.track === undefined ? {} : { track: rule.track }),
    ...(reevaluateAt === undefined ? {} : { reevaluateAt })
  }
  const parts = [`Recycled to marketing nurture: ${recycleWhy[reason]}`]
  if (rule.track !== undefined) parts.push(`track ${rule.track}`)
  if (reevaluateAt !== undefined && rule.reevaluateAfter !== undefined) {
    parts.push(`re-evaluated after ${formatMillis(durationMillis(rule.reevaluateAfter))} (${reevaluateAt.toISOString().slice(0, 10)})`)
  }
  if (reason === "wrong_icp") parts.push("blocked from score-based MQL until its fit data changes; a hand-raise still reaches sales")
  return {
    state: { ...leaveSales(state), stage: "nurture", recycle, recycles: state.recycles + 1 },
    entry: {
      at: ctx.at,
      stage: "nurture",
      from: state.stage,
      cause,
      reason,
      actor: ctx.actor,
      agreementVersion: ctx.agreementVersion,
      explanation: `${parts.join("; ")}.`,
      data: {
        rule: reason,
        ...(rule.track === undefined ? {} : { track: rule.track }),
        ...(reevaluateAt === undefined ? {} : { reevaluateAt: reevaluateAt.toISOString() })
      }
    }
  }
}

// ---------------------------------------------------------------------------
// The transition function
// ---------------------------------------------------------------------------

/** The state without the current handoff's owner, queue, acceptance, qualification and opportunity. */
const leaveSales = (state: LeadState): LeadState => {
  const {
    ownerId: _o, pod: _p, queue: _q, assignedAt: _a, acceptedAt: _c, qualification: _qu, opportunity: _op, recycle: _r,
    ...rest
  } = state
  return { ...rest, reassignments: 0 }
}

const addFlags = (flags: ReadonlyArray<string>, more: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set([...flags, ...more])]

const SALES: ReadonlyArray<Stage> = ["mql", "sal", "sql", "opportunity"]

/**
 * Apply `command` to a lead in `state` under `agreement`, at `ctx.at`, by `ctx.actor`.
 * Returns the new state and the timeline entries to append, or an `IllegalTransition`.
 *
 * Legal moves (anything else is illegal):
 * - `MarkMql`: inquiry, nurture → mql (score-based MQL from nurture only without a
 *   recycle hold or wrong-ICP block);
 * - `Route`: mql without an owner → mql routed (owner or queue);
 * - `Accept` by the owner: mql → sal;
 * - `Reject` by the owner: mql, sal → rejected → nurture (per `recycle`), or → merged
 *   (duplicate with `into`), or rests at rejected (duplicate without `into`);
 * - `LogActivity`: mql, sal, sql, opportunity (stage unchanged);
 * - `Qualify` by the owner: sal → sql; `OpenOpportunity`: sql → opportunity;
 * - `CloseWon`: opportunity → won; `CloseLost`: opportunity → lost → nurture;
 * - `Recycle`: inactivity (mql with owner, sal, sql; only once `isInactive`),
 *   cadence_exhausted (mql with owner, sal), closed_lost (lost), premature_reevaluated
 *   (nurture after a premature rejection, once the delay is over) → nurture;
 * - `Reassign` from the owner: mql, sal, sql, opportunity (stage unchanged);
 * - `Merge`: any stage but opportunity, won, merged → merged;
 * - `Reevaluate`: nurture → nurture, lifting a hold that is over (delay passed, or the fit
 *   signature changed for a wrong-ICP block).
 */
export const transition = (
  agreement: Agreement,
  state: LeadState,
  command: LeadCommand,
  ctx: TransitionContext
): Either.Either<TransitionResult, IllegalTransition> => {
  const from = state.stage
  const fail = (reason: IllegalReason, message: string) =>
    Either.left(new IllegalTransition({ from, command: command._tag, reason, message }))
  const entry = (stage: Stage, explanation: string, extra: { reason?: string; data?: Record<string, unknown>; from?: Stage } = {}): TimelineEntry => ({
    at: ctx.at,
    stage,
    from: extra.from ?? from,
    cause: command._tag,
    ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    actor: ctx.actor,
    agreementVersion: ctx.agreementVersion,
    explanation,
    ...(extra.data === undefined ? {} : { data: extra.data })
  })
  const ok = (next: LeadState, ...timeline: Array<TimelineEntry>) => Either.right<TransitionResult>({ state: next, timeline })
  const wrongStage = (what: string) => fail("wrong_stage", `Cannot ${what}: the lead is at ${from}.`)
  const ownerCheck = (repId: string, what: string) => {
    if (state.ownerId === undefined) return fail("not_routed", `Cannot ${what}: the lead has no owner yet${state.queue === undefined ? "" : ` (it waits in queue ${state.queue})`}.`)
    if (state.ownerId !== repId) return fail("not_owner", `Cannot ${what}: ${repId} is not the owner (${state.ownerId} is).`)
    return undefined
  }

  if (from === "won") return fail("terminal", `The lead is closed-won (a customer): ${command._tag} no longer applies.`)
  if (from === "merged") return fail("terminal", `The lead was merged into ${state.mergedInto ?? "another lead"}: act on that lead instead.`)

  switch (command._tag) {
    case "MarkMql": {
      if (from !== "inquiry" && from !== "nurture") return wrongStage("mark an MQL (only an inquiry or a nurtured lead can become one)")
      let next: LeadState = state
      const data: Record<string, unknown> = { via: command.via }
      if (from === "nurture" && command.via === "score") {
        const block = scoreMqlBlock(state, ctx.at, command.fitSignature)
        if (block === "wrong_icp_block") {
          return fail("wrong_icp_block", "Cannot MQL on score: the lead was rejected as wrong ICP and its fit data has not changed (a hand-raise still reaches sales).")
        }
        if (block === "recycle_hold") {
          return fail("recycle_hold", `Cannot MQL on score before the re-evaluation date ${state.recycle?.reevaluateAt?.toISOString()} (a hand-raise still reaches sales).`)
        }
        if (state.wrongIcpBlock !== undefined) {
          const { wrongIcpBlock: _w, ...rest } = state
          next = rest
          data.wrongIcpBlockLifted = true
        }
      }
      const returning = state.cycles > 0
      const flags = addFlags(next.flags, [
        ...(returning ? ["returning_lead"] : []),
        ...state.rejections.map((r) => `rejected_before:${r.reason}`),
        ...(next.wrongIcpBlock === undefined ? [] : ["rejected_before:wrong_icp"])
      ])
      const fitSignature = command.fitSignature ?? state.fitSignature
      next = {
        ...leaveSales(next),
        stage: "mql",
        mqlVia: command.via,
        mqlAt: ctx.at,
        cycles: state.cycles + 1,
        flags,
        ...(command.tier === undefined ? {} : { tier: command.tier }),
        ...(fitSignature === undefined ? {} : { fitSignature })
      }
      const how = command.via === "hand_raise"
        ? "the prospect raised a hand (a hand-raise always reaches sales)"
        : "its score crossed the MQL threshold"
      const history = returning
        ? ` Returning lead (cycle ${state.cycles + 1}${state.rejections.length > 0 ? `; rejected before as ${[...new Set(state.rejections.map((r) => r.reason))].join(", ")}` : ""}).`
        : ""
      return ok(next, entry("mql", `Became an MQL: ${how}${command.tier === undefined ? "" : `; tier ${command.tier}`}.${history}`, { data: { ...data, ...(command.tier === undefined ? {} : { tier: command.tier }) } }))
    }

    case "Route": {
      if (from !== "mql") return wrongStage("route (only an MQL is handed to sales)")
      if (state.ownerId !== undefined) return fail("already_routed", `The lead is already owned by ${state.ownerId}: use Reassign.`)
      const { queue: _q, ...rest } = state
      if (command.repId !== undefined) {
        return ok(
          { ...rest, ownerId: command.repId, pod: command.pod, assignedAt: ctx.at },
          entry("mql", `Routed to ${command.repId} in pod ${command.pod}; waiting for acceptance.`, { data: { repId: command.repId, pod: command.pod } })
        )
      }
      const queue = command.queue ?? command.pod
      return ok(
        { ...rest, pod: command.pod, queue },
        entry("mql", `No rep of pod ${command.pod} could take the lead now: it waits in queue ${queue}.`, { data: { pod: command.pod, queue } })
      )
    }

    case "Accept": {
      if (from !== "mql") return wrongStage("accept (only a routed MQL awaiting acceptance can be accepted)")
      const bad = ownerCheck(command.repId, "accept")
      if (bad !== undefined) return bad
      return ok(
        { ...state, stage: "sal", acceptedAt: ctx.at },
        entry("sal", `${command.repId} accepted the lead: it is now a sales accepted lead (SAL).`, { data: { repId: command.repId } })
      )
    }

    case "Reject": {
      if (from !== "mql" && from !== "sal") return wrongStage("reject (sales rejects a routed MQL or a SAL)")
      const bad = ownerCheck(command.repId, "reject")
      if (bad !== undefined) return bad
      const fitSignature = command.fitSignature ?? state.fitSignature
      if (command.reason === "wrong_icp" && fitSignature === undefined) {
        return fail("invalid_command", "A wrong_icp rejection needs the lead's fit signature, so the block lifts when the fit data changes.")
      }
      const rejection = {
        reason: command.reason,
        repId: command.repId,
        at: ctx.at,
        ...(command.note === undefined ? {} : { note: command.note })
      }
      const rejected: LeadState = {
        ...leaveSales(state),
        stage: "rejected",
        rejections: [...state.rejections, rejection],
        ...(fitSignature === undefined ? {} : { fitSignature })
      }
      const first = entry(
        "rejected",
        `${command.repId} rejected the lead as ${rejectionWords[command.reason]}${command.note === undefined ? "" : `: "${command.note}"`}.`,
        { reason: command.reason, data: { repId: command.repId, ...(command.note === undefined ? {} : { note: command.note }) } }
      )
      if (command.reason === "duplicate") {
        if (command.into === undefined) return ok(rejected, first)
        return ok(
          { ...rejected, stage: "merged", mergedInto: command.into },
          first,
          entry("merged", `Merged into the surviving lead ${command.into}; its history continues there.`, {
            from: "rejected",
            reason: "duplicate",
            data: { into: command.into }
          })
        )
      }
      const base: LeadState = command.reason === "wrong_icp"
        ? { ...rejected, wrongIcpBlock: { fitSignature: fitSignature!, at: ctx.at, repId: command.repId } }
        : rejected
      const recycled = recycleInto(agreement, base, command.reason, ctx, "Reject")
      return ok(recycled.state, first, recycled.entry)
    }

    case "LogActivity": {
      if (!SALES.includes(from)) return wrongStage("log a sales activity (the lead is not with sales)")
      const a = command.activity
      const last = state.lastActivityAt
      const lastActivityAt = last === undefined || a.occurredAt.getTime() > last.getTime() ? a.occurredAt : last
      return ok(
        { ...state, lastActivityAt },
        entry(from, `${a.repId} logged a ${a.kind}${a.connected ? " (live conversation)" : " (no connection)"}.`, {
          data: { repId: a.repId, kind: a.kind, connected: a.connected, occurredAt: a.occurredAt.toISOString() }
        })
      )
    }

    case "Qualify": {
      if (from === "mql") return fail("not_accepted", "Cannot qualify before acceptance: the owner accepts the lead (SAL) first.")
      if (from !== "sal") return wrongStage("qualify (only a SAL is qualified into an SQL)")
      const bad = ownerCheck(command.repId, "qualify")
      if (bad !== undefined) return bad
      return ok(
        { ...state, stage: "sql", qualification: { repId: command.repId, framework: command.framework, fields: command.fields, at: ctx.at } },
        entry("sql", `${command.repId} qualified the lead with ${command.framework}: it is now a sales qualified lead (SQL).`, {
          data: { repId: command.repId, framework: command.framework, fields: command.fields }
        })
      )
    }

    case "OpenOpportunity": {
      if (from !== "sql") return wrongStage("open an opportunity (only an SQL becomes one)")
      if (!(Number.isFinite(command.amount) && command.amount >= 0)) return fail("invalid_command", `Opportunity amount ${command.amount} is not a non-negative number.`)
      return ok(
        {
          ...state,
          stage: "opportunity",
          opportunity: { ...(command.opportunityId === undefined ? {} : { id: command.opportunityId }), amount: command.amount, openedAt: ctx.at }
        },
        entry("opportunity", `Opportunity opened for ${command.amount}.`, {
          data: { amount: command.amount, ...(command.opportunityId === undefined ? {} : { opportunityId: command.opportunityId }) }
        })
      )
    }

    case "CloseWon": {
      if (from !== "opportunity") return wrongStage("close won (only an opportunity closes)")
      const amount = command.amount ?? state.opportunity?.amount
      return ok(
        {
          ...state,
          stage: "won",
          ...(state.opportunity === undefined ? {} : {
            opportunity: { ...state.opportunity, closedAt: ctx.at, won: true, ...(command.amount === undefined ? {} : { amount: command.amount }) }
          })
        },
        entry("won", `Closed-won${amount === undefined ? "" : ` for ${amount}`}.`, { data: amount === undefined ? {} : { amount } })
      )
    }

    case "CloseLost": {
      if (from !== "opportunity") return wrongStage("close lost (only an opportunity closes)")
      const lost: LeadState = { ...state, stage: "lost" }
      const first = entry("lost", `Closed-lost${command.note === undefined ? "" : `: "${command.note}"`}.`, {
        data: command.note === undefined ? {} : { note: command.note }
      })
      const recycled = recycleInto(agreement, lost, "closed_lost", ctx, "CloseLost")
      return ok(recycled.state, first, recycled.entry)
    }

    case "Recycle": {
      switch (command.reason) {
        case "inactivity": {
          if (from !== "mql" && from !== "sal" && from !== "sql") return wrongStage("recycle for inactivity (only an assigned MQL, SAL or SQL)")
          if (state.ownerId === undefined || state.assignedAt === undefined) return fail("not_routed", "Cannot recycle for inactivity: the lead was never assigned to a rep.")
          if (!isInactive(agreement, state.assignedAt, state.lastActivityAt, ctx.at)) {
            return fail("not_due", `Not inactive: there was sales activity or an assignment within ${formatMillis(durationMillis(agreement.recycle.inactivity.after))}.`)
          }
          break
        }
        case "cadence_exhausted": {
          if (from !== "mql" && from !== "sal") return wrongStage("recycle an exhausted cadence (only an assigned MQL or SAL)")
          if (state.ownerId === undefined) return fail("not_routed", "Cannot recycle an exhausted cadence: the lead has no owner.")
          break
        }
        case "closed_lost": {
          if (from !== "lost") return wrongStage("recycle as closed-lost (only a lost lead)")
          break
        }
        case "premature_reevaluated": {
          if (from !== "nurture") return wrongStage("re-recycle a premature lead (only a lead in nurture)")
          const r = state.recycle
          if (r === undefined || (r.reason !== "premature" && r.reason !== "premature_reevaluated")) {
            return fail("invalid_command", `The lead is in nurture for ${r?.reason ?? "no recorded reason"}, not as premature.`)
          }
          if (r.reevaluateAt !== undefined && ctx.at.getTime() < r.reevaluateAt.getTime()) {
            return fail("not_due", `The premature delay runs until ${r.reevaluateAt.toISOString()}.`)
          }
          break
        }
      }
      const recycled = recycleInto(agreement, state, command.reason, ctx, "Recycle")
      return ok(recycled.state, recycled.entry)
    }

    case "Reassign": {
      if (!SALES.includes(from)) return wrongStage("reassign (only a lead with sales has an owner)")
      const bad = ownerCheck(command.fromRepId, "reassign")
      if (bad !== undefined) return bad
      if (command.toRepId === command.fromRepId) return fail("invalid_command", `Cannot reassign ${command.fromRepId} to themselves.`)
      const breach = command.cause === "accept_sla_missed" || command.cause === "first_touch_sla_missed"
      const pod = command.pod ?? state.pod
      const why: Record<ReassignCause, string> = {
        accept_sla_missed: "the accept SLA was missed",
        first_touch_sla_missed: "the first-touch SLA was missed",
        manual: "reassigned by hand",
        rep_unavailable: "the rep is unavailable",
        tier_upgraded: "on the enriched data it is a higher tier, and nobody had accepted it yet"
      }
      return ok(
        {
          ...state,
          ownerId: command.toRepId,
          assignedAt: ctx.at,
          reassignments: state.reassignments + (breach ? 1 : 0),
          ...(pod === undefined ? {} : { pod })
        },
        entry(from, `Reassigned from ${command.fromRepId} to ${command.toRepId}${pod === undefined ? "" : ` (pod ${pod})`}: ${why[command.cause]}.`, {
          reason: command.cause,
          data: { fromRepId: command.fromRepId, toRepId: command.toRepId, ...(pod === undefined ? {} : { pod }) }
        })
      )
    }

    case "Merge": {
      if (from === "opportunity") return wrongStage("merge an open opportunity (close it first)")
      return ok(
        { ...leaveSales(state), stage: "merged", mergedInto: command.into },
        entry("merged", `Merged into the surviving lead ${command.into} (duplicate); its history continues there.`, { data: { into: command.into } })
      )
    }

    case "Reevaluate": {
      if (from !== "nurture") return wrongStage("re-evaluate (only a lead in nurture)")
      const lifted: Array<string> = []
      let next: LeadState = state
      const until = state.recycle?.reevaluateAt
      if (state.recycle !== undefined && until !== undefined && ctx.at.getTime() >= until.getTime()) {
        const { reevaluateAt: _r, ...recycle } = state.recycle
        next = { ...next, recycle }
        lifted.push("the re-evaluation delay is over")
      }
      const block = state.wrongIcpBlock
      if (block !== undefined && command.fitSignature !== undefined && command.fitSignature !== block.fitSignature) {
        const { wrongIcpBlock: _w, ...rest } = next
        next = { ...rest, fitSignature: command.fitSignature }
        lifted.push("the fit data changed since the wrong-ICP rejection")
      }
      if (lifted.length === 0) return fail("not_due", "Nothing to re-evaluate yet: no recycle delay is over and the fit data has not changed.")
      return ok(next, entry("nurture", `Re-evaluated: ${lifted.join(" and ")}; the lead can become an MQL on its score again.`, { data: { lifted } }))
    }
  }
}

/** The opening timeline entry of a new inquiry (form fill, trial signup, contact request). */
export const inquiryEntry = (ctx: TransitionContext, explanation = "New inquiry received."): TimelineEntry => ({
  at: ctx.at,
  stage: "inquiry",
  from: "inquiry",
  cause: "Inquiry",
  actor: ctx.actor,
  agreementVersion: ctx.agreementVersion,
  explanation
})
