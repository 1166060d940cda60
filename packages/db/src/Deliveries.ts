/**
 * Webhook deliveries: the outbox fanned out to the subscriptions whose topics match, then
 * claimed, attempted, retried and dead-lettered by the worker. Every step is a short
 * transaction that claims with `FOR UPDATE SKIP LOCKED`, so any number of workers share
 * the work; the HTTP call itself happens outside any transaction, under a lease (the claim
 * pushes `next_attempt_at` forward first), so a worker that dies mid-call leaves a
 * delivery that is simply attempted again — never lost. Per subscription, messages about
 * one lead (the outbox `key`) go out in order: a later one waits while an earlier one is
 * still pending (a dead letter no longer holds the line).
 */
import { Context, Effect, Layer, Option } from "effect"
import { sql } from "kysely"
import { Transactor } from "@handoff/domain"
import { SqlRunner } from "./Store.ts"

export type DeliveryStatus = "pending" | "delivered" | "dead"

/** A delivery as ops see it through the API. */
export interface DeliveryRecord {
  readonly id: string
  readonly subscriptionId: string
  readonly outboxId: string
  readonly topic: string
  readonly key: string
  readonly status: DeliveryStatus
  readonly attempts: number
  readonly nextAttemptAt: Date | null
  readonly firstAttemptAt: Date | null
  readonly lastAttemptAt: Date | null
  readonly lastStatus: number | null
  readonly lastError: string | null
  readonly deliveredAt: Date | null
  readonly createdAt: Date
}

/** A claimed delivery with what the call needs. */
export interface ClaimedDelivery {
  readonly id: string
  readonly subscriptionId: string
  readonly outboxId: string
  readonly topic: string
  readonly key: string
  readonly attempts: number
  readonly firstAttemptAt: Date
  readonly url: string
  readonly secret: string
  readonly format: "json" | "slack"
  readonly payload: Record<string, unknown>
  readonly at: Date
}

export interface ClaimBounds {
  readonly perSubscription: number
  /** Attempts in flight per subscription id. */
  readonly busy: ReadonlyMap<string, number>
}

export class DeliveryQueries extends Context.Tag("@handoff/db/DeliveryQueries")<DeliveryQueries, {
  /** Fan up to `limit` undispatched outbox messages out to the matching active subscriptions; returns the deliveries created and messages dispatched. */
  readonly fanOut: (now: Date, limit: number) => Effect.Effect<{ readonly deliveries: number; readonly messages: number }>
  /**
   * Claim up to `limit` due deliveries (in order per subscription and lead) for `leaseMs`;
   * with `bounds`, at most `perSubscription` per subscription, counting the ones in `busy`
   * (attempts this worker already has in flight), so one slow receiver's backlog cannot take
   * every slot.
   */
  readonly claim: (now: Date, limit: number, leaseMs: number, bounds?: ClaimBounds) => Effect.Effect<ReadonlyArray<ClaimedDelivery>>
  readonly delivered: (id: string, at: Date, status: number) => Effect.Effect<void>
  /** A failed attempt: retry at `retryAt`, or dead-letter when it is null. */
  readonly failed: (id: string, at: Date, outcome: { readonly status: number | null; readonly error: string; readonly retryAt: Date | null }) => Effect.Effect<void>
  readonly list: (subscriptionId: string, filter: { readonly status?: DeliveryStatus; readonly afterId?: string; readonly limit: number }) => Effect.Effect<ReadonlyArray<DeliveryRecord>>
  /** Put a dead letter back in line (a fresh retry window); false when it is not a dead letter of this subscription. */
  readonly retry: (subscriptionId: string, id: string, now: Date) => Effect.Effect<Option.Option<DeliveryRecord>>
}>() {}

type Row = {
  id: string | number
  subscription_id: string
  outbox_id: string | number
  topic: string
  key: string
  status: string
  attempts: number
  next_attempt_at: Date | string | null
  first_attempt_at: Date | string | null
  last_attempt_at: Date | string | null
  last_status: number | null
  last_error: string | null
  delivered_at: Date | string | null
  created_at: Date | string
}

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v))

