import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck, Layer, Ref, TestClock } from "effect"
import { defaultAgreement } from "./DefaultAgreement.ts"
import { Handoff, HandoffLive } from "./Handoff.ts"
import { emptyState, InMemoryRef, inMemoryLayer, withReps } from "./InMemory.ts"
import type { LeadEvent, LeadProfile, Rep, RepId } from "./Lead.ts"
import { initialLeadState, isInLimbo, type LeadState } from "./Lifecycle.ts"
import { type Assignment, type LeadRecord, LeadStore } from "./Ports.ts"
import { clockSkewTolerance } from "./Receipt.ts"
import { score } from "./Scoring.ts"
import { slaPlan } from "./Sla.ts"
import { backToNurture, decayDecision, nextScoreChangeAt, reevaluationDecision, slaSweepPlan } from "./Sweeps.ts"

const DAY = 86_400_000
const tuesday10am = new Date("2026-01-06T15:00:00Z") // 10:00 in New York
const at = (ms: number) => new Date(tuesday10am.getTime() + ms)
const api = { kind: "api_key", id: "key_forms" } as const

const rep = (id: string, pods: Array<string>, extra: Partial<Rep> = {}): Rep => ({
  id: id as RepId,
  name: id.toUpperCase(),
  role: pods.some((p) => p.startsWith("ae")) ? "ae" : "sdr",
  pods,
  timezone: "America/New_York",
  workingHours: { "mon-sun": ["00:00", "24:00"] },
  capacity: {},
  weight: 1,
  active: true,
  outOfOffice: [],
  territories: [],
  segments: [],
  managerId: "mgr-1" as RepId,
  ...extra
})

const team: ReadonlyArray<Rep> = [
  rep("ae-1", ["ae-direct"]),
  rep("ae-2", ["ae-direct"]),
  rep("ae-9", ["ae-backup"]),
  rep("sdr-us", ["sdr"], { territories: ["US", "CA"] }),
  rep("sdr-b", ["sdr-backup"])
]
/** Nobody in the SDR pods: warm MQLs wait in the sdr queue. */
const aesOnly = team.filter((r) => r.role === "ae")

const setup = (reps: ReadonlyArray<Rep> = team) => HandoffLive.pipe(Layer.provideMerge(inMemoryLayer(withReps(reps)(emptyState(defaultAgreement)))))

/** Head of Ops at a 300-person SaaS company: fit 35. */
const midOps: LeadProfile = { email: "lee@midco.io", title: "Head of Ops", employees: 300, industry: "saas", country: "US" }
const pricing = (t: Date): LeadEvent => ({ type: "page_view", occurredAt: t, properties: { category: "pricing" } })
const caseStudy = (t: Date): LeadEvent => ({ type: "content_download", occurredAt: t, properties: { kind: "case_study" } })

const stateOf = Effect.flatMap(InMemoryRef, Ref.get)
const stored = (id: string) => Effect.map(stateOf, (s) => s.leads.get(id)!)

// ---------------------------------------------------------------------------
// Pure decisions, fixed now
// ---------------------------------------------------------------------------

