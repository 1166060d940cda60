/** The seed scenarios end to end over HTTP, and the lead endpoints' contract. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { RepId } from "@handoff/domain"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
beforeAll(async () => {
  api = await startTestApi([{ domain: "target.com", named: true, activeOutbound: true, ownerRepId: "ae-9" as RepId }])
})
afterAll(async () => {
  await api?.close()
})

describe("the seed scenarios over HTTP", () => {
  it("a VP at an 800-person software company asking for a demo with $90K ACV → hot, AE pod, accept by T0+2 min, bookingUrl returned", async () => {
    const t0 = new Date(Date.now() - 1000).toISOString()
    const res = await api.call("POST", "/v1/leads", {
      body: { email: "vp@bigsoft.com", firstName: "Val", title: "VP Sales", company: "BigSoft", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request", occurredAt: t0, source: { channel: "organic", form: "demo" } }
    })
    expect(res.status).toBe(201)
    expect(res.body.tier).toBe("hot")
    expect(res.body.stage).toBe("mql")
    expect(res.body.created).toBe(true)
    expect(res.body.decision).toMatchObject({ tier: "hot", outcome: "assigned", pod: "ae-direct", handRaise: true })
    expect(["ae-1", "ae-2"]).toContain(res.body.owner.repId)
    expect(res.body.owner.bookingUrl).toBe(`https://cal.example/${res.body.owner.repId}`)
    const routedAt = Date.parse(res.body.sla.acceptBy) - 120_000
    expect(Math.abs(routedAt - Date.now())).toBeLessThan(10_000)
    expect(Date.parse(res.body.sla.firstTouchBy)).toBe(Date.parse(t0) + 5 * 60_000)
    expect(res.body.score.drivers.map((d: { rule: string }) => d.rule)).toEqual(expect.arrayContaining(["title-exec", "size-target", "industry-match", "demo"]))
    expect(res.body.agreementVersion).toBe(1)
    expect(res.body.routing).toMatchObject({ pod: "ae-direct", strategy: "round_robin" })
  })

  it("a demo request from a 20-person company → warm-plus, SDR", async () => {
    const res = await api.call("POST", "/v1/leads", { body: { email: "ceo@tiny.io", title: "CEO", employees: 20, country: "US", intent: "demo_request" } })
    expect(res.status).toBe(201)
    expect(res.body.tier).toBe("warm-plus")
    expect(res.body.owner.repId).toBe("sdr-us")
    expect(res.body.flags).toContain("disqualified:wrong_icp")
  })

  it("a content download only → nurture, no owner", async () => {
    const res = await api.call("POST", "/v1/leads", { body: { email: "reader@corp.com", title: "Analyst", employees: 300, intent: "content_download" } })
    expect(res.status).toBe(201)
    expect(res.body.tier).toBe("nurture")
    expect(res.body.owner).toBeNull()
    expect(res.body.sla).toBeNull()
    expect(res.body.decision.outcome).toBe("not_routed")
  })

  it("pricing page + two case studies later → MQL warm, SDR", async () => {
    const lead = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "ops@midco.com", title: "Head of Sales Ops", employees: 400, industry: "saas", country: "DE", intent: "webinar_registration" } })
    expect(lead.body.tier).toBe("nurture")
    const now = Date.now()
    const events = await api.call("POST", "/v1/events", {
      key: api.keys.ingest,
      body: {
        events: [
          { email: "ops@midco.com", type: "page_view", occurredAt: new Date(now - 3_600_000).toISOString(), properties: { category: "pricing" } },
          { email: "ops@midco.com", type: "content_download", occurredAt: new Date(now - 1_800_000).toISOString(), properties: { kind: "case_study" } },
          { leadId: lead.body.id, type: "content_download", occurredAt: new Date(now - 60_000).toISOString(), properties: { kind: "case_study" } }
        ]
      }
    })
    expect(events.status).toBe(200)
    expect(events.body.results.map((r: { status: string }) => r.status)).toEqual(["attached", "attached", "attached"])
    const after = await api.call("GET", `/v1/leads/${lead.body.id}`, { key: api.keys.read })
    expect(after.body.tier).toBe("warm")
    expect(after.body.stage).toBe("mql")
    expect(after.body.owner.repId).toBe("sdr-de")
    expect(after.body.score.total).toBe(35 + 20 + 30)
  })

  it("a reject as wrong_icp → no MQL afterwards from more content", async () => {
    const lead = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "agency@consult.com", title: "Head of Growth", employees: 300, industry: "saas", country: "US", intent: "content_download", properties: { kind: "case_study" } } })
    await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [{ leadId: lead.body.id, type: "page_view", occurredAt: new Date().toISOString(), properties: { category: "pricing" } }] } })
    const mql = await api.call("GET", `/v1/leads/${lead.body.id}`)
    expect(mql.body.stage).toBe("mql")
    const rejected = await api.call("POST", `/v1/leads/${lead.body.id}/reject`, { key: api.keys.sales, body: { repId: mql.body.owner.repId, reason: "wrong_icp", note: "an agency" } })
    expect(rejected.status).toBe(200)
    expect(rejected.body.stage).toBe("nurture")
    await api.call("POST", "/v1/events", { key: api.keys.ingest, body: { events: [{ leadId: lead.body.id, type: "content_download", occurredAt: new Date().toISOString(), properties: { kind: "case_study" } }] } })
    const still = await api.call("GET", `/v1/leads/${lead.body.id}`)
    expect(still.body.stage).toBe("nurture")
    expect(still.body.owner).toBeNull()
    const timeline = await api.call("GET", `/v1/leads/${lead.body.id}/timeline`, { key: api.keys.read })
    expect(timeline.body.entries.map((e: { cause: string }) => e.cause)).toContain("Reject")
  })

  it("a lead from an account in active outbound → the account owner, abm_suppressed", async () => {
    const res = await api.call("POST", "/v1/leads", { body: { email: "buyer@target.com", title: "Director", employees: 900, intent: "contact_sales" } })
    expect(res.body.owner.repId).toBe("ae-9")
    expect(res.body.flags).toContain("abm_suppressed")
    expect(res.body.accountId).toBe("target.com")
  })
})

describe("sales feedback over HTTP", () => {
  it("accept by the owner → SAL; by someone else → 409 with the reason", async () => {
    const lead = await api.call("POST", "/v1/leads", { body: { email: "cto@acceptme.com", title: "CTO", employees: 700, industry: "saas", estimatedAcv: 75000, intent: "demo_request" } })
    const owner = lead.body.owner.repId
    const other = owner === "ae-1" ? "ae-2" : "ae-1"
    const wrong = await api.call("POST", `/v1/leads/${lead.body.id}/accept`, { key: api.keys.sales, body: { repId: other } })
    expect(wrong.status).toBe(409)
    expect(wrong.headers.get("content-type")).toMatch(/application\/problem\+json/)
    expect(wrong.body).toMatchObject({ status: 409, reason: "not_owner" })
    const ok = await api.call("POST", `/v1/leads/${lead.body.id}/accept`, { key: api.keys.sales, body: { repId: owner } })
    expect(ok.status).toBe(200)
    expect(ok.body.stage).toBe("sal")
    expect(ok.body.sla.acceptedAt).not.toBeNull()
    const call = await api.call("POST", `/v1/leads/${lead.body.id}/activities`, { key: api.keys.sales, body: { repId: owner, kind: "call", connected: true } })
    expect(call.body.sla.firstTouchAt).not.toBeNull()
    const sql = await api.call("POST", `/v1/leads/${lead.body.id}/qualify`, { key: api.keys.sales, body: { repId: owner, framework: "BANT", fields: { budget: "approved" } } })
    expect(sql.body.stage).toBe("sql")
  })

  it("a retried POST with the same Idempotency-Key returns the first response and writes nothing twice", async () => {
    const body = { email: "retry@idem.com", title: "VP Marketing", employees: 500, industry: "saas", estimatedAcv: 60000, intent: "demo_request" }
    const first = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body, headers: { "idempotency-key": "form-123" } })
    const again = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body, headers: { "idempotency-key": "form-123" } })
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    expect(again.body).toEqual(first.body)
    expect(again.headers.get("idempotent-replayed")).toBe("true")
    const timeline = await api.call("GET", `/v1/leads/${first.body.id}/timeline`)
    expect(timeline.body.entries.filter((e: { cause: string }) => e.cause === "Inquiry")).toHaveLength(1)
    const reused = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { ...body, title: "CEO" }, headers: { "idempotency-key": "form-123" } })
    expect(reused.status).toBe(422)
  })

  it("lists leads newest first with filters and a cursor that walks every page once", async () => {
    const seen: Array<string> = []
    let cursor: string | null = null
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await api.call("GET", `/v1/leads?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`, { key: api.keys.read })
      seen.push(...page.body.items.map((i) => i.id))
      cursor = page.body.nextCursor
    } while (cursor !== null)
    expect(new Set(seen).size).toBe(seen.length)
    const all = await api.call("GET", "/v1/leads?limit=100", { key: api.keys.read })
    expect(seen).toEqual(all.body.items.map((i: { id: string }) => i.id))
    const hot = await api.call("GET", "/v1/leads?tier=hot", { key: api.keys.read })
    expect(hot.body.items.length).toBeGreaterThan(0)
    expect(hot.body.items.every((i: { tier: string }) => i.tier === "hot")).toBe(true)
  })
})

describe("auth and bad input", () => {
  it("401 without a valid key, 403 for the wrong role", async () => {
    expect((await api.call("GET", "/v1/leads", { key: null })).status).toBe(401)
    expect((await api.call("GET", "/v1/leads", { key: "hk_read_nope" })).status).toBe(401)
    const forbidden = await api.call("POST", "/v1/leads", { key: api.keys.read, body: { email: "a@b.co" } })
    expect(forbidden.status).toBe(403)
    expect(forbidden.body.detail).toMatch(/takes an ingest key or an admin key\.$/)
  })

  it("invalid fields come back as 422 problem+json with the path of each fault", async () => {
    const res = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "not-an-email", employees: -4, estimatedAcv: "lots", surprise: true } })
    expect(res.status).toBe(422)
    expect(res.body.type).toMatch(/validation/)
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["email", "employees", "estimatedAcv", "surprise"]))
    // one message per fault, and no "Expected undefined" noise from optional fields
    const acv = res.body.errors.filter((e: { path: string }) => e.path === "estimatedAcv")
    expect(acv).toHaveLength(1)
    expect(acv[0].message).toMatch(/Expected number/)
  })

  it("malformed JSON → 400, a body over the limit → 413, unknown lead → 404, unknown route → 404", async () => {
    expect((await api.call("POST", "/v1/leads", { key: api.keys.ingest, raw: "{\"email\": " })).status).toBe(400)
    expect((await api.call("POST", "/v1/leads", { key: api.keys.ingest, raw: JSON.stringify({ email: "a@b.co", fields: { x: "y".repeat(1_100_000) } }) })).status).toBe(413)
    const missing = await api.call("GET", "/v1/leads/lead_nope")
    expect(missing.status).toBe(404)
    expect(missing.body.title).toBe("Lead not found")
    expect((await api.call("GET", "/v1/nothing-here")).status).toBe(404)
  })

  it("health, readiness and metrics need no key", async () => {
    expect((await api.call("GET", "/healthz", { key: null })).body).toEqual({ status: "ok" })
    expect((await api.call("GET", "/readyz", { key: null })).body).toEqual({ status: "ready", engine: "pglite" })
    const metrics = await api.call("GET", "/metrics", { key: null })
    expect(metrics.status).toBe(200)
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(metrics.body).toMatch(/^handoff_http_requests_total\{method="POST",route="\/v1\/leads",status="201"\} \d+$/m)
  })
})
