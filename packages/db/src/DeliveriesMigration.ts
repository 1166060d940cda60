/**
 * Migration `2026-11-22-0002-deliveries`: one row per (webhook subscription, outbox
 * message) — the delivery the worker attempts, retries with backoff and, after the
 * retry window, dead-letters where the API shows it. Frozen once landed.
 */
import { type Kysely, type Migration, sql } from "kysely"

export const m2026_11_22_deliveries: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("webhook_deliveries")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("subscription_id", "text", (c) => c.notNull().references("webhook_subscriptions.id"))
      .addColumn("outbox_id", "bigint", (c) => c.notNull().references("outbox.id"))
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("topic", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull())
      .addColumn("first_attempt_at", "timestamptz")
      .addColumn("last_attempt_at", "timestamptz")
      .addColumn("last_status", "integer")
      .addColumn("last_error", "text")
      .addColumn("delivered_at", "timestamptz")
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addUniqueConstraint("webhook_deliveries_once", ["subscription_id", "outbox_id"])
      .execute()
    await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db)
    await sql`create index webhook_deliveries_order on webhook_deliveries (subscription_id, key, outbox_id) where status = 'pending'`.execute(db)
    await sql`create index webhook_deliveries_list on webhook_deliveries (subscription_id, status, id)`.execute(db)
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable("webhook_deliveries").ifExists().execute()
  }
}
