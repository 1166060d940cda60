/**
 * Opportunities: the CRM tells Handoff when an SQL becomes an opportunity and how it
 * closes, so the waterfall runs all the way to Closed-Won and a closed-lost lead goes back
 * to marketing nurture (seed 001's closed loop).
 *
 * - `POST /v1/opportunities` opens one on an SQL (`Handoff.openOpportunity`);
 * - `POST /v1/opportunities/{id}/close` closes it won or lost (`Handoff.closeOpportunity`);
 * - `GET /v1/opportunities/{id}` reads it.
 *
 * The CRM's own dates (`createdAt`, `closedAt`) are kept on the opportunity for the
 * reports; the lead's timeline records when Handoff learned of them.
 */
import { newId, type OpportunityRecord, OpportunityQueries } from "@handoff/db"
import { Handoff, type LeadId, LeadNotFound, type LeadRecord, LeadStore, Transactor } from "@handoff/domain"
import { Clock, Effect, Option, Schema } from "effect"
import { callerActor } from "../actor.ts"
import { IsoDate, route } from "../http.ts"
import { Conflict, InvalidInput, NotFound } from "../problem.ts"
import { leadView, LeadView } from "../views.ts"

const Id = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100))
/** numeric(14, 2) in the store. */
const Amount = Schema.Number.pipe(Schema.nonNegative(), Schema.lessThan(1e12)).annotations({ description: "Amount in the account currency, ≥ 0." })

/** How far ahead of our clock a CRM date may be (clock skew) before it is refused as in the future. */
const skewMs = 5 * 60_000

export const OpportunityView = Schema.Struct({
  id: Schema.String,
  leadId: Schema.String,
  amount: Schema.Number,
  /** When the opportunity was created (the CRM's `createdAt`, or when Handoff learned of it). */
  openedAt: IsoDate,
  closedAt: Schema.NullOr(IsoDate),
  won: Schema.NullOr(Schema.Boolean),
  /** The opportunity's own stage; the lead's is `lead.stage` (a closed-lost lead is back in nurture). */
  stage: Schema.Literal("open", "won", "lost"),
  lead: LeadView
}).annotations({ identifier: "Opportunity" })

const viewOf = (opp: OpportunityRecord, lead: LeadRecord) =>
  Effect.map(leadView(lead), (view) => ({
    id: opp.id,
    leadId: opp.leadId,
    amount: opp.amount,
    openedAt: opp.openedAt,
    closedAt: opp.closedAt ?? null,
    won: opp.won ?? null,
    stage: opp.won === undefined ? "open" as const : opp.won ? "won" as const : "lost" as const,
    lead: view
  }))

const invalid = (path: string, message: string) => new InvalidInput({ status: 422, message: `The request body is invalid: ${path}: ${message}.`, errors: [{ path, message }] })

const notInFuture = (path: string, at: Date, now: Date) =>
  at.getTime() > now.getTime() + skewMs ? Effect.fail(invalid(path, "must not be in the future")) : Effect.void

const findOpportunity = (id: string) =>
  Effect.flatMap(OpportunityQueries, (o) => o.find(id)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new NotFound({ message: `No opportunity with id ${id}.` })),
      onSome: Effect.succeed
    }))
  )

const loadLead = (id: string) =>
  Effect.flatMap(LeadStore, (s) => s.findById(id as LeadId)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new LeadNotFound({ leadId: id, message: `No lead with id ${id}.` })),
      onSome: Effect.succeed
    }))
  )

/** The id under which the store keeps the lead's current opportunity. */
const currentOpportunityId = (lead: LeadRecord): string | undefined =>
  lead.state.opportunity === undefined ? undefined : lead.state.opportunity.id ?? `opp_${lead.id}`

