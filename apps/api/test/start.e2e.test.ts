/**
 * `npm start` as a newcomer runs it: a fresh machine (no DATABASE_URL, an empty data
 * folder), the service on its port, a lead in and back out, the weekly report at /reports/,
 * and a clean stop on SIGTERM.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { existsSync, rmSync } from "node:fs"
import { join } from "node:path"
import { cleanEnv, freePort, start, type Started, tempDir, waitForReady } from "./processes.ts"

let dir: string
const running: Array<Started> = []

beforeAll(() => {
  dir = tempDir("start")
})
afterEach(() => {
  // a failed test must not leave a server behind
  for (const s of running.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL")
})
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** `npm start` with `env` (the demo company off unless asked for: these tests bring their own leads). */
const npmStart = async (env: Record<string, string | undefined>) => {
  const port = await freePort()
  const started = start("npm", ["start"], cleanEnv({ HANDOFF_DEMO: "0", ...env, PORT: String(port) }))
  running.push(started)
  const base = `http://127.0.0.1:${port}`
  await waitForReady(`${base}/readyz`, started, 60_000)
  return { started, base }
}

/** SIGTERM, as a process manager stops a service; resolves with how it exited. */
const stop = async (started: Started) => {
  started.child.kill("SIGTERM")
  return await started.exited
}

const call = async (base: string, method: string, path: string, key: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: res.status, body: await res.json() as any }
}

