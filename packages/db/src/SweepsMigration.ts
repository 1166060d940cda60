/**
 * Migration `2026-11-22-0003-sweeps`: the keys the worker's sweeps claim by, each with a
 * partial index so a sweep finds its due leads without scanning the table.
 *
 * - `rescore_at`: when the score of a lead marketing holds (or a queued MQL) can next
 *   change by itself (decay step, count or hand-raise window) — the decay sweep;
 * - `reevaluate_at`: when a recycled lead's hold ends — the re-evaluation sweep;
 * - `sales_touched_at`: the later of assignment and last sales activity of a lead sales
 *   holds — the inactivity sweep;
 * - `cadence_check_at`: when the SLA sweep looks at the lead's cadence again (a wake-up,
 *   not a deadline: `next_deadline_at` keeps meaning "an SLA deadline", for reports), and
 *   `sla_sweep_at`, generated as the earlier of the two — the SLA sweep's key.
 *
 * Existing rows are backfilled from their stored state; leads marketing holds are due for
 * one re-score at once (which computes their real `rescore_at`). Frozen once landed.
 */
import { type Kysely, type Migration, sql } from "kysely"

export const m2026_11_22_sweeps: Migration = {
  async up(db: Kysely<any>) {
    await sql`alter table leads add column if not exists rescore_at timestamptz, add column if not exists reevaluate_at timestamptz,
              add column if not exists sales_touched_at timestamptz, add column if not exists cadence_check_at timestamptz`.execute(db)
    await sql`alter table leads add column if not exists sla_sweep_at timestamptz generated always as (least(next_deadline_at, cadence_check_at)) stored`.execute(db)
    await sql`create index if not exists leads_sla_sweep on leads (sla_sweep_at) where sla_sweep_at is not null`.execute(db)
    await sql`create index if not exists leads_rescore on leads (rescore_at) where (stage in ('inquiry', 'nurture') or (stage = 'mql' and owner_id is null))`.execute(db)
    await sql`create index if not exists leads_reevaluate on leads (reevaluate_at) where reevaluate_at is not null`.execute(db)
    await sql`create index if not exists leads_sales_touched on leads (sales_touched_at) where sales_touched_at is not null`.execute(db)
    await sql`update leads set rescore_at = now() where stage in ('inquiry', 'nurture') or (stage = 'mql' and owner_id is null)`.execute(db)
    await sql`update leads set reevaluate_at = (state->'recycle'->>'reevaluateAt')::timestamptz
              where stage = 'nurture' and state->'recycle'->>'reevaluateAt' is not null`.execute(db)
    await sql`update leads set sales_touched_at = greatest((state->>'assignedAt')::timestamptz, (state->>'lastActivityAt')::timestamptz)
              where stage in ('mql', 'sal', 'sql') and owner_id is not null and state->>'assignedAt' is not null`.execute(db)
  },
  async down(db: Kysely<any>) {
    await sql`drop index if exists leads_rescore`.execute(db)
    await sql`drop index if exists leads_reevaluate`.execute(db)
    await sql`drop index if exists leads_sales_touched`.execute(db)
    await sql`drop index if exists leads_sla_sweep`.execute(db)
    await sql`alter table leads drop column if exists sla_sweep_at`.execute(db)
    await sql`alter table leads drop column if exists rescore_at, drop column if exists reevaluate_at, drop column if exists sales_touched_at, drop column if exists cadence_check_at`.execute(db)
  }
}
