/**
 * Ports: what the handoff use cases need from the outside world, as Context tags.
 *
 * `packages/db` implements them on Postgres (and embedded PGlite); `InMemory.ts` here
 * implements every one for tests and trying things out. The clock is effect's own
 * `Clock` service (`TestClock` in tests), so nothing in the domain reads the time itself.
 *
 * Failures a caller can act on stay typed (`LeadNotFound`, `EmailTaken`, ...); an
 * adapter's driver errors are defects.
 */
import { Context, Data, type Effect, type Option, Schema } from "effect"
import type { Agreement, AgreementVersion } from "./Agreement.ts"
import { type Account, type LeadEvent, LeadId, LeadProfile, type Rep, type RepLoad } from "./Lead.ts"
import { LeadState, type TimelineEntry } from "./Lifecycle.ts"
import type { LedgerEntry, LedgerSummary } from "./Routing.ts"
import type { KeyedEvent } from "./Receipt.ts"
import { Score } from "./Scoring.ts"
import type { Activity } from "./Sla.ts"

// ---------------------------------------------------------------------------
// Records the store keeps
// ---------------------------------------------------------------------------

/** The current assignment of a lead to a rep (or a queue, `repId` ""), with its SLA deadlines. */
export const Assignment = Schema.Struct({
  repId: Schema.String,
  pod: Schema.String,
  strategy: Schema.String,
  tier: Schema.String,
  cadence: Schema.optional(Schema.String),
  /** T0: when the inquiry that started this handoff was submitted. */
  t0: Schema.Date,
  routedAt: Schema.Date,
  acceptBy: Schema.optional(Schema.Date),
  firstTouchBy: Schema.optional(Schema.Date),
  acceptedAt: Schema.optional(Schema.Date),
  firstTouchAt: Schema.optional(Schema.Date),
  /** How many times this handoff has been reassigned after a breach. */
  reassignments: Schema.Number,
  /** Breaches already acted on (`accept`, `first_touch`, `cadence:<step>`), so each is handled once. */
  handledBreaches: Schema.Array(Schema.String),
  /**
   * The next instant the cadence must be looked at (just after the next step falls due, or
   * at once after an activity): the SLA sweep evaluates the cadence then, flags a missed
   * step, and recycles a cadence used up without a conversation.
   */
  cadenceCheckAt: Schema.optional(Schema.Date)
})
export type Assignment = typeof Assignment.Type

/** How the last routing decision went, as the lead view shows it. */
export const RoutingSummary = Schema.Struct({
  pod: Schema.String,
  strategy: Schema.String,
  explanation: Schema.Array(Schema.String),
  /** Set when nobody could take the lead: the queue it waits in. */
  queue: Schema.optional(Schema.String)
})
export type RoutingSummary = typeof RoutingSummary.Type

/** A lead as the store keeps it. Dates encode as ISO 8601 strings. */
export const LeadRecord = Schema.Struct({
  id: LeadId,
  /** Normalized email: the dedupe key. */
  email: Schema.String,
  profile: LeadProfile,
  /** The account domain the lead was matched to (never a free-mail domain). */
  accountDomain: Schema.optional(Schema.String),
  createdAt: Schema.Date,
  updatedAt: Schema.Date,
  enrichedAt: Schema.optional(Schema.Date),
  state: LeadState,
  score: Schema.optional(Score),
  tier: Schema.optional(Schema.String),
  routing: Schema.optional(RoutingSummary),
  assignment: Schema.optional(Assignment),
  flags: Schema.Array(Schema.String),
  /** The agreement version that made the latest decision about this lead. */
  agreementVersion: Schema.Number,
  /**
   * When the stored score can next change by itself (a decay step, a count window or a
   * hand-raise window running out): the decay sweep re-scores the lead then. Set whenever
   * the lead is scored; only leads marketing holds (and queued MQLs) are swept.
   */
  rescoreAt: Schema.optional(Schema.Date)
})
export type LeadRecord = typeof LeadRecord.Type

/**
 * The next SLA instant a sweep must look at for this lead: an accept deadline not yet met,
 * or a first-touch deadline not yet met, whichever comes first and was not acted on.
 * Stores index it so the breach sweep finds due leads without scanning.
 */
export const nextSlaDeadline = (lead: LeadRecord): Date | undefined => {
  const a = lead.assignment
  if (a === undefined) return undefined
  const times: Array<number> = []
  const accepted = a.acceptedAt !== undefined || lead.state.acceptedAt !== undefined
  if (a.acceptBy !== undefined && !accepted && !a.handledBreaches.includes("accept")) times.push(a.acceptBy.getTime())
  if (a.firstTouchBy !== undefined && a.firstTouchAt === undefined && !a.handledBreaches.includes("first_touch")) times.push(a.firstTouchBy.getTime())
  return times.length === 0 ? undefined : new Date(Math.min(...times))
}

/**
 * When the SLA sweep should look at the lead's cadence again (`Assignment.cadenceCheckAt`),
 * while the cadence can still move (stage mql or sal). Kept apart from `nextSlaDeadline`:
 * it is a wake-up for the sweep, not a deadline (a lead is not overdue because of it).
 */
