/**
 * Webhook subscriptions: who wants which outbox topics (`lead.mql`, `lead.routed`,
 * `sla.breached`, ...), where, in which format (`json` or a Slack incoming webhook), and
 * the secret their deliveries are signed with (HMAC-SHA256). The secret is kept in clear
 * because signing needs it; it is returned once, when the subscription is created, and
 * never listed. Removing a subscription deactivates it (delivery history can still point
 * at it). Runs on the current unit's transaction.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlRunner } from "./Store.ts"

export type WebhookFormat = "json" | "slack"

export interface WebhookSubscription {
  readonly id: string
  readonly url: string
  readonly topics: ReadonlyArray<string>
  readonly format: WebhookFormat
  readonly active: boolean
  readonly createdAt: Date
}

export class WebhookStore extends Context.Tag("@handoff/db/WebhookStore")<WebhookStore, {
  readonly create: (s: WebhookSubscription & { readonly secret: string }) => Effect.Effect<WebhookSubscription>
  /** Subscriptions, oldest first; only the active ones unless `includeInactive`. Never the secrets. */
  readonly list: (options?: { readonly includeInactive?: boolean }) => Effect.Effect<ReadonlyArray<WebhookSubscription>>
  readonly get: (id: string) => Effect.Effect<Option.Option<WebhookSubscription>>
  /** Deactivate a subscription; false when it is unknown or already inactive. */
  readonly deactivate: (id: string) => Effect.Effect<boolean>
}>() {}

type Row = { id: string; url: string; topics: unknown; format: string; active: boolean; created_at: Date | string }

const fromRow = (r: Row): WebhookSubscription => ({
  id: r.id,
  url: r.url,
  topics: (typeof r.topics === "string" ? JSON.parse(r.topics) : r.topics) as ReadonlyArray<string>,
  format: r.format as WebhookFormat,
  active: r.active,
  createdAt: new Date(r.created_at)
})

const publicColumns = ["id", "url", "topics", "format", "active", "created_at"] as const

/** `WebhookStore` on the store. Needs `SqlRunner` (from `storeLayer`). */
export const WebhookStoreLive = Layer.effect(
  WebhookStore,
  Effect.map(SqlRunner, ({ q }) =>
    WebhookStore.of({
      create: (s) =>
        q(async (db) => {
          await db.insertInto("webhook_subscriptions").values({
            id: s.id,
            url: s.url,
            topics: JSON.stringify(s.topics),
            format: s.format,
            secret: s.secret,
            active: s.active,
            created_at: s.createdAt
          }).execute()
          return { id: s.id, url: s.url, topics: s.topics, format: s.format, active: s.active, createdAt: s.createdAt }
        }),
      list: (options = {}) =>
        q(async (db) => {
          let query = db.selectFrom("webhook_subscriptions").select(publicColumns)
          if (options.includeInactive !== true) query = query.where("active", "=", true)
          return (await query.orderBy("created_at").orderBy("id").execute()).map((r) => fromRow(r))
        }),
      get: (id) =>
        q(async (db) => {
          const row = await db.selectFrom("webhook_subscriptions").select(publicColumns).where("id", "=", id).executeTakeFirst()
          return row === undefined ? Option.none() : Option.some(fromRow(row))
        }),
      deactivate: (id) =>
        q(async (db) => {
          const r = await db.updateTable("webhook_subscriptions").set({ active: false }).where("id", "=", id).where("active", "=", true).executeTakeFirst()
          return Number(r.numUpdatedRows) > 0
        })
    }))
)
