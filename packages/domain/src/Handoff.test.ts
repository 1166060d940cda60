import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Ref, Schema, TestClock } from "effect"
import { defaultAgreement } from "./DefaultAgreement.ts"
import { Handoff, HandoffLive, mergeInquiry } from "./Handoff.ts"
import { emptyState, InMemoryRef, inMemoryLayer, withAccounts, withReps } from "./InMemory.ts"
import type { Account, LeadProfile, Rep, RepId } from "./Lead.ts"
import { isInLimbo } from "./Lifecycle.ts"
import { type LeadRecord, LeadRecord as LeadRecordSchema } from "./Ports.ts"
import { testTeam, tuesday10am } from "./TestTeam.ts"

const api = { kind: "api_key", id: "key_forms" } as const

const team = testTeam

const setup = (reps: ReadonlyArray<Rep> = team, accounts: ReadonlyArray<Account> = []) =>
  HandoffLive.pipe(Layer.provideMerge(inMemoryLayer(withAccounts(accounts)(withReps(reps)(emptyState(defaultAgreement))))))

const hotLead: LeadProfile = {
  email: "Dana.Lee@BigCo.com",
  firstName: "Dana",
  lastName: "Lee",
  title: "VP Sales",
  company: "BigCo",
  employees: 800,
  industry: "software",
  estimatedAcv: 90000,
  country: "US"
}

const stored = (id: string) =>
  Effect.gen(function*() {
    const ref = yield* InMemoryRef
    return (yield* Ref.get(ref)).leads.get(id) as LeadRecord
  })

const outboxTopics = Effect.gen(function*() {
  const ref = yield* InMemoryRef
  return (yield* Ref.get(ref)).outbox.map((m) => m.topic)
})

