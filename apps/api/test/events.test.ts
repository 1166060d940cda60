/**
 * Events and inquiry times taken in safely: instants the database can store, batches
 * checked before anything is written and stored once however often they are sent, and a
 * sender's clock ahead of ours never keeping a hot lead from being routed at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
beforeAll(async () => {
  api = await startTestApi()
})
afterAll(async () => {
  await api?.close()
})

let n = 0
const email = (tag: string) => `${tag}-${++n}@acme-${n}.com`

const newLead = async (address: string) => {
  const res = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: address, title: "Analyst", employees: 300, intent: "content_download" } })
  expect(res.status).toBe(201)
  return res.body.id as string
}

/** The case-study driver of the lead's score: one driver summing every stored download. */
const caseStudyDrivers = async (leadId: string) => {
  const lead = await api.call("GET", `/v1/leads/${leadId}`, { key: api.keys.read })
  return lead.body.score.drivers.filter((d: { rule: string }) => d.rule === "case-study")
}

const hot = (address: string, occurredAt: string) => ({
  email: address, title: "VP Sales", company: "BigSoft", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request", occurredAt
})

describe("instants the database cannot store", () => {
  for (const bad of ["-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00Z", "+010000-01-01T00:00:00Z"]) {
    it(`POST /v1/leads with occurredAt ${bad} → 422 with the path, no lead`, async () => {
      const address = email("range")
      const res = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: address, intent: "demo_request", occurredAt: bad } })
      expect(res.status).toBe(422)
      expect(res.headers.get("content-type")).toContain("application/problem+json")
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain("occurredAt")
      const list = await api.call("GET", "/v1/leads?limit=100", { key: api.keys.read })
      expect(list.body.items.map((l: { email: string }) => l.email)).not.toContain(address)
    })

    it(`POST /v1/events with occurredAt ${bad} in the middle → that item rejected with its path, the others stored`, async () => {
      const address = email("range-ev")
      const leadId = await newLead(address)
      const now = Date.now()
      const res = await api.call("POST", "/v1/events", {
        key: api.keys.ingest,
        body: {
          events: [
            { leadId, type: "content_download", occurredAt: new Date(now - 60_000).toISOString(), properties: { kind: "case_study", n: 1 } },
            { leadId, type: "content_download", occurredAt: bad, properties: { kind: "case_study", n: 2 } },
            { leadId, type: "content_download", occurredAt: new Date(now - 30_000).toISOString(), properties: { kind: "case_study", n: 3 } }
          ]
        }
      })
      expect(res.status).toBe(200)
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(["attached", "rejected", "attached"])
      expect(res.body.results[1].index).toBe(1)
      expect(res.body.results[1].errors.map((e: { path: string }) => e.path)).toContain("events.1.occurredAt")
      expect(await caseStudyDrivers(leadId)).toHaveLength(1)
      const lead = await api.call("GET", `/v1/leads/${leadId}`, { key: api.keys.read })
      // the inquiry's download has no kind, so the two stored case studies make 2 × 15
      expect(lead.body.score.drivers.find((d: { rule: string }) => d.rule === "case-study").points).toBe(30)
    })
  }
})

