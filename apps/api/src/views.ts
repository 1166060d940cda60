/**
 * What the API returns for a lead: the lead view of SPEC §3 — identity, account, stage,
 * tier, score with its drivers, owner with `bookingUrl`, SLA deadlines and status, the
 * routing explanation, flags and the agreement version that decided.
 */
import { AgreementStore, evaluateSla, type LeadContext, LeadStore, type LeadRecord, RepDirectory, slaAssignmentOf } from "@handoff/domain"
import { Clock, Effect, Option, Schema } from "effect"
import { IsoDate } from "./http.ts"

export const ScoreView = Schema.Struct({
  fit: Schema.Number,
  intent: Schema.Number,
  total: Schema.Number,
  threshold: Schema.Number,
  provisional: Schema.Boolean,
  mql: Schema.Boolean,
  drivers: Schema.Array(Schema.Struct({ rule: Schema.String, points: Schema.Number, reason: Schema.String }))
})

export const OwnerView = Schema.Struct({
  repId: Schema.String,
  name: Schema.String,
  role: Schema.String,
  bookingUrl: Schema.NullOr(Schema.String)
})

export const SlaView = Schema.Struct({
  acceptBy: Schema.NullOr(IsoDate),
  firstTouchBy: Schema.NullOr(IsoDate),
  acceptedAt: Schema.NullOr(IsoDate),
  firstTouchAt: Schema.NullOr(IsoDate),
  status: Schema.Literal("on_track", "at_risk", "breached", "met")
})

export const RoutingView = Schema.Struct({
  pod: Schema.String,
  strategy: Schema.String,
  explanation: Schema.Array(Schema.String),
  queue: Schema.NullOr(Schema.String)
})

export const LeadView = Schema.Struct({
  id: Schema.String,
  email: Schema.String,
  firstName: Schema.NullOr(Schema.String),
  lastName: Schema.NullOr(Schema.String),
  title: Schema.NullOr(Schema.String),
  company: Schema.NullOr(Schema.String),
  domain: Schema.NullOr(Schema.String),
  country: Schema.NullOr(Schema.String),
  employees: Schema.NullOr(Schema.Number),
  industry: Schema.NullOr(Schema.String),
  estimatedAcv: Schema.NullOr(Schema.Number),
  phone: Schema.NullOr(Schema.String),
  accountId: Schema.NullOr(Schema.String),
  stage: Schema.String,
  tier: Schema.NullOr(Schema.String),
  score: Schema.NullOr(ScoreView),
  owner: Schema.NullOr(OwnerView),
  sla: Schema.NullOr(SlaView),
  routing: Schema.NullOr(RoutingView),
  recycle: Schema.NullOr(Schema.Struct({
    reason: Schema.String,
    at: IsoDate,
    track: Schema.NullOr(Schema.String),
    reevaluateAt: Schema.NullOr(IsoDate)
  })).annotations({ description: "Why the lead is back in nurture, on which track, and when it may become an MQL on its score again (null: not recycled)." }),
  flags: Schema.Array(Schema.String),
  agreementVersion: Schema.Number,
  createdAt: IsoDate,
  updatedAt: IsoDate
}).annotations({ identifier: "LeadView" })
export type LeadView = typeof LeadView.Type

const orNull = <A>(a: A | undefined): A | null => (a === undefined ? null : a)

/**
 * The lead view of a stored lead, with its owner and the SLA status as of now. `known`: what
 * the unit that wrote the lead already read (its agreement, owner, activities), not read again.
 */