describe("ingest: an inbound inquiry is scored, tiered, routed and timed in one step", () => {
  it.effect("a VP asking for a demo at a large account goes hot to an AE with a 2-minute accept clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead, created, decision } = yield* handoff.ingest({ profile: hotLead, intent: "demo_request" }, api)
      expect(created).toBe(true)
      expect(lead.email).toBe("dana.lee@bigco.com")
      expect(lead.accountDomain).toBe("bigco.com")
      expect(lead.tier).toBe("hot")
      expect(lead.state.stage).toBe("mql")
      expect(["ae-1", "ae-2"]).toContain(lead.state.ownerId)
      expect(lead.assignment?.acceptBy).toEqual(new Date(tuesday10am.getTime() + 2 * 60_000))
      expect(lead.assignment?.firstTouchBy).toEqual(new Date(tuesday10am.getTime() + 5 * 60_000))
      expect(lead.assignment?.cadence).toBe("speed-to-lead")
      expect(decision?.score.drivers.map((d) => d.rule)).toEqual(expect.arrayContaining(["title-exec", "size-target", "industry-match", "demo"]))
      expect(lead.agreementVersion).toBe(1)
      expect(yield* outboxTopics).toEqual(["lead.created", "lead.mql", "lead.routed"])
      const ref = yield* InMemoryRef
      const state = yield* Ref.get(ref)
      const routed = state.outbox.find((m) => m.topic === "lead.routed")!
      // the rep's notification carries the context to call with (seed 002)
      expect(routed.payload.handoff).toMatchObject({ title: "VP Sales", company: "BigCo", raisedHand: true })
      expect(state.ledger.filter((e) => e.kind === "credit")).toHaveLength(1)
      expect((state.timeline.get(lead.id) ?? []).map((e) => e.stage)).toEqual(["inquiry", "mql", "mql"])
      // what the store keeps survives JSON as it is (the Postgres adapter stores these forms)
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(LeadRecordSchema)(lead)))
      expect(Schema.decodeUnknownSync(LeadRecordSchema)(json)).toEqual(lead)
    }).pipe(Effect.provide(setup())))

  it.effect("the same person again (other case, same address) is merged into one lead, not duplicated", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const first = yield* handoff.ingest({ profile: { email: "sam@midco.io", title: "Analyst", employees: 300 }, intent: "content_download" }, api)
      const again = yield* handoff.ingest({ profile: { email: " SAM@MidCo.io ", phone: "+1 555 0100" }, intent: "webinar_registration" }, api)
      expect(again.created).toBe(false)
      expect(again.lead.id).toBe(first.lead.id)
      expect(again.lead.profile.phone).toBe("+1 555 0100")
      expect(again.lead.profile.title).toBe("Analyst")
      const ref = yield* InMemoryRef
      expect((yield* Ref.get(ref)).leads.size).toBe(1)
    }).pipe(Effect.provide(setup())))

  it.effect("a repeat inquiry from a public form fills blanks only, and the timeline keeps what the form said", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const first = yield* handoff.ingest({ profile: { email: "sam@midco.io", firstName: "Sam", title: "Analyst", employees: 300 }, intent: "content_download" }, api)
      const again = yield* handoff.ingest({ profile: { email: "SAM@midco.io", firstName: "Mallory", phone: "+1 555 0199" }, intent: "webinar_registration" }, api)
      expect(again.lead.id).toBe(first.lead.id)
      expect(again.lead.profile.firstName).toBe("Sam")
      expect(again.lead.profile.phone).toBe("+1 555 0199")
      const ref = yield* InMemoryRef
      const merged = ((yield* Ref.get(ref)).timeline.get(first.lead.id) ?? []).find((e) => e.explanation.includes("merged"))!
      expect(merged.explanation).toContain("The form said firstName: Mallory")
      expect(merged.data).toMatchObject({ filled: ["phone"], formSaid: { firstName: "Mallory" } })
      expect(merged.actor).toEqual(api)
    }).pipe(Effect.provide(setup())))

  it.effect("a trusted caller's repeat inquiry (overwrite) corrects the stored profile", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      yield* handoff.ingest({ profile: { email: "kai@midco.io", firstName: "Kai", phone: "1" }, intent: "content_download" }, api)
      const again = yield* handoff.ingest({ profile: { email: "kai@midco.io", firstName: "Kay" }, intent: "content_download", merge: "overwrite" }, api)
      expect(again.lead.profile.firstName).toBe("Kay")
      expect(again.lead.profile.phone).toBe("1")
    }).pipe(Effect.provide(setup())))

  it.effect("events for an email not yet known are kept and count once the lead appears", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const results = yield* handoff.recordEvents([
        { email: "kim@acme.com", event: { type: "page_view", occurredAt: new Date(tuesday10am.getTime() - 86_400_000), properties: { category: "pricing" } } },
        { email: "kim@acme.com", event: { type: "content_download", occurredAt: new Date(tuesday10am.getTime() - 3_600_000), properties: { kind: "case_study" } } },
        { leadId: "lead_404", event: { type: "page_view", occurredAt: tuesday10am, properties: {} } }
      ], api)
      expect(results.map((r) => r.status)).toEqual(["pending", "pending", "rejected"])
      const { lead } = yield* handoff.ingest({ profile: { email: "kim@acme.com", title: "Head of Sales", employees: 300, industry: "saas", country: "US" }, intent: "content_download" }, api)
      // fit 35 + pricing 20 + case study 15 = 70 ≥ 50: warm MQL for the SDR team
      expect(lead.score?.total).toBe(70)
      expect(lead.tier).toBe("warm")
      expect(lead.state.ownerId).toBe("sdr-us")
      expect(lead.flags).toContain("accumulated")
    }).pipe(Effect.provide(setup())))

  it.effect("a lead that does not qualify stays with marketing: no owner, no timer", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { email: "pat@smallco.com", title: "Intern", employees: 300 }, intent: "content_download" }, api)
      expect(lead.tier).toBe("nurture")
      expect(lead.state.stage).toBe("inquiry")
      expect(lead.state.ownerId).toBeUndefined()
      expect(lead.assignment).toBeUndefined()
    }).pipe(Effect.provide(setup())))

  it.effect("an account in an active outbound play keeps its inbound with the account owner, tagged abm_suppressed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { ...hotLead, email: "cfo@target.com", estimatedAcv: 20000 }, intent: "pricing_request" }, api)
      expect(lead.state.ownerId).toBe("ae-9")
      expect(lead.flags).toContain("abm_suppressed")
      expect(lead.assignment?.cadence).toBeUndefined()
      expect(yield* outboxTopics).toContain("account.named_inbound")
    }).pipe(Effect.provide(setup(team, [{ domain: "target.com", named: true, activeOutbound: true, ownerRepId: "ae-9" as RepId }]))))

  it.effect("when nobody can take a hot lead it waits in a named queue with its clock running (never in limbo)", () =>
    Effect.gen(function*() {
      // Saturday: nobody on shift for the on-shift-only hot tier
      yield* TestClock.setTime(new Date("2026-01-10T15:00:00Z").getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: hotLead, intent: "demo_request" }, api)
      expect(lead.state.stage).toBe("mql")
      expect(lead.state.ownerId).toBeUndefined()
      expect(lead.state.queue).toBe("ae-direct")
      expect(isInLimbo(lead.state)).toBe(false)
      expect(lead.assignment?.firstTouchBy).toBeDefined()
    }).pipe(Effect.provide(setup())))
})

