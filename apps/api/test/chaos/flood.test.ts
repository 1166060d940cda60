/**
 * Chaos: a burst of events. 500 parallel `POST /v1/events` of 1,000 events each, one key,
 * on each store. Every request is answered (2xx, or 429/503 with Retry-After, never a hang
 * or a 5xx other than 503), `/healthz` stays fast throughout, and every event the service
 * said it accepted is in the store afterwards — counted in the store itself, after a clean stop.
 */
import { openDatabase } from "@handoff/db"
import { postgresAvailable } from "@handoff/db/testing"
import { afterAll, afterEach, describe, expect, it } from "@effect/vitest"
import pg from "pg"
import { dropDatabases, figure, killAll, probeHealth, startFresh, type StoreKind } from "./server.ts"

const stores: Array<StoreKind> = ["pglite", ...(await postgresAvailable() ? ["postgres" as const] : [])]
afterEach(killAll)
afterAll(dropDatabases)

const parallel = 500
const perBatch = 1_000
const leads = 20

/** The page views the store holds for this run's leads (attached to them, or pending for their email). */
const viewsQuery = "select count(*)::int as n from lead_events e left join leads l on l.id = e.lead_id where e.type = 'page_view' and coalesce(l.email, e.email) like 'flood-%'"

const storedViews = async (store: StoreKind, location: string): Promise<number> => {
  if (store === "postgres") {
    const c = new pg.Client({ connectionString: location })
    await c.connect()
    try {
      return Number((await c.query(viewsQuery)).rows[0].n)
    } finally {
      await c.end()
    }
  }
  const db = await openDatabase({ dataDir: location })
  try {
    const r = await db.kysely.selectFrom("lead_events as e").leftJoin("leads as l", "l.id", "e.lead_id")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("e.type", "=", "page_view")
      .where((eb) => eb.fn.coalesce("l.email", "e.email"), "like", "flood-%")
      .executeTakeFirstOrThrow()
    return Number(r.n)
  } finally {
    await db.close()
  }
}

describe.each(stores)("chaos: an events flood (%s)", (store) => {
  it(`${parallel} parallel batches of ${perBatch} events from one key: all answered, /healthz fast, nothing accepted lost`, async () => {
    const server = await startFresh(store)
    const ingest = await server.key("ingest")
    for (let i = 0; i < leads; i++) {
      expect((await server.call("POST", "/v1/leads", { key: ingest, body: { email: `flood-${i}@bigco.com`, intent: "content_download" } })).status).toBe(201)
    }
    const at = Date.now() - 3_600_000
    const bodies = Array.from({ length: parallel }, (_, b) =>
      JSON.stringify({
        events: Array.from({ length: perBatch }, (_, j) => ({
          email: `flood-${(b * perBatch + j) % leads}@bigco.com`,
          type: "page_view",
          occurredAt: new Date(at + b * perBatch + j).toISOString(),
          properties: { category: "blog", n: b * perBatch + j }
        }))
      }))

    const statuses = new Map<number, number>()
    let accepted = 0
    let unanswered = 0
    let missingRetryAfter = 0
    const t0 = Date.now()
    const probed = await probeHealth(server.base, () =>
      Promise.all(bodies.map(async (body) => {
        try {
          const res = await fetch(`${server.base}/v1/events`, { method: "POST", headers: { authorization: `Bearer ${ingest}`, "content-type": "application/json" }, body, signal: AbortSignal.timeout(120_000) })
          const answer = await res.json() as { results?: Array<{ status: string }> }
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          if (res.status === 200) accepted += answer.results!.filter((r) => r.status === "attached" || r.status === "pending").length
          if ((res.status === 429 || res.status === 503) && res.headers.get("retry-after") === null) missingRetryAfter++
        } catch {
          unanswered++
        }
      })))
    const seconds = (Date.now() - t0) / 1000
    const byStatus = Object.fromEntries([...statuses.entries()].sort(([a], [b]) => a - b))
    const stopped = await server.stop()
    const stored = await storedViews(store, server.location)
    figure("events flood", store, { requests: parallel, seconds, healthzP99Ms: probed.p99, healthzProbes: probed.latencies.length, healthzFailed: probed.failed, byStatus, accepted, stored, lost: accepted - stored, stopMs: stopped.ms })

    expect(unanswered).toBe(0)
    for (const status of statuses.keys()) expect([200, 429, 503]).toContain(status)
    expect(missingRetryAfter).toBe(0)
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0)
    expect(stored).toBe(accepted)
    expect(probed.failed).toBe(0)
    // the target is 100 ms; the bound here leaves room for a loaded CI machine (BENCHMARKS.md has the measured figure)
    expect(probed.p99).toBeLessThan(250)
    expect(stopped.code).toBe(0)
  }, 300_000)

  it("clients that give up: their work is abandoned at once, not finished for minutes", async () => {
    const server = await startFresh(store)
    const keys = await Promise.all([1, 2].map(() => server.key("ingest")))
    const body = (k: number) => JSON.stringify({
      events: Array.from({ length: perBatch }, (_, j) => ({ email: `gone-${k}-${j % 50}@bigco.com`, type: "page_view", occurredAt: new Date(Date.now() - 60_000 + j).toISOString(), properties: { n: j } }))
    })
    // four heavy batches (two keys, two each: the most the service takes at once), abandoned after 300 ms
    const sent = keys.flatMap((key, k) => [0, 1].map((b) =>
      fetch(`${server.base}/v1/events`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: body(k * 2 + b), signal: AbortSignal.timeout(300) }).then(() => "answered", () => "gave up")))
    expect(await Promise.all(sent)).toEqual(["gave up", "gave up", "gave up", "gave up"])
    const inFlight = async () => {
      const text = (await server.call("GET", "/metrics", { key: null })).body as string
      return Number(/^handoff_http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? NaN)
    }
    const t0 = Date.now()
    let n = await inFlight()
    while (n > 0 && Date.now() - t0 < 10_000) {
      await new Promise((r) => setTimeout(r, 100))
      n = await inFlight()
    }
    figure("clients gone", store, { abandonedWithinMs: Date.now() - t0, inFlight: n })
    expect(n).toBe(0)
    expect(Date.now() - t0).toBeLessThan(5_000)
    // and the service takes new work at once
    expect((await server.call("POST", "/v1/leads", { key: keys[0]!, body: { email: "next@bigco.com", intent: "content_download" } })).status).toBe(201)
    expect((await server.stop()).code).toBe(0)
  }, 120_000)
})