export const leadView = (lead: LeadRecord, known?: LeadContext): Effect.Effect<LeadView, never, RepDirectory | LeadStore | AgreementStore> =>
  Effect.gen(function*() {
    const reps = yield* RepDirectory
    const ownerId = lead.state.ownerId
    const owner = ownerId === undefined
      ? undefined
      : known?.owner?.id === ownerId ? known.owner : Option.getOrUndefined(yield* reps.get(ownerId))
    let sla: typeof SlaView.Type | null = null
    const a = lead.assignment
    if (a !== undefined) {
      const now = new Date(yield* Clock.currentTimeMillis)
      const store = yield* LeadStore
      const agreements = yield* AgreementStore
      const version = known?.agreement.version === lead.agreementVersion
        ? known.agreement
        : Option.getOrUndefined(yield* agreements.version(lead.agreementVersion)) ?? (yield* agreements.active())
      const activities = known?.activities ?? (yield* store.activities(lead.id))
      const status = evaluateSla(version.agreement, slaAssignmentOf(lead, a), activities, now)
      sla = {
        acceptBy: orNull(a.acceptBy),
        firstTouchBy: orNull(a.firstTouchBy),
        acceptedAt: orNull(a.acceptedAt ?? lead.state.acceptedAt),
        firstTouchAt: orNull(a.firstTouchAt ?? status.firstTouchAt),
        status: status.status
      }
    }
    const p = lead.profile
    const s = lead.score
    const r = lead.state.recycle
    return {
      id: lead.id,
      email: lead.email,
      firstName: orNull(p.firstName),
      lastName: orNull(p.lastName),
      title: orNull(p.title),
      company: orNull(p.company),
      domain: orNull(p.domain),
      country: orNull(p.country),
      employees: orNull(p.employees),
      industry: orNull(p.industry),
      estimatedAcv: orNull(p.estimatedAcv),
      phone: orNull(p.phone),
      accountId: orNull(lead.accountDomain),
      stage: lead.state.stage,
      tier: orNull(lead.tier),
      score: s === undefined ? null : { fit: s.fit, intent: s.intent, total: s.total, threshold: s.threshold, provisional: s.provisional, mql: s.mql, drivers: s.drivers.map((d) => ({ rule: d.rule, points: d.points, reason: d.reason })) },
      owner: owner === undefined ? null : { repId: owner.id, name: owner.name, role: owner.role, bookingUrl: orNull(owner.bookingUrl) },
      sla,
      routing: lead.routing === undefined ? null : { pod: lead.routing.pod, strategy: lead.routing.strategy, explanation: lead.routing.explanation, queue: orNull(lead.routing.queue) },
      recycle: r === undefined ? null : { reason: r.reason, at: r.at, track: orNull(r.track), reevaluateAt: orNull(r.reevaluateAt) },
      flags: lead.flags,
      agreementVersion: lead.agreementVersion,
      createdAt: lead.createdAt,
      updatedAt: lead.updatedAt
    }
  })

/**
 * What an ingest key — embedded in public web pages, so anyone's — learns about a lead it
 * wrote: its id, whether it was new, its tier and, when the prospect raised a hand and the
 * lead has an owner, the owner's name and booking link so the form can offer a meeting at
 * once. Never the stored profile, score drivers or timeline: whoever types an email into a
 * form must not read the record of the person it belongs to.
 */
export const LeadReceipt = Schema.Struct({
  id: Schema.String,
  /** For `POST /v1/leads`: true for a new lead, false when merged into an existing one. */
  created: Schema.optional(Schema.Boolean),
  tier: Schema.NullOr(Schema.String),
  owner: Schema.NullOr(Schema.Struct({ name: Schema.String, bookingUrl: Schema.NullOr(Schema.String) }))
}).annotations({
  identifier: "LeadReceipt",
  description: "The answer an ingest key gets: id, created or merged, tier and, for a hand-raise with an owner, the owner's name and bookingUrl. Other keys get the full lead view."
})
export type LeadReceipt = typeof LeadReceipt.Type

/** The receipt for a lead; `owner` only when this request raised a hand (`known`: as for `leadView`). */
export const leadReceipt = (lead: LeadRecord, handRaise: boolean, created?: boolean, known?: LeadContext): Effect.Effect<LeadReceipt, never, RepDirectory> =>
  Effect.gen(function*() {
    const ownerId = lead.state.ownerId
    const owner = !handRaise || ownerId === undefined
      ? undefined
      : known?.owner?.id === ownerId ? known.owner : Option.getOrUndefined(yield* (yield* RepDirectory).get(ownerId))
    return {
      id: lead.id,
      ...(created === undefined ? {} : { created }),
      tier: orNull(lead.tier),
      owner: owner === undefined ? null : { name: owner.name, bookingUrl: orNull(owner.bookingUrl) }
    }
  })