describe("sales feedback", () => {
  it.effect("only the owner can accept; acceptance makes a SAL and stops the accept clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: hotLead, intent: "demo_request" }, api)
      const other = lead.state.ownerId === "ae-1" ? "ae-2" : "ae-1"
      const wrong = yield* Effect.exit(handoff.accept(lead.id, other, { kind: "rep", id: other }))
      expect(Exit.isFailure(wrong) && JSON.stringify(wrong.cause)).toMatch(/not_owner/)
      yield* TestClock.adjust("60 seconds")
      const accepted = yield* handoff.accept(lead.id, lead.state.ownerId!, { kind: "rep", id: lead.state.ownerId! })
      expect(accepted.state.stage).toBe("sal")
      expect(accepted.assignment?.acceptedAt).toEqual(new Date(tuesday10am.getTime() + 60_000))
      yield* TestClock.adjust("10 minutes")
      const handled = yield* handoff.handleBreaches(100)
      // accepted in time; the first call was not made within 5 minutes: the manager hears of it
      expect(handled.map((h) => h.breach.kind)).toEqual(["first_touch", "cadence_step"])
      expect(handled[0]!.action).toBe("notified manager mgr-1")
      expect((yield* stored(lead.id)).flags).toEqual(expect.arrayContaining(["sla_missed:first_touch", "cadence_missed:attempt-1"]))
    }).pipe(Effect.provide(setup())))

  it.effect("a missed accept SLA reassigns to the backup pod exactly once", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: hotLead, intent: "demo_request" }, api)
      const first = lead.state.ownerId
      yield* TestClock.adjust("3 minutes")
      const handled = yield* handoff.handleBreaches(100)
      expect(handled.find((h) => h.breach.kind === "accept")?.action).toBe("reassigned to ae-9")
      const after = yield* stored(lead.id)
      expect(after.state.ownerId).toBe("ae-9")
      expect(after.state.ownerId).not.toBe(first)
      expect(after.assignment?.reassignments).toBe(1)
      const again = yield* handoff.handleBreaches(100)
      expect(again.filter((h) => h.breach.kind === "accept")).toEqual([])
      expect((yield* outboxTopics).filter((t) => t === "lead.reassigned")).toHaveLength(1)
      // the backup owner gets clocks of their own: missing them escalates (the backup pod has no backup)
      expect(after.assignment?.acceptBy).toEqual(new Date(tuesday10am.getTime() + 5 * 60_000))
      yield* TestClock.adjust("3 minutes")
      const later = yield* handoff.handleBreaches(100)
      expect(later.find((h) => h.breach.kind === "accept")?.action).toBe("notified manager (no backup rep available)")
      expect((yield* stored(lead.id)).state.ownerId).toBe("ae-9")
    }).pipe(Effect.provide(setup())))

  it.effect("a wrong-ICP rejection blocks score-based MQL, but a later hand-raise still reaches sales, flagged", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { email: "lee@mid.io", title: "Head of Ops", employees: 300, industry: "saas", country: "US" }, properties: { kind: "case_study" }, intent: "content_download" }, api)
      yield* handoff.recordEvents([{ leadId: lead.id, event: { type: "page_view", occurredAt: tuesday10am, properties: { category: "pricing" } } }], api)
      const mql = yield* stored(lead.id)
      expect(mql.state.stage).toBe("mql")
      const rejected = yield* handoff.reject(lead.id, { repId: mql.state.ownerId!, reason: "wrong_icp", note: "agency, not a buyer" }, { kind: "rep", id: mql.state.ownerId! })
      expect(rejected.state.stage).toBe("nurture")
      expect(rejected.assignment).toBeUndefined()
      yield* TestClock.adjust("1 day")
      yield* handoff.recordEvents([{ leadId: lead.id, event: { type: "content_download", occurredAt: new Date(tuesday10am.getTime() + 86_400_000), properties: { kind: "case_study" } } }], api)
      expect((yield* stored(lead.id)).state.stage).toBe("nurture")
      yield* handoff.recordEvents([{ leadId: lead.id, event: { type: "demo_request", occurredAt: new Date(tuesday10am.getTime() + 86_400_000), properties: {} } }], api)
      const back = yield* stored(lead.id)
      expect(back.state.stage).toBe("mql")
      expect(back.flags).toContain("rejected_before:wrong_icp")
      const timeline = (yield* Ref.get(yield* InMemoryRef)).timeline.get(lead.id) ?? []
      expect(timeline.filter((e) => e.cause === "Reject").map((e) => e.reason)).toContain("wrong_icp")
    }).pipe(Effect.provide(setup())))

  it.effect("a rejected hand-raiser is not handed back by the demo request it came with — only by a new one", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { email: "ops@agency.io", title: "VP Ops", employees: 300, industry: "saas", country: "US" }, intent: "demo_request" }, api)
      const mql = yield* stored(lead.id)
      expect(mql.state.stage).toBe("mql")
      yield* handoff.reject(lead.id, { repId: mql.state.ownerId!, reason: "wrong_icp" }, { kind: "rep", id: mql.state.ownerId! })
      // the next day: an event and the decay sweep re-decide the lead while its demo request is still within the hand-raise window
      yield* TestClock.adjust("1 day")
      const day2 = new Date(tuesday10am.getTime() + 86_400_000)
      yield* handoff.recordEvents([{ leadId: lead.id, event: { type: "email_open", occurredAt: day2, properties: {} } }], api)
      yield* handoff.sweepDecay(100)
      const still = yield* stored(lead.id)
      expect(still.state.stage).toBe("nurture")
      expect(still.state.cycles).toBe(1)
      // a new hand-raise does reach sales, flagged with the earlier rejection
      yield* handoff.recordEvents([{ leadId: lead.id, event: { type: "demo_request", occurredAt: day2, properties: {} } }], api)
      const back = yield* stored(lead.id)
      expect(back.state.stage).toBe("mql")
      expect(back.state.cycles).toBe(2)
      expect(back.flags).toContain("rejected_before:wrong_icp")
    }).pipe(Effect.provide(setup())))

  it.effect("a first touch by the owner stops the first-touch clock; SQL and opportunity follow", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: hotLead, intent: "demo_request" }, api)
      const owner = lead.state.ownerId!
      const as = { kind: "rep", id: owner } as const
      yield* TestClock.adjust("1 minute")
      yield* handoff.accept(lead.id, owner, as)
      yield* TestClock.adjust("2 minutes")
      const touched = yield* handoff.logActivity(lead.id, { repId: owner, kind: "call", connected: true, occurredAt: new Date(tuesday10am.getTime() + 180_000) }, as)
      expect(touched.assignment?.firstTouchAt).toEqual(new Date(tuesday10am.getTime() + 180_000))
      yield* TestClock.adjust("10 minutes")
      expect(yield* handoff.handleBreaches(100)).toEqual([])
      const sql = yield* handoff.qualify(lead.id, { repId: owner, framework: "BANT", fields: { budget: "yes" } }, as)
      expect(sql.state.stage).toBe("sql")
      const opp = yield* handoff.openOpportunity(lead.id, { amount: 90000 }, as)
      expect(opp.state.stage).toBe("opportunity")
      const won = yield* handoff.closeOpportunity(lead.id, { won: true, amount: 95000 }, as)
      expect(won.state.stage).toBe("won")
    }).pipe(Effect.provide(setup())))

  it.effect("a failed command changes nothing (all or nothing)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { email: "x@y.com", title: "Intern", employees: 300 }, intent: "content_download" }, api)
      const exit = yield* Effect.exit(handoff.logActivity(lead.id, { repId: "sdr-us", kind: "call", connected: false, occurredAt: tuesday10am }, { kind: "rep", id: "sdr-us" }))
      const activities = (yield* Ref.get(yield* InMemoryRef)).activities.get(lead.id) ?? []
      expect(Exit.isFailure(exit) ? activities : "succeeded").toEqual([])
    }).pipe(Effect.provide(setup())))
})

