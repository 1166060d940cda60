import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { Agreement } from "./Agreement.ts"
import { encodeAgreement } from "./AgreementDocument.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import type { LeadEvent, LeadProfile, Rep, RepId } from "./Lead.ts"
import { type HistoricalLead, simulate } from "./Simulate.ts"

const rep = (id: string, pods: Array<string>, extra: Partial<Rep> = {}): Rep => ({
  id: id as RepId,
  name: id.toUpperCase(),
  role: pods.some((p) => p.startsWith("ae")) ? "ae" : "sdr",
  pods,
  timezone: "America/New_York",
  workingHours: { "mon-fri": ["09:00", "18:00"] },
  capacity: { maxOpen: 500, maxPerDay: 100 },
  weight: 1,
  active: true,
  outOfOffice: [],
  territories: [],
  segments: [],
  ...extra
})

const team: ReadonlyArray<Rep> = [
  rep("ae-1", ["ae-direct"]),
  rep("ae-2", ["ae-direct"]),
  rep("ae-9", ["ae-backup"]),
  rep("sdr-us", ["sdr"], { territories: ["US", "CA"] }),
  rep("sdr-b", ["sdr-backup"])
]

/** Tuesday 2026-01-06 at hh:mm in New York (UTC-5). */
const tue = (hh: number, mm = 0) => new Date(Date.UTC(2026, 0, 6, hh + 5, mm))
const period = { from: new Date("2026-01-05T05:00:00Z"), to: new Date("2026-01-12T05:00:00Z") }

const withDraft = (patch: (a: Record<string, any>) => void): Agreement => {
  const doc = structuredClone(encodeAgreement(defaultAgreement)) as Record<string, any>
  patch(doc)
  return Schema.decodeUnknownSync(Agreement)(doc)
}

const ev = (type: string, at: Date, properties: LeadEvent["properties"] = {}): LeadEvent => ({ type, occurredAt: at, properties })

let n = 0
const lead = (profile: Omit<LeadProfile, "email">, events: ReadonlyArray<LeadEvent>, actual: HistoricalLead["actual"]): HistoricalLead => {
  const email = `lead${++n}@example-co${n}.com`
  return {
    id: `lead_${n}`,
    email,
    profile: { email, ...profile },
    accountDomain: `example-co${n}.com`,
    createdAt: events[0]!.occurredAt,
    enrichedAt: events[0]!.occurredAt,
    events,
    actual
  }
}

const vp = { title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90_000, country: "US" }
const manager = { title: "Marketing Manager", employees: 300, industry: "software", country: "US" }

// a week of history as the live (default) agreement handled it
const hotDemo = lead(vp, [ev("demo_request", tue(10))], {
  reachedAt: { inquiry: tue(10), mql: tue(10), sal: tue(10, 2), sql: tue(12), opportunity: tue(14), won: tue(16) },
  tier: "hot",
  repId: "ae-1",
  pod: "ae-direct",
  wonAmount: 90_000
})
const accumulated = lead(manager, [
  ev("content_download", tue(9), { kind: "case_study" }),
  ev("content_download", tue(11), { kind: "case_study" }),
  ev("page_view", tue(13), { category: "pricing" })
], { reachedAt: { inquiry: tue(9), mql: tue(13), sal: tue(15) }, tier: "warm", repId: "sdr-us", pod: "sdr" })
const pricingOnly = lead(manager, [ev("page_view", tue(10), { category: "pricing" })], { reachedAt: { inquiry: tue(10) }, tier: "nurture" })
const tooSmall = lead({ ...manager, employees: 20 }, [ev("content_download", tue(10), { kind: "whitepaper" })], { reachedAt: { inquiry: tue(10) }, tier: "nurture" })

const history = [hotDemo, accumulated, pricingOnly, tooSmall]
const base = { period, reps: team, accounts: new Map() }