describe("nextScoreChangeAt: when a score can change by itself", () => {
  it("follows the decay steps from the last engagement (30, 60, 90 days), then nothing", () => {
    const events = [pricing(tuesday10am), caseStudy(tuesday10am)]
    expect(nextScoreChangeAt(defaultAgreement, events, tuesday10am, at(DAY))).toEqual(at(30 * DAY))
    expect(nextScoreChangeAt(defaultAgreement, events, tuesday10am, at(30 * DAY))).toEqual(at(60 * DAY))
    expect(nextScoreChangeAt(defaultAgreement, events, tuesday10am, at(75 * DAY))).toEqual(at(90 * DAY))
    expect(nextScoreChangeAt(defaultAgreement, events, tuesday10am, at(91 * DAY))).toBeUndefined()
  })

  it("includes count windows, the hand-raise window and events dated later than now", () => {
    const opens = [0, 1, 2].map((d): LeadEvent => ({ type: "email_open", occurredAt: at(d * DAY), properties: {} }))
    // the first open leaves the 30-day window (and the inactivity decay step) at day 30
    expect(nextScoreChangeAt(defaultAgreement, opens, null, at(3 * DAY))).toEqual(at(30 * DAY))
    const demo: LeadEvent = { type: "demo_request", occurredAt: at(DAY), properties: {} }
    expect(nextScoreChangeAt(defaultAgreement, [demo], at(DAY), at(2 * DAY))).toEqual(at(31 * DAY))
    // an event dated later counts from the clock-skew tolerance before its date
    expect(nextScoreChangeAt(defaultAgreement, [pricing(at(5 * DAY))], null, at(DAY))).toEqual(at(5 * DAY - clockSkewTolerance))
  })

  const eventArb = FastCheck.record({
    kind: FastCheck.constantFrom("pricing", "case", "open", "visit", "demo", "careers"),
    day: FastCheck.integer({ min: 0, max: 200 }),
    minute: FastCheck.integer({ min: 0, max: 1439 })
  })
  it.prop("never misses a change: the score is the same from now until the instant it names", {
    evs: FastCheck.array(eventArb, { maxLength: 8 }),
    nowDay: FastCheck.integer({ min: 0, max: 260 }),
    fraction: FastCheck.double({ min: 0, max: 0.999, noNaN: true })
  }, ({ evs, fraction, nowDay }) => {
    const events = evs.map((e): LeadEvent => {
      const t = at(e.day * DAY + e.minute * 60_000)
      switch (e.kind) {
        case "pricing": return pricing(t)
        case "case": return caseStudy(t)
        case "open": return { type: "email_open", occurredAt: t, properties: {} }
        case "visit": return { type: "site_visit", occurredAt: t, properties: {} }
        case "demo": return { type: "demo_request", occurredAt: t, properties: {} }
        default: return { type: "page_view", occurredAt: t, properties: { category: "careers" } }
      }
    })
    const lead = { profile: midOps }
    const now = at(nowDay * DAY)
    const s = score(defaultAgreement, lead, events, now)
    const next = nextScoreChangeAt(defaultAgreement, events, s.lastEngagementAt, now)
    const until = next === undefined ? now.getTime() + 400 * DAY : next.getTime()
    const probe = new Date(now.getTime() + Math.floor((until - now.getTime()) * fraction))
    const later = score(defaultAgreement, lead, events, probe)
    expect([later.total, later.mql, later.handRaise?.type ?? null]).toEqual([s.total, s.mql, s.handRaise?.type ?? null])
  }, { fastCheck: { numRuns: 200 } })
})

describe("decayDecision", () => {
  const s70 = score(defaultAgreement, { profile: midOps }, [pricing(tuesday10am), caseStudy(tuesday10am)], at(DAY))
  const s43 = score(defaultAgreement, { profile: midOps }, [pricing(tuesday10am), caseStudy(tuesday10am)], at(61 * DAY))
  const lead = (state: Partial<LeadState>) => ({ profile: midOps, score: s70, state: { ...initialLeadState, ...state } })

  it("scores decay: 70 → 43.75 after 60 days without engagement", () => {
    expect(s70.total).toBe(70)
    expect(s43.total).toBe(43.75)
  })

  it("a queued MQL nobody owns that falls below the line goes back to nurture; an owned one stays with sales", () => {
    expect(decayDecision(lead({ stage: "mql", queue: "sdr", pod: "sdr" }), s43, "marketing", at(61 * DAY))._tag).toBe("FallsBelow")
    expect(decayDecision(lead({ stage: "mql", ownerId: "sdr-us" }), s43, "marketing", at(61 * DAY))._tag).toBe("Rescored")
    expect(decayDecision(lead({ stage: "sal", ownerId: "sdr-us" }), s43, "marketing", at(61 * DAY))._tag).toBe("Rescored")
  })

  it("a lead marketing holds that qualifies becomes an MQL, unless a recycle hold stands", () => {
    const inquiry = { ...lead({ stage: "inquiry" }), score: s43 }
    expect(decayDecision(inquiry, s70, "sales", at(DAY))._tag).toBe("Qualifies")
    const held = { ...lead({ stage: "nurture", recycle: { reason: "premature", at: tuesday10am, reevaluateAt: at(30 * DAY) } }), score: s43 }
    expect(decayDecision(held, s70, "sales", at(DAY))._tag).toBe("Rescored")
    expect(decayDecision(held, s70, "sales", at(31 * DAY))._tag).toBe("Qualifies")
  })

  it("the same score twice is Unchanged (running the sweep again changes nothing)", () => {
    expect(decayDecision(lead({ stage: "nurture" }), s70, "sales", at(DAY))._tag).toBe("Qualifies")
    expect(decayDecision({ ...lead({ stage: "inquiry" }), score: s43 }, s43, "marketing", at(61 * DAY))._tag).toBe("Unchanged")
  })

  it("back to nurture keeps the history and drops the queue", () => {
    const back = backToNurture({ ...initialLeadState, stage: "mql", queue: "sdr", pod: "sdr", cycles: 2, rejections: [{ reason: "premature", repId: "x", at: tuesday10am }] }, at(DAY))
    expect(back).toMatchObject({ stage: "nurture", cycles: 2, recycles: 1, recycle: { reason: "inactivity", at: at(DAY) } })
    expect(back.queue).toBeUndefined()
    expect(back.rejections).toHaveLength(1)
    expect(isInLimbo(back)).toBe(false)
  })
})