describe("recycling", () => {
  it.effect("an assigned lead with no sales activity for 14 days goes back to marketing nurture, not a day earlier", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { ...hotLead, email: "quiet@bigco.com" }, intent: "demo_request" }, api)
      const owner = lead.state.ownerId!
      yield* handoff.accept(lead.id, owner, { kind: "rep", id: owner })
      yield* TestClock.adjust("13 days")
      const early = yield* Effect.exit(handoff.recycle(lead.id, "inactivity", { kind: "system", id: "worker" }))
      expect(Exit.isFailure(early) && JSON.stringify(early.cause)).toMatch(/not_due/)
      yield* TestClock.adjust("2 days")
      const back = yield* handoff.recycle(lead.id, "inactivity", { kind: "system", id: "worker" })
      expect(back.state.stage).toBe("nurture")
      expect(back.state.ownerId).toBeUndefined()
      expect(back.assignment).toBeUndefined()
      expect(yield* outboxTopics).toContain("lead.recycled")
      const timeline = (yield* Ref.get(yield* InMemoryRef)).timeline.get(lead.id) ?? []
      // a returning lead keeps its whole history
      expect(timeline.map((e) => e.cause)).toEqual(["Inquiry", "MarkMql", "Route", "Accept", "Recycle"])
    }).pipe(Effect.provide(setup())))
})

