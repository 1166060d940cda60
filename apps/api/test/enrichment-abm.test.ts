/**
 * The second scoring stage and ABM ownership over HTTP: a warm-plus lead that enrichment shows
 * to be hot moves to the hot pod (T0 kept), an inquiry from an account in an active outbound
 * play is owned by the account's owner, and the preview's trace shows both.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { RepId } from "@handoff/domain"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
beforeAll(async () => {
  api = await startTestApi([
    { domain: "abm-target.com", named: false, activeOutbound: true, ownerRepId: "ae-9" as RepId },
    { domain: "abm-ownerless.com", named: false, activeOutbound: true }
  ])
})
afterAll(async () => {
  await api?.close()
})

const MIN = 60_000
/** What the enrichment vendor says: VP, 800 employees, $90K. */
const vendor = { title: "VP Sales", employees: 800, estimatedAcv: 90000 }
const ledgerOf = async (pod: string) => (await api.call("GET", `/v1/pods/${pod}/ledger?limit=1000`, { key: api.keys.read })).body.entries as Array<{ kind: string; repId?: string; leadId?: string }>

describe("two-stage score over HTTP", () => {
  it("email + demo request → warm-plus to an SDR; the preview of the enrichment shows the move; the enrichment makes it hot with a hot-pod AE, first touch by T0 + 5 min", async () => {
    const t0 = new Date(Math.floor(api.now() / 1000) * 1000 - 60_000)
    const created = await api.call("POST", "/v1/leads", { body: { email: "dana@two-stage.com", country: "US", intent: "demo_request", occurredAt: t0.toISOString() } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ tier: "warm-plus", stage: "mql", owner: { repId: "sdr-us" }, score: { provisional: true } })
    const id = created.body.id as string

    // the preview of the enrichment: the provisional → enriched score and the rule that applies, writing nothing
    const aeBefore = await ledgerOf("ae-direct")
    const preview = await api.call("POST", "/v1/agreement/preview", { key: api.keys.read, body: { lead: { leadId: id, enrichment: vendor } } })
    expect(preview.status).toBe(200)
    const p = preview.body
    expect(p.enrichment).toMatchObject({ before: { tier: "warm-plus", provisional: true }, after: { tier: "hot", provisional: false }, action: "reroute" })
    expect(p.enrichment.reason).toContain("nobody has accepted it yet")
    expect(p.tier.name).toBe("hot")
    expect(p.handoff.reason).toContain("counted from the original T0")
    expect(p.routing).toMatchObject({ outcome: "assigned", pod: "ae-direct", strategy: "round_robin" })
    expect(Date.parse(p.sla.firstTouchBy)).toBe(t0.getTime() + 5 * MIN)
    expect(await ledgerOf("ae-direct")).toEqual(aeBefore)
    expect((await api.call("GET", `/v1/leads/${id}`)).body).toMatchObject({ tier: "warm-plus", owner: { repId: "sdr-us" } })

    const enriched = await api.call("POST", `/v1/leads/${id}/enrichment`, { body: vendor })
    expect(enriched.status).toBe(200)
    const lead = (await api.call("GET", `/v1/leads/${id}`, { key: api.keys.read })).body
    expect(lead).toMatchObject({ tier: "hot", stage: "mql", score: { provisional: false }, routing: { pod: "ae-direct", strategy: "round_robin" } })
    expect(enriched.body).toMatchObject({ id, tier: "hot", owner: { repId: lead.owner.repId } })
    expect(["ae-1", "ae-2"]).toContain(lead.owner.repId)
    expect(Date.parse(lead.sla.firstTouchBy)).toBe(t0.getTime() + 5 * MIN)
    expect(Date.parse(lead.sla.acceptBy) - api.now()).toBeLessThanOrEqual(2 * MIN)
    // the hot pod's rotation credit, as for any routed lead
    expect((await ledgerOf("ae-direct")).filter((e) => e.kind === "credit" && e.leadId === id).map((e) => e.repId)).toEqual([lead.owner.repId])
    const timeline = (await api.call("GET", `/v1/leads/${id}/timeline`, { key: api.keys.read })).body.entries as Array<{ cause: string; reason?: string; data?: Record<string, unknown>; explanation: string }>
    const why = timeline.find((e) => e.reason === "tier_changed")!
    expect(why.data).toMatchObject({ from: "warm-plus", to: "hot", action: "rerouted", fromRepId: "sdr-us", toRepId: lead.owner.repId })
    expect(timeline.find((e) => e.cause === "Reassign")).toMatchObject({ reason: "tier_upgraded", data: { fromRepId: "sdr-us", toRepId: lead.owner.repId } })
  })

  it("an accepted lead enriched to hot stays with its owner, and the preview says the change would be recorded", async () => {
    const created = await api.call("POST", "/v1/leads", { body: { email: "sam@two-stage-accepted.com", country: "US", intent: "demo_request" } })
    const id = created.body.id as string
    expect((await api.call("POST", `/v1/leads/${id}/accept`, { key: api.keys.sales, body: { repId: "sdr-us" } })).status).toBe(200)
    const preview = await api.call("POST", "/v1/agreement/preview", { body: { lead: { leadId: id, enrichment: vendor } } })
    expect(preview.body.enrichment).toMatchObject({ action: "record", after: { tier: "hot" } })
    expect(preview.body.handoff.reason).toContain("already accepted")
    await api.call("POST", `/v1/leads/${id}/enrichment`, { body: vendor })
    expect((await api.call("GET", `/v1/leads/${id}`)).body).toMatchObject({ tier: "warm-plus", stage: "sal", owner: { repId: "sdr-us" } })
  })
})

