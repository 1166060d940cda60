/** Opportunities over HTTP: an SQL becomes an opportunity and closes won or lost. */
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
/** A hot lead taken all the way to SQL by its owner. */
const sqlLead = async () => {
  n++
  const lead = await api.call("POST", "/v1/leads", {
    body: { email: `buyer${n}@opps${n}.com`, title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" }
  })
  expect(lead.status).toBe(201)
  const owner = lead.body.owner.repId as string
  expect((await api.call("POST", `/v1/leads/${lead.body.id}/accept`, { key: api.keys.sales, body: { repId: owner } })).status).toBe(200)
  const sql = await api.call("POST", `/v1/leads/${lead.body.id}/qualify`, { key: api.keys.sales, body: { repId: owner, framework: "MEDDIC" } })
  expect(sql.body.stage).toBe("sql")
  return { id: lead.body.id as string, owner }
}

const open = (leadId: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  api.call("POST", "/v1/opportunities", { key: api.keys.sales, body: { leadId, amount: 42000, ...extra }, headers })

describe("POST /v1/opportunities", () => {
  it("opens an opportunity on an SQL: 201 with its id, amount, open date and the lead now at stage opportunity", async () => {
    const lead = await sqlLead()
    const createdAt = new Date(Date.now() - 3_600_000).toISOString()
    const res = await open(lead.id, { createdAt })
    expect(res.status).toBe(201)
    expect(res.body.id).toMatch(/^opp_/)
    expect(res.body).toMatchObject({ leadId: lead.id, amount: 42000, stage: "open", closedAt: null, won: null })
    expect(res.body.openedAt).toBe(createdAt)
    expect(res.body.lead.stage).toBe("opportunity")
    expect(res.body.lead.id).toBe(lead.id)
    const read = await api.call("GET", `/v1/opportunities/${res.body.id}`, { key: api.keys.read })
    expect(read.status).toBe(200)
    expect(read.body).toEqual(res.body)
    const timeline = await api.call("GET", `/v1/leads/${lead.id}/timeline`)
    expect(timeline.body.entries.map((e: { cause: string }) => e.cause)).toContain("OpenOpportunity")
  })

  it("without createdAt the opportunity opens now", async () => {
    const lead = await sqlLead()
    const before = Date.now()
    const res = await open(lead.id)
    expect(res.status).toBe(201)
    expect(Date.parse(res.body.openedAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(res.body.openedAt)).toBeLessThanOrEqual(Date.now() + 1000)
  })

  it("a retry with the same Idempotency-Key returns the first opportunity and opens no second one", async () => {
    const lead = await sqlLead()
    const first = await open(lead.id, {}, { "idempotency-key": `opp-${lead.id}` })
    const again = await open(lead.id, {}, { "idempotency-key": `opp-${lead.id}` })
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    expect(again.body.id).toBe(first.body.id)
    expect(again.headers.get("idempotent-replayed")).toBe("true")
    const timeline = await api.call("GET", `/v1/leads/${lead.id}/timeline`)
    expect(timeline.body.entries.filter((e: { cause: string }) => e.cause === "OpenOpportunity")).toHaveLength(1)
  })

  it("409 for a lead that is not an SQL, and for a second opportunity on the same lead", async () => {
    const mql = await api.call("POST", "/v1/leads", { body: { email: "cto@notyet.com", title: "CTO", employees: 700, industry: "saas", estimatedAcv: 80000, intent: "demo_request" } })
    const early = await open(mql.body.id)
    expect(early.status).toBe(409)
    expect(early.body).toMatchObject({ status: 409, stage: "mql" })
    const lead = await sqlLead()
    expect((await open(lead.id)).status).toBe(201)
    const twice = await open(lead.id)
    expect(twice.status).toBe(409)
    expect(twice.body.stage).toBe("opportunity")
  })

  it("404 for an unknown lead; 422 with the path of each fault; 403 for keys other than sales and admin", async () => {
    const missing = await open("lead_nope")
    expect(missing.status).toBe(404)
    expect(missing.body.title).toBe("Lead not found")
    const bad = await api.call("POST", "/v1/opportunities", { key: api.keys.sales, body: { amount: -5, createdAt: "yesterday-ish", extra: 1 } })
    expect(bad.status).toBe(422)
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["leadId", "amount", "createdAt", "extra"]))
    const lead = await sqlLead()
    const future = await open(lead.id, { createdAt: new Date(Date.now() + 86_400_000).toISOString() })
    expect(future.status).toBe(422)
    expect(future.body.errors).toEqual([{ path: "createdAt", message: "must not be in the future" }])
    expect((await api.call("GET", `/v1/leads/${lead.id}`)).body.stage).toBe("sql")
    for (const key of [api.keys.read, api.keys.ingest]) expect((await api.call("POST", "/v1/opportunities", { key, body: { leadId: lead.id, amount: 1 } })).status).toBe(403)
  })
})

describe("POST /v1/opportunities/{id}/close", () => {
  it("won: the lead is Closed-Won with the final amount and the CRM's close date", async () => {
    const lead = await sqlLead()
    const opened = await open(lead.id, { createdAt: new Date(Date.now() - 86_400_000).toISOString() })
    const closedAt = new Date(Date.now() - 60_000).toISOString()
    const res = await api.call("POST", `/v1/opportunities/${opened.body.id}/close`, { key: api.keys.sales, body: { won: true, amount: 51000, closedAt } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: opened.body.id, leadId: lead.id, amount: 51000, won: true, stage: "won", closedAt, openedAt: opened.body.openedAt })
    expect(res.body.lead.stage).toBe("won")
    const read = await api.call("GET", `/v1/opportunities/${opened.body.id}`, { key: api.keys.sales })
    expect(read.body).toMatchObject({ stage: "won", amount: 51000, closedAt })
    // a later inquiry from the same person rewrites the lead, not the opportunity's dates
    await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: `buyer${n}@opps${n}.com`, intent: "content_download" } })
    expect((await api.call("GET", `/v1/opportunities/${opened.body.id}`)).body).toMatchObject({ stage: "won", amount: 51000, closedAt, openedAt: opened.body.openedAt })
  })

  it("lost: the lead goes back to marketing nurture with its history, and the opportunity stays recorded as lost", async () => {
    const lead = await sqlLead()
    const opened = await open(lead.id)
    const res = await api.call("POST", `/v1/opportunities/${opened.body.id}/close`, { key: api.keys.sales, body: { won: false } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ stage: "lost", won: false, amount: 42000 })
    expect(res.body.closedAt).not.toBeNull()
    expect(res.body.lead.stage).toBe("nurture")
    expect(res.body.lead.owner).toBeNull()
    const read = await api.call("GET", `/v1/opportunities/${opened.body.id}`)
    expect(read.body).toMatchObject({ stage: "lost", won: false })
    const causes = (await api.call("GET", `/v1/leads/${lead.id}/timeline`)).body.entries.map((e: { cause: string }) => e.cause)
    expect(causes).toEqual(expect.arrayContaining(["Inquiry", "Accept", "Qualify", "OpenOpportunity", "CloseLost"]))
  })

  it("409 when already closed, 404 for an unknown opportunity", async () => {
    const lead = await sqlLead()
    const opened = await open(lead.id)
    expect((await api.call("POST", `/v1/opportunities/${opened.body.id}/close`, { key: api.keys.sales, body: { won: true } })).status).toBe(200)
    const again = await api.call("POST", `/v1/opportunities/${opened.body.id}/close`, { key: api.keys.sales, body: { won: false } })
    expect(again.status).toBe(409)
    expect(again.body.reason).toBe("opportunity_closed")
    expect((await api.call("GET", `/v1/leads/${lead.id}`)).body.stage).toBe("won")
    const unknown = await api.call("POST", "/v1/opportunities/opp_nope/close", { key: api.keys.sales, body: { won: true } })
    expect(unknown.status).toBe(404)
    expect((await api.call("GET", "/v1/opportunities/opp_nope")).status).toBe(404)
  })

  it("422 for a close date before the opening or in the future (nothing changes), or a body without won; 403 for a read key", async () => {
    const lead = await sqlLead()
    const opened = await open(lead.id, { createdAt: new Date(Date.now() - 3_600_000).toISOString() })
    const early = await api.call("POST", `/v1/opportunities/${opened.body.id}/close`, { key: api.keys.sales, body: { won: true, closedAt: new Date(Date.now() - 7_200_000).toISOString() } })
    expect(early.status).toBe(422)
    expect(early.body.errors.map((e: { path: string }) => e.path)).toEqual(["closedAt"])
    const future = await api.call("POST", `/v1/opportunities/${opened.body.id}/close`, { key: api.keys.sales, body: { won: true, closedAt: new Date(Date.now() + 86_400_000).toISOString() } })
    expect(future.status).toBe(422)
    const noWon = await api.call("POST", `/v1/opportunities/${opened.body.id}/close`, { key: api.keys.sales, body: { amount: 3 } })
    expect(noWon.status).toBe(422)
    expect(noWon.body.errors.map((e: { path: string }) => e.path)).toEqual(["won"])
    expect((await api.call("POST", `/v1/opportunities/${opened.body.id}/close`, { key: api.keys.read, body: { won: true } })).status).toBe(403)
    const still = await api.call("GET", `/v1/opportunities/${opened.body.id}`)
    expect(still.body).toMatchObject({ stage: "open", closedAt: null })
    expect(still.body.lead.stage).toBe("opportunity")
  })
})
