/**
 * Migration `2026-12-02-0001-event-keys`: each event is stored once. `dedupe_key` is the
 * event's identity (the sender's id, or its content as sent: see `eventIdentity` in the
 * domain); a unique index over its md5 (the identity itself may be long) makes a resent
 * event a no-op (`on conflict do nothing`), pending events included. Events stored before
 * this have no key and stay as they are. Frozen once landed.
 */
import { type Kysely, type Migration, sql } from "kysely"

export const m2026_12_02_event_keys: Migration = {
  async up(db: Kysely<any>) {
    await sql`alter table lead_events add column if not exists dedupe_key text`.execute(db)
    await sql`create unique index if not exists lead_events_dedupe on lead_events (md5(dedupe_key)) where dedupe_key is not null`.execute(db)
  }
}
