/**
 * The history a what-if replay reads (`POST /v1/agreement/simulate`): every lead created
 * in a period with its profile, its events up to the period's end and what really
 * happened to it — the stages it reached, its first owner, when it left sales and the
 * amount it won. Read-only; runs on the current unit's connection.
 */
import { type Account, type HistoricalLead, LeadProfile, type StageTimes, type WaterfallStage } from "@handoff/domain"
import { Context, Effect, Layer, Schema } from "effect"
import { sql } from "kysely"
import { accountFromRow, eventFromRow, SqlRunner } from "./Store.ts"

export interface SimulationHistory {
  /** Leads created in the period (at most `limit`; `total` says how many there are). */
  readonly leads: ReadonlyArray<HistoricalLead>
  readonly total: number
  readonly accounts: ReadonlyMap<string, Account>
}

export class SimulationQueries extends Context.Tag("@handoff/db/SimulationQueries")<SimulationQueries, {
  /** The period's leads and their history; when more than `limit` leads, none are read (`total` tells). */
  readonly history: (period: { readonly from: Date; readonly to: Date }, limit: number) => Effect.Effect<SimulationHistory>
}>() {}

const decodeProfile = Schema.decodeUnknownSync(LeadProfile)

const date = (v: unknown): Date | undefined => (v === null || v === undefined ? undefined : v instanceof Date ? v : new Date(String(v)))

type HistoryRow = {
  id: string
  email: string
  profile: unknown
  account_domain: string | null
  created_at: unknown
  enriched_at: unknown
  tier: string | null
  rep_id: string | null
  pod: string | null
  routed_tier: string | null
  mql_at: unknown
  sal_at: unknown
  sql_at: unknown
  opp_at: unknown
  won_at: unknown
  ended_at: unknown
  won_amount: string | number | null
}

/** `SimulationQueries` on the store. Needs `SqlRunner` (from `storeLayer`). */
export const SimulationQueriesLive = Layer.effect(
  SimulationQueries,
  Effect.map(SqlRunner, ({ q }) =>
    SimulationQueries.of({
      history: (period, limit) =>
        q(async (db) => {
          const { from, to } = period
          const inPeriod = sql`select id from leads where created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz`
          const counted = await sql<{ n: number }>`select count(*)::int as n from leads where created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz`.execute(db)
          const total = Number(counted.rows[0]?.n ?? 0)
          if (total > limit) return { leads: [], total, accounts: new Map() }

          const { rows } = await sql<HistoryRow>`
            with first_assignment as (
              select distinct on (a.lead_id) a.lead_id, a.rep_id, a.pod, a.tier, a.routed_at
                from assignments a
               where a.lead_id in (${inPeriod})
               order by a.lead_id, a.routed_at, a.id
            )
            select l.id, l.email, l.profile, l.account_domain, l.created_at, l.enriched_at, l.tier,
                   fa.rep_id, fa.pod, fa.tier as routed_tier,
                   min(t.at) filter (where t.cause = 'MarkMql') as mql_at,
                   min(t.at) filter (where t.cause = 'Accept') as sal_at,
                   min(t.at) filter (where t.cause = 'Qualify') as sql_at,
                   least(min(t.at) filter (where t.cause = 'OpenOpportunity'),
                         (select min(o.opened_at) from opportunities o where o.lead_id = l.id)) as opp_at,
                   least(min(t.at) filter (where t.cause = 'CloseWon'),
                         (select min(o.closed_at) from opportunities o where o.lead_id = l.id and o.won)) as won_at,
                   min(t.at) filter (where t.stage in ('nurture', 'rejected', 'lost', 'won', 'merged') and t.at > fa.routed_at) as ended_at,
                   (select sum(o.amount) from opportunities o where o.lead_id = l.id and o.won) as won_amount
              from leads l
              left join first_assignment fa on fa.lead_id = l.id
              left join lead_timeline t on t.lead_id = l.id
             where l.id in (${inPeriod})
             group by l.id, fa.rep_id, fa.pod, fa.tier, fa.routed_at
             order by l.created_at, l.id`.execute(db)

          const events = await sql<{ lead_id: string; type: string; occurred_at: unknown; properties: unknown; channel: string | null; campaign: string | null }>`
            select lead_id, type, occurred_at, properties, channel, campaign
              from lead_events
             where lead_id in (${inPeriod}) and occurred_at < ${to}::timestamptz
             order by lead_id, occurred_at, id`.execute(db)
          const byLead = new Map<string, Array<ReturnType<typeof eventFromRow>>>()
          for (const e of events.rows) {
            const list = byLead.get(e.lead_id) ?? []
            list.push(eventFromRow(e))
            byLead.set(e.lead_id, list)
          }

          const accountRows = await db.selectFrom("accounts").selectAll()
            .where("domain", "in", sql<string>`(select account_domain from leads where created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz and account_domain is not null)`)
            .execute()
          const accounts = new Map(accountRows.map((r) => [r.domain, accountFromRow(r)] as const))

          const leads = rows.map((r): HistoricalLead => {
            const reachedAt: Partial<Record<WaterfallStage, Date>> = {}
            const put = (stage: WaterfallStage, v: unknown) => {
              const d = date(v)
              if (d !== undefined) reachedAt[stage] = d
            }
            put("inquiry", r.created_at)
            put("mql", r.mql_at)
            put("sal", r.sal_at)
            put("sql", r.sql_at)
            put("opportunity", r.opp_at)
            put("won", r.won_at)
            const enrichedAt = date(r.enriched_at)
            const endedAt = date(r.ended_at)
            const tier = r.routed_tier ?? r.tier
            return {
              id: r.id,
              email: r.email,
              profile: decodeProfile(r.profile),
              ...(r.account_domain === null ? {} : { accountDomain: r.account_domain }),
              createdAt: date(r.created_at)!,
              ...(enrichedAt === undefined ? {} : { enrichedAt }),
              events: byLead.get(r.id) ?? [],
              actual: {
                reachedAt: reachedAt as StageTimes,
                ...(tier === null ? {} : { tier }),
                // a queued handoff's assignment has no rep (rep_id '')
                ...(r.rep_id === null || r.rep_id === "" ? {} : { repId: r.rep_id }),
                ...(r.pod === null ? {} : { pod: r.pod }),
                ...(endedAt === undefined ? {} : { endedAt }),
                ...(r.won_amount === null ? {} : { wonAmount: Number(r.won_amount) })
              }
            }
          })
          return { leads, total, accounts }
        })
    })
  )
)
