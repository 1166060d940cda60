/**
 * Leads: inbound inquiries, events, enrichment, reading, and sales' feedback.
 */
import { LeadQueries } from "@handoff/db"
import {
  ActivityKind, Email, EventType, Handoff, type InboundEvent, type LeadId, LeadNotFound, LeadStore, RejectionReason, Scalar, TimelineEntry
} from "@handoff/domain"
import { Clock, Effect, Option, ParseResult, Schema } from "effect"
import { keyActor, repActor } from "../actor.ts"
import { IsoDate, QueryBool, QueryInt, route } from "../http.ts"
import { InvalidInput } from "../problem.ts"
import { LeadReceipt, leadReceipt, leadView, LeadView } from "../views.ts"

const LeadIdParam = Schema.Struct({ id: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)) })
const Text = (max: number) => Schema.String.pipe(Schema.maxLength(max))

const FormAnswers = Schema.Record({ key: Text(200), value: Scalar })

/** The firmographic fields a form and an enrichment vendor both give. */
const firmographics = {
  title: Schema.optional(Text(300)),
  company: Schema.optional(Text(300)),
  domain: Schema.optional(Text(300)),
  country: Schema.optional(Text(100)),
  employees: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(0, 10_000_000))),
  industry: Schema.optional(Text(200)),
  estimatedAcv: Schema.optional(Schema.Number.pipe(Schema.between(0, 1e12)))
}

/** The body of `POST /v1/leads/{id}/enrichment` (and of a preview's `lead.enrichment`). */
export const EnrichmentBody = Schema.Struct({
  ...firmographics,
  seniority: Schema.optional(Text(100)),
  region: Schema.optional(Text(100)),
  fields: Schema.optional(FormAnswers)
})

export const InboundLeadBody = Schema.Struct({
  email: Email.pipe(Schema.maxLength(320)),
  firstName: Schema.optional(Text(200)),
  lastName: Schema.optional(Text(200)),
  ...firmographics,
  phone: Schema.optional(Text(100)),
  intent: Schema.optional(EventType.pipe(Schema.maxLength(100))),
  source: Schema.optional(Schema.Struct({
    channel: Schema.optional(Text(200)),
    campaign: Schema.optional(Text(200)),
    form: Schema.optional(Text(200))
  })),
  occurredAt: Schema.optional(IsoDate.annotations({
    description: "T0, the submission time (default now; years 0001 to 9999). More than 5 minutes ahead of the server's clock it is replaced by the receipt time and the lead flagged `clock_skew_clamped`."
  })),
  /** Other form answers. */
  fields: Schema.optional(FormAnswers),
  /** Properties of the inquiry event itself (e.g. `kind: case_study` for a download). */
  properties: Schema.optional(FormAnswers)
}).annotations({ identifier: "InboundLead" })

const Decision = Schema.Struct({
  tier: Schema.String,
  mql: Schema.Boolean,
  handRaise: Schema.Boolean,
  outcome: Schema.Literal("assigned", "queued", "not_routed"),
  pod: Schema.NullOr(Schema.String),
  ownerId: Schema.NullOr(Schema.String),
  queue: Schema.NullOr(Schema.String),
  explanation: Schema.Array(Schema.String)
})

const IngestResult = Schema.extend(LeadView, Schema.Struct({ created: Schema.Boolean, decision: Decision })).annotations({ identifier: "IngestResult" })
// the full result first: encoding tries the members in order, and a receipt would drop a full view's fields
const IngestResponse = Schema.Union(IngestResult, LeadReceipt)

const notFound = (id: string) => new LeadNotFound({ leadId: id, message: `No lead with id ${id}.` })

const loadView = (id: string) =>
  Effect.gen(function*() {
    const store = yield* LeadStore
    const lead = yield* store.findById(id as LeadId)
    if (Option.isNone(lead)) return yield* Effect.fail(notFound(id))
    return yield* leadView(lead.value)
  })

