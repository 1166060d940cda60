/**
 * PostgreSQL going away — stopped, or frozen mid-conversation — is a 503 with Retry-After
 * within seconds on every request and on /readyz, and the service recovers by itself when
 * the server is back. (A TCP proxy in front of the test server plays the outage.)
 */
import { freshSchema, postgresAvailable, postgresUrl, tcpProxy, type TcpProxy } from "@handoff/db/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { startTestApi, type TestApi } from "./harness.ts"

const available = await postgresAvailable()
let proxy: TcpProxy
let api: TestApi
let drop: () => Promise<void>

beforeAll(async () => {
  if (!available) return
  const target = new URL(postgresUrl)
  proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  const fresh = await freshSchema()
  drop = fresh.drop
  target.host = `127.0.0.1:${proxy.port}`
  api = await startTestApi([], {}, { store: { url: target.toString(), schema: fresh.schema, poolSize: 4 } })
})

afterAll(async () => {
  await api?.close()
  await proxy?.close()
  await drop?.()
})

const timed = async <A>(f: () => Promise<A>) => {
  const t0 = Date.now()
  const value = await f()
  return { value, ms: Date.now() - t0 }
}

const lead = (email: string) => ({ email, intent: "demo_request", title: "VP Sales", employees: 800, estimatedAcv: 90_000 })

describe.runIf(available)("a PostgreSQL outage", () => {
  it("server down: requests and /readyz answer 503 with Retry-After within 5 s; back up: served again, nothing lost", async () => {
    expect((await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: lead("before@bigco.com") })).status).toBe(201)
    await proxy.down()
    for (const [method, path, key, body] of [
      ["POST", "/v1/leads", api.keys.ingest, lead("during@bigco.com")],
      ["GET", "/v1/leads", api.keys.read, undefined],
      ["GET", "/readyz", null, undefined]
    ] as const) {
      const { value: r, ms } = await timed(() => api.call(method, path, { key, ...(body === undefined ? {} : { body }) }))
      expect(r.status, `${method} ${path}`).toBe(503)
      expect(r.headers.get("content-type")).toContain("application/problem+json")
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0)
      expect(ms).toBeLessThan(5_000)
    }
    await proxy.up()
    // the pool replaces its dead connections: no restart needed
    let ready = 0
    for (let i = 0; i < 50 && ready !== 200; i++) {
      ready = (await api.call("GET", "/readyz", { key: null })).status
      if (ready !== 200) await new Promise((r) => setTimeout(r, 200))
    }
    expect(ready).toBe(200)
    expect((await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: lead("after@bigco.com") })).status).toBe(201)
    const list = await api.call("GET", "/v1/leads", { key: api.keys.read })
    expect(list.body.items.map((l: { email: string }) => l.email).sort()).toEqual(["after@bigco.com", "before@bigco.com"])
  }, 60_000)

  it("server frozen (it takes bytes and never answers): 503 within 5 s, not a hang; thawed: served again", async () => {
    proxy.freeze()
    const results = await Promise.all([
      timed(() => api.call("POST", "/v1/leads", { key: api.keys.ingest, body: lead("frozen@bigco.com") })),
      timed(() => api.call("GET", "/v1/leads", { key: api.keys.read })),
      timed(() => api.call("GET", "/readyz", { key: null }))
    ])
    for (const { value: r, ms } of results) {
      expect(r.status).toBe(503)
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0)
      expect(ms).toBeLessThan(5_500)
    }
    await proxy.up()
    let status = 0
    for (let i = 0; i < 100 && status !== 201; i++) {
      status = (await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: lead("thawed@bigco.com") })).status
      if (status !== 201) await new Promise((r) => setTimeout(r, 200))
    }
    expect(status).toBe(201)
  }, 90_000)
})