describe("slaSweepPlan", () => {
  const plan = slaPlan(defaultAgreement, "hot", { t0: tuesday10am, routedAt: tuesday10am })
  const assignment: Assignment = {
    repId: "ae-1", pod: "ae-direct", strategy: "round_robin", tier: "hot", cadence: "speed-to-lead", t0: tuesday10am, routedAt: tuesday10am,
    acceptBy: plan.acceptBy!, firstTouchBy: plan.firstTouchBy!, reassignments: 0, handledBreaches: []
  }

  it("an accept deadline is breached only after it passes (inclusive), and then means reassign to backup", () => {
    expect(slaSweepPlan(defaultAgreement, assignment, undefined, [], plan.acceptBy!).fresh).toEqual([])
    const p = slaSweepPlan(defaultAgreement, assignment, undefined, [], at(121_000))
    expect(p.fresh.map((b) => [b.key, b.action])).toEqual([["accept", "reassign_backup"]])
  })

  it("handled breaches are not fresh again; first touch and cadence misses come later", () => {
    const p = slaSweepPlan(defaultAgreement, { ...assignment, handledBreaches: ["accept"] }, undefined, [], at(6 * 60_000))
    expect(p.fresh.map((b) => b.key)).toEqual(["first_touch", "cadence:attempt-1"])
    expect(p.fresh.find((b) => b.key === "first_touch")?.flag).toBe("sla_missed:first_touch")
  })

  it("after maxReassignments, an accept miss notifies the manager instead", () => {
    const p = slaSweepPlan(defaultAgreement, { ...assignment, reassignments: 2 }, undefined, [], at(3 * 60_000))
    expect(p.fresh[0]?.action).toBe("notify_manager")
  })

  it("names the next cadence check just after the next pending step is due", () => {
    const call = { repId: "ae-1", kind: "call", connected: false, occurredAt: at(60_000) } as const
    const p = slaSweepPlan(defaultAgreement, assignment, at(30_000), [call], at(90_000))
    // attempt 1 done at 10:01: voicemail + email due 3 minutes later is the next step
    expect(p.cadenceCheckAt).toEqual(at(60_000 + 3 * 60_000 + 1))
    expect(p.exhausted).toBe(false)
  })

  it("a cadence used up without a conversation is exhausted; a conversation ends it without", () => {
    const sdr = slaPlan(defaultAgreement, "warm-plus", { t0: tuesday10am, routedAt: tuesday10am })
    const a: Assignment = { ...assignment, repId: "sdr-us", pod: "sdr", tier: "warm-plus", cadence: "sdr-3x3", firstTouchBy: sdr.firstTouchBy!, reassignments: 0 }
    const { acceptBy: _a, ...noAccept } = a
    const touches = [1, 2, 3].map((h) => ({ repId: "sdr-us", kind: "call", connected: false, occurredAt: at(h * 3_600_000) }) as const)
    expect(slaSweepPlan(defaultAgreement, noAccept, undefined, touches, at(4 * 3_600_000)).exhausted).toBe(true)
    const talked = [...touches.slice(0, 2), { ...touches[2]!, connected: true }]
    const p = slaSweepPlan(defaultAgreement, noAccept, undefined, talked, at(4 * 3_600_000))
    expect(p.exhausted).toBe(false)
    expect(p.cadenceCheckAt).toBeUndefined()
  })
})

