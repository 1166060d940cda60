/**
 * Heavy requests run off the request loop: while one computes for seconds, every other
 * request (`/healthz` here) is answered at once; one that runs past the deadline is stopped
 * and answered 503; past the pool's queue, heavy requests are refused at once with 503.
 * Measured over real sockets: `app.request()` would share the test's own event loop.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { StoreAdmin } from "@handoff/db"
import { defaultAgreement, encodeAgreement } from "@handoff/domain"
import { Effect, type ManagedRuntime } from "effect"
import { createApiKey } from "../src/auth.ts"
import { handoffApp } from "../src/index.ts"
import { silentLogger } from "../src/log.ts"
import { HeavyJobs, type PoolOptions } from "../src/offload/index.ts"
import { HeavyPool, type Outcome } from "../src/offload/pool.ts"
import { type ApiServices, makeRuntime } from "../src/runtime.ts"
import { team } from "./harness.ts"
import { listen } from "./serve.ts"
import { serialize } from "node:v8"

interface Served {
  readonly runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>
  readonly url: string
  readonly key: string
  readonly post: (path: string, body: unknown) => Promise<{ status: number; body: any; headers: Headers }>
  readonly get: (path: string) => Promise<{ status: number; body: any; headers: Headers }>
  readonly load: () => Promise<{ running: number; waiting: number; threads: number }>
  readonly close: () => Promise<void>
}

const open: Array<Served> = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

/** An API on a fresh in-memory store with the given heavy-job limits, listening on a real socket. */
const serveWith = async (heavy: Partial<PoolOptions>): Promise<Served> => {
  const runtime = await makeRuntime({ dataDir: "memory://" }, undefined, heavy)
  const key = await runtime.runPromise(Effect.gen(function*() {
    const admin = yield* StoreAdmin
    for (const r of team) yield* admin.upsertRep(r, new Date())
    return (yield* createApiKey("admin test key", "admin")).key
  }))
  // this tests the pool's own bounds: the request deadline and admission's bounds stay out of their way
  const { app } = handoffApp(runtime, { logger: silentLogger, rateLimit: { perSecond: 10_000, burst: 10_000 }, longDeadlineMs: 300_000, inFlight: { perKey: 64, total: 128, heavyPerKey: 64, heavy: 64 } })
  const server = await listen(app)
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: res.headers }
  }
  const served: Served = {
    runtime,
    url: server.url,
    key,
    post: (path, body) => call("POST", path, body),
    get: (path) => call("GET", path),
    load: () => runtime.runPromise(Effect.map(HeavyJobs, (h) => h.load())),
    close: async () => {
      await server.close()
      await runtime.dispose()
    }
  }
  open.push(served)
  return served
}

/**
 * A draft that takes seconds of CPU to try out, well inside the 1 MB body limit: 500 more fit
 * rules with (linear, ordinary) title patterns and `fixtures` fixtures of its own, each scored
 * against every rule (150: ~15 s on this machine).
 */
const bigDraft = (fixtures = 150) => {
  const doc: any = structuredClone(encodeAgreement(defaultAgreement))
  for (let i = 0; i < 500; i++) doc.scoring.fit.push({ id: `team-${i}`, when: { title: { matches: `^(chief|head|vp) of team ${i}( and more)?$` } }, points: 0 })
  doc.tests = Array.from({ length: fixtures }, (_, i) => ({ name: `analyst ${i}`, lead: { title: `Analyst ${i}`, employees: 10 }, expect: { tier: "nurture" } }))
  return doc
}
const lead = { email: "vp@offload-bigco.com", title: "VP Sales", employees: 800, estimatedAcv: 90000, country: "US", intent: "demo_request" }
const bigPreview = (fixtures?: number) => ({ agreement: bigDraft(fixtures), lead })

/** Probe `/healthz` every 25 ms until `until` settles; the latency of each probe, in ms. */
const probeWhile = async (url: string, until: Promise<unknown>): Promise<Array<number>> => {
  let done = false
  void until.finally(() => (done = true))
  const latencies: Array<number> = []
  while (!done) {
    const t = performance.now()
    const res = await fetch(`${url}/healthz`)
    await res.text()
    latencies.push(performance.now() - t)
    expect(res.status).toBe(200)
    await new Promise((r) => setTimeout(r, 25))
  }
  return latencies
}