describe("a batch is stored once", () => {
  it("[good, bad, good] → 2 stored and 1 error with its index; sent again → nothing stored twice", async () => {
    const leadId = await newLead(email("retry"))
    const now = Date.now()
    const batch = {
      events: [
        { leadId, type: "content_download", occurredAt: new Date(now - 120_000).toISOString(), properties: { kind: "case_study", title: "A" } },
        { leadId, type: "Not A Type", occurredAt: new Date(now - 60_000).toISOString() },
        { leadId, type: "content_download", occurredAt: new Date(now - 60_000).toISOString(), properties: { title: "B", kind: "case_study" } }
      ]
    }
    const first = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: batch })
    expect(first.status).toBe(200)
    expect(first.body.results.map((r: { status: string }) => r.status)).toEqual(["attached", "rejected", "attached"])
    expect(first.body.results[1]).toMatchObject({ index: 1, status: "rejected" })
    expect(first.body.results[1].errors[0].path).toBe("events.1.type")
    const scoreAfterFirst = (await api.call("GET", `/v1/leads/${leadId}`, { key: api.keys.read })).body.score.total

    const again = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: batch })
    expect(again.status).toBe(200)
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(["duplicate", "rejected", "duplicate"])
    const lead = await api.call("GET", `/v1/leads/${leadId}`, { key: api.keys.read })
    expect(lead.body.score.total).toBe(scoreAfterFirst)
    expect(lead.body.score.drivers.find((d: { rule: string }) => d.rule === "case-study").points).toBe(30)
  })

  it("the same event twice in one batch is stored once", async () => {
    const leadId = await newLead(email("twice"))
    const e = { leadId, type: "content_download", occurredAt: new Date(Date.now() - 1000).toISOString(), properties: { kind: "case_study" } }
    const res = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [e, e] } })
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(["attached", "duplicate"])
    const lead = await api.call("GET", `/v1/leads/${leadId}`, { key: api.keys.read })
    expect(lead.body.score.drivers.find((d: { rule: string }) => d.rule === "case-study").points).toBe(15)
  })

  it("a client id dedupes even when the content differs; other ids are other events", async () => {
    const leadId = await newLead(email("client-id"))
    const at = (ms: number) => new Date(Date.now() - ms).toISOString()
    const first = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [{ id: "msg-1", leadId, type: "content_download", occurredAt: at(5000), properties: { kind: "case_study" } }] } })
    expect(first.body.results[0].status).toBe("attached")
    // a resend whose timestamp was regenerated by the sender: the same message
    const resend = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [{ id: "msg-1", leadId, type: "content_download", occurredAt: at(1000), properties: { kind: "case_study" } }, { id: "msg-2", leadId, type: "content_download", occurredAt: at(5000), properties: { kind: "case_study" } }] } })
    expect(resend.body.results.map((r: { status: string }) => r.status)).toEqual(["duplicate", "attached"])
    const lead = await api.call("GET", `/v1/leads/${leadId}`, { key: api.keys.read })
    expect(lead.body.score.drivers.find((d: { rule: string }) => d.rule === "case-study").points).toBe(30)
  })

  it("pending events (email not known yet) are stored once and attached once when the lead appears", async () => {
    const address = email("pending")
    const e = { email: address, type: "content_download", occurredAt: new Date(Date.now() - 60_000).toISOString(), properties: { kind: "case_study" } }
    const first = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [e] } })
    expect(first.body.results[0].status).toBe("pending")
    const again = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [e] } })
    expect(again.body.results[0].status).toBe("duplicate")
    const leadId = await newLead(address)
    // attached now: still the same event
    const third = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [e] } })
    expect(third.body.results[0].status).toBe("duplicate")
    const lead = await api.call("GET", `/v1/leads/${leadId}`, { key: api.keys.read })
    expect(lead.body.score.drivers.find((d: { rule: string }) => d.rule === "case-study").points).toBe(15)
  })
})

describe("a sender's clock ahead of ours", () => {
  for (const [label, aheadMs] of [["2 s", 2000], ["1 min", 60_000], ["1 h", 3_600_000]] as const) {
    it(`a hot demo request with occurredAt ${label} ahead → routed hot at receipt, SLA deadlines from receipt`, async () => {
      const before = api.now()
      const res = await api.call("POST", "/v1/leads", { key: api.keys.admin, body: hot(email("future"), new Date(before + aheadMs).toISOString()) })
      const after = api.now()
      expect(res.status).toBe(201)
      expect(res.body.tier).toBe("hot")
      expect(res.body.stage).toBe("mql")
      expect(res.body.decision).toMatchObject({ tier: "hot", outcome: "assigned", pod: "ae-direct" })
      const firstTouchBy = Date.parse(res.body.sla.firstTouchBy)
      expect(firstTouchBy).toBeGreaterThanOrEqual(before + 5 * 60_000)
      expect(firstTouchBy).toBeLessThanOrEqual(after + 5 * 60_000)
      // within the skew tolerance the time is believed; further ahead it is replaced and flagged
      if (aheadMs > 5 * 60_000) expect(res.body.flags).toContain("clock_skew_clamped")
      else expect(res.body.flags).not.toContain("clock_skew_clamped")
    })
  }

  it("a demo request event 1 min ahead routes a known lead at once; 1 day ahead is clamped and flagged in the result", async () => {
    const address = email("future-ev")
    const created = await api.call("POST", "/v1/leads", { key: api.keys.admin, body: { email: address, title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, intent: "webinar_registration" } })
    expect(created.body.stage).toBe("inquiry")
    const now = api.now()
    const res = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [{ leadId: created.body.id, type: "demo_request", occurredAt: new Date(now + 60_000).toISOString() }] } })
    expect(res.body.results[0]).toMatchObject({ status: "attached" })
    expect(res.body.results[0].clockSkewClamped).toBeUndefined()
    const lead = await api.call("GET", `/v1/leads/${created.body.id}`, { key: api.keys.read })
    expect(lead.body).toMatchObject({ stage: "mql", tier: "hot" })
    expect(Date.parse(lead.body.sla.firstTouchBy)).toBeLessThanOrEqual(api.now() + 5 * 60_000)

    const far = { leadId: created.body.id, type: "page_view", occurredAt: new Date(now + 86_400_000).toISOString(), properties: { category: "pricing" } }
    const clamped = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [far] } })
    expect(clamped.body.results[0]).toMatchObject({ status: "attached", clockSkewClamped: true })
    // the receipt time was stored, so the pricing visit counts now
    const scored = await api.call("GET", `/v1/leads/${created.body.id}`, { key: api.keys.read })
    expect(scored.body.score.drivers.map((d: { rule: string }) => d.rule)).toContain("pricing")
    // and resending it (its time as sent is the same) stores nothing twice
    const resent = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [far] } })
    expect(resent.body.results[0].status).toBe("duplicate")
  })
})
