/**
 * Concurrency and crash safety on the real PostgreSQL server: several "workers" (each with
 * its own connection pool, as separate processes would have) on one database.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer, ManagedRuntime, TestClock, TestContext } from "effect"
import { Handoff, HandoffLive, Outbox } from "@handoff/domain"
import { sql } from "kysely"
import pg from "pg"
import { Db, openDatabase } from "../src/Database.ts"
import { migrations } from "../src/migrations.ts"
import { makeStore, storeLayer } from "../src/Store.ts"
import { openPostgres, postgresAvailable, postgresUrl, type TestStore } from "./engines.ts"
import { api, handoffOn, hot, seed, tuesday10am } from "./fixtures.ts"

const atTuesday = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(tuesday10am.getTime())
    return yield* self
  }).pipe(Effect.provide(TestContext.TestContext))

describe.skipIf(!postgresAvailable)("on real Postgres, under concurrency", () => {
  let db: TestStore
  let runtime: ManagedRuntime.ManagedRuntime<any, never>
  const run = <A, E>(self: Effect.Effect<A, E, any>) => runtime.runPromise(atTuesday(self) as Effect.Effect<A, E, never>)

  beforeAll(async () => {
    db = await openPostgres({ poolSize: 20 })
    runtime = ManagedRuntime.make(handoffOn(db) as Layer.Layer<any, never, never>)
    await run(seed())
  })
  afterAll(async () => {
    await runtime?.dispose()
    await db?.close()
  })

  it("50 concurrent ingests of one email: exactly one lead, and every event kept", async () => {
    const outcomes = await run(Effect.gen(function*() {
      const handoff = yield* Handoff
      return yield* Effect.all(
        Array.from({ length: 50 }, (_, i) => handoff.ingest({ profile: { email: i % 2 ? "Same.Person@Acme.com" : "same.person@acme.com", title: "Analyst", employees: 300 }, intent: "content_download", properties: { n: i } }, api)),
        { concurrency: "unbounded" }
      )
    }))
    const leads = await db.kysely.selectFrom("leads").select("id").where("email", "=", "same.person@acme.com").execute()
    expect(leads).toHaveLength(1)
    expect(outcomes.filter((o) => o.created)).toHaveLength(1)
    expect(new Set(outcomes.map((o) => o.lead.id))).toEqual(new Set([leads[0]!.id]))
    const events = await db.kysely.selectFrom("lead_events").select(sql<number>`count(*)::int`.as("n")).where("lead_id", "=", leads[0]!.id).executeTakeFirstOrThrow()
    expect(events.n).toBe(50)
    console.log(`[figures] 50 concurrent ingests of one email → ${leads.length} lead, ${events.n} events kept, ${outcomes.filter((o) => o.created).length} created / ${outcomes.filter((o) => !o.created).length} merged`)
  })

  it("concurrent routes into one pod keep round-robin fairness (per-rep counts differ by at most 1)", async () => {
    await run(Effect.gen(function*() {
      const handoff = yield* Handoff
      yield* Effect.all(Array.from({ length: 40 }, (_, i) => handoff.ingest(hot(`fair${i}@bigco${i}.com`), api)), { concurrency: 20 })
    }))
    const credits = await db.kysely.selectFrom("rotation_ledger").select(["rep_id", sql<number>`count(*)::int`.as("n")])
      .where("pod", "=", "ae-direct").where("kind", "=", "credit").where("lead_id", "in", db.kysely.selectFrom("leads").select("id").where("email", "like", "fair%"))
      .groupBy("rep_id").execute()
    const counts = credits.map((c) => c.n)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40)
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    console.log(`[figures] 40 concurrent hot leads into ae-direct → credits ${JSON.stringify(Object.fromEntries(credits.map((c) => [c.rep_id, c.n])))}`)
  })

  it("4 workers sweeping 1,000 breached assignments at once: each reassigned exactly once, none missed", async () => {
    const t = Date.now()
    await run(Effect.gen(function*() {
      const handoff = yield* Handoff
      yield* Effect.all(Array.from({ length: 1000 }, (_, i) => handoff.ingest(hot(`breach${i}@corp${i}.com`), api)), { concurrency: 16 })
    }))
    console.log(`[figures] 1,000 hot ingests (16 at a time): ${Date.now() - t} ms`)
    const workers = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ url: postgresUrl, schema: db.schema!, poolSize: 4, migrate: false })))
    const started = Date.now()
    try {
      const results = await Promise.all(workers.map((w) =>
        ManagedRuntime.make(HandoffLive.pipe(Layer.provideMerge(storeLayer), Layer.provideMerge(Db.fromOpen(w)))).runPromise(
          Effect.gen(function*() {
            yield* TestClock.setTime(tuesday10am.getTime() + 3 * 60_000)
            const handoff = yield* Handoff
            return yield* handoff.handleBreaches(5000)
          }).pipe(Effect.provide(TestContext.TestContext))
        )
      ))
      const elapsed = Date.now() - started
      const breachIds = new Set((await db.kysely.selectFrom("leads").select("id").where("email", "like", "breach%").execute()).map((r) => r.id))
      const reassignedBy = results.map((r) => r.filter((h) => breachIds.has(h.leadId) && h.action.startsWith("reassigned")).length)
      const total = reassignedBy.reduce((a, b) => a + b, 0)
      const perLead = await db.kysely.selectFrom("lead_timeline").select(["lead_id", sql<number>`count(*)::int`.as("n")])
        .where("cause", "=", "Reassign").where("lead_id", "in", db.kysely.selectFrom("leads").select("id").where("email", "like", "breach%"))
        .groupBy("lead_id").execute()
      const owners = await db.kysely.selectFrom("leads").select(["owner_id", sql<number>`count(*)::int`.as("n")]).where("email", "like", "breach%").groupBy("owner_id").execute()
      expect(total).toBe(1000)
      expect(perLead).toHaveLength(1000)
      expect(perLead.every((r) => r.n === 1)).toBe(true)
      expect(owners).toEqual([{ owner_id: "ae-9", n: 1000 }])
      const notices = await db.kysely.selectFrom("outbox").select(sql<number>`count(*)::int`.as("n")).where("topic", "=", "lead.reassigned").where("key", "in", [...breachIds]).executeTakeFirstOrThrow()
      expect(notices.n).toBe(1000)
      console.log(`[figures] 4 workers × 1,000 breached assignments → reassigned ${total} (per worker ${reassignedBy.join("/")}), leads reassigned twice: ${perLead.filter((r) => r.n > 1).length}, missed: ${1000 - perLead.length}, ${elapsed} ms`)
    } finally {
      await Promise.all(workers.map((w) => w.close()))
    }
  }, 300_000)

  it("a transaction whose connection is killed half way leaves no lead, timeline or outbox row", async () => {
    const pid = await Effect.runPromise(Deferred.make<number>())
    // an outbox that, inside the ingest's transaction, reports its backend and then stalls
    const stalling = Layer.effect(Outbox, Effect.gen(function*() {
      const s = yield* makeStore
      return Outbox.of({
        publish: () =>
          Effect.gen(function*() {
            const ex = yield* s.executor
            const me = yield* Effect.promise(() => sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(ex))
            yield* Deferred.succeed(pid, me.rows[0]!.pid)
            yield* Effect.promise(() => sql`select pg_sleep(30)`.execute(ex))
          })
      })
    }))
    const layer = HandoffLive.pipe(Layer.provide(stalling), Layer.provideMerge(storeLayer), Layer.provideMerge(Db.fromOpen(db)))
    const ingest = ManagedRuntime.make(layer).runPromiseExit(atTuesday(Effect.flatMap(Handoff, (h) => h.ingest(hot("killed@midway.com"), api))))
    const backend = await Effect.runPromise(Deferred.await(pid))
    const killer = new pg.Client({ connectionString: postgresUrl })
    await killer.connect()
    await killer.query("select pg_terminate_backend($1)", [backend])
    await killer.end()
    const exit = await ingest
    expect(Exit.isFailure(exit)).toBe(true)
    const leads = await db.kysely.selectFrom("leads").select("id").where("email", "=", "killed@midway.com").execute()
    expect(leads).toEqual([])
    const orphans = await db.kysely.selectFrom("lead_timeline").select("id").where("lead_id", "not in", db.kysely.selectFrom("leads").select("id")).execute()
    expect(orphans).toEqual([])
    const outbox = await db.kysely.selectFrom("outbox").select("id").where("payload", "@>", sql<any>`${JSON.stringify({ email: "killed@midway.com" })}::jsonb`).execute()
    expect(outbox).toEqual([])
    const events = await db.kysely.selectFrom("lead_events").select("id").where("lead_id", "is", null).execute()
    expect(events).toEqual([])
  })

  it("migrations run by 4 processes at once: all succeed, the schema is migrated once", async () => {
    const admin = new pg.Client({ connectionString: postgresUrl })
    await admin.connect()
    const schema = `t_mig_${Date.now().toString(36)}`
    await admin.query(`create schema ${schema}`)
    try {
      const opened = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ url: postgresUrl, schema, poolSize: 2 })))
      const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(opened[0]!.kysely)
      expect(applied.rows).toHaveLength(Object.keys(migrations).length)
      await Promise.all(opened.map((o) => o.close()))
    } finally {
      await admin.query(`drop schema if exists ${schema} cascade`)
      await admin.end()
    }
  })
})
