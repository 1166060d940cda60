/** Rate limiting per key, and logs that never carry a secret. */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { jsonLogger, redact } from "../src/log.ts"
import { startTestApi, type TestApi } from "./harness.ts"

const lines: Array<string> = []
let api: TestApi

afterAll(async () => {
  await api?.close()
})

describe("the edge", () => {
  it("a key over its rate gets 429 with Retry-After; other keys are not affected", async () => {
    api = await startTestApi([], { rateLimit: { perSecond: 1, burst: 3 }, logger: jsonLogger((l) => lines.push(l)) })
    const statuses: Array<number> = []
    let retryAfter: string | null = null
    for (let i = 0; i < 5; i++) {
      const r = await api.call("GET", "/v1/leads", { key: api.keys.read })
      statuses.push(r.status)
      if (r.status === 429) {
        retryAfter = r.headers.get("retry-after")
        expect(r.body).toMatchObject({ status: 429, title: "Too many requests" })
      }
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
    expect(statuses.slice(3)).toEqual([429, 429])
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    expect((await api.call("GET", "/v1/leads", { key: api.keys.sales })).status).toBe(200)
  })

  it("request logs are JSON lines with a request id and never contain a key", async () => {
    await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "log@check.com", intent: "content_download" }, headers: { "x-request-id": "req-abc" } })
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(parsed.find((l) => l.requestId === "req-abc")).toMatchObject({ level: "info", msg: "request", method: "POST", route: "/v1/leads", status: 201 })
    for (const key of Object.values(api.keys)) expect(lines.join("\n")).not.toContain(key)
  })

  it("redaction covers secret-looking fields, API keys and URL passwords inside values", () => {
    expect(redact({ authorization: "Bearer x", nested: { secret: "s", ok: 1 }, note: "key hk_admin_abcdefghijklmnop used", db: "postgres://u:pw@h/db" })).toEqual({
      authorization: "[redacted]",
      nested: { secret: "[redacted]", ok: 1 },
      note: "key hk_[redacted] used",
      db: "postgres://u:***@h/db"
    })
  })
})
