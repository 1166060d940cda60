/**
 * The weekly funnel site as the service serves it: built from the stored snapshot of a week
 * of real traffic, its figures are the ones `/v1/reports/*` gives for that week; it is served
 * at /reports/ to read and admin keys only (a browser's Basic prompt or a Bearer header), and
 * the builder rebuilds it when a newer snapshot is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { readSnapshot, type WeeklySnapshot, writeWeeklySnapshot } from "@handoff/db"
import { buildSite } from "@handoff/reports"
import { Hono } from "hono"
import { existsSync } from "node:fs"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { silentLogger } from "../src/log.ts"
import { builtWeek, mountReportSite, startReportBuilder } from "../src/reportSite.ts"
import { lastWednesdayOffset, startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
let dir: string
let snapshot: WeeklySnapshot
const site = new Hono()

/** The figure a page shows for a headline (`data-kpi`), as a number. */
const kpi = (html: string, id: string): number => {
  const m = new RegExp(`data-kpi="${id}" data-value="([^"]*)"`).exec(html)
  if (m === null) throw new Error(`no figure ${id} on the page`)
  return Number(m[1])
}
const get = (path: string, authorization?: string) => site.request(path, authorization === undefined ? {} : { headers: { authorization } })
const basic = (key: string) => `Basic ${Buffer.from(`leadership:${key}`).toString("base64")}`

