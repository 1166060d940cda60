/**
 * The worker's sweeps on the store, run the same on embedded PGlite and on the real
 * PostgreSQL server: batch claims, the sweep keys (`next_deadline_at`, `rescore_at`,
 * `reevaluate_at`, `sales_touched_at`), and "a rerun does nothing twice".
 */
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Handoff, type LeadProfile, LeadStore } from "@handoff/domain"
import { Effect, Option, TestClock } from "effect"
import { sql } from "kysely"
import { Db } from "../src/Database.ts"
import { engines, type TestStore } from "./engines.ts"
import { api, handoffOn, hot, seed, tuesday10am } from "./fixtures.ts"

const DAY = 86_400_000
const at = (ms: number) => new Date(tuesday10am.getTime() + ms)
/** Ops Manager at a 300-person SaaS company in the US: fit 20. */
const ops = (email: string): LeadProfile => ({ email, title: "Ops Manager", employees: 300, industry: "saas", country: "US" })

describe.each(engines)("sweeps on $name", ({ available, open }) => {
  let db: TestStore
  beforeEach(async () => {
    if (available) db = await open()
  })
  afterEach(async () => {
    await db?.close()
  })
  const test = available ? it.effect : it.effect.skip
  const provide = <A, E>(self: Effect.Effect<A, E, any>) => self.pipe(Effect.provide(handoffOn(db))) as Effect.Effect<A, E>
  const count = (table: "lead_timeline" | "outbox" | "rotation_ledger", where: ReturnType<typeof sql>) =>
    Effect.promise(() => sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${where}`.execute(db.kysely)).pipe(Effect.map((r) => Number(r.rows[0]!.n)))

  test("SLA: a batch sweep reassigns every missed accept to the backup pod once, records each breach with rep and source", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      yield* seed()
      const handoff = yield* Handoff
      for (let i = 0; i < 25; i++) yield* handoff.ingest({ ...hot(`vp${i}@big${i}.com`), profile: { ...hot(`vp${i}@big${i}.com`).profile, source: { channel: "webinar" } } }, api)
      yield* TestClock.adjust("3 minutes")
      const batches = [yield* handoff.sweepSla(10), yield* handoff.sweepSla(10), yield* handoff.sweepSla(10), yield* handoff.sweepSla(10)]
      expect(batches.map((b) => b.claimed)).toEqual([10, 10, 5, 0])
      const reassigned = batches.flatMap((b) => b.breaches).filter((b) => b.action === "reassigned to ae-9")
      expect(reassigned).toHaveLength(25)
      expect(new Set(reassigned.map((r) => r.leadId)).size).toBe(25)
      const { kysely } = yield* Db
      const owners = yield* Effect.promise(() => kysely.selectFrom("leads").select(["owner_id", sql<number>`count(*)::int`.as("n")]).groupBy("owner_id").execute())
      expect(owners).toEqual([{ owner_id: "ae-9", n: 25 }])
      expect(yield* count("lead_timeline", sql`cause = 'Reassign'`)).toBe(25)
      expect(yield* count("outbox", sql`topic = 'lead.reassigned'`)).toBe(25)
      expect(yield* count("rotation_ledger", sql`pod = 'ae-backup' and kind = 'credit'`)).toBe(25)
      // the breach is on the timeline with the rep and the source: reports count it per rep and source
      const breaches = yield* Effect.promise(() => sql<{ rep: string; source: string; n: number }>`
        select data->>'repId' as rep, data->>'source' as source, count(*)::int as n from lead_timeline
        where cause = 'SlaBreach' and reason = 'accept' group by 1, 2 order by 1`.execute(kysely))
      expect(breaches.rows).toEqual([{ rep: "ae-1", source: "webinar", n: 13 }, { rep: "ae-2", source: "webinar", n: 12 }])
      const assignments = yield* Effect.promise(() => kysely.selectFrom("assignments").select(["rep_id", sql<number>`count(*)::int`.as("n")]).groupBy("rep_id").orderBy("rep_id").execute())
      expect(assignments).toEqual([{ rep_id: "ae-1", n: 13 }, { rep_id: "ae-2", n: 12 }, { rep_id: "ae-9", n: 25 }])
      // the backup owner's accept clock runs from the reassignment
      const next = yield* Effect.promise(() => kysely.selectFrom("leads").select(sql<Date>`min(next_deadline_at)`.as("t")).executeTakeFirstOrThrow())
      expect(next.t).toEqual(at(5 * 60_000))
    })))

  test("decay: the score is materialized as of now; a lead whose score crosses the line becomes an MQL; reruns do nothing", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      yield* seed()
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: ops("ops@midco.io"), intent: "content_download", properties: { kind: "case_study" } }, api)
      // an event stored ahead of its time (the API now clamps those; older data may hold them): the sweep looks again then
      const store = yield* LeadStore
      yield* store.appendEvents(lead.id, [{ type: "page_view", occurredAt: at(3_600_000), properties: { category: "pricing" } }])
      yield* store.update({ ...Option.getOrThrow(yield* store.findById(lead.id)), rescoreAt: at(3_600_000) })
      const { kysely } = yield* Db
      const key = () => Effect.promise(() => kysely.selectFrom("leads").select(["stage", "rescore_at", "score_total", "owner_id"]).where("id", "=", lead.id).executeTakeFirstOrThrow())
      expect(yield* key()).toEqual({ stage: "inquiry", rescore_at: at(3_600_000), score_total: 35, owner_id: null })
      expect((yield* handoff.sweepDecay(100)).claimed).toBe(0)
      yield* TestClock.setTime(at(3_600_000).getTime())
      const r = yield* handoff.sweepDecay(100)
      expect(r.actions.map((a) => a.action)).toEqual(["score 35 → 55: MQL, routed to sdr-us"])
      expect(yield* key()).toMatchObject({ stage: "mql", score_total: 55, owner_id: "sdr-us" })
      expect((yield* handoff.sweepDecay(100)).claimed).toBe(0)
      expect(yield* count("outbox", sql`topic = 'lead.mql'`)).toBe(1)
      // an inquiry that never qualifies decays in the store too, step by step
      const { lead: cold } = yield* handoff.ingest({ profile: ops("cold@midco.io"), intent: "content_download", properties: { kind: "case_study" } }, api)
      yield* TestClock.setTime(at(31 * DAY).getTime())
      const decayed = yield* handoff.sweepDecay(100)
      expect(decayed.actions).toEqual([{ leadId: cold.id, action: "score 35 → 27.5" }])
      expect((yield* handoff.sweepDecay(100)).claimed).toBe(0)
    })))

  test("re-evaluation: a premature rejection comes back as an MQL after its delay, keeping its history", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      yield* seed()
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { ...ops("back@midco.io"), title: "Head of Ops" }, intent: "content_download", properties: { kind: "case_study" } }, api)
      const owner = lead.state.ownerId!
      yield* handoff.reject(lead.id, { repId: owner, reason: "premature" }, { kind: "rep", id: owner })
      const { kysely } = yield* Db
      const row = () => Effect.promise(() => kysely.selectFrom("leads").select(["stage", "reevaluate_at", "owner_id"]).where("id", "=", lead.id).executeTakeFirstOrThrow())
      expect(yield* row()).toEqual({ stage: "nurture", reevaluate_at: at(30 * DAY), owner_id: null })
      // it looks at pricing again while on hold: the score qualifies, the hold keeps it in nurture
      yield* TestClock.setTime(at(29 * DAY).getTime())
      yield* handoff.recordEvents([{ leadId: lead.id, event: { type: "page_view", occurredAt: at(29 * DAY), properties: { category: "pricing" } } }], api)
      expect((yield* row()).stage).toBe("nurture")
      expect((yield* handoff.sweepReevaluations(100)).claimed).toBe(0)
      yield* TestClock.setTime(at(30 * DAY).getTime())
      const r = yield* handoff.sweepReevaluations(100)
      expect(r.actions.map((a) => a.action)).toEqual(["re-evaluated: MQL again (score 70, returning lead)"])
      expect(yield* row()).toEqual({ stage: "mql", reevaluate_at: null, owner_id: owner })
      expect((yield* handoff.sweepReevaluations(100)).claimed).toBe(0)
      expect(yield* count("lead_timeline", sql`lead_id = ${lead.id} and cause = 'MarkMql'`)).toBe(2)
    })))

  test("inactivity: 14 days without sales activity sends the lead back to nurture once", () =>
    provide(Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      yield* seed()
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest(hot("idle@bigco.com"), api)
      const owner = lead.state.ownerId!
      yield* handoff.accept(lead.id, owner, { kind: "rep", id: owner })
      const { kysely } = yield* Db
      const row = () => Effect.promise(() => kysely.selectFrom("leads").select(["stage", "sales_touched_at"]).where("id", "=", lead.id).executeTakeFirstOrThrow())
      expect(yield* row()).toEqual({ stage: "sal", sales_touched_at: tuesday10am })
      yield* TestClock.setTime(at(14 * DAY).getTime())
      expect((yield* handoff.sweepInactivity(100)).claimed).toBe(0)
      yield* TestClock.setTime(at(14 * DAY + 1000).getTime())
      expect((yield* handoff.sweepInactivity(100)).actions).toEqual([{ leadId: lead.id, action: `recycled: no sales activity by ${owner} for P14D` }])
      expect(yield* row()).toEqual({ stage: "nurture", sales_touched_at: null })
      expect((yield* handoff.sweepInactivity(100)).claimed).toBe(0)
      expect(yield* count("outbox", sql`topic = 'lead.recycled'`)).toBe(1)
    })))
})
