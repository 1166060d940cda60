/**
 * Admission control, deadlines and clients that go away, over real sockets: a flood is
 * turned away before any key lookup or body read, slow clients cannot hold the service,
 * and the probes answer throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { request } from "node:http"
import { handoffApp } from "../src/index.ts"
import { silentLogger } from "../src/log.ts"
import { startTestApi, type TestApi } from "./harness.ts"
import { listen, type Served } from "./serve.ts"

let api: TestApi
let served: Served
let inFlight: () => number

beforeAll(async () => {
  api = await startTestApi()
  const limited = handoffApp(api.runtime, { logger: silentLogger, rateLimit: { perSecond: 1_000, burst: 1_000 }, inFlight: { perKey: 3, total: 5 }, deadlineMs: 4_000 })
  inFlight = limited.inFlight
  served = await listen(limited.app)
})

afterAll(async () => {
  await served?.close()
  await api?.close()
})

/** A POST that sends its headers and part of its body, then nothing: it sits in the server until cut. */
const trickle = (key: string) => {
  const req = request(`${served.url}/v1/leads`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": "1000" } })
  const answered = new Promise<{ status: number; retryAfter: string | undefined; ms: number }>((resolve, reject) => {
    const t0 = Date.now()
    req.on("response", (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined, ms: Date.now() - t0 })
    })
    req.on("error", reject)
  })
  req.write("{\"email\":")
  return {
    answered,
    abort: () => {
      answered.catch(() => undefined) // the hang-up is the point
      req.destroy()
    }
  }
}

const get = async (path: string, key?: string) => {
  const t0 = Date.now()
  const r = await fetch(`${served.url}${path}`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } })
  return { status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.json() as Record<string, unknown>, ms: Date.now() - t0 }
}

const until = async (check: () => boolean, ms: number) => {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  return check()
}

describe("admission control", () => {
  it("one key's slow requests take at most its share; past it 429 at once, past the total 503; probes still answer", async () => {
    const slow = [trickle(api.keys.ingest), trickle(api.keys.ingest), trickle(api.keys.ingest)]
    expect(await until(() => inFlight() === 3, 2_000)).toBe(true)
    // the same key again: refused at once, before its key is looked up or its body read
    const fourth = await get("/v1/leads", api.keys.ingest)
    expect(fourth.status).toBe(429)
    expect(Number(fourth.retryAfter)).toBeGreaterThanOrEqual(1)
    expect(fourth.body).toMatchObject({ status: 429, type: "https://handoff.dev/problems/rate-limited" })
    // another key still gets in, up to the total ...
    const other = [trickle(api.keys.admin), trickle(api.keys.admin)]
    expect(await until(() => inFlight() === 5, 2_000)).toBe(true)
    // ... and past the total everyone is told the service is busy
    const busy = await get("/v1/leads", api.keys.read)
    expect(busy.status).toBe(503)
    expect(busy.retryAfter).toBe("1")
    expect(busy.body).toMatchObject({ status: 503, reason: "busy" })
    // liveness is never turned away
    const health = await get("/healthz")
    expect(health.status).toBe(200)
    // the trickled bodies are cut at the deadline (503, nothing kept), which frees their slots
    const answers = await Promise.all([...slow, ...other].map((t) => t.answered))
    for (const a of answers) {
      expect(a.status).toBe(503)
      expect(a.retryAfter).toBeDefined()
      expect(a.ms).toBeLessThan(8_000)
    }
    expect(await until(() => inFlight() === 0, 2_000)).toBe(true)
    expect((await get("/v1/leads", api.keys.read)).status).toBe(200)
  })

  it("a client that goes away frees its slot at once; nothing it sent is stored", async () => {
    const gone = trickle(api.keys.ingest)
    expect(await until(() => inFlight() === 1, 2_000)).toBe(true)
    gone.abort()
    expect(await until(() => inFlight() === 0, 1_000)).toBe(true)
    const list = await get("/v1/leads", api.keys.read)
    expect(list.status).toBe(200)
    expect(list.body.items).toEqual([])
  })

  it("a body sent without a Content-Length (chunked) is cut at the limit: 413, not read into memory whole", async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(`${served.url}/v1/leads`, { method: "POST", headers: { authorization: `Bearer ${api.keys.ingest}`, "content-type": "application/json", "transfer-encoding": "chunked" } })
      req.on("response", (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on("error", (e) => (e as NodeJS.ErrnoException).code === "EPIPE" || (e as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(e))
      const chunk = "x".repeat(64 * 1024)
      let sent = 0
      const pump = () => {
        while (sent < 40 && req.write(chunk)) sent++
        if (sent < 40) req.once("drain", () => { sent++; pump() })
        else req.end()
      }
      pump()
    })
    expect(answer).toBe(413)
  })
})