const EventItem = Schema.Struct({
  /** The sender's own id for the event (like Segment's `messageId`): resending it stores nothing twice. */
  id: Schema.optional(Text(200).pipe(Schema.minLength(1))),
  email: Schema.optional(Email.pipe(Schema.maxLength(320))),
  leadId: Schema.optional(Text(100)),
  type: EventType.pipe(Schema.maxLength(100)),
  occurredAt: Schema.optional(IsoDate.annotations({
    description: "When it happened; default: when Handoff received the batch (as tracking APIs do). Without `occurredAt` and `id`, a resent event is stored again: send an `id` to make retries safe."
  })),
  properties: Schema.optional(Schema.Record({ key: Text(200), value: Scalar })),
  channel: Schema.optional(Text(200)),
  campaign: Schema.optional(Text(200))
}).pipe(
  Schema.filter((e) => (e.email !== undefined || e.leadId !== undefined) || { path: ["email"], message: "give email or leadId" }),
  Schema.annotations({ identifier: "EventItem", description: "One behavioral or product event, for a lead known by `leadId` or `email` (one of them is required)." })
)

const EventResult = Schema.Struct({
  index: Schema.Number,
  status: Schema.Literal("attached", "pending", "duplicate", "rejected"),
  leadId: Schema.NullOr(Schema.String),
  errors: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String })),
  clockSkewClamped: Schema.optional(Schema.Literal(true)).annotations({
    description: "Present when `occurredAt` was more than 5 minutes ahead of the server's clock: the receipt time was stored instead."
  })
})

const ListQuery = Schema.Struct({
  stage: Schema.optional(Text(50)),
  tier: Schema.optional(Text(50)),
  ownerId: Schema.optional(Text(100)),
  breached: Schema.optional(QueryBool),
  limit: Schema.optional(QueryInt(1, 100)),
  cursor: Schema.optional(Text(500))
})

const encodeCursor = (c: { createdAt: Date; id: string }) => Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString("base64url")
const decodeCursor = (s: string): Option.Option<{ createdAt: Date; id: string }> => {
  try {
    const [at, id] = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as [string, string]
    const d = new Date(at)
    return typeof id === "string" && !Number.isNaN(d.getTime()) ? Option.some({ createdAt: d, id }) : Option.none()
  } catch {
    return Option.none()
  }
}