describe("reevaluationDecision", () => {
  const nurture = (reason: "premature" | "unreachable", until: Date): LeadState => ({ ...initialLeadState, stage: "nurture", recycle: { reason, at: tuesday10am, reevaluateAt: until } })
  it("nothing before the hold ends", () => {
    expect(reevaluationDecision(nurture("premature", at(30 * DAY)), "sales", at(29 * DAY))._tag).toBe("NotDue")
  })
  it("premature: MQL again if it qualifies, else another delay", () => {
    expect(reevaluationDecision(nurture("premature", at(30 * DAY)), "sales", at(30 * DAY))).toMatchObject({ _tag: "Qualifies", lift: false })
    expect(reevaluationDecision(nurture("premature", at(30 * DAY)), "marketing", at(30 * DAY))._tag).toBe("StillPremature")
  })
  it("other holds are lifted", () => {
    expect(reevaluationDecision(nurture("unreachable", at(90 * DAY)), "marketing", at(90 * DAY))._tag).toBe("LiftHold")
    expect(reevaluationDecision(nurture("unreachable", at(90 * DAY)), "sales", at(90 * DAY))).toMatchObject({ _tag: "Qualifies", lift: true })
  })
})

// ---------------------------------------------------------------------------
// The sweeps through the in-memory ports
// ---------------------------------------------------------------------------

const noLimbo = Effect.map(stateOf, (s) => [...s.leads.values()].filter((l) => isInLimbo(l.state)).map((l) => l.id))

describe("decay sweep (in memory)", () => {
  it.effect("a queued MQL whose score decays below the line goes back to nurture, once", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: midOps, intent: "content_download", properties: { kind: "case_study" } }, api)
      yield* handoff.recordEvents([{ leadId: lead.id, event: pricing(tuesday10am) }], api)
      const queued = yield* stored(lead.id)
      expect(queued.state).toMatchObject({ stage: "mql", queue: "sdr" })
      expect(queued.rescoreAt).toEqual(at(30 * DAY))

      yield* TestClock.setTime(at(30 * DAY).getTime())
      const at30 = yield* handoff.sweepDecay(100)
      expect(at30.actions).toEqual([{ leadId: lead.id, action: "score 70 → 52.5" }])
      expect((yield* stored(lead.id)).state.stage).toBe("mql")

      yield* TestClock.setTime(at(60 * DAY).getTime())
      const at60 = yield* handoff.sweepDecay(100)
      expect(at60.actions.map((a) => a.action)).toEqual(["score 52.5 → 43.75: below the MQL line, back to nurture"])
      const back = yield* stored(lead.id)
      expect(back.state).toMatchObject({ stage: "nurture", cycles: 1 })
      expect(back.score?.total).toBe(43.75)
      expect(back.assignment).toBeUndefined()
      const s = yield* stateOf
      expect((s.timeline.get(lead.id) ?? []).filter((e) => e.cause === "Decay").map((e) => e.reason)).toEqual(["score_decayed"])
      expect(s.outbox.filter((m) => m.topic === "lead.recycled" && m.key === lead.id).map((m) => m.payload.reason)).toEqual(["score_decayed"])
      // running it again changes nothing
      const again = yield* handoff.sweepDecay(100)
      expect(again.claimed).toBe(0)
      expect((yield* stateOf).outbox.length).toBe(s.outbox.length)
      expect(yield* noLimbo).toEqual([])
    }).pipe(Effect.provide(setup(aesOnly))))

  it.effect("an inquiry whose score crosses the line by itself becomes an MQL and is routed (reusing the ingest decision)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { ...midOps, title: "Ops Manager" }, intent: "content_download", properties: { kind: "case_study" } }, api)
      // an event stored ahead of its time (the API now clamps those, older data may hold them)
      // only counts once it has happened: the sweep looks again then
      const store = yield* LeadStore
      yield* store.appendEvents(lead.id, [pricing(at(3_600_000))])
      yield* store.update({ ...(yield* stored(lead.id)), rescoreAt: at(3_600_000) })
      expect((yield* stored(lead.id)).state.stage).toBe("inquiry")
      yield* TestClock.setTime(at(3_600_000).getTime())
      const r = yield* handoff.sweepDecay(100)
      expect(r.actions[0]?.action).toBe("score 35 → 55: MQL, routed to sdr-us")
      const mql = yield* stored(lead.id)
      expect(mql.state).toMatchObject({ stage: "mql", ownerId: "sdr-us" })
      expect(mql.tier).toBe("warm")
      expect((yield* stateOf).outbox.filter((m) => m.key === lead.id).map((m) => m.topic)).toEqual(["lead.created", "lead.mql", "lead.routed"])
      expect((yield* handoff.sweepDecay(100)).claimed).toBe(0)
    }).pipe(Effect.provide(setup())))
})

