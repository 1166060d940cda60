/**
 * Serving Handoff: what `npm start` (main.ts) and `handoff serve` (cli.ts) both run.
 *
 * - The store: PostgreSQL at `DATABASE_URL`, or embedded PGlite in `HANDOFF_DATA_DIR`
 *   (default `.handoff/data`; one process at a time may open that folder).
 * - First start: with no live admin key, `HANDOFF_ADMIN_KEY` is installed as the admin key,
 *   or one is generated and printed once.
 * - Embedded mode is the whole product in one process: the API and the worker
 *   (`@handoff/worker`: SLA, decay, re-evaluation and inactivity sweeps, outbox delivery)
 *   on the same runtime, every job ticking every `HANDOFF_SWEEP_MS`. With `DATABASE_URL`
 *   the API runs alone and the worker is its own process (`npm run worker`).
 * - The weekly funnel site is served at /reports/ (read and admin keys) from `reportsDir`
 *   (`HANDOFF_REPORTS_DIR`, default apps/reports/dist), rebuilt whenever the store holds a
 *   newer weekly snapshot than the one it shows.
 * - Graceful shutdown: stop the worker (no new batch; a running batch commits), close the
 *   server (in-flight requests finish), then dispose the runtime (pool closed, data folder unlocked).
 */
import { writeWeeklySnapshot } from "@handoff/db"
import { type RunningWorker, startWorker, withTick, workerConfig } from "@handoff/worker"
import { type ServerType, serve } from "@hono/node-server"
import { Cause, Effect, Exit, type ManagedRuntime } from "effect"
import type { AddressInfo } from "node:net"
import { defaultAdmissionLimits } from "./admission.ts"
import { ensureAdminKey } from "./auth.ts"
import { handoffApp } from "./index.ts"
import { type DemoSeeding, type DemoSettings, demoSettingsFromEnv, DemoTracker, startDemoSeeding } from "./demo/index.ts"
import { jsonLogger, type Logger } from "./log.ts"
import { defaultReportsDir, mountReportSite, type ReportBuilder, startReportBuilder } from "./reportSite.ts"
import { HeavyJobs } from "./offload/index.ts"
import { type ApiServices, makeRuntime } from "./runtime.ts"

export interface ServeOptions {
  /** PostgreSQL connection string; without it, embedded PGlite in `dataDir`. */
  readonly url?: string | undefined
  /** PGlite's data folder (embedded mode). */
  readonly dataDir: string
  /** 0 picks a free port. */
  readonly port: number
  readonly hostname: string
  /** Installed as the admin key on first start; without it one is generated and printed once. */
  readonly adminKey?: string | undefined
  /** Embedded mode: how often the worker's jobs tick (every sweep, and outbox delivery). */
  readonly sweepMs: number
  /** Requests per second allowed per API key (burst: twice as many); default 100. */
  readonly rateLimitPerSecond?: number | undefined
  /** Requests in flight per API key (default 16) and overall (default 128). */
  readonly maxInFlightPerKey?: number | undefined
  readonly maxInFlight?: number | undefined
  /** How long a request may take (default 5 s; reports, replays and batches 60 s). */
  readonly requestTimeoutMs?: number | undefined
  readonly logger?: Logger | undefined
  /** Where the one-time generated admin key is printed (default stdout). */
  readonly print?: ((text: string) => void) | undefined
  /** Where the weekly funnel site is built and served from (default apps/reports/dist). */
  readonly reportsDir?: string | undefined
  /** How often to look for a newer weekly snapshot to build the site from (default 30 s). */
  readonly reportsCheckMs?: number | undefined
  /** Build the site here when a newer snapshot is stored (default true; false: serve what `npm run report` built). */
  readonly reportsBuild?: boolean | undefined
  /** Embedded mode: seed an empty store with the demo company (default on; `HANDOFF_DEMO=0` turns it off). */
  readonly demo?: DemoSettings | undefined
  /** Stop on SIGTERM/SIGINT and exit the process (default true); a second signal exits at once. */
  readonly handleSignals?: boolean | undefined
}

export interface RunningHandoff {
  /** The address people use, e.g. `http://localhost:3000`. */
  readonly url: string
  readonly port: number
  readonly embedded: boolean
  readonly runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>
  /** The weekly funnel site's builder (`check()` builds now if a newer snapshot is stored). */
  readonly reports: ReportBuilder
  /** Stop the sweep, close the server, dispose the runtime. Safe to call twice. */
  readonly stop: () => Promise<void>
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === "" ? undefined : s)

