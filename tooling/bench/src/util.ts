/** Shared pieces of the benchmark: child processes, databases, formatting. */
import { type ChildProcess, spawn } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import type { Rep, RepId } from "@handoff/domain"

export const root = join(dirname(fileURLToPath(import.meta.url)), "../../..")
export const tsx = join(root, "node_modules/.bin/tsx")
export const postgresUrl = process.env.HANDOFF_BENCH_DATABASE_URL ?? process.env.HANDOFF_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** A fresh database beside the given one (dropped by `drop`, unless the bench runs with `--keep`). */
export const freshDatabase = async (name: string): Promise<{ url: string; drop: () => Promise<void> }> => {
  const admin = new pg.Client({ connectionString: postgresUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  const u = new URL(postgresUrl)
  u.pathname = `/${name}`
  return {
    url: u.toString(),
    drop: async () => {
      if (process.argv.includes("--keep")) {
        console.log(`  (--keep: database ${name} kept: ${u.toString()})`)
        return
      }
      const c = new pg.Client({ connectionString: postgresUrl })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    }
  }
}

export interface Child {
  readonly process: ChildProcess
  readonly url: string
  readonly stop: () => Promise<void>
}

/** Start a process that logs a JSON line `{ msg: "listening", url }`; resolve with that URL. */
export const startListening = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Child> =>
  new Promise((resolve, reject) => {
    const child = spawn(tsx, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`no "listening" line within ${timeoutMs} ms:\n${out}\n${err}`))
    }, timeoutMs)
    child.stderr!.on("data", (d: Buffer) => { err += d.toString() })
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      for (const line of out.split("\n")) {
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string }
          if (j.msg === "listening" && j.url !== undefined) {
            clearTimeout(timer)
            child.stdout!.removeAllListeners("data")
            child.stdout!.resume()
            resolve({
              process: child,
              url: j.url.replace("localhost", "127.0.0.1"),
              stop: () => new Promise((r) => {
                if (child.exitCode !== null) return r()
                child.once("exit", () => r())
                child.kill("SIGTERM")
                setTimeout(() => child.kill("SIGKILL"), 15_000).unref()
              })
            })
            return
          }
        } catch {
          // not a JSON line
        }
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before listening:\n${out}\n${err}`))
    })
  })

export const fmt = (n: number, digits = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** One line of the results table. */
export interface Row {
  readonly what: string
  readonly figure: string
  readonly target: string
  readonly met: boolean | null
}

// ---------------------------------------------------------------------------
// Arguments: sections are positional; `--name value` / `--name=value` are options
// ---------------------------------------------------------------------------

/** Options that take a value (so the value is not read as a section name). */
export const valueFlags = new Set(["--leads", "--events", "--rate", "--seconds", "--batch", "--weeks"])

/** The positional arguments (section names). */
export const positional = (argv: ReadonlyArray<string> = process.argv.slice(2)): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a.startsWith("-")) {
      if (valueFlags.has(a)) i++
      continue
    }
    out.push(a)
  }
  return out
}

/** The value of `--name value` or `--name=value`, if given. */
export const option = (name: string, argv: ReadonlyArray<string> = process.argv.slice(2)): string | undefined => {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === `--${name}`) return argv[i + 1]
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3)
  }
  return undefined
}

/** A positive integer option (`--leads 100000`, `--leads 100_000` or `--leads 1e5`). */
export const intOption = (name: string, fallback: number): number => {
  const v = option(name)
  if (v === undefined) return fallback
  const n = Number(v.replaceAll("_", "").replaceAll(",", ""))
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`)
  return Math.round(n)
}

// ---------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------

/** The p-quantile (0..1) of a list, nearest rank; NaN for an empty list. */
export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!
}

export const seconds = (ms: number, digits = 2): string => `${fmt(ms / 1000, digits)} s`

/** Run `f` with a connected client on `url`; the client is closed after. */
export const withClient = async <A>(url: string, f: (c: pg.Client) => Promise<A>): Promise<A> => {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return await f(c)
  } finally {
    await c.end().catch(() => undefined)
  }
}

/** Wall time of one async step, in ms. */
export const timed = async <A>(f: () => Promise<A>): Promise<{ value: A; ms: number }> => {
  const t = performance.now()
  const value = await f()
  return { value, ms: performance.now() - t }
}

// ---------------------------------------------------------------------------
// Processes that are ready when they log a given JSON line (the worker: "worker running")
// ---------------------------------------------------------------------------

