/**
 * The worker inside `npm start` (embedded mode, no DATABASE_URL): with a time-compressed
 * agreement (accept within 2 seconds) and a short tick (HANDOFF_SWEEP_MS), a hot lead
 * nobody accepts is on the backup pod within a few sweep intervals — reassigned once.
 */
import { afterAll, afterEach, describe, expect, it } from "@effect/vitest"
import { defaultAgreementYaml } from "@handoff/domain"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { repoRoot, waitFor } from "./fixtures.ts"

const dir = mkdtempSync(join(tmpdir(), "handoff-worker-e2e-"))
const children: Array<ChildProcess> = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const sweepMs = 250
const adminKey = "hk_admin_worker-e2e-0123456789abcdef"

describe("npm start runs the worker in-process", () => {
  it("accept SLA of 2 s: a lead nobody accepts is on the backup pod within a few sweep intervals", async () => {
    const port = await freePort()
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", HANDOFF_DATA_DIR: join(dir, "data"), HANDOFF_ADMIN_KEY: adminKey, PORT: String(port), HANDOFF_SWEEP_MS: String(sweepMs), HANDOFF_REPORTS_DIR: join(dir, "reports"), HANDOFF_REPORTS_BUILD: "false", HANDOFF_DEMO: "0" }
    delete env.DATABASE_URL
    const child = spawn("npm", ["start"], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] })
    children.push(child)
    let out = ""
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()))
    const exited = new Promise<{ code: number | null }>((resolve) => child.on("close", (code) => resolve({ code })))
    const base = `http://127.0.0.1:${port}`
    await waitFor(`npm start on ${base}\n${out}`, () => fetch(`${base}/readyz`).then((r) => r.ok, () => false), 90_000, 250)

    const call = async (method: string, path: string, body?: unknown, contentType = "application/json") => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { "content-type": contentType }) },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
      })
      return { status: res.status, body: await res.json() as any }
    }
    // the time-compressed agreement: hot leads must be accepted within 2 seconds
    const compressed = defaultAgreementYaml.replaceAll("sla: { accept: PT2M, firstTouch: PT5M }", "sla: { accept: PT2S, firstTouch: PT5M }")
    expect(compressed).not.toBe(defaultAgreementYaml)
    const applied = await call("POST", "/v1/agreement", compressed, "application/yaml")
    expect(applied.status, JSON.stringify(applied.body)).toBe(201)
    // reps on shift around the clock, so the test does not depend on the hour it runs at
    for (const [id, pod] of [["ae-1", "ae-direct"], ["ae-9", "ae-backup"]] as const) {
      const r = await call("PUT", `/v1/reps/${id}`, { name: id.toUpperCase(), role: "ae", pods: [pod], timezone: "UTC", workingHours: { "mon-sun": ["00:00", "24:00"] } })
      expect([200, 201]).toContain(r.status)
    }
    const created = await call("POST", "/v1/leads", { email: "vp@nobody-accepts.com", title: "VP Sales", company: "BigSoft", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    const first = await call("GET", `/v1/leads/${id}`)
    expect(first.body.routing.pod).toBe("ae-direct")
    const routedAt = Date.now()

    let lead: any
    await waitFor("the lead on the backup pod", async () => {
      lead = (await call("GET", `/v1/leads/${id}`)).body
      return lead.routing?.pod === "ae-backup"
    }, 20_000, 100)
    const tookMs = Date.now() - routedAt
    expect(lead.owner.repId).toBe("ae-9")
    const timeline = (await call("GET", `/v1/leads/${id}/timeline`)).body
    const entries: Array<any> = Array.isArray(timeline) ? timeline : timeline.items ?? timeline.entries ?? []
    expect(entries.filter((e) => e.cause === "Reassign")).toHaveLength(1)
    console.log(`[figures] embedded worker (HANDOFF_SWEEP_MS=${sweepMs}): accept PT2S missed → on ae-backup ${tookMs} ms after routing (${(tookMs / sweepMs).toFixed(1)} sweep intervals)`)
    // 2 s for the deadline, then within a few ticks
    expect(tookMs).toBeLessThan(2_000 + 8 * sweepMs + 1_000)
    expect(out).toContain(`"sweep":"sla"`)

    child.kill("SIGTERM")
    expect((await exited).code).toBe(0)
    expect(out).toContain(`"msg":"stopped"`)
  }, 180_000)
})
