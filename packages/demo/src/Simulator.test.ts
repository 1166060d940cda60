import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { channelMix, channels, companyA, leadsPerMonth } from "./Company.ts"
import { inMemoryDemoLayer } from "./InMemoryAdmin.ts"
import { type DemoSummary, demoPeriod, type LeadFate, seedDemo } from "./Simulator.ts"

// A fixed end (a Friday night in New York) so the runs do not depend on today's date.
const end = new Date("2026-03-21T04:00:00Z")
const run = (seed: number, months: number) =>
  Effect.runPromise(seedDemo({ seed, months, end, sweepEveryMinutes: 30 }).pipe(Effect.provide(inMemoryDemoLayer())))

/** A fate without the store's ids: what must repeat run after run. */
const fateOf = ({ leadId: _id, ...rest }: LeadFate) => rest
const counts = (s: DemoSummary) => {
  const { fates: _fates, elapsedMs: _elapsed, timings: _timings, ...rest } = s
  return rest
}

describe("Company A, as data", () => {
  it("is a pure function of the seed and the period", () => {
    const p = demoPeriod(0.5, end)
    const a = companyA({ seed: 3, ...p })
    const b = companyA({ seed: 3, ...p })
    expect(b.leads.map((l) => [l.t0.getTime(), l.profile.email, l.intent])).toEqual(a.leads.map((l) => [l.t0.getTime(), l.profile.email, l.intent]))
    const c = companyA({ seed: 4, ...p })
    expect(c.leads.map((l) => l.profile.email)).not.toEqual(a.leads.map((l) => l.profile.email))
  })

  it("has 6 territory SDRs, AEs in ae-direct and ae-backup, an SDR backup and managers every rep reports to", () => {
    const { reps } = companyA({ seed: 1, ...demoPeriod(3, end) })
    const inPod = (pod: string) => reps.filter((r) => r.pods.includes(pod))
    expect(inPod("sdr")).toHaveLength(6)
    expect(inPod("ae-direct").length).toBeGreaterThanOrEqual(3)
    expect(inPod("ae-backup").length).toBeGreaterThanOrEqual(1)
    expect(inPod("sdr-backup").length).toBeGreaterThanOrEqual(1)
    const ids = new Set(reps.map((r) => r.id as string))
    for (const r of reps.filter((r) => r.role !== "manager" || r.managerId !== undefined)) {
      if (r.managerId !== undefined) expect(ids.has(r.managerId)).toBe(true)
    }
    expect(reps.filter((r) => r.role !== "manager").every((r) => r.managerId !== undefined)).toBe(true)
    expect(reps.some((r) => r.outOfOffice.length > 0)).toBe(true)
    // every SDR territory is a distinct set of countries except the two US halves
    expect(new Set(inPod("sdr").map((r) => r.timezone)).size).toBe(6)
  })

  it("has ~300 accounts, some named with an owner AE, a handful in an active ABM play", () => {
    const { accounts } = companyA({ seed: 1, ...demoPeriod(0.1, end) })
    expect(accounts.accounts.length).toBe(300)
    const named = accounts.accounts.filter((a) => a.named)
    expect(named.length).toBeGreaterThan(20)
    expect(named.every((a) => a.ownerRepId !== undefined)).toBe(true)
    const abm = accounts.accounts.filter((a) => a.activeOutbound)
    expect(abm.length).toBeGreaterThanOrEqual(5)
    expect(abm.length).toBeLessThanOrEqual(20)
    expect(abm.every((a) => a.named)).toBe(true)
  })

  it("sends ~4,000 leads a month with each channel at its share and fewer on weekends", () => {
    const p = demoPeriod(2, end)
    const { leads } = companyA({ seed: 5, ...p })
    const months = (p.end.getTime() - p.start.getTime()) / (30.44 * 86_400_000)
    expect(leads.length / months).toBeGreaterThan(leadsPerMonth * 0.9)
    expect(leads.length / months).toBeLessThan(leadsPerMonth * 1.1)
    for (const c of channels) {
      const share = leads.filter((l) => l.channel === c).length / leads.length
      expect(Math.abs(share - channelMix[c])).toBeLessThan(0.03)
    }
    const weekend = leads.filter((l) => [0, 6].includes(new Date(l.t0.getTime() - 5 * 3_600_000).getUTCDay())).length / leads.length
    expect(weekend).toBeLessThan(0.15)
    // content syndication is mostly low intent, paid search mostly hand-raises and trials
    const handRaise = (c: string) => {
      const xs = leads.filter((l) => l.channel === c)
      return xs.filter((l) => ["demo_request", "pricing_request", "contact_sales"].includes(l.intent)).length / xs.length
    }
    expect(handRaise("content_syndication")).toBe(0)
    expect(handRaise("paid_search")).toBeGreaterThan(0.35)
    expect(leads.some((l) => l.freeMail)).toBe(true)
  })
})