export const opportunityRoutes = [
  route({
    method: "post",
    path: "/v1/opportunities",
    roles: ["sales"],
    tag: "Opportunities",
    summary: "Open an opportunity",
    description: "An SQL became an opportunity in the CRM. The lead moves to stage `opportunity`; `createdAt` (default now, never in the future) is kept as the opportunity's open date for the reports. 409 when the lead is not an SQL.",
    body: Schema.Struct({
      leadId: Id,
      amount: Amount,
      createdAt: Schema.optional(IsoDate)
    }),
    response: OpportunityView,
    status: 201,
    idempotent: true,
    handler: ({ body, caller }) =>
      Effect.gen(function*() {
        const now = new Date(yield* Clock.currentTimeMillis)
        if (body.createdAt !== undefined) yield* notInFuture("createdAt", body.createdAt, now)
        const tx = yield* Transactor
        return yield* tx.transaction(Effect.gen(function*() {
          const opportunities = yield* OpportunityQueries
          const id = newId("opp")
          const lead = yield* (yield* Handoff).openOpportunity(body.leadId, { amount: body.amount, opportunityId: id }, callerActor(caller))
          if (body.createdAt !== undefined) yield* opportunities.setOpenedAt(id, body.createdAt)
          const opp = yield* findOpportunity(id).pipe(Effect.orDie)
          return { body: yield* viewOf(opp, lead) }
        }))
      })
  }),

  route({
    method: "post",
    path: "/v1/opportunities/:id/close",
    roles: ["sales"],
    tag: "Opportunities",
    summary: "Close an opportunity",
    description: "Won: the lead is Closed-Won (`amount`, if given, is the final amount). Lost: the lead goes back to marketing nurture per the agreement, keeping its history. `closedAt` (default now) may not be before the opportunity opened nor in the future. 404 for an unknown opportunity, 409 when it is already closed.",
    params: Schema.Struct({ id: Id }),
    body: Schema.Struct({
      won: Schema.Boolean,
      amount: Schema.optional(Amount),
      closedAt: Schema.optional(IsoDate)
    }),
    response: OpportunityView,
    status: 200,
    idempotent: true,
    handler: ({ body, caller, params }) =>
      Effect.gen(function*() {
        const now = new Date(yield* Clock.currentTimeMillis)
        const tx = yield* Transactor
        return yield* tx.transaction(Effect.gen(function*() {
          const opportunities = yield* OpportunityQueries
          const opp = yield* findOpportunity(params.id)
          if (opp.won !== undefined) {
            return yield* Effect.fail(new Conflict({ message: `Opportunity ${opp.id} is already closed ${opp.won ? "won" : "lost"}.`, reason: "opportunity_closed" }))
          }
          // lock the lead, then make sure this is still its open opportunity
          const lead = yield* loadLead(opp.leadId)
          if (lead.state.stage !== "opportunity" || currentOpportunityId(lead) !== opp.id) {
            return yield* Effect.fail(new Conflict({ message: `Opportunity ${opp.id} is not open: its lead is at stage ${lead.state.stage}.`, reason: "opportunity_not_open" }))
          }
          const closedAt = body.closedAt ?? now
          yield* notInFuture("closedAt", closedAt, now)
          if (closedAt.getTime() < opp.openedAt.getTime()) return yield* Effect.fail(invalid("closedAt", `must not be before the opportunity opened (${opp.openedAt.toISOString()})`))
          const closed = yield* (yield* Handoff).closeOpportunity(lead.id, { won: body.won, ...(body.amount === undefined ? {} : { amount: body.amount }) }, callerActor(caller))
          yield* opportunities.recordClose(opp.id, { won: body.won, closedAt, ...(body.amount === undefined ? {} : { amount: body.amount }) })
          const after = yield* findOpportunity(opp.id).pipe(Effect.orDie)
          return { body: yield* viewOf(after, closed) }
        }))
      })
  }),

  route({
    method: "get",
    path: "/v1/opportunities/:id",
    roles: ["read", "sales"],
    tag: "Opportunities",
    summary: "Read an opportunity",
    params: Schema.Struct({ id: Id }),
    response: OpportunityView,
    status: 200,
    handler: ({ params }) =>
      Effect.gen(function*() {
        const opp = yield* findOpportunity(params.id)
        const lead = yield* loadLead(opp.leadId).pipe(Effect.orDie)
        return { body: yield* viewOf(opp, lead) }
      })
  })
]
