/**
 * What the HTTP edge keeps in the store beside the domain: API keys (hashed, with a
 * role) and idempotency keys (a retried POST gets the first response back). Both run on
 * the unit's transaction when there is one, like every port.
 */
import { Context, Effect, Option } from "effect"
import { sql } from "kysely"
import type { Executor } from "./Store.ts"

export type ApiRole = "ingest" | "sales" | "admin" | "read"

export interface ApiKeyRecord {
  readonly id: string
  readonly name: string
  readonly role: ApiRole
  readonly prefix: string
  /** The rep a sales key is bound to: it acts only as that rep. Absent: unbound. */
  readonly repId?: string
  readonly createdAt: Date
  readonly lastUsedAt?: Date
  readonly revokedAt?: Date
}

export class ApiKeyStore extends Context.Tag("@handoff/db/ApiKeyStore")<ApiKeyStore, {
  readonly create: (key: { readonly id: string; readonly name: string; readonly role: ApiRole; readonly hash: string; readonly prefix: string; readonly repId?: string; readonly at: Date }) => Effect.Effect<ApiKeyRecord>
  /** The live (not revoked) key with this hash. */
  readonly findByHash: (hash: string) => Effect.Effect<Option.Option<ApiKeyRecord>>
  readonly list: () => Effect.Effect<ReadonlyArray<ApiKeyRecord>>
  readonly revoke: (id: string, at: Date) => Effect.Effect<boolean>
  readonly countLive: (role?: ApiRole) => Effect.Effect<number>
}>() {}

export type IdempotencyClaim =
  | { readonly _tag: "New" }
  | { readonly _tag: "Replay"; readonly status: number; readonly response: unknown }
  | { readonly _tag: "InProgress" }
  | { readonly _tag: "Mismatch" }

export class IdempotencyStore extends Context.Tag("@handoff/db/IdempotencyStore")<IdempotencyStore, {
  /**
   * Claim `key` for this API key and request. Inside a unit the claim is held until the unit
   * ends, so a concurrent retry waits and then sees the stored response.
   */
  readonly claim: (apiKeyId: string, key: string, requestHash: string, at: Date) => Effect.Effect<IdempotencyClaim>
  readonly complete: (apiKeyId: string, key: string, status: number, response: unknown) => Effect.Effect<void>
}>() {}

export interface LeadListFilter {
  readonly stage?: string
  readonly tier?: string
  readonly ownerId?: string
  /** Leads whose SLA is breached: a deadline passed unmet, or a breach already recorded. */
  readonly breached?: boolean
  readonly now: Date
  /** Continue after this position (from the previous page's `nextCursor`). */
  readonly after?: { readonly createdAt: Date; readonly id: string }
  readonly limit: number
}

export class LeadQueries extends Context.Tag("@handoff/db/LeadQueries")<LeadQueries, {
  /** Lead ids, newest first, one page. */
  readonly list: (filter: LeadListFilter) => Effect.Effect<ReadonlyArray<{ readonly id: string; readonly createdAt: Date }>>
}>() {}

type Row = { id: string; name: string; role: string; key_prefix: string; rep_id: string | null; created_at: Date | string; last_used_at: Date | string | null; revoked_at: Date | string | null }

const keyFromRow = (r: Row): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  role: r.role as ApiRole,
  prefix: r.key_prefix,
  ...(r.rep_id === null ? {} : { repId: r.rep_id }),
  createdAt: new Date(r.created_at),
  ...(r.last_used_at === null ? {} : { lastUsedAt: new Date(r.last_used_at) }),
  ...(r.revoked_at === null ? {} : { revokedAt: new Date(r.revoked_at) })
})

export const makeEdgeStores = (q: <A>(f: (db: Executor, inTransaction: boolean) => Promise<A>) => Effect.Effect<A>) => {
  const apiKeys = ApiKeyStore.of({
    create: (k) =>
      q(async (db) => {
        await db.insertInto("api_keys").values({ id: k.id, name: k.name, role: k.role, key_hash: k.hash, key_prefix: k.prefix, rep_id: k.repId ?? null, created_at: k.at, last_used_at: null, revoked_at: null }).execute()
        return { id: k.id, name: k.name, role: k.role, prefix: k.prefix, ...(k.repId === undefined ? {} : { repId: k.repId }), createdAt: k.at }
      }),
    findByHash: (hash) =>
      q(async (db) => {
        const row = await db.selectFrom("api_keys").selectAll().where("key_hash", "=", hash).where("revoked_at", "is", null).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(keyFromRow(row))
      }),
    list: () => q(async (db) => (await db.selectFrom("api_keys").selectAll().orderBy("created_at").execute()).map(keyFromRow)),
    revoke: (id, at) =>
      q(async (db) => {
        const r = await db.updateTable("api_keys").set({ revoked_at: at }).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst()
        return Number(r.numUpdatedRows) > 0
      }),
    countLive: (role) =>
      q(async (db) => {
        let query = db.selectFrom("api_keys").select(sql<number>`count(*)::int`.as("n")).where("revoked_at", "is", null)
        if (role !== undefined) query = query.where("role", "=", role)
        return Number((await query.executeTakeFirstOrThrow()).n)
      })
  })

  const idempotency = IdempotencyStore.of({
    claim: (apiKeyId, key, requestHash, at) =>
      q(async (db) => {
        const inserted = await db.insertInto("idempotency_keys").values({ api_key_id: apiKeyId, key, request_hash: requestHash, status: null, response: null, created_at: at })
          .onConflict((oc) => oc.columns(["api_key_id", "key"]).doNothing()).returning("key").executeTakeFirst()
        if (inserted !== undefined) return { _tag: "New" } as const
        const row = await db.selectFrom("idempotency_keys").selectAll().where("api_key_id", "=", apiKeyId).where("key", "=", key).executeTakeFirstOrThrow()
        if (row.request_hash !== requestHash) return { _tag: "Mismatch" } as const
        if (row.status === null) return { _tag: "InProgress" } as const
        return { _tag: "Replay", status: row.status, response: row.response } as const
      }),
    complete: (apiKeyId, key, status, response) =>
      q(async (db) => {
        await db.updateTable("idempotency_keys").set({ status, response: JSON.stringify(response) }).where("api_key_id", "=", apiKeyId).where("key", "=", key).execute()
      })
  })
  const leadQueries = LeadQueries.of({
    list: (f) =>
      q(async (db) => {
        let query = db.selectFrom("leads").select(["id", "created_at"])
        if (f.stage !== undefined) query = query.where("stage", "=", f.stage)
        if (f.tier !== undefined) query = query.where("tier", "=", f.tier)
        if (f.ownerId !== undefined) query = query.where("owner_id", "=", f.ownerId)
        if (f.breached !== undefined) {
          const breached = sql<boolean>`(next_deadline_at <= ${f.now} or flags::text like '%sla_missed%')`
          query = query.where(f.breached ? breached : sql<boolean>`not ${breached}`)
        }
        if (f.after !== undefined) query = query.where(sql<boolean>`(created_at, id) < (${f.after.createdAt}, ${f.after.id})`)
        const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(f.limit).execute()
        return rows.map((r) => ({ id: r.id, createdAt: new Date(r.created_at) }))
      })
  })
  return { apiKeys, idempotency, leadQueries }
}
