/**
 * `npm run worker`: Handoff's worker as its own process, against PostgreSQL at
 * `DATABASE_URL` (required: with the embedded store, `npm start` runs the worker inside the
 * API process). Run as many as you like: they share the work through Postgres
 * (`FOR UPDATE SKIP LOCKED`, advisory locks). Logs one JSON object per line.
 *
 * Environment: `DATABASE_URL`; `HANDOFF_DB_SCHEMA` (work in this schema, e.g. for tests);
 * `HANDOFF_DB_POOL` (pool size, default 4); the `HANDOFF_WORKER_*` / `HANDOFF_WEBHOOK_*`
 * settings of `workerConfig` (intervals and batch sizes per sweep).
 *
 * Stopping: the first SIGTERM/SIGINT stops claiming, lets a running batch commit, closes
 * the pool and exits 0; a second signal (a second later or more) exits at once with 1.
 */
import { Db, DeliveryQueriesLive, redactUrl, ReportQueriesLive, StoreAdmin, storeLayer, writeWeeklySnapshot } from "@handoff/db"
import { HandoffLive } from "@handoff/domain"
import { Cause, Clock, Effect, Exit, Fiber, Layer, ManagedRuntime } from "effect"
import { jsonLogger } from "./log.ts"
import { runWorker, workerConfig } from "./Worker.ts"

const log = jsonLogger()
const nonEmpty = (s: string | undefined) => (s === undefined || s.trim() === "" ? undefined : s.trim())

const url = nonEmpty(process.env.DATABASE_URL)
if (url === undefined) {
  log.error("DATABASE_URL is required: the worker runs against PostgreSQL (with the embedded store, `npm start` runs the sweeps itself)")
  process.exit(1)
}

const configExit = await Effect.runPromiseExit(workerConfig)
if (Exit.isFailure(configExit)) {
  log.error("invalid worker configuration", { error: Cause.pretty(configExit.cause) })
  process.exit(1)
}
const config = configExit.value

const layer = HandoffLive.pipe(
  Layer.provideMerge(Layer.merge(DeliveryQueriesLive, ReportQueriesLive)),
  Layer.provideMerge(storeLayer),
  Layer.provideMerge(Db.layer({
    url,
    schema: nonEmpty(process.env.HANDOFF_DB_SCHEMA),
    poolSize: Number(nonEmpty(process.env.HANDOFF_DB_POOL) ?? "4")
  })),
  Layer.orDie
)
// the layers are built once for the process; disposing the runtime closes the pool
const runtime = ManagedRuntime.make(layer)

try {
  await runtime.runPromise(Effect.flatMap(StoreAdmin, (a) => Effect.flatMap(Clock.currentTimeMillis, (ms) => a.ensureAgreement(new Date(ms)))))
} catch (e) {
  log.error("cannot open the store", { store: redactUrl(url), error: e instanceof Error ? e.message : String(e) })
  await runtime.dispose().catch(() => undefined)
  process.exit(1)
}

// the weekly report snapshot runs as a singleton job (one worker at a time)
const fiber = runtime.runFork(runWorker(config, { log, weeklySnapshot: writeWeeklySnapshot }))
log.info("worker running", { store: redactUrl(url), pid: process.pid })

let stopping: Promise<void> | undefined
let firstSignalAt = 0
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping !== undefined) {
    // a second signal stops at once; one signal relayed twice (terminal and npm/tsx) does not
    if (Date.now() - firstSignalAt > 1_000) {
      log.info("stopping now", { signal })
      process.exit(1)
    }
    return
  }
  firstSignalAt = Date.now()
  log.info("stopping", { signal })
  stopping = runtime.runPromise(Fiber.interrupt(fiber)).then(() => runtime.dispose()).then(
    () => {
      log.info("stopped")
      process.exit(0)
    },
    (e: unknown) => {
      log.error("shutdown failed", { error: String(e) })
      process.exit(1)
    }
  )
}
process.on("SIGTERM", onSignal)
process.on("SIGINT", onSignal)
