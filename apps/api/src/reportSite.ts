/**
 * The weekly funnel site inside the service: `/reports/` serves the built site (apps/reports)
 * to anyone holding a `read` or `admin` key — a browser asks for it once (HTTP Basic: any
 * user name, the key as password), scripts send `Authorization: Bearer <key>` — and
 * `startReportBuilder` rebuilds the site whenever the store holds a newer weekly snapshot
 * than the one it shows (the worker writes one each Monday). Builds run in a child process
 * so the API and the SLA clock never wait on Astro.
 */
import { ApiKeyStore, newestSnapshotStamp, readSnapshotDocument } from "@handoff/db"
import { defaultOutDir, reportsRoot } from "@handoff/reports/paths"
import { Effect, type ManagedRuntime, Option } from "effect"
import type { Hono } from "hono"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { hashKey } from "./auth.ts"
import type { Logger } from "./log.ts"
import { problemHeaders } from "./problem.ts"
import type { ApiServices } from "./runtime.ts"

export { defaultOutDir as defaultReportsDir }

/** The files a built site has: pages, CSV downloads, the snapshot. Nothing else is served. */
const servable = /^(?:[a-z0-9-]+\.html|csv\/[a-z0-9-]+\.csv|snapshot\.json)$/
const contentTypes: Record<string, string> = { html: "text/html; charset=utf-8", csv: "text/csv; charset=utf-8", json: "application/json" }

/** The site has no scripts and loads nothing from elsewhere: the policy says so. */
const siteHeaders = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache"
}

const problem = (status: number, title: string, detail: string, instance: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: `https://handoff.dev/problems/${title.toLowerCase().replace(/[^a-z]+/g, "-")}`, title, status, detail, instance }), { status, headers: { ...problemHeaders, ...headers } })