describe("enrichment: the second scoring stage", () => {
  it.effect("a provisional lead is re-scored when enrichment lands and routed if it now qualifies", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { email: "jo@growth.io", title: "Director of Sales" }, properties: { kind: "case_study" }, intent: "content_download" }, api)
      yield* handoff.recordEvents([{ leadId: lead.id, event: { type: "page_view", occurredAt: tuesday10am, properties: { category: "pricing" } } }], api)
      const before = yield* stored(lead.id)
      expect(before.score?.provisional).toBe(true)
      expect(before.state.stage).toBe("inquiry")
      yield* TestClock.adjust("10 minutes")
      const { lead: after } = yield* handoff.enrich(lead.id, { employees: 400, industry: "saas", country: "DE" }, api)
      expect(after.score?.provisional).toBe(false)
      expect(after.score?.total).toBe(55)
      expect(after.state.stage).toBe("mql")
      expect(after.state.ownerId).toBe("sdr-de")
    }).pipe(Effect.provide(setup())))
})

describe("two-stage score: a lead enrichment shows to be hot moves to the hot pod", () => {
  // the form: an email and a demo request — warm-plus on the provisional score, to an SDR
  const form: LeadProfile = { email: "dana@bigco.com", firstName: "Dana", country: "US" }
  // the enrichment vendor: VP, 800 employees, $90K — hot-worthy
  const vendor = { title: "VP Sales", employees: 800, estimatedAcv: 90000 }
  const MIN = 60_000

  const stateNow = Effect.flatMap(InMemoryRef, Ref.get)

  it.effect("warm-plus with an SDR, not accepted yet, enriched to hot → a hot-pod rep on the hot SLA counted from T0; the SDR is told; the ledger credits the hot pod", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: form, intent: "demo_request" }, api)
      expect(lead).toMatchObject({ tier: "warm-plus", state: { stage: "mql", ownerId: "sdr-us" } })
      expect(lead.score?.provisional).toBe(true)
      yield* TestClock.adjust("3 minutes")
      const { decision, lead: after } = yield* handoff.enrich(lead.id, vendor, api)
      expect(after.score?.provisional).toBe(false)
      expect(after.tier).toBe("hot")
      expect(after.state).toMatchObject({ stage: "mql", tier: "hot", pod: "ae-direct", reassignments: 0 })
      expect(["ae-1", "ae-2"]).toContain(after.state.ownerId)
      const owner = after.state.ownerId!
      // the hot SLA: first touch within 5 minutes of T0 (wall clock), accept within 2 minutes of the new routing
      expect(after.assignment).toMatchObject({ repId: owner, pod: "ae-direct", strategy: "round_robin", tier: "hot", cadence: "speed-to-lead", t0: tuesday10am })
      expect(after.assignment?.firstTouchBy).toEqual(new Date(tuesday10am.getTime() + 5 * MIN))
      expect(after.assignment?.acceptBy).toEqual(new Date(tuesday10am.getTime() + 5 * MIN))
      expect(after.assignment?.routedAt).toEqual(new Date(tuesday10am.getTime() + 3 * MIN))
      expect(after.routing).toMatchObject({ pod: "ae-direct", strategy: "round_robin" })
      expect(decision?.route?._tag).toBe("Assigned")
      expect(yield* stored(lead.id)).toEqual(after)

      const s = yield* stateNow
      // the rotation: one credit in the SDR pod for the first routing, one in the hot pod for this one
      expect(s.ledger.filter((e) => e.kind === "credit").map((e) => [e.pod, e.repId, e.leadId])).toEqual([["sdr", "sdr-us", lead.id], ["ae-direct", owner, lead.id]])
      // the SDR is told as a reassignment tells the old owner, and the new owner gets the handoff context
      const reassigned = s.outbox.filter((m) => m.topic === "lead.reassigned")
      expect(reassigned).toHaveLength(1)
      expect(reassigned[0]!.payload).toMatchObject({ fromRepId: "sdr-us", toRepId: owner, pod: "ae-direct", cause: "tier_upgraded", tier: "hot" })
      expect(reassigned[0]!.payload.handoff).toMatchObject({ title: "VP Sales", owner: { repId: owner }, sla: { firstTouchBy: new Date(tuesday10am.getTime() + 5 * MIN).toISOString() } })
      expect(s.outbox.filter((m) => m.topic === "lead.tier_changed").map((m) => m.payload)).toEqual([
        expect.objectContaining({ from: "warm-plus", to: "hot", action: "rerouted", repId: "sdr-us", toRepId: owner, t0: tuesday10am.toISOString() })
      ])
      // the timeline says why, then who
      const timeline = s.timeline.get(lead.id) ?? []
      const why = timeline.find((e) => e.reason === "tier_changed")!
      expect(why.data).toMatchObject({ from: "warm-plus", to: "hot", action: "rerouted", fromRepId: "sdr-us", toRepId: owner })
      expect(why.explanation).toContain("nobody has accepted it yet")
      expect(why.explanation).toContain(`counted from T0 ${tuesday10am.toISOString()}`)
      const moved = timeline.find((e) => e.cause === "Reassign")!
      expect(moved).toMatchObject({ reason: "tier_upgraded", stage: "mql", data: { fromRepId: "sdr-us", toRepId: owner, pod: "ae-direct" } })
      expect(isInLimbo(after.state)).toBe(false)

      // the hot pod's rotation counted the credit: the next hot lead goes to the other AE
      const { lead: next } = yield* handoff.ingest({ profile: hotLead, intent: "demo_request" }, api)
      expect(next.state.ownerId).toBe(owner === "ae-1" ? "ae-2" : "ae-1")
    }).pipe(Effect.provide(setup())))

  it.effect("enrichment after the hot first-touch deadline: T0 is kept, and the SLA sweep handles the breach as any other", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: form, intent: "demo_request" }, api)
      yield* TestClock.adjust("12 minutes")
      const { lead: after } = yield* handoff.enrich(lead.id, vendor, api)
      expect(after.tier).toBe("hot")
      expect(after.assignment?.firstTouchBy).toEqual(new Date(tuesday10am.getTime() + 5 * MIN))
      expect(after.assignment?.acceptBy).toEqual(new Date(tuesday10am.getTime() + 14 * MIN))
      const report = yield* handoff.sweepSla(10)
      const breaches = report.breaches.filter((b) => b.leadId === lead.id)
      expect(breaches.map((b) => b.breach.kind)).toContain("first_touch")
      expect(breaches.find((b) => b.breach.kind === "first_touch")!.action).toBe("notified manager mgr-1")
      // a first-touch miss notifies the manager; the hot owner keeps the lead
      expect((yield* stored(lead.id)).state.ownerId).toBe(after.state.ownerId)
    }).pipe(Effect.provide(setup())))

  it.effect("an accepted lead enriched to hot stays with its owner: recorded, the handoff keeps its tier and SLA", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: form, intent: "demo_request" }, api)
      yield* handoff.accept(lead.id, "sdr-us", { kind: "rep", id: "sdr-us" })
      const { lead: after } = yield* handoff.enrich(lead.id, vendor, api)
      expect(after).toMatchObject({ tier: "warm-plus", state: { stage: "sal", ownerId: "sdr-us" }, assignment: { tier: "warm-plus", repId: "sdr-us" } })
      const s = yield* stateNow
      expect(s.outbox.map((m) => m.topic)).not.toContain("lead.reassigned")
      expect(s.ledger.filter((e) => e.pod === "ae-direct")).toEqual([])
      const recorded = (s.timeline.get(lead.id) ?? []).find((e) => e.reason === "tier_changed")!
      expect(recorded.data).toEqual({ from: "warm-plus", to: "hot", action: "recorded" })
      expect(recorded.explanation).toContain("already accepted")
    }).pipe(Effect.provide(setup())))

  it.effect("a hot lead enriched down (hot → warm-plus) and a warm-plus lead that stays warm-plus are not moved", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead: hot } = yield* handoff.ingest({ profile: hotLead, intent: "demo_request" }, api)
      const hotOwner = hot.state.ownerId
      const { lead: down } = yield* handoff.enrich(hot.id, { employees: 20 }, api)
      expect(down).toMatchObject({ tier: "hot", state: { ownerId: hotOwner }, assignment: { tier: "hot" } })
      const { lead: warm } = yield* handoff.ingest({ profile: form, intent: "demo_request" }, api)
      const { lead: still } = yield* handoff.enrich(warm.id, { title: "Analyst", employees: 300 }, api)
      expect(still).toMatchObject({ tier: "warm-plus", state: { ownerId: "sdr-us" } })
      const s = yield* stateNow
      expect((s.timeline.get(hot.id) ?? []).filter((e) => e.reason === "tier_changed").map((e) => e.data)).toEqual([{ from: "hot", to: "warm-plus", action: "recorded" }])
      expect((s.timeline.get(warm.id) ?? []).filter((e) => e.reason === "tier_changed")).toEqual([])
      expect(s.outbox.map((m) => m.topic)).not.toContain("lead.reassigned")
    }).pipe(Effect.provide(setup())))

  it.effect("queued warm-plus (no SDR could take it) enriched to hot → out of the queue to a hot-pod rep, T0 kept", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: form, intent: "demo_request" }, api)
      expect(lead.state).toMatchObject({ stage: "mql", queue: "sdr" })
      yield* TestClock.adjust("1 minute")
      const { lead: after } = yield* handoff.enrich(lead.id, vendor, api)
      expect(after).toMatchObject({ tier: "hot", state: { stage: "mql", pod: "ae-direct" }, assignment: { tier: "hot", t0: tuesday10am } })
      expect(after.state.queue).toBeUndefined()
      expect(["ae-1", "ae-2"]).toContain(after.state.ownerId)
      expect(after.flags).not.toContain("queued")
      expect(after.assignment?.firstTouchBy).toEqual(new Date(tuesday10am.getTime() + 5 * MIN))
      const s = yield* stateNow
      expect(s.outbox.filter((m) => m.topic === "lead.routed").map((m) => m.payload.repId)).toEqual([after.state.ownerId])
      expect(s.outbox.map((m) => m.topic)).not.toContain("lead.reassigned")
    }).pipe(Effect.provide(setup(team.filter((r) => r.pods.some((p) => p.startsWith("ae")))))))

  it.effect("enriched to hot while nobody in the hot pod can take it: the SDR keeps it, recorded with the reason", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: form, intent: "demo_request" }, api)
      const { lead: after } = yield* handoff.enrich(lead.id, vendor, api)
      expect(after).toMatchObject({ tier: "warm-plus", state: { ownerId: "sdr-us" } })
      const recorded = ((yield* stateNow).timeline.get(lead.id) ?? []).find((e) => e.reason === "tier_changed")!
      expect(recorded.data).toMatchObject({ action: "recorded", to: "hot" })
      expect(recorded.explanation).toContain("nobody in pod ae-direct")
    }).pipe(Effect.provide(setup([...team.filter((r) => !r.pods.includes("ae-direct") && !r.pods.includes("ae-backup"))]))))
})