describe("ABM ownership over HTTP", () => {
  it("a content download from an account in an active outbound play → owned by the account owner as an inquiry, no SLA timer; the preview shows the owner and why", async () => {
    const preview = await api.call("POST", "/v1/agreement/preview", { key: api.keys.read, body: { lead: { email: "reader@abm-target.com", title: "Analyst", employees: 300, intent: "content_download" } } })
    expect(preview.status).toBe(200)
    const p = preview.body
    expect(p.tier).toMatchObject({ name: "nurture", handedTo: "marketing" })
    expect(p.flags).toContain("abm_suppressed")
    expect(p.handoff.wouldHandOff).toBe(false)
    expect(p.handoff.reason).toContain("owned by the account owner ae-9")
    expect(p.routing).toMatchObject({ outcome: "assigned", repId: "ae-9", pod: "account:abm-target.com", strategy: "abm_owner", ledger: [], flags: ["abm_suppressed"] })
    expect(p.routing.owner).toMatchObject({ repId: "ae-9", bookingUrl: "https://cal.example/ae-9" })
    expect(p.routing.explanation[0]).toBe("ABM: abm-target.com is in an active outbound play → its owner AE-9 (ABM-suppressed: no SDR cadence, no rotation credit)")
    expect(p.sla).toBeNull()

    const sdrBefore = await ledgerOf("sdr")
    const res = await api.call("POST", "/v1/leads", { body: { email: "reader@abm-target.com", title: "Analyst", employees: 300, intent: "content_download" } })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ stage: "inquiry", tier: "nurture", owner: { repId: "ae-9" }, sla: null, routing: { pod: "account:abm-target.com", strategy: "abm_owner" } })
    expect(res.body.flags).toContain("abm_suppressed")
    expect(res.body.decision).toMatchObject({ outcome: "assigned", ownerId: "ae-9", pod: "account:abm-target.com" })
    expect(await ledgerOf("sdr")).toEqual(sdrBefore)
    const timeline = (await api.call("GET", `/v1/leads/${res.body.id}/timeline`)).body.entries as Array<{ cause: string; stage: string; explanation: string }>
    expect(timeline.find((e) => e.cause === "AbmOwnership")).toMatchObject({ stage: "inquiry" })
    // the AE sees it among their leads
    const mine = await api.call("GET", "/v1/leads?ownerId=ae-9", { key: api.keys.read })
    expect(mine.body.items.map((l: { id: string }) => l.id)).toContain(res.body.id)
  })

  it("an account in an active outbound play without an owner: marketing keeps the inquiry, and the trace says why", async () => {
    const lead = { email: "reader@abm-ownerless.com", title: "Analyst", employees: 300, intent: "content_download" }
    const preview = await api.call("POST", "/v1/agreement/preview", { body: { lead } })
    expect(preview.body.routing).toMatchObject({ outcome: "not_routed", repId: null })
    expect(preview.body.routing.explanation.join(" ")).toContain("abm-ownerless.com is in an active outbound play, but the account has no owner")
    const res = await api.call("POST", "/v1/leads", { body: lead })
    expect(res.body).toMatchObject({ stage: "inquiry", tier: "nurture", owner: null, sla: null, routing: null })
    expect(res.body.flags).toContain("abm_suppressed")
    expect(res.body.decision.outcome).toBe("not_routed")
    expect(res.body.decision.explanation.join(" ")).toContain("but the account has no owner")
  })
})