const recordOf = (r: Row): DeliveryRecord => ({
  id: String(r.id),
  subscriptionId: r.subscription_id,
  outboxId: String(r.outbox_id),
  topic: r.topic,
  key: r.key,
  status: r.status as DeliveryStatus,
  attempts: r.attempts,
  nextAttemptAt: r.status === "pending" ? date(r.next_attempt_at) : null,
  firstAttemptAt: date(r.first_attempt_at),
  lastAttemptAt: date(r.last_attempt_at),
  lastStatus: r.last_status,
  lastError: r.last_error,
  deliveredAt: date(r.delivered_at),
  createdAt: new Date(r.created_at)
})

const matches = (topics: ReadonlyArray<string>, topic: string): boolean =>
  topics.some((t) => t === "*" || t === topic || (t.endsWith(".*") && topic.startsWith(t.slice(0, -1))))

/** `DeliveryQueries` on the store. Needs `SqlRunner` and `Transactor` (from `storeLayer`). */
export const DeliveryQueriesLive = Layer.effect(
  DeliveryQueries,
  Effect.gen(function*() {
    const { q } = yield* SqlRunner
    const tx = yield* Transactor
    return DeliveryQueries.of({
      fanOut: (now, limit) =>
        tx.transaction(q(async (db) => {
          const rows = await db.selectFrom("outbox").select(["id", "topic", "key"]).where("dispatched_at", "is", null)
            .orderBy("id").limit(limit).forUpdate().skipLocked().execute()
          if (rows.length === 0) return { deliveries: 0, messages: 0 }
          const subs = await db.selectFrom("webhook_subscriptions").select(["id", "topics"]).where("active", "=", true).execute()
          const values = rows.flatMap((m) =>
            subs.filter((s) => matches((typeof s.topics === "string" ? JSON.parse(s.topics) : s.topics) as ReadonlyArray<string>, m.topic)).map((s) => ({
              subscription_id: s.id,
              outbox_id: String(m.id),
              key: m.key,
              topic: m.topic,
              status: "pending",
              next_attempt_at: now,
              created_at: now
            })))
          if (values.length > 0) {
            await db.insertInto("webhook_deliveries").values(values).onConflict((oc) => oc.columns(["subscription_id", "outbox_id"]).doNothing()).execute()
          }
          // every message is marked, matched or not: it stays in the outbox table either way
          await db.updateTable("outbox").set({ dispatched_at: now }).where(sql<boolean>`id in (${sql.join(rows.map((r) => String(r.id)))})`).execute()
          return { deliveries: values.length, messages: rows.length }
        })),
      claim: (now, limit, leaseMs, bounds) =>
        tx.transaction(q(async (db) => {
          const due = sql`d.status = 'pending' and d.next_attempt_at <= ${now}::timestamptz
               and not exists (
                 select 1 from webhook_deliveries e
                  where e.subscription_id = d.subscription_id and e.key = d.key
                    and e.status = 'pending' and e.outbox_id < d.outbox_id)`
          const busy = [...(bounds?.busy ?? new Map<string, number>()).entries()].filter(([, n]) => n > 0)
          const { rows } = bounds === undefined
            ? await sql<{ id: string }>`
            select d.id from webhook_deliveries d
             where ${due}
             order by d.next_attempt_at, d.id
             limit ${limit}
             for update of d skip locked`.execute(db)
            // rank each subscription's due deliveries, and take only as many as it has free slots
            : await sql<{ id: string }>`
            with ranked as (
              select d.id, row_number() over (partition by d.subscription_id order by d.next_attempt_at, d.id) as rn
                from webhook_deliveries d
               where ${due}
            )
            select d.id from webhook_deliveries d
              join ranked r on r.id = d.id
              ${busy.length === 0 ? sql`` : sql`left join (values ${sql.join(busy.map(([id, n]) => sql`(${id}::text, ${n}::int)`))}) as busy(subscription_id, n) on busy.subscription_id = d.subscription_id`}
             where r.rn <= ${bounds.perSubscription}::int ${busy.length === 0 ? sql`` : sql`- coalesce(busy.n, 0)`}
               and d.status = 'pending' and d.next_attempt_at <= ${now}::timestamptz
             order by d.next_attempt_at, d.id
             limit ${limit}
             for update of d skip locked`.execute(db)
          if (rows.length === 0) return []
          const ids = rows.map((r) => String(r.id))
          const lease = new Date(now.getTime() + leaseMs)
          await db.updateTable("webhook_deliveries")
            .set({ next_attempt_at: lease, attempts: sql`attempts + 1`, first_attempt_at: sql`coalesce(first_attempt_at, ${now}::timestamptz)`, last_attempt_at: now })
            .where(sql<boolean>`id in (${sql.join(ids)})`).execute()
          const claimed = await db.selectFrom("webhook_deliveries as d")
            .innerJoin("webhook_subscriptions as s", "s.id", "d.subscription_id")
            .innerJoin("outbox as o", "o.id", "d.outbox_id")
            .select(["d.id", "d.subscription_id", "d.outbox_id", "d.topic", "d.key", "d.attempts", "d.first_attempt_at", "s.url", "s.secret", "s.format", "o.payload", "o.at"])
            .where(sql<boolean>`d.id in (${sql.join(ids)})`)
            .orderBy("d.outbox_id")
            .execute()
          return claimed.map((r): ClaimedDelivery => ({
            id: String(r.id),
            subscriptionId: r.subscription_id,
            outboxId: String(r.outbox_id),
            topic: r.topic,
            key: r.key,
            attempts: r.attempts,
            firstAttemptAt: new Date(r.first_attempt_at as Date),
            url: r.url,
            secret: r.secret,
            format: r.format === "slack" ? "slack" : "json",
            payload: (typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
            at: new Date(r.at as Date)
          }))
        })),
      delivered: (id, at, status) =>
        q(async (db) => {
          await db.updateTable("webhook_deliveries").set({ status: "delivered", delivered_at: at, last_status: status, last_error: null })
            .where(sql<boolean>`id = ${id}`).where("status", "=", "pending").execute()
        }),
      failed: (id, at, outcome) =>
        q(async (db) => {
          await db.updateTable("webhook_deliveries")
            .set(outcome.retryAt === null
              ? { status: "dead", last_status: outcome.status, last_error: outcome.error.slice(0, 1000), last_attempt_at: at }
              : { next_attempt_at: outcome.retryAt, last_status: outcome.status, last_error: outcome.error.slice(0, 1000), last_attempt_at: at })
            .where(sql<boolean>`id = ${id}`).where("status", "=", "pending").execute()
        }),
      list: (subscriptionId, filter) =>
        q(async (db) => {
          let query = db.selectFrom("webhook_deliveries").selectAll().where("subscription_id", "=", subscriptionId)
          if (filter.status !== undefined) query = query.where("status", "=", filter.status)
          if (filter.afterId !== undefined) query = query.where(sql<boolean>`id > ${filter.afterId}`)
          return (await query.orderBy("id").limit(filter.limit).execute()).map((r) => recordOf(r as unknown as Row))
        }),
      retry: (subscriptionId, id, now) =>
        q(async (db) => {
          const row = await db.updateTable("webhook_deliveries")
            .set({ status: "pending", next_attempt_at: now, first_attempt_at: null })
            .where(sql<boolean>`id = ${id}`).where("subscription_id", "=", subscriptionId).where("status", "=", "dead")
            .returningAll().executeTakeFirst()
          return row === undefined ? Option.none() : Option.some(recordOf(row as unknown as Row))
        })
    })
  })
)