describe("the simulation drives the real use cases (two weeks, in memory)", () => {
  let s: DemoSummary
  let fates: ReadonlyArray<LeadFate>
  beforeAll(async () => {
    s = await run(11, 0.5)
    fates = s.fates!
  }, 120_000)

  it("ingests ~4,000 leads a month through the API's use cases, every channel present", () => {
    const days = (s.to.getTime() - s.from.getTime()) / 86_400_000
    const perMonth = (s.leads / days) * 30.44
    expect(perMonth).toBeGreaterThan(3600)
    expect(perMonth).toBeLessThan(4400)
    for (const c of channels) expect(Math.abs(s.byChannel[c] / s.leads - channelMix[c])).toBeLessThan(0.04)
    expect(s.enrichments).toBeGreaterThan(s.leads * 0.7)
    expect(s.events).toBeGreaterThan(0)
  })

  it("has a plausible funnel: MQL→SQL in the 40–70% band for matured MQLs, rejections 10–30% of routed", () => {
    // MQLs from the first week have had a week to be worked
    const cutoff = s.from.getTime() + 7 * 86_400_000
    const early = fates.filter((f) => f.mql && fateIndexBefore(f, cutoff))
    const sql = early.filter((f) => f.sql).length / early.length
    expect(sql).toBeGreaterThanOrEqual(0.4)
    expect(sql).toBeLessThanOrEqual(0.7)
    const routed = fates.filter((f) => f.owners.length > 0)
    const rejected = routed.filter((f) => f.rejected !== undefined).length / routed.length
    expect(rejected).toBeGreaterThanOrEqual(0.1)
    expect(rejected).toBeLessThanOrEqual(0.3)
    expect(Object.keys(s.rejections)).toEqual(expect.arrayContaining(["wrong_icp", "premature", "other", "duplicate"]))
    expect(s.opportunities).toBeGreaterThan(0)
    expect(s.sals).toBeLessThanOrEqual(s.routed)
    expect(s.sqls).toBeLessThanOrEqual(s.sals)
  })

  it("routes hot leads to ae-direct owners, and reassigns some missed accepts to ae-backup", () => {
    const hot = fates.filter((f) => f.tier === "hot" && f.pods.length > 0)
    expect(hot.length).toBeGreaterThan(10)
    // routed hot: ae-direct, or its backup pod when no AE is on shift; never an SDR
    expect(hot.every((f) => f.pods[0] === "ae-direct" || f.pods[0] === "ae-backup" || f.abmSuppressed)).toBe(true)
    expect(hot.filter((f) => f.pods[0] === "ae-direct").length / hot.length).toBeGreaterThan(0.7)
    const reassigned = fates.filter((f) => f.reassigned && f.pods.slice(1).includes("ae-backup"))
    expect(reassigned.length).toBeGreaterThan(0)
    expect(s.breaches.reassigned).toBeGreaterThan(0)
    expect(s.breaches.byKind.accept).toBeGreaterThan(0)
  })

  it("hands leads from accounts in the ABM play to the account owner, flagged abm_suppressed", () => {
    const model = companyA({ seed: 11, ...demoPeriod(0.5, end) })
    const owner = new Map(model.accounts.accounts.filter((a) => a.activeOutbound).map((a) => [a.domain, a.ownerRepId as string]))
    const abmLeads = fates.filter((f) => {
      const plan = model.leads[f.index]!
      return !plan.freeMail && owner.has(plan.company.domain) && f.owners.length > 0
    })
    expect(abmLeads.length).toBeGreaterThan(0)
    for (const f of abmLeads) {
      expect(f.abmSuppressed).toBe(true)
      expect(f.owners[0]).toBe(owner.get(model.leads[f.index]!.company.domain))
    }
  })

  it("leaves no lead in limbo", () => {
    expect(s.limbo).toBe(0)
    expect(s.stages.mql ?? 0).toBeGreaterThan(0) // some are still waiting for a rep at the end, each with an owner or a queue
  })
})

const fateIndexBefore = (f: LeadFate, cutoff: number) => {
  const plan = planCache.get(f.index)
  return plan === undefined || plan < cutoff
}
const planCache = new Map<number, number>(
  companyA({ seed: 11, ...demoPeriod(0.5, end) }).leads.map((l) => [l.index, l.t0.getTime()] as const)
)

describe("determinism", () => {
  it("same seed ⇒ same summary and the same fate for every lead; another seed ⇒ another company", async () => {
    const a = await run(23, 0.1)
    const b = await run(23, 0.1)
    expect(counts(b)).toEqual(counts(a))
    expect(b.fates!.map(fateOf)).toEqual(a.fates!.map(fateOf))
    const c = await run(24, 0.1)
    expect(c.fates!.map(fateOf)).not.toEqual(a.fates!.map(fateOf))
  }, 120_000)
})
