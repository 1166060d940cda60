/**
 * Account reads the admin API needs beyond the domain's `AccountDirectory`: which of a
 * batch of domains are already known (a bulk import reports created vs updated), and the
 * account list. Runs on the current unit's transaction.
 */
import type { Account } from "@handoff/domain"
import { Context, Effect, Layer } from "effect"
import { accountFromRow, SqlRunner } from "./Store.ts"

export class AccountQueries extends Context.Tag("@handoff/db/AccountQueries")<AccountQueries, {
  /** The domains among these that have an account already. */
  readonly existing: (domains: ReadonlyArray<string>) => Effect.Effect<ReadonlySet<string>>
  /** Accounts by domain, one page after `afterDomain`. */
  readonly list: (options: { readonly afterDomain?: string; readonly limit: number }) => Effect.Effect<ReadonlyArray<Account>>
}>() {}


/** `AccountQueries` on the store. Needs `SqlRunner` (from `storeLayer`). */
export const AccountQueriesLive = Layer.effect(
  AccountQueries,
  Effect.map(SqlRunner, ({ q }) =>
    AccountQueries.of({
      existing: (domains) =>
        q(async (db) => {
          const found = new Set<string>()
          const unique = [...new Set(domains)]
          // in chunks: a bulk import can name thousands of domains
          for (let i = 0; i < unique.length; i += 1000) {
            const rows = await db.selectFrom("accounts").select("domain").where("domain", "in", unique.slice(i, i + 1000)).execute()
            for (const r of rows) found.add(r.domain)
          }
          return found
        }),
      list: ({ afterDomain, limit }) =>
        q(async (db) => {
          let query = db.selectFrom("accounts").selectAll()
          if (afterDomain !== undefined) query = query.where("domain", ">", afterDomain)
          const rows = await query.orderBy("domain").limit(limit).execute()
          return rows.map(accountFromRow)
        })
    }))
)
