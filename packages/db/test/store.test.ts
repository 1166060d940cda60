/**
 * The repository and use-case suite, run the same on embedded PGlite and on the real
 * PostgreSQL server.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { AgreementStore, decodeAgreement, defaultAgreementYaml, Handoff, LeadStore, type RepId } from "@handoff/domain"
import { Effect, Either, Exit, Option, TestClock } from "effect"
import { sql } from "kysely"
import { parse as parseYaml } from "yaml"
import { Db } from "../src/Database.ts"
import { migrations, migrateToLatest } from "../src/migrations.ts"
import { engines, type TestStore } from "./engines.ts"
import { api, handoffOn, hot, seed, tuesday10am } from "./fixtures.ts"

describe.each(engines)("store on $name", ({ available, open }) => {
  let db: TestStore
  beforeAll(async () => {
    if (available) db = await open()
  })
  afterAll(async () => {
    await db?.close()
  })
  const test = available ? it.effect : it.effect.skip
  const provide = <A, E>(self: Effect.Effect<A, E, any>) => self.pipe(Effect.provide(handoffOn(db))) as Effect.Effect<A, E>

  it.skipIf(!available)("migrations: every table exists; migrating again applies nothing", async () => {
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() order by 1`.execute(db.kysely)
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining([
      "accounts", "activities", "agreement_versions", "api_keys", "assignments", "idempotency_keys", "lead_events", "lead_timeline",
      "leads", "opportunities", "outbox", "rep_pods", "reps", "report_snapshots", "rotation_ledger", "webhook_subscriptions"
    ]))
    expect(await migrateToLatest(db.kysely, db.schema)).toEqual([])
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db.kysely)
    expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations))
  })

  test("ingest writes the lead, its events, timeline, ledger, assignment and outbox, and reads back as written", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      yield* seed()
      const handoff = yield* Handoff
      const store = yield* LeadStore
      const { lead, created } = yield* handoff.ingest(hot("dana@bigco.com"), api)
      expect(created).toBe(true)
      expect(lead.tier).toBe("hot")
      expect(["ae-1", "ae-2"]).toContain(lead.state.ownerId)
      const back = yield* store.findById(lead.id)
      expect(Option.getOrThrow(back)).toEqual(lead)
      expect((yield* store.timeline(lead.id)).map((e) => e.cause)).toEqual(["Inquiry", "MarkMql", "Route"])
      expect((yield* store.events(lead.id)).map((e) => e.type)).toEqual(["demo_request"])
      const { kysely } = yield* Db
      const outbox = yield* Effect.promise(() => kysely.selectFrom("outbox").select("topic").where("key", "=", lead.id).orderBy("id").execute())
      expect(outbox.map((r) => r.topic)).toEqual(["lead.created", "lead.mql", "lead.routed"])
      const ledger = yield* Effect.promise(() => kysely.selectFrom("rotation_ledger").selectAll().where("lead_id", "=", lead.id).execute())
      expect(ledger.map((r) => [r.kind, r.rep_id])).toContainEqual(["credit", lead.state.ownerId])
      const assignment = yield* Effect.promise(() => kysely.selectFrom("assignments").selectAll().where("lead_id", "=", lead.id).executeTakeFirstOrThrow())
      expect(assignment.accept_by).toEqual(new Date(tuesday10am.getTime() + 120_000))
      const row = yield* Effect.promise(() => kysely.selectFrom("leads").select(["agreement_version", "next_deadline_at", "stage"]).where("id", "=", lead.id).executeTakeFirstOrThrow())
      expect(row).toEqual({ agreement_version: 1, next_deadline_at: new Date(tuesday10am.getTime() + 120_000), stage: "mql" })
    })))

  test("events for an unknown email wait, then attach to the lead when it appears", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const results = yield* handoff.recordEvents([
        { email: "kim@acme.io", event: { type: "page_view", occurredAt: new Date(tuesday10am.getTime() - 86_400_000), properties: { category: "pricing" } } },
        { email: "KIM@acme.io", event: { type: "content_download", occurredAt: new Date(tuesday10am.getTime() - 3_600_000), properties: { kind: "case_study" } } }
      ], api)
      expect(results.map((r) => r.status)).toEqual(["pending", "pending"])
      const { lead } = yield* handoff.ingest({ profile: { email: "kim@acme.io", title: "Head of Sales", employees: 300, industry: "saas", country: "US" }, intent: "content_download" }, api)
      expect(lead.score?.total).toBe(70)
      expect(lead.state.ownerId).toBe("sdr-us")
      const store = yield* LeadStore
      expect((yield* store.events(lead.id)).map((e) => e.type)).toEqual(["page_view", "content_download", "content_download"])
      expect(yield* store.takePendingEvents("kim@acme.io")).toEqual([])
    })))

  test("an event sent again is stored once: pending, after it is attached, and against a direct second write", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const store = yield* LeadStore
      const view = { email: "lee@acme.io", event: { type: "page_view", occurredAt: new Date(tuesday10am.getTime() - 3_600_000), properties: { category: "pricing" } } }
      const byId = { email: "lee@acme.io", id: "msg-7", event: { type: "content_download", occurredAt: new Date(tuesday10am.getTime() - 60_000), properties: { kind: "case_study" } } }
      expect((yield* handoff.recordEvents([view, byId], api)).map((r) => r.status)).toEqual(["pending", "pending"])
      expect((yield* handoff.recordEvents([view, { ...byId, event: { ...byId.event, occurredAt: new Date(tuesday10am.getTime()) } }], api)).map((r) => r.status)).toEqual(["duplicate", "duplicate"])
      const { lead } = yield* handoff.ingest({ profile: { email: "lee@acme.io", title: "Analyst", employees: 300 }, intent: "webinar_registration" }, api)
      expect((yield* handoff.recordEvents([view, byId], api)).map((r) => r.status)).toEqual(["duplicate", "duplicate"])
      const stored = yield* store.events(lead.id)
      expect(stored.map((e) => e.type)).toEqual(["page_view", "content_download", "webinar_registration"])
      // the unique index is the last word: a write that skipped the check stores nothing either
      const { kysely } = yield* Db
      const key = (yield* Effect.promise(() => kysely.selectFrom("lead_events").select("dedupe_key").where("lead_id", "=", lead.id).where("type", "=", "page_view").executeTakeFirstOrThrow())).dedupe_key!
      yield* store.appendEvents(lead.id, [{ ...view.event, key }])
      expect((yield* store.events(lead.id))).toHaveLength(3)
    })))

  test("accept, activity, qualify and opportunity: SQL math lands in the tables reports read", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest(hot("olu@bigco.com"), api)
      const owner = lead.state.ownerId!
      const as = { kind: "rep", id: owner } as const
      yield* TestClock.adjust("1 minute")
      yield* handoff.accept(lead.id, owner, as)
      yield* handoff.logActivity(lead.id, { repId: owner, kind: "call", connected: true, occurredAt: new Date(tuesday10am.getTime() + 90_000) }, as)
      yield* handoff.qualify(lead.id, { repId: owner, framework: "MEDDICC", fields: { champion: "CFO" } }, as)
      const opp = yield* handoff.openOpportunity(lead.id, { amount: 90000, opportunityId: "opp_olu" }, as)
      expect(opp.state.stage).toBe("opportunity")
      yield* handoff.closeOpportunity(lead.id, { won: true, amount: 95000 }, as)
      const { kysely } = yield* Db
      const row = yield* Effect.promise(() => kysely.selectFrom("opportunities").selectAll().where("lead_id", "=", lead.id).executeTakeFirstOrThrow())
      expect({ id: row.id, amount: Number(row.amount), won: row.won }).toEqual({ id: "opp_olu", amount: 95000, won: true })
      const a = yield* Effect.promise(() => kysely.selectFrom("assignments").selectAll().where("lead_id", "=", lead.id).executeTakeFirstOrThrow())
      expect(a.accepted_at).toEqual(new Date(tuesday10am.getTime() + 60_000))
      expect(a.first_touch_at).toEqual(new Date(tuesday10am.getTime() + 90_000))
      const store = yield* LeadStore
      expect((yield* store.activities(lead.id)).map((x) => x.kind)).toEqual(["call"])
    })))

  test("an illegal move fails typed and writes nothing", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { email: "nurture@small.io", title: "Intern", employees: 300 }, intent: "content_download" }, api)
      const exit = yield* Effect.exit(handoff.logActivity(lead.id, { repId: "sdr-us", kind: "call", connected: false, occurredAt: tuesday10am }, { kind: "rep", id: "sdr-us" }))
      expect(Exit.isFailure(exit)).toBe(true)
      const store = yield* LeadStore
      expect(yield* store.activities(lead.id)).toEqual([])
    })))

  test("ABM: an active-outbound account's lead goes to its owner, flagged", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      yield* seed([{ domain: "target.com", named: true, activeOutbound: true, ownerRepId: "ae-9" as RepId }])
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ ...hot("cfo@target.com"), intent: "pricing_request" }, api)
      expect(lead.state.ownerId).toBe("ae-9")
      expect(lead.flags).toContain("abm_suppressed")
    })))

  test("a missed accept SLA is reassigned to the backup pod once, however often the sweep runs", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest(hot("slow@bigco.com"), api)
      yield* TestClock.adjust("3 minutes")
      yield* handoff.handleBreaches(1000)
      yield* handoff.handleBreaches(1000)
      const store = yield* LeadStore
      const after = Option.getOrThrow(yield* store.findById(lead.id))
      expect(after.state.ownerId).toBe("ae-9")
      expect((yield* store.timeline(lead.id)).filter((e) => e.cause === "Reassign")).toHaveLength(1)
    })))

  test("recycle: 14 days without sales activity returns the lead to nurture with its history", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest(hot("idle@bigco.com"), api)
      const owner = lead.state.ownerId!
      yield* handoff.accept(lead.id, owner, { kind: "rep", id: owner })
      yield* TestClock.adjust("15 days")
      const back = yield* handoff.recycle(lead.id, "inactivity", { kind: "system", id: "worker" })
      expect(back.state.stage).toBe("nurture")
      const store = yield* LeadStore
      const stored = Option.getOrThrow(yield* store.findById(lead.id))
      expect(stored.state.ownerId).toBeUndefined()
      expect(stored.state.recycle?.reason).toBe("inactivity")
      expect((yield* store.timeline(lead.id)).map((e) => e.cause)).toEqual(["Inquiry", "MarkMql", "Route", "Accept", "Recycle"])
      const { kysely } = yield* Db
      const row = yield* Effect.promise(() => kysely.selectFrom("leads").select(["stage", "owner_id", "next_deadline_at"]).where("id", "=", lead.id).executeTakeFirstOrThrow())
      expect(row).toEqual({ stage: "nurture", owner_id: null, next_deadline_at: null })
    })))

  test("the agreement version is stored with every decision; old versions stay readable", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const agreements = yield* AgreementStore
      const before = yield* handoff.ingest({ profile: { email: "v1@lead.io", title: "Analyst", employees: 300 }, intent: "content_download" }, api)
      const doc = parseYaml(defaultAgreementYaml)
      doc.scoring.mqlThreshold = 5
      const v2 = yield* agreements.activate(Either.getOrThrow(decodeAgreement(doc)), "ops@handoff", tuesday10am)
      const after = yield* handoff.ingest({ profile: { email: "v2@lead.io", title: "Analyst", employees: 300 }, intent: "content_download" }, api)
      expect(before.lead.agreementVersion).toBe(v2.version - 1)
      expect(after.lead.agreementVersion).toBe(v2.version)
      expect(after.lead.tier).toBe("warm")
      const versions = yield* agreements.versions()
      expect(versions.map((v) => v.agreement.scoring.mqlThreshold)).toEqual([50, 5])
      expect((yield* agreements.active()).version).toBe(v2.version)
      const store = yield* LeadStore
      expect(Option.getOrThrow(yield* store.findById(before.lead.id)).agreementVersion).toBe(v2.version - 1)
    })))
})
