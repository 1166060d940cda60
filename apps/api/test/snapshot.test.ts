/** The weekly report snapshot: the week just ended, the same figures as /v1/reports for that week, written once. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { readSnapshot, writeWeeklySnapshot } from "@handoff/db"
import { lastWednesdayOffset, startTestApi, type TestApi } from "./harness.ts"

let api: TestApi

const nyDate = (t: number) => new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit" }).format(t)

beforeAll(async () => {
  api = await startTestApi([], {}, { clockOffsetMs: lastWednesdayOffset() })
  const ingest = (body: object) => api.call("POST", "/v1/leads", { key: api.keys.admin, body }) // the full view: the tests read owners
  const hot = await ingest({ email: "vp@snap-bigco.com", title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request", source: { channel: "paid_search" } })
  await ingest({ email: "mgr@snap-mid.com", title: "Marketing Manager", employees: 120, industry: "software", country: "US", intent: "demo_request", source: { channel: "organic" } })
  await ingest({ email: "reader@snap-corp.com", title: "Analyst", employees: 300, intent: "content_download", source: { channel: "content_syndication" } })
  expect((await api.call("POST", `/v1/leads/${hot.body.id}/accept`, { key: api.keys.sales, body: { repId: hot.body.owner.repId } })).status).toBe(200)
  // sales sends it back; it asks for a demo again a little later: a returning lead
  expect((await api.call("POST", `/v1/leads/${hot.body.id}/reject`, { key: api.keys.sales, body: { repId: hot.body.owner.repId, reason: "other", note: "no budget this quarter" } })).status).toBe(200)
  const again = await api.call("POST", "/v1/events", {
    key: api.keys.ingest,
    body: { events: [{ leadId: hot.body.id, type: "demo_request", occurredAt: new Date(api.now() + 60_000).toISOString() }] }
  })
  expect(again.status, JSON.stringify(again.body)).toBe(200)
})
afterAll(async () => {
  await api?.close()
})

describe("the weekly snapshot", () => {
  it("holds the week just ended (Monday to Monday, New York) with the figures /v1/reports gives for it, and is written once", async () => {
    // the following Monday at 09:00 New York: the week with the leads has just ended
    const monday = api.now() + 5 * 86_400_000 - 2 * 3_600_000
    expect(new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", weekday: "long" }).format(monday)).toBe("Monday")
    const first = await api.runtime.runPromise(writeWeeklySnapshot(new Date(monday)))
    expect(first.written).toBe(true)
    expect(first.weekStart).toBe(nyDate(api.now() - 2 * 86_400_000))
    expect(await api.runtime.runPromise(writeWeeklySnapshot(new Date(monday + 3_600_000)))).toEqual({ weekStart: first.weekStart, written: false })

    const snap = (await api.runtime.runPromise(readSnapshot()))!
    expect(snap.weekStart).toBe(first.weekStart)
    expect(snap.timezone).toBe("America/New_York")
    expect(snap.period.to.getTime() - snap.period.from.getTime()).toBe(7 * 86_400_000)
    expect(snap.waterfall.counts).toEqual({ inquiry: 3, mql: 2, sal: 1, sql: 0, opportunity: 0, won: 0 })
    const q = `from=${snap.period.from.toISOString()}&to=${snap.period.to.toISOString()}`
    const api1 = await api.call("GET", `/v1/reports/waterfall?${q}`, { key: api.keys.read })
    expect(api1.body.counts).toEqual(snap.waterfall.counts)
    const rejections = await api.call("GET", `/v1/reports/rejections?${q}`, { key: api.keys.read })
    expect(rejections.body.routed).toEqual(snap.rejections.routed)
    expect(snap.waterfallBySource.groups.map((g) => [g.key, g.counts.inquiry]).sort()).toEqual([["content_syndication", 1], ["organic", 1], ["paid_search", 1]])
    expect(snap.trend).toHaveLength(13)
    expect(snap.trend[12]).toMatchObject({ weekStart: first.weekStart, inquiry: 3, mql: 2 })
    expect(snap.trend.slice(0, 12).every((w) => w.inquiry === 0)).toBe(true)
    expect(snap.limbo).toMatchObject({ limbo: 0, invariantHolds: true })
    // feedback: one lead rejected into nurture, and back as an MQL by its new demo request
    expect(snap.rejections.recycling).toEqual({ recycled: 1, byReason: [{ reason: "other", count: 1 }], returned: 1 })
    expect((await api.call("GET", `/v1/reports/rejections?${q}`, { key: api.keys.read })).body.recycling).toEqual(snap.rejections.recycling)
    // the hot lead was handed off twice; the second owner has not accepted it yet, so no lead was worked
    expect(snap.waterfall.pipeline).toMatchObject({ sourced: { leads: 2, opportunities: 0, value: 0 }, worked: { leads: 0 }, rejected: 1 })
    expect(api1.body.pipeline).toEqual(snap.waterfall.pipeline)
    // the agreement page: the first version, nothing before it
    expect(snap.agreementDocument).toMatchObject({ version: snap.agreement.version, previous: null, changes: [] })
    expect(snap.agreementDocument.yaml).toContain(`name: ${snap.agreement.name}`)
  })

  it("shows what changed in the agreement since the previous version", async () => {
    const active = await api.call("GET", "/v1/agreement", { key: api.keys.read })
    const doc = structuredClone(active.body.agreement)
    const before = doc.scoring.mqlThreshold
    doc.scoring.mqlThreshold = before + 5
    doc.signatures = [...(doc.signatures ?? []), { role: "VP Sales", name: "Dana Ortiz", signedAt: "2026-11-20" }]
    const put = await api.call("POST", "/v1/agreement", { key: api.keys.admin, body: doc })
    expect(put.status, JSON.stringify(put.body)).toBe(201)
    // a week later the new version is the active one
    expect((await api.runtime.runPromise(writeWeeklySnapshot(new Date(api.now() + 12 * 86_400_000)))).written).toBe(true)
    const snap = (await api.runtime.runPromise(readSnapshot()))!
    expect(snap.agreementDocument.version).toBe(put.body.version)
    expect(snap.agreementDocument.previous?.version).toBe(active.body.version)
    const changed = snap.agreementDocument.changes
    expect(changed).toContainEqual({ path: "scoring.mqlThreshold", kind: "changed", before, after: before + 5 })
    expect(changed.filter((c) => c.path.startsWith("signatures")).map((c) => c.kind)).toContain("added")
    expect(changed.every((c) => c.path === "scoring.mqlThreshold" || c.path.startsWith("signatures"))).toBe(true)
  })
})
