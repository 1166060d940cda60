/**
 * Opportunities as the store keeps them beside the lead: the `opportunities` table (one
 * row per opportunity a lead opened, kept in step by the lead store when a lead is written).
 * The API finds the lead of an opportunity here, and records the CRM's own dates and the
 * outcome of a close (a closed-lost opportunity leaves the lead's state when the lead goes
 * back to nurture, so its row is closed here). Runs on the current unit's transaction.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlRunner } from "./Store.ts"

export interface OpportunityRecord {
  readonly id: string
  readonly leadId: string
  readonly amount: number
  readonly openedAt: Date
  readonly closedAt?: Date
  readonly won?: boolean
}

export class OpportunityQueries extends Context.Tag("@handoff/db/OpportunityQueries")<OpportunityQueries, {
  /** The opportunity with this id. */
  readonly find: (id: string) => Effect.Effect<Option.Option<OpportunityRecord>>
  /** A lead's opportunities, oldest first (a returning lead may have had several). */
  readonly byLead: (leadId: string) => Effect.Effect<ReadonlyArray<OpportunityRecord>>
  /** Set when the opportunity was created in the CRM (the `createdAt` the API was given). */
  readonly setOpenedAt: (id: string, openedAt: Date) => Effect.Effect<void>
  /** Record the close: won or lost, the final amount and when (the CRM's `closedAt`, or now). */
  readonly recordClose: (id: string, close: { readonly won: boolean; readonly amount?: number; readonly closedAt: Date }) => Effect.Effect<void>
}>() {}

type Row = { id: string; lead_id: string; amount: string | number; opened_at: Date | string; closed_at: Date | string | null; won: boolean | null }

const fromRow = (r: Row): OpportunityRecord => ({
  id: r.id,
  leadId: r.lead_id,
  amount: Number(r.amount),
  openedAt: new Date(r.opened_at),
  ...(r.closed_at === null ? {} : { closedAt: new Date(r.closed_at) }),
  ...(r.won === null ? {} : { won: r.won })
})

/** `OpportunityQueries` on the store. Needs `SqlRunner` (from `storeLayer`). */
export const OpportunityQueriesLive = Layer.effect(
  OpportunityQueries,
  Effect.map(SqlRunner, ({ q }) =>
    OpportunityQueries.of({
      find: (id) =>
        q(async (db) => {
          const row = await db.selectFrom("opportunities").selectAll().where("id", "=", id).executeTakeFirst()
          return row === undefined ? Option.none() : Option.some(fromRow(row))
        }),
      byLead: (leadId) =>
        q(async (db) => (await db.selectFrom("opportunities").selectAll().where("lead_id", "=", leadId).orderBy("opened_at").orderBy("id").execute()).map(fromRow)),
      setOpenedAt: (id, openedAt) =>
        q(async (db) => {
          await db.updateTable("opportunities").set({ opened_at: openedAt }).where("id", "=", id).execute()
        }),
      recordClose: (id, close) =>
        q(async (db) => {
          await db.updateTable("opportunities")
            .set({ won: close.won, closed_at: close.closedAt, ...(close.amount === undefined ? {} : { amount: close.amount }) })
            .where("id", "=", id).execute()
        })
    }))
)