describe("SLA sweep (in memory)", () => {
  it.effect("a missed first touch is recorded per rep and source and the manager is told; the breach is handled once", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { ...midOps, email: "vp@bigco.com", title: "VP Sales", estimatedAcv: 90000, source: { channel: "paid_search" } }, intent: "demo_request" }, api)
      const owner = lead.state.ownerId!
      yield* handoff.accept(lead.id, owner, { kind: "rep", id: owner })
      yield* TestClock.adjust("6 minutes")
      const r = yield* handoff.sweepSla(100)
      expect(r.breaches.map((b) => [b.breach.key, b.action])).toEqual([["first_touch", "notified manager mgr-1"], ["cadence:attempt-1", "flagged"]])
      const s = yield* stateOf
      const entries = (s.timeline.get(lead.id) ?? []).filter((e) => e.cause === "SlaBreach")
      expect(entries.map((e) => e.data)).toEqual([
        expect.objectContaining({ kind: "first_touch", repId: owner, source: "paid_search", managerId: "mgr-1" }),
        expect.objectContaining({ kind: "cadence_step", stepId: "attempt-1", repId: owner, source: "paid_search" })
      ])
      expect(s.outbox.filter((m) => m.topic === "sla.escalated").map((m) => m.payload.managerId)).toEqual(["mgr-1", "mgr-1"])
      expect(s.outbox.filter((m) => m.topic === "sla.breached").map((m) => [m.payload.repId, m.payload.source])).toEqual([[owner, "paid_search"], [owner, "paid_search"]])
      expect((yield* handoff.sweepSla(100)).breaches).toEqual([])
    }).pipe(Effect.provide(setup())))

  it.effect("a cadence used up without a conversation recycles the lead for low-frequency re-engagement", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { ...midOps, email: "mm@small.io", title: "Marketing Manager", estimatedAcv: 20000 }, intent: "demo_request" }, api)
      expect(lead.tier).toBe("warm-plus")
      const owner = lead.state.ownerId!
      const as = { kind: "rep", id: owner } as const
      yield* handoff.accept(lead.id, owner, as)
      for (const h of [1, 2, 3]) {
        yield* TestClock.setTime(at(h * 3_600_000).getTime())
        yield* handoff.logActivity(lead.id, { repId: owner, kind: "call", connected: false, occurredAt: at(h * 3_600_000) }, as)
      }
      yield* TestClock.adjust("1 second")
      const r = yield* handoff.sweepSla(100)
      expect(r.actions.map((a) => a.action)).toContain("recycled: cadence exhausted without a conversation")
      const back = yield* stored(lead.id)
      expect(back.state).toMatchObject({ stage: "nurture", recycle: { reason: "cadence_exhausted", track: "low_frequency" } })
      expect(back.flags).toContain("unreachable")
      expect((yield* handoff.sweepSla(100)).claimed).toBe(0)
    }).pipe(Effect.provide(setup())))
})