describe("ABM: the account owner owns an inquiry from an account in an active outbound play", () => {
  const target: Account = { domain: "target.com", named: false, activeOutbound: true, ownerRepId: "ae-9" as RepId }
  const reader: LeadProfile = { email: "reader@target.com", title: "Analyst", employees: 300, country: "US" }

  it.effect("a content download → owned by the account owner, still an inquiry: abm_suppressed, no SLA timer, no cadence, no rotation, the owner notified", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { decision, lead } = yield* handoff.ingest({ profile: reader, intent: "content_download", properties: { kind: "whitepaper" } }, api)
      expect(lead).toMatchObject({ tier: "nurture", state: { stage: "inquiry", ownerId: "ae-9" } })
      expect(lead.flags).toContain("abm_suppressed")
      expect(lead.assignment).toBeUndefined()
      expect(lead.routing).toMatchObject({ pod: "account:target.com", strategy: "abm_owner" })
      expect(decision?.route).toMatchObject({ _tag: "Assigned", repId: "ae-9", strategy: "abm_owner" })
      const s = yield* Ref.get(yield* InMemoryRef)
      expect(s.ledger).toEqual([])
      const routed = s.outbox.filter((m) => m.topic === "lead.routed")
      expect(routed).toHaveLength(1)
      expect(routed[0]!.payload).toMatchObject({ repId: "ae-9", pod: "account:target.com", strategy: "abm_owner", stage: "inquiry" })
      expect(routed[0]!.payload.handoff).toMatchObject({ owner: { repId: "ae-9" }, flags: expect.arrayContaining(["abm_suppressed"]), content: [{ type: "content_download", kind: "whitepaper" }] })
      expect(s.outbox.map((m) => m.topic)).not.toContain("lead.mql")
      const owned = (s.timeline.get(lead.id) ?? []).find((e) => e.cause === "AbmOwnership")!
      expect(owned).toMatchObject({ stage: "inquiry", from: "inquiry", reason: "abm_suppressed", data: { repId: "ae-9", domain: "target.com" } })
      expect(owned.explanation).toContain("not an MQL")

      // another form fill: the owner hears of it, nothing else changes
      yield* handoff.ingest({ profile: reader, intent: "webinar_registration" }, api)
      const again = yield* Ref.get(yield* InMemoryRef)
      expect(again.outbox.filter((m) => m.topic === "lead.routed")).toHaveLength(1)
      expect(again.outbox.filter((m) => m.topic === "lead.activity").map((m) => m.payload.repId)).toEqual(["ae-9"])

      // a hand-raise later makes it an MQL, routed to the owner with its tier's SLA (no SDR cadence)
      const { lead: mql } = yield* handoff.ingest({ profile: reader, intent: "contact_sales" }, api)
      expect(mql).toMatchObject({ tier: "warm-plus", state: { stage: "mql", ownerId: "ae-9" }, assignment: { strategy: "abm_owner" } })
      expect(mql.assignment?.cadence).toBeUndefined()
      expect(mql.assignment?.firstTouchBy).toBeDefined()
      expect((yield* Ref.get(yield* InMemoryRef)).ledger).toEqual([])
    }).pipe(Effect.provide(setup(team, [target]))))

  it.effect("an account in active outbound without an owner: marketing keeps the inquiry as before, and the decision says why", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { decision, lead } = yield* handoff.ingest({ profile: reader, intent: "content_download" }, api)
      expect(lead).toMatchObject({ tier: "nurture", state: { stage: "inquiry" } })
      expect(lead.state.ownerId).toBeUndefined()
      expect(lead.routing).toBeUndefined()
      expect(lead.flags).toContain("abm_suppressed")
      expect(decision?.route?._tag === "NotRouted" && decision.route.reason).toContain("target.com is in an active outbound play, but the account has no owner")
      const s = yield* Ref.get(yield* InMemoryRef)
      expect(s.outbox.map((m) => m.topic)).toEqual(["lead.created"])
      expect((s.timeline.get(lead.id) ?? []).map((e) => e.cause)).toEqual(["Inquiry"])
    }).pipe(Effect.provide(setup(team, [{ ...target, ownerRepId: undefined }]))))
})