describe("simulate: replaying history under a draft", () => {
  it("under the live agreement itself, the replay reproduces what happened", () => {
    const r = simulate({ ...base, agreement: defaultAgreement, leads: history })
    expect(r.mql).toMatchObject({ actual: 2, simulated: 2, gained: 0, lost: 0, viaHandRaise: 1, viaScore: 1 })
    expect(r.changed.total).toBe(0)
    expect(r.tiers.simulated).toEqual({ hot: 1, nurture: 2, warm: 1 })
    expect(r.waterfall.stages.map((s) => [s.stage, s.actual, s.simulated])).toEqual([
      ["inquiry", 4, 4], ["mql", 2, 2], ["sal", 2, 2], ["sql", 1, 1], ["opportunity", 1, 1], ["won", 1, 1]
    ])
  })

  it("a higher MQL line loses the accumulated lead but never a hand-raise, and says what sales would have lost", () => {
    const draft = withDraft((a) => { a.scoring.mqlThreshold = 80 })
    const r = simulate({ ...base, agreement: draft, leads: history })
    expect(r.mql).toMatchObject({ actual: 2, simulated: 1, gained: 0, lost: 1 })
    expect(r.changed.items.map((c) => [c.leadId, c.changes])).toEqual([[accumulated.id, ["mql", "tier", "owner"]]])
    expect(r.changed.items[0]!.actual).toMatchObject({ mql: true, tier: "warm", repId: "sdr-us", stage: "sal" })
    expect(r.changed.items[0]!.simulated).toMatchObject({ mql: false, tier: "nurture", repId: null })
    expect(r.waterfall.stages.find((s) => s.stage === "sal")).toEqual({ stage: "sal", actual: 2, simulated: 1 })
    expect(r.tiers.moves).toEqual([{ from: "warm", to: "nurture", count: 1 }])
  })

  it("a lower MQL line hands off leads whose sales outcome was never observed", () => {
    const draft = withDraft((a) => { a.scoring.mqlThreshold = 20 })
    const r = simulate({ ...base, agreement: draft, leads: history })
    expect(r.mql).toMatchObject({ simulated: 3, gained: 1, lost: 0 })
    expect(r.waterfall.unobserved).toBe(1)
    const changed = r.changed.items.find((c) => c.leadId === pricingOnly.id)!
    expect(changed.simulated).toMatchObject({ mql: true, tier: "warm", pod: "sdr", repId: "sdr-us", via: "score" })
    // the accumulated lead crosses the lower line earlier, at its second case study
    const acc = r.changed.items.find((c) => c.leadId === accumulated.id)
    expect(acc).toBeUndefined()
  })

  it("the wins a stricter draft would have kept from sales are counted with their amount", () => {
    const draft = withDraft((a) => {
      a.tiers = a.tiers.map((t: any) => ({ ...t, when: t.name === "hot" || t.name === "warm-plus" ? { handRaise: true, estimatedAcv: { gt: 500_000 } } : t.when }))
      a.handRaise.events = ["contact_sales"]
      a.scoring.intent = a.scoring.intent.map((i: any) => i.id === "demo" ? { ...i, instantMql: false, points: 10 } : i)
      a.tests = []
    })
    const r = simulate({ ...base, agreement: draft, leads: history })
    expect(r.waterfall).toMatchObject({ wonNotHandedOff: 1, wonAmountNotHandedOff: 90_000, opportunitiesNotHandedOff: 1 })
  })

  it("rep load: a burst of hot leads is shared round robin within each AE's daily cap, the rest goes to the backup pod", () => {
    const capped = team.map((r) => (r.id.startsWith("ae-") ? { ...r, capacity: { maxOpen: 500, maxPerDay: 10 } } : r))
    const burst = Array.from({ length: 30 }, (_, i) =>
      lead(vp, [ev("demo_request", tue(10, i))], { reachedAt: { inquiry: tue(10, i), mql: tue(10, i) }, tier: "hot", repId: i % 2 === 0 ? "ae-1" : "ae-2", pod: "ae-direct" }))
    const r = simulate({ ...base, reps: capped, agreement: defaultAgreement, leads: burst })
    const load = Object.fromEntries(r.reps.map((x) => [x.repId, x.simulated]))
    expect(load["ae-1"]).toMatchObject({ assigned: 10, peakDay: 10, daysOverPerDay: 0 })
    expect(load["ae-2"]).toMatchObject({ assigned: 10, peakDay: 10, daysOverPerDay: 0 })
    expect(load["ae-9"]).toMatchObject({ assigned: 10 })
    expect(r.routing.byPod).toEqual({ "ae-backup": 10, "ae-direct": 20 })
    expect(r.reps.find((x) => x.repId === "ae-1")!.actual.assigned).toBe(15)
    expect(r.routing.ownerChanged).toBeGreaterThan(0)
  })

  it("SLA exposure: a hot lead at 17:58 has its 5-minute first touch due after its AE's day ends", () => {
    const late = lead(vp, [ev("demo_request", tue(17, 58))], { reachedAt: { inquiry: tue(17, 58), mql: tue(17, 58) }, tier: "hot", repId: "ae-1", pod: "ae-direct" })
    const early = lead(vp, [ev("demo_request", tue(11))], { reachedAt: { inquiry: tue(11), mql: tue(11) }, tier: "hot", repId: "ae-2", pod: "ae-direct" })
    const r = simulate({ ...base, agreement: defaultAgreement, leads: [late, early] })
    expect(r.sla).toMatchObject({ handoffs: 2, withAcceptSla: 2, withFirstTouchSla: 2, firstTouchDueOffShift: 1, acceptDueOffShift: 0, ownerOffShiftAtRouting: 0 })
  })

  it("events after the period end do not count", () => {
    const after = lead(manager, [ev("content_download", tue(10), { kind: "case_study" }), ev("demo_request", new Date("2026-01-13T15:00:00Z"))], { reachedAt: { inquiry: tue(10) }, tier: "nurture" })
    const r = simulate({ ...base, agreement: defaultAgreement, leads: [after] })
    expect(r.mql.simulated).toBe(0)
  })
})
