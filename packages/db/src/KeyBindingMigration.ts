/**
 * Migration `2026-12-02-0002-key-binding`: least-privilege API keys.
 *
 * - `api_keys.rep_id`: a sales key bound to one rep acts only as that rep (null: unbound,
 *   e.g. a CRM integration that acts for every rep);
 * - `lead_timeline.actor_key_id`: the API key that made each entry, beside its actor (the
 *   rep a sales key acted as, or the key itself); null for the system's own entries and for
 *   entries written before this migration.
 *
 * Both columns are nullable, so existing rows stay valid as they are. Frozen once landed.
 */
import { type Kysely, type Migration, sql } from "kysely"

export const m2026_12_02_keyBinding: Migration = {
  async up(db: Kysely<any>) {
    await sql`alter table api_keys add column if not exists rep_id text`.execute(db)
    await sql`alter table lead_timeline add column if not exists actor_key_id text`.execute(db)
  },
  async down(db: Kysely<any>) {
    await sql`alter table lead_timeline drop column if exists actor_key_id`.execute(db)
    await sql`alter table api_keys drop column if exists rep_id`.execute(db)
  }
}