export interface Logged {
  readonly process: ChildProcess
  /** Everything printed so far (the last 2 MB). */
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/** Start `tsx <args>`; resolve once it prints a JSON line `ready` accepts. Its output keeps being drained. */
export const startLogged = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  ready: (line: Record<string, unknown>) => boolean,
  timeoutMs = 60_000
): Promise<Logged> =>
  new Promise((resolve, reject) => {
    const child = spawn(tsx, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let pending = ""
    let done = false
    const keep = (s: string) => {
      out += s
      if (out.length > 2_000_000) out = out.slice(-1_000_000)
    }
    const timer = setTimeout(() => {
      done = true
      child.kill("SIGKILL")
      reject(new Error(`not ready within ${timeoutMs} ms:\n${out.slice(-5000)}`))
    }, timeoutMs)
    child.stderr!.on("data", (d: Buffer) => keep(d.toString()))
    child.stdout!.on("data", (d: Buffer) => {
      const s = d.toString()
      keep(s)
      if (done) return
      pending += s
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      for (const line of lines) {
        let j: Record<string, unknown>
        try {
          j = JSON.parse(line) as Record<string, unknown>
        } catch {
          continue
        }
        if (!ready(j)) continue
        done = true
        clearTimeout(timer)
        resolve({
          process: child,
          output: () => out,
          stop: () => new Promise((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r()
            child.once("exit", () => r())
            child.kill("SIGTERM")
            setTimeout(() => child.kill("SIGKILL"), 15_000).unref()
          })
        })
        return
      }
    })
    child.once("exit", (code) => {
      if (done) return
      done = true
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before it was ready:\n${out.slice(-5000)}`))
    })
  })

// ---------------------------------------------------------------------------
// The team the HTTP sections route to
// ---------------------------------------------------------------------------

/** A rep for the store-level sections, on shift around the clock; `extra` overrides any field. */
export const benchRep = (id: string, pods: Array<string>, extra: Partial<Rep> = {}): Rep => ({
  id: id as RepId,
  name: id.toUpperCase(),
  role: id.startsWith("sdr") ? "sdr" : id.startsWith("mgr") ? "manager" : "ae",
  pods,
  timezone: "America/New_York",
  workingHours: { "mon-sun": ["00:00", "24:00"] },
  capacity: {},
  weight: 1,
  active: true,
  outOfOffice: [],
  territories: [],
  segments: [],
  ...extra
})

/** Three AEs in ae-direct, one backup AE, SDRs by territory (US/CA, DE/AT/CH) and a backup SDR, on shift around the clock. */
export const putTeam = async (url: string, adminKey: string): Promise<void> => {
  const rep = (id: string, pods: Array<string>, extra: object = {}) => ({
    name: id.toUpperCase(), role: pods[0]!.startsWith("ae") ? "ae" : "sdr", pods, timezone: "UTC",
    workingHours: { "mon-sun": ["00:00", "24:00"] }, capacity: { maxOpen: 1_000_000, maxPerDay: 1_000_000 }, weight: 1, active: true, ...extra
  })
  const reps: Record<string, object> = {
    "ae-1": rep("ae-1", ["ae-direct"]), "ae-2": rep("ae-2", ["ae-direct"]), "ae-3": rep("ae-3", ["ae-direct"]),
    "ae-9": rep("ae-9", ["ae-backup"]), "sdr-us": rep("sdr-us", ["sdr"], { territories: ["US", "CA"] }),
    "sdr-de": rep("sdr-de", ["sdr"], { territories: ["DE", "AT", "CH"] }), "sdr-b": rep("sdr-b", ["sdr-backup"])
  }
  for (const [id, body] of Object.entries(reps)) {
    const res = await fetch(`${url}/v1/reps/${id}`, { method: "PUT", headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" }, body: JSON.stringify(body) })
    if (res.status >= 300) throw new Error(`PUT /v1/reps/${id}: ${res.status} ${await res.text()}`)
  }
}

// ---------------------------------------------------------------------------
// SQL time, measured on the pg driver the store uses (one pg module for the whole process)
// ---------------------------------------------------------------------------

/** Where SQL time goes: per statement kind, total ms and count. */
export type SqlTally = Map<string, { ms: number; n: number; rows: number }>

/**
 * Time every `pg.Client#query` promise in this process (what Kysely's PostgresDialect
 * calls, BEGIN and COMMIT included) and classify it with `kind(sql)`. The time is the
 * round trip: send, server execution, result transfer and row parsing by pg.
 */
export const profileSql = (kind: (sql: string) => string) => {
  const proto = pg.Client.prototype as unknown as { query: (...args: Array<unknown>) => unknown }
  const original = proto.query
  let tally: SqlTally = new Map()
  let installed = false
  const add = (k: string, ms: number, rows: number) => {
    const t = tally.get(k) ?? { ms: 0, n: 0, rows: 0 }
    t.ms += ms
    t.n++
    t.rows += rows
    tally.set(k, t)
  }
  return {
    install: () => {
      if (installed) return
      installed = true
      proto.query = function(this: unknown, ...args: Array<unknown>) {
        const first = args[0]
        const text = typeof first === "string" ? first : typeof first === "object" && first !== null && "text" in first ? String((first as { text: unknown }).text) : ""
        const started = performance.now()
        const result = original.apply(this, args)
        if (result !== null && typeof result === "object" && typeof (result as Promise<unknown>).then === "function") {
          ;(result as Promise<{ rowCount?: number | null }>).then(
            (r) => add(kind(text), performance.now() - started, Number(r?.rowCount ?? 0)),
            () => add(`${kind(text)} (failed)`, performance.now() - started, 0)
          )
        }
        return result
      }
    },
    uninstall: () => {
      if (!installed) return
      installed = false
      proto.query = original
    },
    /** The tally since the last take (and start a new one). */
    take: (): SqlTally => {
      const t = tally
      tally = new Map()
      return t
    }
  }
}

/** Add one tally into another. */
export const addTally = (into: SqlTally, from: SqlTally): SqlTally => {
  for (const [k, v] of from) {
    const t = into.get(k) ?? { ms: 0, n: 0, rows: 0 }
    t.ms += v.ms
    t.n += v.n
    t.rows += v.rows
    into.set(k, t)
  }
  return into
}

export const tallyMs = (t: SqlTally): number => [...t.values()].reduce((s, v) => s + v.ms, 0)

// ---------------------------------------------------------------------------
// Where this process's CPU goes (V8's sampling profiler, in process)
// ---------------------------------------------------------------------------

/** Bucket a profile frame: idle (waiting on I/O — the database), GC, or the code's home. */
const bucketOf = (url: string, fn: string): string => {
  if (fn === "(idle)") return "idle (waiting on PostgreSQL)"
  if (fn === "(garbage collector)") return "garbage collector"
  if (fn === "(program)") return "V8 / native (program)"
  if (url.includes("/packages/domain/src/")) return "domain (packages/domain)"
  if (url.includes("/packages/db/src/")) return "store adapter (packages/db: row ↔ record)"
  if (/\/effect\/dist\/.*(schema|Schema|ParseResult|SchemaAST)/.test(url)) return "effect Schema (decode / encode)"
  if (url.includes("/effect/dist/")) return "effect runtime (fibers, Effect.gen)"
  if (url.includes("/kysely/")) return "kysely (query building, compiling)"
  if (url.includes("/pg-protocol/") || url.includes("/pg/") || url.includes("/pg-types/") || url.includes("/postgres-")) return "pg driver (protocol, parsing)"
  if (url.startsWith("node:") || url === "") return fn === "" ? "V8 / native (program)" : `builtin: ${["stringify", "parse"].includes(fn) ? `JSON.${fn}` : "other"}`
  if (url.includes("/tooling/bench/")) return "bench"
  return "other"
}

export interface CpuProfileSummary {
  readonly totalMs: number
  readonly buckets: ReadonlyArray<{ readonly bucket: string; readonly ms: number }>
  readonly functions: ReadonlyArray<{ readonly name: string; readonly ms: number }>
}

/** Start V8's sampling profiler in this process (1 ms); `stop` returns self time by bucket and the hottest functions. */
export const startCpuProfile = async () => {
  const { Session } = await import("node:inspector/promises")
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 1000 })
  await session.post("Profiler.start")
  return {
    stop: async (): Promise<CpuProfileSummary> => {
      const { profile } = await session.post("Profiler.stop")
      session.disconnect()
      const byId = new Map(profile.nodes.map((n) => [n.id, n]))
      const self = new Map<number, number>()
      const samples = profile.samples ?? []
      const deltas = profile.timeDeltas ?? []
      for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0) / 1000)
      const buckets = new Map<string, number>()
      const functions = new Map<string, number>()
      let totalMs = 0
      for (const [id, ms] of self) {
        const f = byId.get(id)!.callFrame
        totalMs += ms
        const b = bucketOf(f.url, f.functionName)
        buckets.set(b, (buckets.get(b) ?? 0) + ms)
        if (!b.startsWith("idle")) {
          const file = f.url.replace(/^.*\/(node_modules|packages|apps)\//, "$1/").replace(/^file:\/\//, "")
          const name = `${f.functionName || "(anonymous)"} ${file === "" ? "" : `(${file}:${f.lineNumber + 1})`}`.trim()
          functions.set(name, (functions.get(name) ?? 0) + ms)
        }
      }
      const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])
      return {
        totalMs,
        buckets: sorted(buckets).map(([bucket, ms]) => ({ bucket, ms })),
        functions: sorted(functions).slice(0, 12).map(([name, ms]) => ({ name, ms }))
      }
    }
  }
}

/** Print a CPU profile summary, indented. */
export const printCpuProfile = (p: CpuProfileSummary, indent = "    ", topFunctions = 8): void => {
  const pct = (ms: number) => `${fmt((100 * ms) / p.totalMs, 1)}%`.padStart(6)
  console.log(`${indent}CPU profile of this process over ${seconds(p.totalMs, 1)} (self time by the file the code is in: domain code calling effect helpers counts as effect):`)
  for (const b of p.buckets.filter((x) => x.ms / p.totalMs >= 0.005)) console.log(`${indent}  ${pct(b.ms)}  ${b.bucket}`)
  console.log(`${indent}  hottest functions: ${p.functions.slice(0, topFunctions).map((f) => `${f.name} ${fmt((100 * f.ms) / p.totalMs, 1)}%`).join("; ")}`)
}