/** A positive number from the environment, or undefined when unset (a value that is not one is refused at start). */
const positive = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const raw = nonEmpty(env[name])
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`)
  return n
}

/**
 * The options `npm start` reads from the environment: DATABASE_URL, HANDOFF_DATA_DIR, PORT,
 * HOST, HANDOFF_ADMIN_KEY, HANDOFF_SWEEP_MS, HANDOFF_RATE_LIMIT, HANDOFF_MAX_IN_FLIGHT,
 * HANDOFF_MAX_IN_FLIGHT_PER_KEY, HANDOFF_REQUEST_TIMEOUT_MS, HANDOFF_REPORTS_DIR.
 */
export const serveOptionsFromEnv = (env: NodeJS.ProcessEnv = process.env): ServeOptions => ({
  url: nonEmpty(env.DATABASE_URL),
  dataDir: nonEmpty(env.HANDOFF_DATA_DIR) ?? ".handoff/data",
  port: Number(nonEmpty(env.PORT) ?? "3000"),
  hostname: nonEmpty(env.HOST) ?? "127.0.0.1",
  adminKey: nonEmpty(env.HANDOFF_ADMIN_KEY),
  sweepMs: Number(nonEmpty(env.HANDOFF_SWEEP_MS) ?? "5000"),
  rateLimitPerSecond: nonEmpty(env.HANDOFF_RATE_LIMIT) === undefined ? undefined : Number(env.HANDOFF_RATE_LIMIT),
  maxInFlight: positive(env, "HANDOFF_MAX_IN_FLIGHT"),
  maxInFlightPerKey: positive(env, "HANDOFF_MAX_IN_FLIGHT_PER_KEY"),
  requestTimeoutMs: positive(env, "HANDOFF_REQUEST_TIMEOUT_MS"),
  reportsDir: nonEmpty(env.HANDOFF_REPORTS_DIR) ?? defaultReportsDir,
  reportsBuild: nonEmpty(env.HANDOFF_REPORTS_BUILD) !== "false",
  demo: demoSettingsFromEnv(env)
})

/** The store options alone (for the CLI's commands that only open the store). */
export const storeOptionsFromEnv = (env: NodeJS.ProcessEnv = process.env) => {
  const o = serveOptionsFromEnv(env)
  return { url: o.url, dataDir: o.dataDir }
}

const publicHost = (hostname: string): string =>
  hostname === "127.0.0.1" || hostname === "::1" || hostname === "localhost" || hostname === "0.0.0.0" || hostname === "::"
    ? "localhost"
    : hostname.includes(":") ? `[${hostname}]` : hostname

const listen = (fetch: (request: Request) => Response | Promise<Response>, port: number, hostname: string) =>
  new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    // idle keep-alive sockets live 65 s (Node's 5 s races clients and load balancers that reuse them)
    const server = serve({ fetch, port, hostname, serverOptions: { keepAliveTimeout: 65_000 } }, (info: AddressInfo) => {
      server.off("error", onError)
      resolve({ server, port: info.port })
    })
    const onError = (e: NodeJS.ErrnoException) => {
      reject(e.code === "EADDRINUSE"
        ? new Error(`Port ${port} on ${hostname} is already in use: stop what runs there, or start Handoff on another port (PORT=3001).`)
        : e)
    }
    server.once("error", onError)
  })

/** Open the store, make sure an admin key exists, listen, and (embedded) run the SLA sweep. */
export const serveHandoff = async (options: ServeOptions): Promise<RunningHandoff> => {
  const log = options.logger ?? jsonLogger()
  const print = options.print ?? ((text: string) => process.stdout.write(text))
  const embedded = options.url === undefined
  // the worker's settings (HANDOFF_WORKER_*) are checked before anything opens
  const workerSettings = embedded ? await Effect.runPromiseExit(workerConfig) : undefined
  if (workerSettings !== undefined && Exit.isFailure(workerSettings)) throw new Error(`Invalid worker configuration: ${Cause.pretty(workerSettings.cause)}`)
  const runtime = await makeRuntime({ url: options.url, dataDir: options.dataDir })

  let server: ServerType
  let port: number
  const reportsDir = options.reportsDir ?? defaultReportsDir
  let reports: ReportBuilder | undefined
  const demo = new DemoTracker(options.demo ?? { months: 0, seed: 0 }, log)
  if (!embedded) demo.off("it is seeded into the embedded store only, never into PostgreSQL")
  else if (options.demo === undefined) demo.off("this start was given no demo settings")
  try {
    const { app } = handoffApp(runtime, {
      demo: () => demo.status(),
      logger: log,
      ...(options.rateLimitPerSecond === undefined || !(options.rateLimitPerSecond > 0)
        ? {}
        : { rateLimit: { perSecond: options.rateLimitPerSecond, burst: options.rateLimitPerSecond * 2 } }),
      inFlight: { perKey: options.maxInFlightPerKey ?? defaultAdmissionLimits.inFlightPerCaller, total: options.maxInFlight ?? defaultAdmissionLimits.inFlight },
      ...(options.requestTimeoutMs === undefined ? {} : { deadlineMs: options.requestTimeoutMs })
    })
    mountReportSite(app, runtime, { dir: reportsDir, building: () => reports?.building() ?? false })
    ;({ server, port } = await listen(app.fetch, options.port, options.hostname))
  } catch (e) {
    await runtime.dispose().catch(() => undefined)
    throw e
  }
  // Only once the port is ours: a start that fails must not use up the one showing of a generated key.
  try {
    const admin = await runtime.runPromise(ensureAdminKey(options.adminKey))
    if (admin.installed && admin.generated) {
      print(`\nNo admin key existed, so one was generated. It is shown once — keep it:\n\n  ${admin.key}\n\n`)
    } else if (admin.installed) {
      log.info("installed HANDOFF_ADMIN_KEY as the admin key")
    }
  } catch (e) {
    await new Promise((resolve) => server.close(resolve))
    await runtime.dispose().catch(() => undefined)
    throw e
  }
  // a heavy-job thread takes seconds to load the domain: start one now rather than on the first heavy request
  runtime.runSync(Effect.map(HeavyJobs, (h) => h.warm()))
  const url = `http://${publicHost(options.hostname)}:${port}`
  log.info("listening", { url, docs: `${url}/docs`, reports: `${url}/reports/`, store: embedded ? `embedded PGlite (${options.dataDir})` : "postgres" })

  // Embedded mode: the worker runs in this process, on this runtime — once the demo company
  // (an empty store's first start) is seeded, so its sweeps never race the simulation's.
  let worker: RunningWorker | undefined
  let stopping = false
  const launchWorker = () => {
    if (stopping || workerSettings === undefined || !Exit.isSuccess(workerSettings)) return
    worker = startWorker(runtime, withTick(workerSettings.value, options.sweepMs), {
      log,
      // a new week stored: build its site once the snapshot's transaction has committed
      weeklySnapshot: (now) => Effect.tap(writeWeeklySnapshot(now), (r) => Effect.sync(() => r.written && void setTimeout(() => void reports?.check(), 500).unref()))
    })
  }
  let seeding: DemoSeeding | undefined
  if (embedded && options.demo !== undefined) {
    try {
      seeding = await startDemoSeeding(runtime, options.demo, log, demo)
    } catch (e) {
      log.error("demo: could not start seeding", { error: String(e) })
    }
  }
  if (seeding === undefined) launchWorker()
  else void seeding.done.then(launchWorker)
  // The weekly funnel site follows the newest stored snapshot (built in a child process).
  reports = options.reportsBuild === false
    ? { building: () => false, check: () => Promise.resolve(), stop: () => undefined }
    : startReportBuilder(runtime, { dir: reportsDir, intervalMs: options.reportsCheckMs ?? 30_000, log })
  const builder = reports

  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= (async () => {
      stopping = true
      builder.stop()
      await seeding?.stop()
      await worker?.stop()
      await new Promise<void>((resolve) => {
        // Idle keep-alive connections are closed at once; give busy ones a moment, then cut them.
        const force = setTimeout(() => (server as { closeAllConnections?: () => void }).closeAllConnections?.(), 10_000)
        server.close(() => {
          clearTimeout(force)
          resolve()
        })
      })
      await runtime.dispose()
    })()
    return stopped
  }

  if (options.handleSignals ?? true) {
    let firstSignalAt = 0
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopped !== undefined) {
        // A second Ctrl-C stops at once; one signal delivered twice (terminal and npm/tsx relaying it) does not.
        if (Date.now() - firstSignalAt > 1_000) process.exit(1)
        return
      }
      firstSignalAt = Date.now()
      log.info("stopping", { signal })
      stop().then(() => {
        log.info("stopped")
        process.exit(0)
      }, (e: unknown) => {
        log.error("shutdown failed", { error: String(e) })
        process.exit(1)
      })
    }
    process.on("SIGTERM", onSignal)
    process.on("SIGINT", onSignal)
  }

  return { url, port, embedded, runtime, reports: builder, stop }
}

/** A start failure as one readable line (a locked data folder, a port in use, ...). */
export const startFailureMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e))