beforeAll(async () => {
  api = await startTestApi([], {}, { clockOffsetMs: lastWednesdayOffset() })
  dir = await mkdtemp(join(tmpdir(), "handoff-site-api-"))
  const ingest = (body: object) => api.call("POST", "/v1/leads", { key: api.keys.admin, body }) // the full view: the tests read owners
  const hot = await ingest({ email: "vp@site-bigco.com", title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request", source: { channel: "paid_search" } })
  const warm = await ingest({ email: "mgr@site-mid.com", title: "Marketing Manager", employees: 120, industry: "software", country: "US", intent: "demo_request", source: { channel: "organic" } })
  await ingest({ email: "reader@site-corp.com", title: "Analyst", employees: 300, intent: "content_download", source: { channel: "content_syndication" } })
  expect((await api.call("POST", `/v1/leads/${hot.body.id}/accept`, { key: api.keys.sales, body: { repId: hot.body.owner.repId } })).status).toBe(200)
  expect((await api.call("POST", `/v1/leads/${hot.body.id}/activities`, { key: api.keys.sales, body: { repId: hot.body.owner.repId, kind: "call", connected: true } })).status).toBe(200)
  expect((await api.call("POST", `/v1/leads/${warm.body.id}/reject`, { key: api.keys.sales, body: { repId: warm.body.owner.repId, reason: "premature", note: "next quarter" } })).status).toBe(200)
  // the following Monday morning: the week with these leads has ended
  const monday = new Date(api.now() + 5 * 86_400_000 - 2 * 3_600_000)
  expect((await api.runtime.runPromise(writeWeeklySnapshot(monday))).written).toBe(true)
  snapshot = (await api.runtime.runPromise(readSnapshot()))!
  await buildSite(snapshot, { outDir: join(dir, "site") })
  mountReportSite(site, api.runtime, { dir: join(dir, "site") })
})

afterAll(async () => {
  await api?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

describe("the weekly funnel site in the service", () => {
  it("shows the figures /v1/reports gives for the same week", async () => {
    const q = `from=${snapshot.period.from.toISOString()}&to=${snapshot.period.to.toISOString()}`
    const waterfall = (await api.call("GET", `/v1/reports/waterfall?${q}`, { key: api.keys.read })).body
    const sla = (await api.call("GET", `/v1/reports/sla?${q}`, { key: api.keys.read })).body
    const rejections = (await api.call("GET", `/v1/reports/rejections?${q}`, { key: api.keys.read })).body
    const attribution = (await api.call("GET", `/v1/reports/attribution?${q}`, { key: api.keys.read })).body
    const auth = basic(api.keys.read)

    const overview = await (await get("/reports/", auth)).text()
    for (const stage of ["inquiry", "mql", "sal", "sql", "opportunity", "won"]) expect(kpi(overview, `count-${stage}`), stage).toBe(waterfall.counts[stage])
    expect(kpi(overview, "count-inquiry")).toBe(3)
    expect(kpi(overview, "pipeline-sourced")).toBe(waterfall.pipeline.sourced.value)
    expect(kpi(overview, "sla-first-touch")).toBe(sla.overall.firstTouch.compliance)
    expect(kpi(overview, "limbo")).toBe(0)

    const speed = await (await get("/reports/speed.html", auth)).text()
    expect(kpi(speed, "handoffs")).toBe(sla.overall.handoffs)
    expect(kpi(speed, "time-to-first-touch")).toBe(sla.overall.timeToFirstTouch.medianMs)
    expect(kpi(speed, "reassignments")).toBe(sla.escalation.reassignments)

    const feedback = await (await get("/reports/feedback.html", auth)).text()
    expect(kpi(feedback, "routed")).toBe(rejections.routed)
    expect(kpi(feedback, "rejected")).toBe(1)
    expect(kpi(feedback, "rejected")).toBe(rejections.rejected)
    expect(feedback).toContain("premature")

    const attributionPage = await (await get("/reports/attribution.html", auth)).text()
    expect(kpi(attributionPage, "conversions")).toBe(attribution.conversions)

    // the CSV of the waterfall by source has the API's groups and counts
    const bySource = (await api.call("GET", `/v1/reports/waterfall?${q}&groupBy=source`, { key: api.keys.read })).body
    const csv = await (await get("/reports/csv/by-source.csv", auth)).text()
    const rows = csv.trim().split("\n").slice(1).map((l) => l.split(","))
    expect(rows.map((r) => [r[0], Number(r[1])])).toEqual(bySource.groups.map((g: any) => [(g.key ?? "(none)").replace(/_/g, " "), g.counts.inquiry]))
    expect(rows).toHaveLength(3)
  })

  it("is for read and admin keys: a browser is asked for one, other roles are refused", async () => {
    const none = await get("/reports/")
    expect(none.status).toBe(401)
    expect(none.headers.get("www-authenticate")).toContain("Basic")
    expect(none.headers.get("content-type")).toBe("application/problem+json")
    expect((await get("/reports/", basic("hk_read_not-a-key-at-all-000000"))).status).toBe(401)
    expect((await get("/reports/", basic(api.keys.ingest))).status).toBe(403)
    expect((await get("/reports/", `Bearer ${api.keys.sales}`)).status).toBe(403)
    const ok = await get("/reports/waterfall.html", `Bearer ${api.keys.read}`)
    expect(ok.status).toBe(200)
    expect(ok.headers.get("content-type")).toBe("text/html; charset=utf-8")
    expect(ok.headers.get("content-security-policy")).toContain("default-src 'none'")
    expect((await get("/reports/", basic(api.keys.admin))).status).toBe(200)
    expect((await get("/reports")).status).toBe(301)
  })

  it("serves the site's own files and nothing else", async () => {
    const auth = basic(api.keys.read)
    const csv = await get("/reports/csv/trend.csv", auth)
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8")
    expect(csv.headers.get("content-disposition")).toBe('attachment; filename="trend.csv"')
    for (const path of ["/reports/..%2F..%2Fpackage.json", "/reports/%2e%2e/site/index.html", "/reports/nope.html", "/reports/csv/..%2Findex.html", "/reports/snapshot.json.bak", "/reports/%E0%A4%A.html"]) {
      const res = await get(path, auth)
      // (a dot-dot the URL parser resolves leaves /reports/ and meets the app's own 404)
      expect(res.status, path).toBe(404)
    }
    const snap = JSON.parse(await (await get("/reports/snapshot.json", auth)).text())
    expect(snap.weekStart).toBe(snapshot.weekStart)
  })

  it("says when no report has been built yet, or while one is being built", async () => {
    const empty = new Hono()
    mountReportSite(empty, api.runtime, { dir: join(dir, "none") })
    const res = await empty.request("/reports/", { headers: { authorization: basic(api.keys.read) } })
    expect(res.status).toBe(404)
    expect(((await res.json()) as { detail: string }).detail).toContain("No weekly report has been built yet")
    const busy = new Hono()
    mountReportSite(busy, api.runtime, { dir: join(dir, "none"), building: () => true })
    const wait = await busy.request("/reports/", { headers: { authorization: basic(api.keys.read) } })
    expect(wait.status).toBe(503)
    expect(wait.headers.get("retry-after")).toBe("5")
  })

  it("the builder builds the newest stored week (in a child process), and again only when a newer one is stored", async () => {
    const out = join(dir, "built")
    const lines: Array<string> = []
    const log = { ...silentLogger, info: (m: string) => void lines.push(m), error: (m: string, f?: Record<string, unknown>) => void lines.push(`${m} ${JSON.stringify(f)}`) }
    const builder = startReportBuilder(api.runtime, { dir: out, intervalMs: 3_600_000, log })
    try {
      await builder.check()
      expect(lines).toEqual(["report built"])
      expect(builtWeek(out)?.weekStart).toBe(snapshot.weekStart)
      expect(existsSync(join(out, "calibration.html"))).toBe(true)
      await builder.check()
      expect(lines).toEqual(["report built"])
      // a week later a new snapshot is stored: the site follows it
      const next = await api.runtime.runPromise(writeWeeklySnapshot(new Date(api.now() + 12 * 86_400_000)))
      expect(next.written).toBe(true)
      await builder.check()
      expect(lines).toEqual(["report built", "report built"])
      expect(builtWeek(out)?.weekStart).toBe(next.weekStart)
      expect(JSON.parse(await readFile(join(out, "snapshot.json"), "utf8")).weekStart).toBe(next.weekStart)
    } finally {
      builder.stop()
    }
  })
})
