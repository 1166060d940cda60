/**
 * What a new integrator sends first, and what they expect back: a rep with only a name and a
 * role, events without a timestamp, a body with the wrong Content-Type, a key of the wrong role.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { defaultAgreement } from "@handoff/domain"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
beforeAll(async () => {
  api = await startTestApi()
})
afterAll(async () => {
  await api?.close()
})

describe("a rep with only what a new user knows", () => {
  it("PUT /v1/reps/{id} with name and role works the agreement calendar's hours, capacity open, weight 1, active", async () => {
    const res = await api.call("PUT", "/v1/reps/new-sdr", { body: { name: "Nia New", role: "sdr", pods: ["sdr"] } })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      id: "new-sdr",
      timezone: defaultAgreement.calendar.timezone,
      workingHours: defaultAgreement.calendar.workingHours,
      capacity: {},
      weight: 1,
      active: true
    })
    const stored = await api.call("GET", "/v1/reps/new-sdr")
    expect(stored.body.workingHours).toEqual(defaultAgreement.calendar.workingHours)
  })

  it("their own time zone alone keeps the calendar's hours, read in their zone", async () => {
    const res = await api.call("PUT", "/v1/reps/berlin-ae", { body: { name: "Bo Berlin", role: "ae", timezone: "Europe/Berlin" } })
    expect(res.status).toBe(201)
    expect(res.body.timezone).toBe("Europe/Berlin")
    expect(res.body.workingHours).toEqual(defaultAgreement.calendar.workingHours)
  })

  it("a time zone that does not exist is still refused at its path", async () => {
    const res = await api.call("PUT", "/v1/reps/nowhere", { body: { name: "No Where", role: "ae", timezone: "Mars/Olympus" } })
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain("timezone")
  })
})

describe("events without occurredAt", () => {
  it("are stored at receipt time, as tracking APIs do; with an id a resend is still stored once", async () => {
    const lead = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "analyst@no-clock.com", title: "Analyst", employees: 300, intent: "content_download" } })
    expect(lead.status).toBe(201)
    const event = { id: "m-1", email: "analyst@no-clock.com", type: "content_download", properties: { kind: "case_study" } }
    const first = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [event] } })
    expect(first.status).toBe(200)
    expect(first.body.results[0]).toMatchObject({ status: "attached", errors: [] })
    expect(first.body.results[0].clockSkewClamped).toBeUndefined()
    const again = await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [event] } })
    expect(again.body.results[0].status).toBe("duplicate")
    const view = await api.call("GET", `/v1/leads/${lead.body.id}`, { key: api.keys.read })
    // received just now: the download counts in full (no decay), once
    expect(view.body.score.drivers.find((d: { rule: string }) => d.rule === "case-study").points).toBe(15)
  })
})

describe("bodies that are not JSON", () => {
  const lead = JSON.stringify({ email: "vp@plain-text.com", intent: "demo_request" })

  it.each([
    ["text/plain", "The body is text/plain"],
    ["application/x-www-form-urlencoded", "The body is application/x-www-form-urlencoded"]
  ])("a JSON body sent as %s → 415 problem+json naming what is accepted, no lead", async (type, detail) => {
    const res = await api.call("POST", "/v1/leads", { key: api.keys.ingest, raw: lead, headers: { "content-type": type } })
    expect(res.status).toBe(415)
    expect(res.headers.get("content-type")).toContain("application/problem+json")
    expect(res.body.detail).toContain(detail)
    expect(res.body.accepted).toEqual(["application/json"])
    const list = await api.call("GET", "/v1/leads?limit=100", { key: api.keys.read })
    expect(list.body.items.map((l: { email: string }) => l.email)).not.toContain("vp@plain-text.com")
  })

  it("application/json with a charset, and +json types, are read", async () => {
    const res = await api.call("POST", "/v1/leads", { key: api.keys.ingest, raw: lead, headers: { "content-type": "application/json; charset=utf-8" } })
    expect(res.status).toBe(201)
  })

  it("where YAML is documented, YAML types are accepted and named in the 415", async () => {
    const res = await api.call("POST", "/v1/agreement", { raw: "name: x", headers: { "content-type": "text/csv" } })
    expect(res.status).toBe(415)
    expect(res.body.accepted).toContain("application/yaml")
  })
})

describe("a key of the wrong role", () => {
  it("is told in plain words which keys can", async () => {
    const res = await api.call("GET", "/v1/keys", { key: api.keys.ingest })
    expect(res.status).toBe(403)
    expect(res.body.detail).toMatch(/^An ingest key cannot .+: that takes an admin key\.$/)
    expect(res.body.allowed).toEqual(["admin"])
  })
})

describe("sales feedback a new integrator gets wrong", () => {
  const routedLead = async (address: string) => {
    const posted = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: address, title: "VP Sales", company: "BigSoft", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" } })
    expect(posted.status).toBe(201)
    const view = await api.call("GET", `/v1/leads/${posted.body.id}`, { key: api.keys.read })
    expect(view.body.owner).not.toBeNull()
    return { id: posted.body.id as string, repId: view.body.owner.repId as string }
  }

  it("duplicate without into → 422 naming into, and the lead is unchanged", async () => {
    const lead = await routedLead("vp@dup-no-into.com")
    const res = await api.call("POST", `/v1/leads/${lead.id}/reject`, { key: api.keys.sales, body: { repId: lead.repId, reason: "duplicate" } })
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["into"])
    const after = await api.call("GET", `/v1/leads/${lead.id}`, { key: api.keys.read })
    expect(after.body.stage).toBe("mql")
    expect(after.body.owner.repId).toBe(lead.repId)
  })

  it("a premature rejection shows its reason and re-evaluation date in the lead view", async () => {
    const lead = await routedLead("vp@premature.com")
    const before = await api.call("GET", `/v1/leads/${lead.id}`, { key: api.keys.read })
    expect(before.body.recycle).toBeNull()
    const res = await api.call("POST", `/v1/leads/${lead.id}/reject`, { key: api.keys.sales, body: { repId: lead.repId, reason: "premature" } })
    expect(res.status).toBe(200)
    expect(res.body.stage).toBe("nurture")
    expect(res.body.recycle).toMatchObject({ reason: "premature" })
    const reevaluateAt = Date.parse(res.body.recycle.reevaluateAt)
    expect(reevaluateAt).toBeGreaterThan(Date.parse(res.body.recycle.at))
  })
})