export const leadRoutes = [
  route({
    method: "post",
    path: "/v1/leads",
    roles: ["ingest"],
    tag: "Leads",
    summary: "Submit an inbound lead",
    description: "An inquiry (form fill, trial signup, contact request). Scores, tiers and routes the lead at once and starts its SLA clock; 201 for a new lead, 200 when merged into an existing one (same normalized email). " +
      "An ingest key (a public form) gets a `LeadReceipt` — id, created, tier and, for a hand-raise, the owner's name and `bookingUrl` — never the stored lead; its repeat inquiry fills blank profile fields only, and what it said otherwise is kept on the timeline. " +
      "An admin key gets the full `IngestResult`, and its values overwrite the stored ones (the way to correct a lead's identity; enrichment updates firmographics).",
    body: InboundLeadBody,
    response: IngestResponse,
    status: 201,
    also: { 200: "Merged into the existing lead with the same normalized email." },
    idempotent: true,
    handler: ({ body, caller }) =>
      Effect.gen(function*() {
        const handoff = yield* Handoff
        const { email, intent, occurredAt, properties, ...profile } = body
        const publicForm = caller.role === "ingest"
        const { created, decision, known, lead } = yield* handoff.ingest({
          profile: { email, ...profile },
          ...(intent === undefined ? {} : { intent }),
          ...(occurredAt === undefined ? {} : { occurredAt }),
          ...(properties === undefined ? {} : { properties }),
          merge: publicForm ? "fill_blanks" : "overwrite"
        }, keyActor(caller))
        const status = created ? 201 : 200
        if (publicForm) return { status, body: yield* leadReceipt(lead, (decision?.score.handRaise ?? null) !== null, created, known) }
        // the view from what the unit read (agreement, owner, activities), not read again
        const view = yield* leadView(lead, known)
        const r = decision?.route
        return {
          status,
          body: {
            ...view,
            created,
            decision: {
              tier: decision?.tier.name ?? lead.tier ?? "nurture",
              mql: decision?.score.mql ?? false,
              handRaise: decision?.score.handRaise !== null && decision?.score.handRaise !== undefined,
              outcome: r === undefined || r._tag === "NotRouted" ? "not_routed" as const : r._tag === "Assigned" ? "assigned" as const : "queued" as const,
              pod: r?._tag === "Assigned" ? r.pod : r?._tag === "Queued" ? r.queue : null,
              ownerId: r?._tag === "Assigned" ? r.repId : null,
              queue: r?._tag === "Queued" ? r.queue : null,
              explanation: r === undefined ? (decision?.tier.reasons ?? []) : r._tag === "NotRouted" ? [...(decision?.tier.reasons ?? []), r.reason] : [...(decision?.tier.reasons ?? []), ...r.explanation]
            }
          }
        }
      })
  }),

  route({
    method: "get",
    path: "/v1/leads/:id",
    roles: ["read", "sales"],
    tag: "Leads",
    summary: "Read a lead",
    params: LeadIdParam,
    response: LeadView,
    status: 200,
    handler: ({ params }) => Effect.map(loadView(params.id), (body) => ({ body }))
  }),

  route({
    method: "get",
    path: "/v1/leads",
    roles: ["read", "sales"],
    tag: "Leads",
    summary: "List leads",
    description: "Newest first; filter by stage, tier, owner and SLA breach; `cursor` continues from the previous page's `nextCursor`.",
    query: ListQuery,
    response: Schema.Struct({ items: Schema.Array(LeadView), nextCursor: Schema.NullOr(Schema.String) }),
    status: 200,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const after = query.cursor === undefined ? Option.none() : decodeCursor(query.cursor)
        if (query.cursor !== undefined && Option.isNone(after)) {
          return yield* Effect.fail(new InvalidInput({ status: 422, message: "The cursor is not one this API gave out.", errors: [{ path: "query.cursor", message: "unrecognised cursor" }] }))
        }
        const limit = query.limit ?? 50
        const now = new Date(yield* Clock.currentTimeMillis)
        const rows = yield* (yield* LeadQueries).list({
          ...(query.stage === undefined ? {} : { stage: query.stage }),
          ...(query.tier === undefined ? {} : { tier: query.tier }),
          ...(query.ownerId === undefined ? {} : { ownerId: query.ownerId }),
          ...(query.breached === undefined ? {} : { breached: query.breached }),
          ...(Option.isSome(after) ? { after: after.value } : {}),
          now,
          limit: limit + 1
        })
        const page = rows.slice(0, limit)
        const items = yield* Effect.forEach(page, (r) => loadView(r.id).pipe(Effect.orDie))
        const last = page[page.length - 1]
        return { body: { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null } }
      })
  }),

  route({
    method: "get",
    path: "/v1/leads/:id/timeline",
    roles: ["read", "sales"],
    tag: "Leads",
    summary: "Read a lead's timeline",
    description: "The append-only history: every transition with time, actor, cause, agreement version and explanation.",
    params: LeadIdParam,
    response: Schema.Struct({ leadId: Schema.String, entries: Schema.Array(TimelineEntry) }),
    status: 200,
    handler: ({ params }) =>
      Effect.gen(function*() {
        const store = yield* LeadStore
        if (Option.isNone(yield* store.findById(params.id as LeadId))) return yield* Effect.fail(notFound(params.id))
        return { body: { leadId: params.id, entries: yield* store.timeline(params.id as LeadId) } }
      })
  }),

  route({
    method: "post",
    path: "/v1/leads/:id/enrichment",
    roles: ["ingest"],
    tag: "Leads",
    summary: "Enrich a lead",
    description: "Firmographic enrichment: the second scoring stage. The lead is re-scored and, if it now qualifies, routed. An ingest key gets a `LeadReceipt` (id and tier), an admin key the lead view.",
    params: LeadIdParam,
    body: EnrichmentBody,
    response: Schema.Union(LeadView, LeadReceipt),
    status: 200,
    idempotent: true,
    handler: ({ body, caller, params }) =>
      Effect.gen(function*() {
        const { lead } = yield* (yield* Handoff).enrich(params.id, body, keyActor(caller))
        return { body: caller.role === "ingest" ? yield* leadReceipt(lead, false) : yield* leadView(lead) }
      })
  }),

  route({
    method: "post",
    path: "/v1/events",
    long: true,
    roles: ["ingest"],
    tag: "Leads",
    summary: "Record behavioral and product events",
    description: "A batch of up to 1,000 events, each for a lead known by `leadId` or `email`. Results are per item: events for an email not yet known are kept (`pending`) and attached when that lead appears; an invalid item is `rejected` with its errors and the others still count. Every item is checked before any is written, and the good ones are written together. Each event is stored once: one already stored (same `id` for the same lead or email, or without `id` the same type, `occurredAt`, properties, channel and campaign) is a `duplicate`, so a batch can be retried safely. An `occurredAt` more than 5 minutes ahead of the server's clock is replaced by the receipt time (`clockSkewClamped`).",
    body: Schema.Struct({ events: Schema.Array(Schema.Unknown).pipe(Schema.minItems(1), Schema.maxItems(1000)) }),
    // each item is decoded on its own, so one bad event is rejected alone; the document shows the item's shape
    bodyDoc: Schema.Struct({ events: Schema.Array(EventItem).pipe(Schema.minItems(1), Schema.maxItems(1000)) }),
    response: Schema.Struct({ results: Schema.Array(EventResult) }),
    status: 200,
    idempotent: true,
    handler: ({ body, caller }) =>
      Effect.gen(function*() {
        const handoff = yield* Handoff
        const results: Array<typeof EventResult.Type> = new Array(body.events.length)
        // every item is decoded and checked before anything is written; the good ones are then written in one unit
        const good: Array<{ index: number; event: InboundEvent }> = []
        const receivedAt = new Date(yield* Clock.currentTimeMillis)
        for (const [index, raw] of body.events.entries()) {
          const decoded = Schema.decodeUnknownEither(EventItem, { errors: "all", onExcessProperty: "error" })(raw)
          if (decoded._tag === "Left") {
            results[index] = { index, status: "rejected", leadId: null, errors: ParseResult.ArrayFormatter.formatErrorSync(decoded.left).map((i) => ({ path: ["events", index, ...i.path].join("."), message: i.message })) }
            continue
          }
          const e = decoded.right
          good.push({
            index,
            event: {
              ...(e.email === undefined ? {} : { email: e.email }),
              ...(e.leadId === undefined ? {} : { leadId: e.leadId }),
              ...(e.id === undefined ? {} : { id: e.id }),
              event: {
                type: e.type,
                occurredAt: e.occurredAt ?? receivedAt,
                properties: e.properties ?? {},
                ...(e.channel === undefined ? {} : { channel: e.channel }),
                ...(e.campaign === undefined ? {} : { campaign: e.campaign })
              }
            }
          })
        }
        const recorded = yield* handoff.recordEvents(good.map((g) => g.event), keyActor(caller))
        for (const [i, { index }] of good.entries()) {
          const r = recorded[i]!
          results[index] = r.status === "attached"
            ? { index, status: "attached", leadId: r.leadId, errors: [], ...(r.clamped ? { clockSkewClamped: true } : {}) }
            : r.status === "pending"
            ? { index, status: "pending", leadId: null, errors: [], ...(r.clamped ? { clockSkewClamped: true } : {}) }
            : r.status === "duplicate"
            ? { index, status: "duplicate", leadId: r.leadId, errors: [] }
            : { index, status: "rejected", leadId: null, errors: [{ path: `events.${index}.leadId`, message: r.reason }] }
        }
        return { body: { results } }
      })
  }),

  route({
    method: "post",
    path: "/v1/leads/:id/accept",
    roles: ["sales"],
    tag: "Sales feedback",
    summary: "Accept a lead (SAL)",
    params: LeadIdParam,
    body: Schema.Struct({ repId: Text(100).pipe(Schema.minLength(1)) }),
    response: LeadView,
    status: 200,
    idempotent: true,
    handler: ({ body, caller, params }) =>
      Effect.gen(function*() {
        const lead = yield* (yield* Handoff).accept(params.id, body.repId, yield* repActor(caller, body.repId))
        return { body: yield* leadView(lead) }
      })
  }),

  route({
    method: "post",
    path: "/v1/leads/:id/reject",
    roles: ["sales"],
    tag: "Sales feedback",
    summary: "Reject a lead",
    description: "With a reason code; the lead is recycled per the agreement (wrong_icp blocks score-based MQL until fit changes; premature is re-evaluated after a delay; duplicate is merged into the lead named by `into`, which it requires; unreachable goes to low-frequency re-engagement).",
    params: LeadIdParam,
    body: Schema.Struct({
      repId: Text(100).pipe(Schema.minLength(1)),
      reason: RejectionReason,
      note: Schema.optional(Text(2000)),
      into: Schema.optional(Text(100).annotations({ description: "For `duplicate` (required there): the id of the lead this one is a duplicate of; it is merged into it." }))
    }).pipe(Schema.filter((b) => b.reason !== "duplicate" || b.into !== undefined || { path: ["into"], message: "a duplicate needs the id of the lead it duplicates (into)" })),
    response: LeadView,
    status: 200,
    idempotent: true,
    handler: ({ body, caller, params }) =>
      Effect.gen(function*() {
        const lead = yield* (yield* Handoff).reject(params.id, body, yield* repActor(caller, body.repId))
        return { body: yield* leadView(lead) }
      })
  }),

  route({
    method: "post",
    path: "/v1/leads/:id/activities",
    roles: ["sales"],
    tag: "Sales feedback",
    summary: "Log a sales activity",
    description: "A call, email, voicemail, LinkedIn touch or meeting. The owner's first one stops the first-touch clock; each advances the cadence.",
    params: LeadIdParam,
    body: Schema.Struct({
      repId: Text(100).pipe(Schema.minLength(1)),
      kind: ActivityKind,
      connected: Schema.optionalWith(Schema.Boolean, { default: () => false }),
      occurredAt: Schema.optional(IsoDate)
    }),
    response: LeadView,
    status: 200,
    idempotent: true,
    handler: ({ body, caller, params }) =>
      Effect.gen(function*() {
        const actor = yield* repActor(caller, body.repId)
        const at = body.occurredAt ?? new Date(yield* Clock.currentTimeMillis)
        const lead = yield* (yield* Handoff).logActivity(params.id, { repId: body.repId, kind: body.kind, connected: body.connected, occurredAt: at }, actor)
        return { body: yield* leadView(lead) }
      })
  }),

  route({
    method: "post",
    path: "/v1/leads/:id/qualify",
    roles: ["sales"],
    tag: "Sales feedback",
    summary: "Qualify a lead (SQL)",
    params: LeadIdParam,
    body: Schema.Struct({
      repId: Text(100).pipe(Schema.minLength(1)),
      framework: Text(100).pipe(Schema.minLength(1)),
      fields: Schema.optionalWith(Schema.Record({ key: Text(200), value: Scalar }), { default: () => ({}) })
    }),
    response: LeadView,
    status: 200,
    idempotent: true,
    handler: ({ body, caller, params }) =>
      Effect.gen(function*() {
        const lead = yield* (yield* Handoff).qualify(params.id, body, yield* repActor(caller, body.repId))
        return { body: yield* leadView(lead) }
      })
  })
]