describe("npm start", () => {
  it("serves on embedded PGlite: a lead goes in with the admin key from HANDOFF_ADMIN_KEY and comes back out, the weekly report is at /reports/; SIGTERM stops it cleanly", async () => {
    const dataDir = join(dir, "with-key")
    const adminKey = "hk_admin_e2e-newcomer-key-0123456789abcdef"
    const { base, started } = await npmStart({ HANDOFF_DATA_DIR: dataDir, HANDOFF_ADMIN_KEY: adminKey, HANDOFF_REPORTS_DIR: join(dir, "reports") })

    const ready = await fetch(`${base}/readyz`).then((r) => r.json() as Promise<any>)
    expect(ready.engine).toBe("pglite")
    expect(started.output()).toContain("installed HANDOFF_ADMIN_KEY as the admin key")
    expect(started.output()).not.toContain("It is shown once")

    const created = await call(base, "POST", "/v1/leads", adminKey, {
      email: "vp@bigsoft.com", firstName: "Val", title: "VP Sales", company: "BigSoft", employees: 800,
      industry: "software", estimatedAcv: 90000, intent: "demo_request", source: { channel: "organic", form: "demo" }
    })
    expect(created.status).toBe(201)
    expect(created.body.id).toEqual(expect.any(String))
    const read = await call(base, "GET", `/v1/leads/${created.body.id}`, adminKey)
    expect(read.status).toBe(200)
    expect(read.body).toMatchObject({ id: created.body.id, email: "vp@bigsoft.com", company: "BigSoft", tier: "hot", agreementVersion: 1 })
    expect((await call(base, "GET", `/v1/leads/${created.body.id}`, "hk_admin_wrong-key-wrong-key-wrong-key")).status).toBe(401)

    // the worker stores the week just ended at its first tick, and the site is built from it
    const deadline = Date.now() + 90_000
    while (!started.output().includes(`"msg":"report built"`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    expect(started.output()).not.toContain("report build failed")
    expect(started.output()).toContain(`"msg":"report built"`)
    expect(started.output()).not.toContain(`"msg":"demo:`)
    const asked = await fetch(`${base}/reports/`)
    expect(asked.status).toBe(401)
    expect(asked.headers.get("www-authenticate")).toContain("Basic")
    const report = await fetch(`${base}/reports/`, { headers: { authorization: `Basic ${Buffer.from(`me:${adminKey}`).toString("base64")}` } })
    expect(report.status).toBe(200)
    const html = await report.text()
    expect(html).toContain("<h1>Overview</h1>")
    expect(html).toContain('href="waterfall.html"')

    const exit = await stop(started)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(started.output()).toContain(`"msg":"stopping","signal":"SIGTERM"`)
    expect(started.output()).toContain(`"msg":"stopped"`)
    // the data folder is released for the next process
    expect(existsSync(`${dataDir}.lock`)).toBe(false)
  })

  it("with no HANDOFF_ADMIN_KEY, the first start prints a generated admin key once; the next start on the same folder prints none", async () => {
    const dataDir = join(dir, "generated")
    const first = await npmStart({ HANDOFF_DATA_DIR: dataDir, HANDOFF_REPORTS_DIR: join(dir, "reports-generated"), HANDOFF_REPORTS_BUILD: "false" })
    const keys = first.started.output().match(/hk_admin_[A-Za-z0-9_-]{20,}/g) ?? []
    expect(keys).toHaveLength(1)
    expect(first.started.output()).toContain("It is shown once")
    const admin = keys[0]!
    expect((await call(first.base, "GET", "/v1/keys", admin)).status).toBe(200)
    expect(await stop(first.started)).toEqual({ code: 0, signal: null })

    const second = await npmStart({ HANDOFF_DATA_DIR: dataDir, HANDOFF_REPORTS_DIR: join(dir, "reports-generated"), HANDOFF_REPORTS_BUILD: "false" })
    expect(second.started.output()).not.toMatch(/hk_admin_/)
    expect(second.started.output()).not.toContain("It is shown once")
    // the key from the first start still works
    expect((await call(second.base, "GET", "/v1/keys", admin)).status).toBe(200)
    expect(await stop(second.started)).toEqual({ code: 0, signal: null })
  })

  it("on an empty store, seeds the demo company after it is ready, then starts the worker; a second start does not seed again", async () => {
    const dataDir = join(dir, "demo")
    const adminKey = "hk_admin_e2e-demo-key-0123456789abcdef0123"
    // a short stretch of Company A's history keeps the test quick; the default is a quarter
    const env = { HANDOFF_DATA_DIR: dataDir, HANDOFF_ADMIN_KEY: adminKey, HANDOFF_DEMO: undefined, HANDOFF_DEMO_MONTHS: "0.02", HANDOFF_REPORTS_DIR: join(dir, "reports-demo"), HANDOFF_REPORTS_BUILD: "false" }
    const first = await npmStart(env)
    const deadline = Date.now() + 120_000
    while (!first.started.output().includes(`"msg":"demo: seeded"`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    const out = first.started.output()
    expect(out).toContain(`"msg":"demo: seeding Company A"`)
    expect(out).toContain(`"msg":"demo: seeded"`)
    expect(out).not.toContain("demo: seeding failed")
    // the worker's real-time sweeps wait for the simulation
    while (!first.started.output().includes(`"msg":"worker started"`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(first.started.output().indexOf(`"msg":"worker started"`)).toBeGreaterThan(first.started.output().indexOf(`"msg":"demo: seeded"`))
    const seeded = JSON.parse(/\{[^\n]*"msg":"demo: seeded"[^\n]*\}/.exec(first.started.output())![0]) as { leads: number; limbo: number }
    expect(seeded.leads).toBeGreaterThan(10)
    expect(seeded.limbo).toBe(0)
    const reps = await call(first.base, "GET", "/v1/reps", adminKey)
    expect(reps.body.items.filter((r: { pods: Array<string> }) => r.pods.includes("sdr"))).toHaveLength(6)
    const leads = await call(first.base, "GET", "/v1/leads?limit=5", adminKey)
    expect(leads.body.items.length).toBeGreaterThan(0)
    expect(await stop(first.started)).toEqual({ code: 0, signal: null })

    const second = await npmStart(env)
    expect(second.started.output()).not.toContain(`"msg":"demo: seeding`)
    expect(second.started.output()).toContain(`"msg":"worker started"`)
    expect(await stop(second.started)).toEqual({ code: 0, signal: null })
  })
})