describe("re-evaluation and inactivity sweeps (in memory)", () => {
  it.effect("a premature rejection is re-scored after 30 days: still not ready → another delay; ready → MQL again, keeping its history", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: midOps, intent: "content_download", properties: { kind: "case_study" } }, api)
      yield* handoff.recordEvents([{ leadId: lead.id, event: pricing(tuesday10am) }], api)
      const owner = (yield* stored(lead.id)).state.ownerId!
      yield* handoff.reject(lead.id, { repId: owner, reason: "premature" }, { kind: "rep", id: owner })
      yield* TestClock.setTime(at(29 * DAY).getTime())
      expect((yield* handoff.sweepReevaluations(100)).claimed).toBe(0)
      // day 30: the hold ends; decayed to 52.5, it still qualifies
      yield* TestClock.setTime(at(30 * DAY).getTime())
      const r = yield* handoff.sweepReevaluations(100)
      expect(r.actions.map((a) => a.action)).toEqual(["re-evaluated: MQL again (score 52.5, returning lead)"])
      const again = yield* stored(lead.id)
      expect(again.state).toMatchObject({ stage: "mql", cycles: 2, ownerId: "sdr-us" })
      expect(again.state.rejections.map((x) => x.reason)).toEqual(["premature"])
      expect(again.state.flags).toEqual(expect.arrayContaining(["returning_lead", "rejected_before:premature"]))
      expect((yield* handoff.sweepReevaluations(100)).claimed).toBe(0)
    }).pipe(Effect.provide(setup())))

  it.effect("a premature lead still below the line stays in nurture for another delay", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: midOps, intent: "content_download", properties: { kind: "case_study" } }, api)
      yield* handoff.recordEvents([{ leadId: lead.id, event: pricing(tuesday10am) }], api)
      const owner = (yield* stored(lead.id)).state.ownerId!
      yield* handoff.reject(lead.id, { repId: owner, reason: "premature" }, { kind: "rep", id: owner })
      yield* TestClock.setTime(at(61 * DAY).getTime())
      const r = yield* handoff.sweepReevaluations(100)
      expect(r.actions[0]?.action).toMatch(/^still not ready \(score 43.75\): nurture until/)
      const later = yield* stored(lead.id)
      expect(later.state).toMatchObject({ stage: "nurture", recycle: { reason: "premature_reevaluated", reevaluateAt: at(91 * DAY) } })
      expect((yield* handoff.sweepReevaluations(100)).claimed).toBe(0)
    }).pipe(Effect.provide(setup())))

  it.effect("14 days without sales activity: back to nurture with the reason, once", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { ...midOps, email: "vp@bigco.com", title: "VP Sales", estimatedAcv: 90000 }, intent: "demo_request" }, api)
      const owner = lead.state.ownerId!
      yield* handoff.accept(lead.id, owner, { kind: "rep", id: owner })
      yield* TestClock.setTime(at(2 * DAY).getTime())
      yield* handoff.logActivity(lead.id, { repId: owner, kind: "call", connected: true, occurredAt: at(2 * DAY) }, { kind: "rep", id: owner })
      yield* TestClock.setTime(at(16 * DAY).getTime())
      expect((yield* handoff.sweepInactivity(100)).claimed).toBe(0)
      yield* TestClock.setTime(at(16 * DAY + 1).getTime())
      const r = yield* handoff.sweepInactivity(100)
      expect(r.actions).toEqual([{ leadId: lead.id, action: `recycled: no sales activity by ${owner} for P14D` }])
      const back: LeadRecord = yield* stored(lead.id)
      expect(back.state).toMatchObject({ stage: "nurture", recycle: { reason: "inactivity" } })
      expect((yield* stateOf).outbox.filter((m) => m.topic === "lead.recycled").map((m) => m.payload.reason)).toEqual(["inactivity"])
      expect((yield* handoff.sweepInactivity(100)).claimed).toBe(0)
    }).pipe(Effect.provide(setup())))
})

describe("enrichment re-score", () => {
  it.effect("after routing on the provisional score, a tier change is recorded while sales keeps the handoff; a lead marketing holds is acted on", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(tuesday10am.getTime())
      const handoff = yield* Handoff
      const { lead } = yield* handoff.ingest({ profile: { ...midOps, email: "vp@bigco.com", title: "VP Sales", estimatedAcv: 90000 }, intent: "demo_request" }, api)
      expect(lead.tier).toBe("hot")
      expect(lead.score?.provisional).toBe(true)
      const owner = lead.state.ownerId
      // the vendor says: 20 people, a disqualifier — on enriched data this is warm-plus, not hot
      const { lead: enriched } = yield* handoff.enrich(lead.id, { employees: 20 }, api)
      expect(enriched.score?.provisional).toBe(false)
      expect(enriched.tier).toBe("hot")
      expect(enriched.state.ownerId).toBe(owner)
      const s = yield* stateOf
      expect((s.timeline.get(lead.id) ?? []).filter((e) => e.reason === "tier_changed").map((e) => e.data)).toEqual([{ from: "hot", to: "warm-plus", action: "recorded" }])
      expect(s.outbox.filter((m) => m.topic === "lead.tier_changed").map((m) => [m.payload.from, m.payload.to])).toEqual([["hot", "warm-plus"]])

      // an inquiry below the line whose enriched fit lifts it over: an MQL, routed at once
      const { lead: ops } = yield* handoff.ingest({ profile: { email: "ops@midco.io", company: "MidCo", country: "US" }, intent: "content_download", properties: { kind: "case_study" } }, api)
      yield* handoff.recordEvents([{ leadId: ops.id, event: pricing(tuesday10am) }], api)
      expect((yield* stored(ops.id)).state.stage).toBe("inquiry")
      const { lead: lifted } = yield* handoff.enrich(ops.id, { title: "Head of Operations", employees: 300, industry: "saas" }, api)
      expect(lifted.state).toMatchObject({ stage: "mql", ownerId: "sdr-us" })
    }).pipe(Effect.provide(setup())))
})