export const cadenceCheckDueAt = (lead: LeadRecord): Date | undefined =>
  lead.state.stage === "mql" || lead.state.stage === "sal" ? lead.assignment?.cadenceCheckAt : undefined

/**
 * When the decay sweep should re-score this lead: only while marketing holds it (inquiry,
 * nurture) or it waits, unowned, in a queue as an MQL — a lead sales works keeps its
 * handoff's score and tier.
 */
export const rescoreDueAt = (lead: LeadRecord): Date | undefined => {
  const s = lead.state
  const held = s.stage === "inquiry" || s.stage === "nurture" || (s.stage === "mql" && s.ownerId === undefined)
  return held ? lead.rescoreAt : undefined
}

/** When a lead in nurture is due for re-evaluation (its recycle hold ends): the reevaluation sweep's key. */
export const reevaluationDueAt = (lead: LeadRecord): Date | undefined =>
  lead.state.stage === "nurture" ? lead.state.recycle?.reevaluateAt : undefined

/**
 * The last sign of sales work on a lead sales holds (its assignment or its latest
 * activity), from which the inactivity recycle rule counts; undefined when no rep owns it.
 */
export const salesTouchedAt = (lead: LeadRecord): Date | undefined => {
  const s = lead.state
  if (!(s.stage === "mql" || s.stage === "sal" || s.stage === "sql") || s.ownerId === undefined || s.assignedAt === undefined) return undefined
  const last = s.lastActivityAt
  return last !== undefined && last.getTime() > s.assignedAt.getTime() ? last : s.assignedAt
}

/**
 * What a sweep claims, each by an indexed key:
 * - `sla`: leads whose next SLA deadline (`nextSlaDeadline`) or cadence check (`cadenceCheckDueAt`) is before `now`;
 * - `rescore`: leads whose `rescoreDueAt` is at or before `now`;
 * - `reevaluate`: leads in nurture whose `reevaluationDueAt` is at or before `now`;
 * - `inactive`: leads sales holds whose `salesTouchedAt` is before `touchedBefore`.
 */
export type SweepClaim =
  | { readonly kind: "sla"; readonly now: Date }
  | { readonly kind: "rescore"; readonly now: Date }
  | { readonly kind: "reevaluate"; readonly now: Date }
  | { readonly kind: "inactive"; readonly touchedBefore: Date }

const earliest = (a: Date | undefined, b: Date | undefined): Date | undefined =>
  a === undefined ? b : b === undefined ? a : a.getTime() <= b.getTime() ? a : b

/** The instant a claim sorts and filters leads by (in memory; the store uses indexed columns of the same values). */
export const claimKey = (claim: SweepClaim, lead: LeadRecord): number | undefined => {
  const t = claim.kind === "sla" ? earliest(nextSlaDeadline(lead), cadenceCheckDueAt(lead))
    : claim.kind === "rescore" ? rescoreDueAt(lead)
    : claim.kind === "reevaluate" ? reevaluationDueAt(lead)
    : salesTouchedAt(lead)
  if (t === undefined) return undefined
  const ms = t.getTime()
  switch (claim.kind) {
    case "sla":
      return ms < claim.now.getTime() ? ms : undefined
    case "rescore":
    case "reevaluate":
      return ms <= claim.now.getTime() ? ms : undefined
    case "inactive":
      return ms < claim.touchedBefore.getTime() ? ms : undefined
  }
}

