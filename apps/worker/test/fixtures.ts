/**
 * Fixtures of the worker's process tests: a Postgres schema of their own, a team with a
 * backup pod, breached assignments bulk-written through the store, and worker processes
 * started the way `npm run worker` starts them.
 *
 * Postgres is the local server at `HANDOFF_TEST_DATABASE_URL` (default
 * postgres://postgres@127.0.0.1:5432/test). Without it the suites are skipped with a
 * message — except under `CI=true`, where a missing Postgres fails the run.
 */
import { Db, openDatabase, StoreAdmin, storeLayer, type Database } from "@handoff/db"
import {
  type Assignment, HandoffLive, initialLeadState, type LeadId, type LeadRecord, LeadStore, type Rep, type RepId, slaPlan, defaultAgreement
} from "@handoff/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { postgresAvailable as probePostgres, postgresUrl } from "@handoff/db/testing"

export { postgresUrl }
export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))

/** Whether the test server answers (under `CI=true` a missing one fails the run). */
export const postgresAvailable = await probePostgres()

export interface TestSchema {
  readonly schema: string
  readonly db: Database
  readonly runtime: ManagedRuntime.ManagedRuntime<any, never>
  readonly close: () => Promise<void>
}

/** A fresh, migrated schema with the default agreement and the team, and the services on it. */
export const openSchema = async (reps: ReadonlyArray<Rep>): Promise<TestSchema> => {
  const schema = `w_${randomBytes(6).toString("hex")}`
  const admin = new pg.Client({ connectionString: postgresUrl })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  await admin.end()
  const db = await openDatabase({ url: postgresUrl, schema, poolSize: 8 })
  const runtime = ManagedRuntime.make(HandoffLive.pipe(Layer.provideMerge(storeLayer), Layer.provideMerge(Db.fromOpen(db))) as Layer.Layer<any, never, never>)
  await runtime.runPromise(Effect.gen(function*() {
    const a = yield* StoreAdmin
    yield* a.ensureAgreement(new Date())
    for (const r of reps) yield* a.upsertRep(r, new Date())
  }))
  return {
    schema,
    db,
    runtime,
    close: async () => {
      await runtime.dispose()
      await db.close()
      const c = new pg.Client({ connectionString: postgresUrl })
      await c.connect()
      await c.query(`drop schema if exists ${schema} cascade`)
      await c.end()
    }
  }
}

export const rep = (id: string, pods: Array<string>): Rep => ({
  id: id as RepId,
  name: id.toUpperCase(),
  role: "ae",
  pods,
  timezone: "America/New_York",
  // on shift around the clock: the test runs whenever CI does
  workingHours: { "mon-sun": ["00:00", "24:00"] },
  capacity: {},
  weight: 1,
  active: true,
  outOfOffice: [],
  territories: [],
  segments: [],
  managerId: "mgr-1" as RepId
})

/** Two AEs whose hot leads nobody accepts, and four backup AEs. */
export const team: ReadonlyArray<Rep> = [
  rep("ae-1", ["ae-direct"]),
  rep("ae-2", ["ae-direct"]),
  ...["b-1", "b-2", "b-3", "b-4"].map((id) => rep(id, ["ae-backup"]))
]

/**
 * `n` hot leads routed to ae-1 / ae-2 a few minutes ago whose 2-minute accept SLA ran out
 * (first touch is not due yet), bulk-written through the store's multi-row upsert.
 */
export const seedBreached = async (t: TestSchema, n: number, prefix = "breach"): Promise<void> => {
  const now = Date.now()
  const t0 = new Date(now - 5 * 60_000)
  const plan = slaPlan(defaultAgreement, "hot", { t0, routedAt: t0 })
  const leads: Array<LeadRecord> = Array.from({ length: n }, (_, i) => {
    const repId = i % 2 === 0 ? "ae-1" : "ae-2"
    const assignment: Assignment = {
      repId, pod: "ae-direct", strategy: "round_robin", tier: "hot", t0, routedAt: t0,
      acceptBy: plan.acceptBy!, firstTouchBy: new Date(now + 3_600_000), reassignments: 0, handledBreaches: []
    }
    return {
      id: `lead_${prefix}_${String(i).padStart(6, "0")}` as LeadId,
      email: `${prefix}${i}@corp${i}.com`,
      profile: { email: `${prefix}${i}@corp${i}.com`, title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, country: "US", source: { channel: i % 3 === 0 ? "webinar" : "paid_search" } },
      createdAt: t0,
      updatedAt: t0,
      state: { ...initialLeadState, stage: "mql", mqlVia: "hand_raise", mqlAt: t0, tier: "hot", cycles: 1, ownerId: repId, pod: "ae-direct", assignedAt: t0 },
      tier: "hot",
      assignment,
      flags: [],
      agreementVersion: 1
    }
  })
  await t.runtime.runPromise(Effect.flatMap(LeadStore, (s) => s.updateMany(leads)))
}

export interface WorkerProcess {
  readonly child: ChildProcess
  readonly name: string
  readonly output: () => string
  /** The JSON lines printed so far. */
  readonly lines: () => ReadonlyArray<Record<string, any>>
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

/** Start the real worker entry (`npm run worker` runs apps/worker/src/main.ts with tsx) against a schema. */
export const startWorker = (name: string, schema: string, env: Record<string, string> = {}): WorkerProcess => {
  // one process (tsx as a loader, not tsx's CLI that runs the program in a child): a kill -9 hits the worker itself
  const child = spawn(process.execPath, ["--import", "tsx", "apps/worker/src/main.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: postgresUrl,
      HANDOFF_DB_SCHEMA: schema,
      HANDOFF_WORKER_JOBS: "sla",
      HANDOFF_WORKER_SLA_INTERVAL_MS: "200",
      HANDOFF_WORKER_SLA_BATCH: "500",
      ...env
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })))
  const lines = () =>
    out.split("\n").flatMap((l) => {
      if (!l.startsWith("{")) return []
      try {
        return [JSON.parse(l) as Record<string, any>]
      } catch {
        return []
      }
    })
  return { child, name, output: () => out, lines, exited }
}

/** Leads this worker reassigned, from its JSON sweep logs. */
export const reassignedBy = (w: WorkerProcess): number =>
  w.lines().filter((l) => l.msg === "sweep" && l.sweep === "sla").reduce((n, l) => n + Number(l.did?.reassigned ?? 0), 0)

export const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
