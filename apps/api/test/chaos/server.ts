/**
 * The chaos group's harness: a real Handoff server in a child process of its own (so a
 * frozen server shows as a frozen server, and `kill -9` kills the server itself), on either
 * store — embedded PGlite in a fresh folder, or PostgreSQL in a fresh database (optionally
 * reached through a TCP proxy that a test can cut or freeze) — and probes that measure
 * `/healthz` while an attack runs.
 */
import { postgresUrl } from "@handoff/db/testing"
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import pg from "pg"
import { cleanEnv, freePort, repoRoot, start, type Started, tempDir, waitForReady } from "../processes.ts"

export type StoreKind = "pglite" | "postgres"

export interface ChaosServer {
  readonly base: string
  readonly store: StoreKind
  readonly adminKey: string
  /** The embedded data folder (PGlite), or the database's URL (Postgres, direct — not through a proxy). */
  readonly location: string
  readonly started: Started
  readonly call: (method: string, path: string, options?: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }) => Promise<{ status: number; body: any; headers: Headers; ms: number }>
  /** A new API key of `role` (made with the admin key). */
  readonly key: (role: "ingest" | "sales" | "read" | "admin", extra?: Record<string, unknown>) => Promise<string>
  /** SIGTERM; resolves with how it exited and how long that took. */
  readonly stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>
  /** SIGKILL, as a crash. */
  readonly kill: () => Promise<void>
}

/** A fresh database on the test server, and its removal. */
export const freshDatabase = async (): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> => {
  const name = `chaos_${randomBytes(5).toString("hex")}`
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: postgresUrl })
    await c.connect()
    try {
      await c.query(sql)
    } finally {
      await c.end()
    }
  }
  await admin(`create database ${name}`)
  const url = new URL(postgresUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) }
}

const databases: Array<() => Promise<void>> = []

/** Drop the databases `startFresh` made (a suite's afterAll). */
export const dropDatabases = async (): Promise<void> => {
  for (const drop of databases.splice(0)) await drop().catch(() => undefined)
}

const running = new Set<Started>()

/** Kill whatever a failed test left running. */
export const killAll = (): void => {
  for (const s of running) s.kill()
  running.clear()
}

export interface StartOptions {
  /** PostgreSQL: the database URL the server connects to (default: a fresh database); PGlite: ignored. */
  readonly url?: string
  /** PGlite: the data folder (default: a fresh one). */
  readonly dataDir?: string
  readonly env?: Record<string, string>
  readonly adminKey?: string
}

/** Start a server (the demo off, the report builder off, the worker ticking every 200 ms) and wait for /readyz. */
export const startServer = async (store: StoreKind, options: StartOptions = {}): Promise<ChaosServer> => {
  const port = await freePort()
  const adminKey = options.adminKey ?? `hk_admin_chaos-${randomBytes(12).toString("hex")}`
  const dataDir = options.dataDir ?? join(tempDir("chaos"), "data")
  const url = store === "postgres" ? options.url : undefined
  if (store === "postgres" && url === undefined) throw new Error("a Postgres chaos server needs a database url (freshDatabase())")
  const env = cleanEnv({
    HANDOFF_DEMO: "0",
    HANDOFF_REPORTS_BUILD: "false",
    HANDOFF_SWEEP_MS: "200",
    HANDOFF_ADMIN_KEY: adminKey,
    PORT: String(port),
    ...(url === undefined ? { HANDOFF_DATA_DIR: dataDir } : { DATABASE_URL: url }),
    ...options.env
  })
  // node itself runs the server (tsx as a loader, not a wrapper process): a signal reaches the server
  const started = start(process.execPath, ["--import", "tsx", join(repoRoot, "apps/api/src/main.ts")], env)
  running.add(started)
  const base = `http://127.0.0.1:${port}`
  await waitForReady(`${base}/readyz`, started, 60_000)
  const call: ChaosServer["call"] = async (method, path, o = {}) => {
    const key = o.key === undefined ? adminKey : o.key
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body))
    const t0 = performance.now()
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { "content-type": "application/json" }), ...o.headers },
      ...(body === undefined ? {} : { body })
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, headers: res.headers, ms: performance.now() - t0 }
  }
  return {
    base,
    store,
    adminKey,
    location: url ?? dataDir,
    started,
    call,
    key: async (role, extra = {}) => {
      const r = await call("POST", "/v1/keys", { body: { name: `chaos ${role}`, role, ...extra } })
      if (r.status !== 201) throw new Error(`could not make a ${role} key: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body.key as string
    },
    stop: async () => {
      const t0 = Date.now()
      started.child.kill("SIGTERM")
      const exit = await started.exited
      running.delete(started)
      return { ...exit, ms: Date.now() - t0 }
    },
    kill: async () => {
      started.child.kill("SIGKILL")
      await started.exited
      running.delete(started)
    }
  }
}

export interface Probed<A> {
  readonly result: A
  /** Every /healthz latency measured while `during` ran, in ms (a probe that failed counts as its timeout). */
  readonly latencies: ReadonlyArray<number>
  readonly failed: number
  readonly p99: number
}

/** The q-quantile of `xs` (nearest rank). */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return 0
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}

/** Probe `base`/healthz every `everyMs` (each with a 2 s timeout) for as long as `during` runs. */
export const probeHealth = async <A>(base: string, during: () => Promise<A>, everyMs = 25): Promise<Probed<A>> => {
  const latencies: Array<number> = []
  let failed = 0
  let done = false
  const prober = (async () => {
    while (!done) {
      const t0 = performance.now()
      const ok = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false)
      latencies.push(performance.now() - t0)
      if (!ok) failed++
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  try {
    const result = await during()
    return { result, latencies, failed, p99: quantile(latencies, 0.99) }
  } finally {
    done = true
    await prober
  }
}

/** Print a figure line for BENCHMARKS.md's Robustness section. */
export const figure = (attack: string, store: StoreKind, fields: Record<string, unknown>): void => {
  console.log(`[chaos] ${attack} (${store}): ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "number" ? Math.round(v * 10) / 10 : JSON.stringify(v)}`).join(" ")}`)
}

/** A server on `store` with an empty store of its own: a fresh folder, or a fresh database (dropped by `dropDatabases`). */
export const startFresh = async (store: StoreKind, options: Omit<StartOptions, "url" | "dataDir"> = {}): Promise<ChaosServer> => {
  if (store === "pglite") return startServer(store, options)
  const fresh = await freshDatabase()
  databases.push(fresh.drop)
  return startServer(store, { ...options, url: fresh.url })
}