/** A message for the transactional outbox: webhooks and Slack deliveries are made from these. */
export interface OutboxMessage {
  readonly topic: string
  readonly key: string
  readonly payload: Readonly<Record<string, unknown>>
  readonly at: Date
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export class LeadNotFound extends Data.TaggedError("LeadNotFound")<{ readonly leadId: string; readonly message: string }> {}

/** Another lead already has this normalized email (a concurrent insert won). */
export class EmailTaken extends Data.TaggedError("EmailTaken")<{ readonly email: string; readonly message: string }> {}

export class RepNotFound extends Data.TaggedError("RepNotFound")<{ readonly repId: string; readonly message: string }> {}

// ---------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------

export class LeadStore extends Context.Tag("@handoff/domain/LeadStore")<LeadStore, {
  readonly findById: (id: LeadId) => Effect.Effect<Option.Option<LeadRecord>>
  readonly findByEmail: (normalizedEmail: string) => Effect.Effect<Option.Option<LeadRecord>>
  /**
   * For sweeps: the lead, locked for the rest of the unit — or none when another unit holds
   * it right now (that worker is handling it) or it is gone. Workers never wait on each other.
   */
  readonly claim: (id: LeadId) => Effect.Effect<Option.Option<LeadRecord>>
  readonly insert: (lead: LeadRecord) => Effect.Effect<void, EmailTaken>
  readonly update: (lead: LeadRecord) => Effect.Effect<void>
  readonly events: (id: LeadId) => Effect.Effect<ReadonlyArray<LeadEvent>>
  /** Store events; one with a `key` already stored (see `eventIdentity`) is not stored again. */
  readonly appendEvents: (id: LeadId, events: ReadonlyArray<KeyedEvent>) => Effect.Effect<void>
  /** Keep events for an email no lead has yet; they are attached when the lead appears. */
  readonly holdPendingEvents: (normalizedEmail: string, events: ReadonlyArray<KeyedEvent>) => Effect.Effect<void>
  /** Take (and remove) the events held for an email. */
  readonly takePendingEvents: (normalizedEmail: string) => Effect.Effect<ReadonlyArray<KeyedEvent>>
  /** Which of these event keys are stored already (attached or pending). */
  readonly storedEventKeys: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlySet<string>>
  readonly appendTimeline: (id: LeadId, entries: ReadonlyArray<TimelineEntry>) => Effect.Effect<void>
  readonly timeline: (id: LeadId) => Effect.Effect<ReadonlyArray<TimelineEntry>>
  readonly activities: (id: LeadId) => Effect.Effect<ReadonlyArray<Activity>>
  readonly appendActivity: (id: LeadId, activity: Activity) => Effect.Effect<void>
  /** Leads with a live assignment whose next SLA deadline is at or before `now`. */
  readonly dueAssignments: (now: Date, limit: number) => Effect.Effect<ReadonlyArray<LeadRecord>>
  /**
   * For sweeps: up to `limit` leads the claim selects, soonest first, each locked for the
   * rest of the unit; leads another unit holds are skipped (`FOR UPDATE SKIP LOCKED`), so
   * any number of workers share the work without waiting on each other.
   */
  readonly claimBatch: (claim: SweepClaim, limit: number) => Effect.Effect<ReadonlyArray<LeadRecord>>
  /** The activities of many leads at once (one query), by lead id. */
  readonly activitiesOf: (ids: ReadonlyArray<LeadId>) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<Activity>>>
  /** The events of many leads at once (one query), by lead id, oldest first. */
  readonly eventsOf: (ids: ReadonlyArray<LeadId>) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<LeadEvent>>>
  /** Write many leads at once (multi-row statements). */
  readonly updateMany: (leads: ReadonlyArray<LeadRecord>) => Effect.Effect<void>
  /** Append timeline entries of many leads at once (one multi-row insert). */
  readonly appendTimelines: (entries: ReadonlyArray<{ readonly leadId: LeadId; readonly entry: TimelineEntry }>) => Effect.Effect<void>
}>() {}

export class RepDirectory extends Context.Tag("@handoff/domain/RepDirectory")<RepDirectory, {
  readonly list: () => Effect.Effect<ReadonlyArray<Rep>>
  readonly get: (id: string) => Effect.Effect<Option.Option<Rep>>
  /** Open leads and leads assigned since the start of the rep's day, per rep id. */
  readonly loads: (now: Date) => Effect.Effect<ReadonlyMap<string, RepLoad>>
}>() {}

export class AccountDirectory extends Context.Tag("@handoff/domain/AccountDirectory")<AccountDirectory, {
  readonly findByDomain: (domain: string) => Effect.Effect<Option.Option<Account>>
  /** Many accounts at once (one query), by domain; unknown domains are absent. */
  readonly findByDomains: (domains: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, Account>>
}>() {}

export class RotationLedger extends Context.Tag("@handoff/domain/RotationLedger")<RotationLedger, {
  /**
   * Where these pods' rotations stand (their ledgers, condensed). Inside a unit this also
   * holds the pods' rotation until the unit ends, so concurrent routes take turns.
   */
  readonly summaries: (pods: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, LedgerSummary>>
  /** A pod's ledger entries, oldest first, after `afterSeq` (exclusive), at most `limit`. */
  readonly entries: (pod: string, options: { readonly afterSeq?: number; readonly limit: number }) => Effect.Effect<ReadonlyArray<LedgerEntry & { readonly seq: number }>>
  readonly append: (entries: ReadonlyArray<LedgerEntry>) => Effect.Effect<void>
}>() {}

export class AgreementStore extends Context.Tag("@handoff/domain/AgreementStore")<AgreementStore, {
  readonly active: () => Effect.Effect<AgreementVersion>
  readonly version: (version: number) => Effect.Effect<Option.Option<AgreementVersion>>
  readonly versions: () => Effect.Effect<ReadonlyArray<AgreementVersion>>
  /** Store a new version and make it the active one. */
  readonly activate: (agreement: Agreement, createdBy: string, at: Date) => Effect.Effect<AgreementVersion>
}>() {}

export class Outbox extends Context.Tag("@handoff/domain/Outbox")<Outbox, {
  readonly publish: (messages: ReadonlyArray<OutboxMessage>) => Effect.Effect<void>
}>() {}

export class IdGenerator extends Context.Tag("@handoff/domain/IdGenerator")<IdGenerator, {
  /** A new unique id with a readable prefix (`lead_…`, `opp_…`). */
  readonly next: (prefix: string) => Effect.Effect<string>
}>() {}

/**
 * Runs a use case as one unit: on Postgres, one transaction (so a lead, its timeline
 * and its outbox rows are written together or not at all). In memory, as is.
 */
export class Transactor extends Context.Tag("@handoff/domain/Transactor")<Transactor, {
  readonly transaction: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>() {}