/** The key in `Authorization: Bearer <key>` or `Basic base64(user:key)`. */
const keyOf = (header: string | undefined): string | undefined => {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")
  if (bearer !== null) return bearer[1]
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "")
  if (basic === null) return undefined
  const decoded = Buffer.from(basic[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  return colon < 0 ? undefined : decoded.slice(colon + 1)
}

export interface ReportSiteOptions {
  /** Where the built site is (default apps/reports/dist). */
  readonly dir: string
  /** Whether a build is running now (a missing site then answers 503 with Retry-After, not 404). */
  readonly building?: () => boolean
}

/** Serve the built site under /reports/ on `app`, to `read` and `admin` keys. */
export const mountReportSite = (app: Hono, runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>, options: ReportSiteOptions) => {
  const dir = resolve(options.dir)
  const challenge = { "www-authenticate": `Basic realm="Handoff reports", charset="UTF-8"` }
  const authorize = async (header: string | undefined): Promise<"ok" | "missing" | "unknown" | "forbidden"> => {
    const key = keyOf(header)
    if (key === undefined || key === "") return "missing"
    const found = await runtime.runPromise(Effect.flatMap(ApiKeyStore, (k) => k.findByHash(hashKey(key))))
    if (Option.isNone(found)) return "unknown"
    return found.value.role === "read" || found.value.role === "admin" ? "ok" : "forbidden"
  }
  app.get("/reports", (c) => c.redirect("/reports/", 301))
  app.get("/reports/*", async (c) => {
    const auth = await authorize(c.req.header("authorization"))
    if (auth === "missing") return problem(401, "Unauthorized", "The weekly report needs a read or admin API key: give it as the password (any user name), or send `Authorization: Bearer <key>`.", c.req.path, challenge)
    if (auth === "unknown") return problem(401, "Unauthorized", "This API key is not valid (unknown or revoked).", c.req.path, challenge)
    if (auth === "forbidden") return problem(403, "Forbidden", "The weekly report is for read and admin keys.", c.req.path)
    let rest: string
    try {
      rest = decodeURIComponent(c.req.path.slice("/reports/".length)) || "index.html"
    } catch {
      return problem(404, "Not found", "The report has no such file.", c.req.path)
    }
    if (!servable.test(rest)) return problem(404, "Not found", `The report has no ${rest}.`, c.req.path)
    const file = join(dir, rest)
    let body: Buffer
    try {
      body = await readFile(file)
    } catch {
      if (!existsSync(join(dir, "index.html"))) {
        return options.building?.() === true
          ? problem(503, "Service unavailable", "The weekly report is being built from the latest snapshot; try again in a few seconds.", c.req.path, { "retry-after": "5" })
          : problem(404, "Not found", "No weekly report has been built yet: it is built from the weekly snapshot (the worker writes one each Monday; `npm run report:snapshot` writes one now).", c.req.path)
      }
      return problem(404, "Not found", `The report has no ${rest}.`, c.req.path)
    }
    const ext = rest.slice(rest.lastIndexOf(".") + 1)
    const download = ext === "csv" ? { "content-disposition": `attachment; filename="${rest.slice(4)}"` } : {}
    return new Response(new Uint8Array(body), { status: 200, headers: { "content-type": contentTypes[ext]!, ...siteHeaders, ...download } })
  })
}

/** Which week the site in `dir` shows, and when that snapshot was made (undefined: no site). */
export const builtWeek = (dir: string): { readonly weekStart: string; readonly generatedAt: string } | undefined => {
  try {
    const s = JSON.parse(readFileSync(join(dir, "snapshot.json"), "utf8")) as { weekStart?: unknown; generatedAt?: unknown }
    return typeof s.weekStart === "string" && typeof s.generatedAt === "string" ? { weekStart: s.weekStart, generatedAt: s.generatedAt } : undefined
  } catch {
    return undefined
  }
}

const buildScript = join(reportsRoot, "scripts", "build.ts")
/** tsx's loader, found from the child's working directory (apps/reports) like any of its dependencies. */
const tsxLoader = "tsx"

/** A build that runs longer is killed (and tried again at the next snapshot): a hung build must not block every later one. */
export const buildDeadlineMs = 10 * 60_000

/** Build the site from an encoded snapshot in a child process; resolves when it is in place. */
export const buildInChild = async (
  encoded: unknown,
  outDir: string,
  log: Logger,
  onChild: (c: ChildProcess | undefined) => void = () => undefined,
  deadlineMs: number = buildDeadlineMs
): Promise<boolean> => {
  const work = await mkdtemp(join(tmpdir(), "handoff-report-"))
  try {
    const file = join(work, "snapshot.json")
    await writeFile(file, JSON.stringify(encoded))
    const child: ChildProcess = spawn(process.execPath, ["--import", tsxLoader, buildScript, "--snapshot", file, "--out", outDir], {
      cwd: reportsRoot,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    onChild(child)
    let output = ""
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()))
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()))
    const deadline = setTimeout(() => {
      log.error("report build took too long: stopped", { outDir, deadlineMs })
      child.kill("SIGKILL")
    }, deadlineMs)
    const code = await new Promise<number | null>((done) => child.on("exit", done))
    clearTimeout(deadline)
    onChild(undefined)
    if (code === 0) log.info("report built", { outDir, output: output.trim().split("\n").at(-1) })
    else log.error("report build failed", { outDir, code, output: output.trim().slice(-2000) })
    return code === 0
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

export interface ReportBuilder {
  readonly building: () => boolean
  /** Check now; resolves when a build this started has finished. */
  readonly check: () => Promise<void>
  readonly stop: () => void
}

/**
 * Keep the site at `dir` showing the newest stored snapshot: checked at start and every
 * `intervalMs`; a build runs when the store holds a week (or a rewrite of it) the site does
 * not show. A failed build is logged and tried again at the next snapshot, not in a loop.
 */
export const startReportBuilder = (runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>, options: { readonly dir: string; readonly intervalMs: number; readonly log: Logger }): ReportBuilder => {
  let running: Promise<void> | undefined
  let failedFor: string | undefined
  let stopped = false
  let child: ChildProcess | undefined
  /** What the site in `dir` shows (read from its snapshot.json once, then kept as it is built). */
  let shownId: string | undefined
  const check = (): Promise<void> => {
    if (stopped) return Promise.resolve()
    running ??= (async () => {
      try {
        // a look at the newest row's week and time; the snapshot itself is read only to build
        const stamp = await runtime.runPromise(newestSnapshotStamp)
        if (stamp === undefined) return
        const id = `${stamp.weekStart}@${stamp.generatedAt}`
        shownId ??= ((w) => (w === undefined ? "" : `${w.weekStart}@${w.generatedAt}`))(builtWeek(options.dir))
        if (shownId === id || failedFor === id) return
        // the stored JSON as it is: the child decodes (and checks) it, the event loop need not
        const newest = await runtime.runPromise(readSnapshotDocument(stamp.weekStart))
        if (newest === undefined) return
        const ok = await buildInChild(newest, options.dir, options.log, (c) => (child = c))
        if (stopped) return
        if (ok) shownId = id
        failedFor = ok ? undefined : id
      } catch (e) {
        if (!stopped) options.log.error("report check failed", { error: String(e) })
      }
    })().finally(() => {
      running = undefined
    })
    return running
  }
  const timer = setInterval(() => void check(), options.intervalMs)
  timer.unref()
  void check()
  return {
    building: () => running !== undefined,
    check,
    stop: () => {
      stopped = true
      clearInterval(timer)
      child?.kill("SIGTERM")
    }
  }
}