const waitFor = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 600; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe("heavy work off the request loop", () => {
  it("while a big draft is previewed (decoded, 150 fixtures run), /healthz answers every probe promptly", async () => {
    const api = await serveWith({ threads: 1, queue: 2, deadlineMs: 120_000 })
    // the thread started (as `npm start` does once it listens): what is measured is the heavy request alone
    expect((await api.post("/v1/agreement/preview", { lead })).status).toBe(200)
    const heavy = api.post("/v1/agreement/preview", bigPreview())
    const latencies = await probeWhile(api.url, heavy)
    const res = await heavy
    expect(res.status).toBe(200)
    expect(res.body.tests).toHaveLength(150)
    expect(res.body.tests.every((t: { passed: boolean }) => t.passed)).toBe(true)
    expect(res.body.tier.name).toBe("hot")
    // no probe waited on it — on the main thread the draft takes seconds, so a probe would wait that long
    // (a generous bound: a 2-core machine shared with other work; the 50 ms p99 is the benchmark's) —
    // and the request took long enough for that to mean something
    expect(Math.max(...latencies)).toBeLessThan(500)
    expect(latencies.length).toBeGreaterThanOrEqual(5)
  })

  it("a job past its deadline answers 503 with Retry-After, its thread is stopped, and the next request works", async () => {
    const api = await serveWith({ threads: 1, queue: 2, deadlineMs: 300 })
    const slow = await api.post("/v1/agreement/preview", bigPreview())
    expect(slow.status).toBe(503)
    expect(slow.headers.get("content-type")).toContain("application/problem+json")
    expect(slow.headers.get("retry-after")).toBe("1")
    expect(slow.body).toMatchObject({ type: "https://handoff.dev/problems/deadline-exceeded", status: 503, reason: "deadline", retryAfter: 1 })
    expect(slow.body.detail).toContain("300 ms")
    // the computation was stopped, not left running: nothing runs, the thread was replaced by a fresh one
    expect(await api.load()).toMatchObject({ running: 0, waiting: 0 })
    expect((await api.load()).threads).toBeLessThanOrEqual(1)

    const next = await api.post("/v1/agreement/preview", { lead })
    expect(next.status).toBe(200)
    expect(next.body.tier.name).toBe("hot")
    expect((await api.get("/healthz")).status).toBe(200)
  })

  it("past the pool's queue, heavy requests are refused at once with 503 and Retry-After; the accepted ones finish", async () => {
    const api = await serveWith({ threads: 1, queue: 1, deadlineMs: 120_000 })
    // two jobs of a few seconds each: long enough to hold the pool while the refusals are checked
    const running = api.post("/v1/agreement/preview", bigPreview(60))
    await waitFor(async () => (await api.load()).running + (await api.load()).waiting === 1, "the first job")
    const waiting = api.post("/v1/agreement/preview", bigPreview(60))
    await waitFor(async () => (await api.load()).waiting === 1, "the second job to wait")

    // every heavy route goes through the same pool: each is refused while it is full
    const period = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() }
    const refused = [
      await api.post("/v1/agreement/preview", bigPreview()),
      await api.post("/v1/agreement/preview", { lead }),
      await api.post("/v1/agreement", encodeAgreement(defaultAgreement)),
      await api.post("/v1/agreement/simulate", period),
      await api.get("/v1/reports/calibration")
    ]
    for (const res of refused) {
      expect(res.status).toBe(503)
      expect(res.headers.get("retry-after")).toBe("120")
      expect(res.body).toMatchObject({ type: "https://handoff.dev/problems/unavailable", status: 503, reason: "busy" })
    }
    const [first, second] = await Promise.all([running, waiting])
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    expect((await api.post("/v1/agreement/simulate", period)).status).toBe(200)
  })

  it("a large input goes to the thread in slices: copying 200,000 outcomes never stalls the event loop", async () => {
    const pool = new HeavyPool({ threads: 1, queue: 0, deadlineMs: 1_500 })
    try {
      // one structured clone of this takes the loop about half a second
      const examples = Array.from({ length: 200_000 }, (_, i) => ({
        values: { title: `Title ${i % 50}`, industry: ["software", "retail", "health"][i % 3]!, employees: i % 5000, country: "US" },
        converted: i % 3 === 0
      }))
      // a thread ready first: what is measured is the job's copy and run, not a thread starting
      const warm = await new Promise<Outcome<unknown>>((resolve) => pool.submit("scorecard", { examples: [], currentScores: [], agreement: defaultAgreement, outcome: "sql" }, resolve))
      expect(warm.ok).toBe(true)
      // what one copy of it costs the loop on this machine, now (the bound below scales with the machine's load)
      const started = performance.now()
      serialize(examples)
      const oneCopyMs = performance.now() - started
      const done = new Promise<Outcome<unknown>>((resolve) =>
        pool.submit("scorecard", { examples, currentScores: examples.map(() => null), agreement: defaultAgreement, outcome: "sql" }, resolve)
      )
      let last = performance.now()
      let worst = 0
      const tick = setInterval(() => {
        const now = performance.now()
        worst = Math.max(worst, now - last)
        last = now
      }, 5)
      const outcome = await done
      clearInterval(tick)
      // fitted in time or stopped at the deadline: either way the copy and the work ran beside the loop
      expect(outcome.ok || outcome.reason === "deadline").toBe(true)
      expect(worst).toBeLessThan(Math.max(100, oneCopyMs / 2))
    } finally {
      await pool.close()
    }
  })
})