describe("invariants", () => {
  it.effect("no MQL is left in limbo: every one has an owner or a named queue", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const titles = ["VP Sales", "CEO", "Analyst", "Head of Growth", "Engineer"]
      const intents = ["demo_request", "pricing_request", "content_download", "contact_sales", "trial_signup"]
      for (let i = 0; i < 60; i++) {
        yield* handoff.ingest({
          profile: { email: `p${i}@co${i % 7}.com`, title: titles[i % 5]!, employees: 20 + (i * 97) % 3000, estimatedAcv: (i * 7919) % 150000, industry: i % 2 ? "saas" : "retail", country: i % 3 ? "US" : "DE" },
          intent: intents[(i * 3) % 5]!
        }, api)
        yield* TestClock.adjust("7 minutes")
      }
      const state = yield* Ref.get(yield* InMemoryRef)
      const leads = [...state.leads.values()]
      expect(leads.filter((l) => l.state.stage === "mql").length).toBeGreaterThan(10)
      expect(leads.filter((l) => isInLimbo(l.state))).toEqual([])
      for (const l of leads) expect(l.agreementVersion).toBe(1)
    }).pipe(Effect.provide(setup())))
})

describe("mergeInquiry: what a repeat inquiry may change", () => {
  const stored: LeadProfile = { email: "sam@midco.io", firstName: "Sam", title: "Analyst", employees: 300, source: { channel: "organic" }, fields: { q: "a", r: "b" } }

  it("fills blank identity fields, keeps the stored ones and reports what differed", () => {
    const m = mergeInquiry(stored, { email: "x@evil.io", firstName: "Mallory", phone: "+1 555", employees: 300, title: "CEO" }, "fill_blanks")
    expect(m.profile).toMatchObject({ email: "sam@midco.io", firstName: "Sam", title: "Analyst", employees: 300, phone: "+1 555" })
    expect(m.filled).toEqual(["phone"])
    expect(m.differing).toEqual({ firstName: "Mallory", title: "CEO" })
  })

  it("overwrite takes the caller's values, and says which ones changed", () => {
    const m = mergeInquiry(stored, { email: "sam@midco.io", firstName: "Samuel", employees: 300 }, "overwrite")
    expect(m.profile.firstName).toBe("Samuel")
    expect(m.differing).toEqual({ firstName: "Samuel" })
    expect(m.filled).toEqual([])
  })

  it("the latest source wins and form answers are added to the earlier ones", () => {
    const m = mergeInquiry(stored, { email: "sam@midco.io", source: { channel: "paid_search" }, fields: { r: "c", s: "d" } }, "fill_blanks")
    expect(m.profile.source).toEqual({ channel: "paid_search" })
    expect(m.profile.fields).toEqual({ q: "a", r: "c", s: "d" })
    expect(m.differing).toEqual({})
  })
})
