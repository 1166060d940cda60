/**
 * Dated migrations in a static provider (Node 20 cannot import `.ts` files through
 * Kysely's FileMigrationProvider). A migration is frozen once it has landed: change the
 * schema with a new dated entry, never by editing an old one.
 *
 * Kysely's migrator takes a Postgres advisory lock for the whole run, so any number of
 * processes may migrate at once: one does the work, the others find nothing to do.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely"
import { m2026_11_22_deliveries } from "./DeliveriesMigration.ts"
import { m2026_12_02_event_keys } from "./EventKeysMigration.ts"
import { m2026_11_22_sweeps } from "./SweepsMigration.ts"
import { m2026_12_02_keyBinding } from "./KeyBindingMigration.ts"

const m2026_11_22_initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("agreement_versions")
      .addColumn("version", "integer", (c) => c.primaryKey())
      .addColumn("document", "jsonb", (c) => c.notNull())
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("active", "boolean", (c) => c.notNull().defaultTo(false))
      .execute()
    await sql`create unique index agreement_versions_one_active on agreement_versions (active) where active`.execute(db)

    await db.schema
      .createTable("accounts")
      .addColumn("domain", "text", (c) => c.primaryKey())
      .addColumn("name", "text")
      .addColumn("named", "boolean", (c) => c.notNull().defaultTo(false))
      .addColumn("owner_rep_id", "text")
      .addColumn("active_outbound", "boolean", (c) => c.notNull().defaultTo(false))
      .addColumn("segment", "text")
      .addColumn("updated_at", "timestamptz", (c) => c.notNull())
      .execute()

    await db.schema
      .createTable("reps")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("email", "text")
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("active", "boolean", (c) => c.notNull())
      .addColumn("data", "jsonb", (c) => c.notNull())
      .addColumn("updated_at", "timestamptz", (c) => c.notNull())
      .execute()
    await db.schema
      .createTable("rep_pods")
      .addColumn("rep_id", "text", (c) => c.notNull().references("reps.id").onDelete("cascade"))
      .addColumn("pod", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("rep_pods_pk", ["rep_id", "pod"])
      .execute()
    await db.schema.createIndex("rep_pods_by_pod").on("rep_pods").columns(["pod", "rep_id"]).execute()

    await db.schema
      .createTable("leads")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("email", "text", (c) => c.notNull().unique())
      .addColumn("account_domain", "text")
      .addColumn("stage", "text", (c) => c.notNull())
      .addColumn("owner_id", "text")
      .addColumn("queue", "text")
      .addColumn("tier", "text")
      .addColumn("score_total", "double precision")
      .addColumn("next_deadline_at", "timestamptz")
      .addColumn("last_event_at", "timestamptz")
      .addColumn("mql_at", "timestamptz")
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addColumn("updated_at", "timestamptz", (c) => c.notNull())
      .addColumn("agreement_version", "integer", (c) => c.notNull().references("agreement_versions.version"))
      .addColumn("profile", "jsonb", (c) => c.notNull())
      .addColumn("state", "jsonb", (c) => c.notNull())
      .addColumn("score", "jsonb")
      .addColumn("routing", "jsonb")
      .addColumn("assignment", "jsonb")
      .addColumn("flags", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn("enriched_at", "timestamptz")
      .execute()
    // the breach sweep: due deadlines, soonest first
    await sql`create index leads_due on leads (next_deadline_at) where next_deadline_at is not null`.execute(db)
    // the decay sweep: leads marketing holds, by last engagement
    await sql`create index leads_decay_candidates on leads (stage, last_event_at) where stage in ('inquiry', 'nurture', 'mql')`.execute(db)
    // lists and reports
    await db.schema.createIndex("leads_by_owner").on("leads").columns(["owner_id", "stage"]).execute()
    await db.schema.createIndex("leads_by_stage").on("leads").columns(["stage", "created_at"]).execute()
    await db.schema.createIndex("leads_by_account").on("leads").column("account_domain").execute()
    await db.schema.createIndex("leads_by_created").on("leads").columns(["created_at", "id"]).execute()

    await db.schema
      .createTable("lead_events")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("lead_id", "text", (c) => c.references("leads.id"))
      .addColumn("email", "text")
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("occurred_at", "timestamptz", (c) => c.notNull())
      .addColumn("properties", "jsonb", (c) => c.notNull())
      .addColumn("channel", "text")
      .addColumn("campaign", "text")
      .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .execute()
    await db.schema.createIndex("lead_events_by_lead").on("lead_events").columns(["lead_id", "occurred_at"]).execute()
    await sql`create index lead_events_pending on lead_events (email) where lead_id is null`.execute(db)

    await db.schema
      .createTable("rotation_ledger")
      .addColumn("seq", "bigserial", (c) => c.primaryKey())
      .addColumn("pod", "text", (c) => c.notNull())
      .addColumn("at", "timestamptz", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("rep_id", "text")
      .addColumn("lead_id", "text")
      .addColumn("reason", "text")
      .addColumn("members", "jsonb")
      .execute()
    await db.schema.createIndex("rotation_ledger_by_pod").on("rotation_ledger").columns(["pod", "seq"]).execute()

    await db.schema
      .createTable("assignments")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("lead_id", "text", (c) => c.notNull().references("leads.id"))
      .addColumn("rep_id", "text", (c) => c.notNull())
      .addColumn("pod", "text", (c) => c.notNull())
      .addColumn("tier", "text", (c) => c.notNull())
      .addColumn("t0", "timestamptz", (c) => c.notNull())
      .addColumn("routed_at", "timestamptz", (c) => c.notNull())
      .addColumn("accept_by", "timestamptz")
      .addColumn("first_touch_by", "timestamptz")
      .addColumn("accepted_at", "timestamptz")
      .addColumn("first_touch_at", "timestamptz")
      .addColumn("reassignments", "integer", (c) => c.notNull())
      .addColumn("agreement_version", "integer", (c) => c.notNull())
      .addUniqueConstraint("assignments_once", ["lead_id", "routed_at", "rep_id"])
      .execute()
    await db.schema.createIndex("assignments_by_rep").on("assignments").columns(["rep_id", "routed_at"]).execute()
    await db.schema.createIndex("assignments_by_time").on("assignments").column("routed_at").execute()

    await db.schema
      .createTable("activities")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("lead_id", "text", (c) => c.notNull().references("leads.id"))
      .addColumn("rep_id", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("connected", "boolean", (c) => c.notNull())
      .addColumn("occurred_at", "timestamptz", (c) => c.notNull())
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .execute()
    await db.schema.createIndex("activities_by_lead").on("activities").columns(["lead_id", "occurred_at"]).execute()

    await db.schema
      .createTable("lead_timeline")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("lead_id", "text", (c) => c.notNull().references("leads.id"))
      .addColumn("at", "timestamptz", (c) => c.notNull())
      .addColumn("stage", "text", (c) => c.notNull())
      .addColumn("from_stage", "text", (c) => c.notNull())
      .addColumn("cause", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("actor_kind", "text", (c) => c.notNull())
      .addColumn("actor_id", "text", (c) => c.notNull())
      .addColumn("agreement_version", "integer", (c) => c.notNull())
      .addColumn("explanation", "text", (c) => c.notNull())
      .addColumn("data", "jsonb")
      .execute()
    await db.schema.createIndex("lead_timeline_by_lead").on("lead_timeline").columns(["lead_id", "id"]).execute()
    await db.schema.createIndex("lead_timeline_by_time").on("lead_timeline").columns(["at", "cause"]).execute()

    await db.schema
      .createTable("opportunities")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("lead_id", "text", (c) => c.notNull().references("leads.id"))
      .addColumn("amount", "numeric(14, 2)", (c) => c.notNull())
      .addColumn("opened_at", "timestamptz", (c) => c.notNull())
      .addColumn("closed_at", "timestamptz")
      .addColumn("won", "boolean")
      .execute()
    await db.schema.createIndex("opportunities_by_lead").on("opportunities").column("lead_id").execute()

    await db.schema
      .createTable("api_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("key_hash", "text", (c) => c.notNull().unique())
      .addColumn("key_prefix", "text", (c) => c.notNull())
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addColumn("last_used_at", "timestamptz")
      .addColumn("revoked_at", "timestamptz")
      .execute()

    await db.schema
      .createTable("webhook_subscriptions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("url", "text", (c) => c.notNull())
      .addColumn("topics", "jsonb", (c) => c.notNull())
      .addColumn("format", "text", (c) => c.notNull())
      .addColumn("secret", "text", (c) => c.notNull())
      .addColumn("active", "boolean", (c) => c.notNull())
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .execute()

    await db.schema
      .createTable("outbox")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("topic", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("payload", "jsonb", (c) => c.notNull())
      .addColumn("at", "timestamptz", (c) => c.notNull())
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("dispatched_at", "timestamptz")
      .execute()
    await sql`create index outbox_pending on outbox (id) where dispatched_at is null`.execute(db)

    await db.schema
      .createTable("idempotency_keys")
      .addColumn("api_key_id", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("request_hash", "text", (c) => c.notNull())
      .addColumn("status", "integer")
      .addColumn("response", "jsonb")
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addPrimaryKeyConstraint("idempotency_keys_pk", ["api_key_id", "key"])
      .execute()

    await db.schema
      .createTable("report_snapshots")
      .addColumn("week_start", "date", (c) => c.primaryKey())
      .addColumn("generated_at", "timestamptz", (c) => c.notNull())
      .addColumn("data", "jsonb", (c) => c.notNull())
      .execute()
  },
  async down(db: Kysely<any>) {
    for (const t of [
      "report_snapshots", "idempotency_keys", "outbox", "webhook_subscriptions", "api_keys", "opportunities",
      "lead_timeline", "activities", "assignments", "rotation_ledger", "lead_events", "leads", "rep_pods", "reps",
      "accounts", "agreement_versions"
    ]) await db.schema.dropTable(t).ifExists().execute()
  }
}

/** Every migration, by dated name. Append only. */
export const migrations: Readonly<Record<string, Migration>> = {
  "2026-11-22-0001-initial": m2026_11_22_initial,
  "2026-11-22-0002-deliveries": m2026_11_22_deliveries,
  "2026-11-22-0003-sweeps": m2026_11_22_sweeps,
  "2026-12-02-0001-event-keys": m2026_12_02_event_keys,
  "2026-12-02-0002-key-binding": m2026_12_02_keyBinding
}

const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) }

/**
 * The migrator. With a `schema` (Postgres tests give each file one), Kysely's bookkeeping
 * tables live in that schema too — otherwise it would find another schema's tables and
 * skip creating its own.
 */
export const migrator = (db: Kysely<any>, schema?: string) =>
  new Migrator({ db, provider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) })

/** Run every pending migration; returns the names applied now. Throws on failure. */
export const migrateToLatest = async (db: Kysely<any>, schema?: string): Promise<ReadonlyArray<string>> => {
  const { error, results } = await migrator(db, schema).migrateToLatest()
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName)
}
