/**
 * The worker: Handoff's periodic sweeps and the outbox delivery pass, as Effect schedules.
 *
 * Every job runs on its own fiber on a fixed interval (longer while the store is down: ./outage.ts). A tick claims a
 * batch, acts on it in one short transaction, and keeps claiming while batches come back
 * full (up to `maxBatchesPerTick`), so a backlog drains at once and an idle tick is one
 * cheap indexed query. Batches claim rows with `FOR UPDATE SKIP LOCKED`, so any number of
 * workers (processes, or fibers in the API's embedded mode) share the work and never do it
 * twice; the weekly snapshot is a singleton behind `pg_try_advisory_xact_lock`.
 *
 * Jobs (`HANDOFF_WORKER_JOBS` picks them):
 * - `sla`: accept timeout → backup pod (once), first-touch miss → manager, cadence misses
 *   flagged, exhausted cadences recycled (`Handoff.sweepSla`);
 * - `decay`: materialize scores as of now, fire MQL-line crossings both ways (`sweepDecay`);
 * - `reevaluate`: premature and other recycle holds that ended (`sweepReevaluations`);
 * - `inactivity`: no sales activity for the agreement's period → nurture (`sweepInactivity`);
 * - `delivery`: outbox → signed webhooks / Slack (`deliverOnce` in ./delivery.ts);
 * - `snapshot`: the weekly report snapshot of the week just ended (`WorkerOptions.weeklySnapshot`).
 *
 * Graceful stop: interrupting the worker's fiber stops claiming; a batch already running is
 * uninterruptible, so it commits (or rolls back on its own failure) before the fiber ends.
 */
import { type SqlRunner, tryJobLock } from "@handoff/db"
import { Handoff, Transactor } from "@handoff/domain"
import type { SweepReport } from "@handoff/domain/Sweeps"
import { Cause, Config, ConfigError, Duration, Effect, Either, Fiber, type ManagedRuntime } from "effect"
import { type DeliveryConfig, makeDispatcher } from "./delivery.ts"
import { jsonLogger, type Logger } from "./log.ts"
import { StoreOutage } from "./outage.ts"

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

export const jobNames = ["sla", "decay", "reevaluate", "inactivity", "delivery", "snapshot"] as const
export type JobName = (typeof jobNames)[number]

/** How often a sweep ticks and how many leads one batch claims. */
export interface SweepSchedule {
  readonly intervalMs: number
  readonly batchSize: number
}

export interface WorkerConfig {
  /** The jobs this worker runs (default all). */
  readonly jobs: ReadonlyArray<JobName>
  readonly sla: SweepSchedule
  readonly decay: SweepSchedule
  readonly reevaluate: SweepSchedule
  readonly inactivity: SweepSchedule
  readonly delivery: SweepSchedule & Omit<DeliveryConfig, "batchSize">
  readonly snapshot: { readonly intervalMs: number }
  /** Upper bound of batches one tick drains before waiting for the next tick. */
  readonly maxBatchesPerTick: number
}

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a positive integer`, validation: (n: number) => n > 0 })
  )

const schedule = (job: string, intervalMs: number, batchSize: number): Config.Config<SweepSchedule> =>
  Config.all({
    intervalMs: positiveInt(`HANDOFF_WORKER_${job}_INTERVAL_MS`, intervalMs),
    batchSize: positiveInt(`HANDOFF_WORKER_${job}_BATCH`, batchSize)
  })

const jobsConfig: Config.Config<ReadonlyArray<JobName>> = Config.string("HANDOFF_WORKER_JOBS").pipe(
  Config.withDefault("all"),
  Config.mapOrFail((text) => {
    const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "")
    if (names.length === 1 && names[0] === "all") return Either.right(jobNames)
    const unknown = names.filter((n) => !(jobNames as ReadonlyArray<string>).includes(n))
    return unknown.length > 0
      ? Either.left(ConfigError.InvalidData([], `unknown job(s) ${unknown.join(", ")}: use "all" or a comma list of ${jobNames.join(", ")}`))
      : Either.right(names as ReadonlyArray<JobName>)
  })
)

/**
 * The worker's configuration from the environment (Effect `Config`):
 *
 * | variable | default |
 * | --- | --- |
 * | `HANDOFF_WORKER_JOBS` | `all` (or a comma list of sla, decay, reevaluate, inactivity, delivery, snapshot) |
 * | `HANDOFF_WORKER_SLA_INTERVAL_MS` / `_BATCH` | 1000 / 500 |
 * | `HANDOFF_WORKER_DECAY_INTERVAL_MS` / `_BATCH` | 60000 / 200 |
 * | `HANDOFF_WORKER_REEVALUATE_INTERVAL_MS` / `_BATCH` | 60000 / 200 |
 * | `HANDOFF_WORKER_INACTIVITY_INTERVAL_MS` / `_BATCH` | 60000 / 200 |
 * | `HANDOFF_WORKER_DELIVERY_INTERVAL_MS` / `_BATCH` | 1000 / 100 |
 * | `HANDOFF_WEBHOOK_TIMEOUT_MS` | 5000 |
 * | `HANDOFF_WEBHOOK_ALLOW_PRIVATE` | false |
 * | `HANDOFF_WEBHOOK_MAX_AGE_MS` | 86400000 (24 h) |
 * | `HANDOFF_WORKER_SNAPSHOT_INTERVAL_MS` | 3600000 |
 * | `HANDOFF_WORKER_MAX_BATCHES_PER_TICK` | 100 |
 */
export const workerConfig: Config.Config<WorkerConfig> = Config.all({
  jobs: jobsConfig,
  sla: schedule("SLA", 1_000, 500),
  decay: schedule("DECAY", 60_000, 200),
  reevaluate: schedule("REEVALUATE", 60_000, 200),
  inactivity: schedule("INACTIVITY", 60_000, 200),
  delivery: Config.all({
    intervalMs: positiveInt("HANDOFF_WORKER_DELIVERY_INTERVAL_MS", 1_000),
    batchSize: positiveInt("HANDOFF_WORKER_DELIVERY_BATCH", 100),
    timeoutMs: positiveInt("HANDOFF_WEBHOOK_TIMEOUT_MS", 5_000),
    concurrency: positiveInt("HANDOFF_WEBHOOK_CONCURRENCY", 16),
    perSubscription: positiveInt("HANDOFF_WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION", 2),
    allowPrivate: Config.boolean("HANDOFF_WEBHOOK_ALLOW_PRIVATE").pipe(Config.withDefault(false)),
    maxAgeMs: positiveInt("HANDOFF_WEBHOOK_MAX_AGE_MS", 24 * 3_600_000)
  }),
  snapshot: Config.all({ intervalMs: positiveInt("HANDOFF_WORKER_SNAPSHOT_INTERVAL_MS", 3_600_000) }),
  maxBatchesPerTick: positiveInt("HANDOFF_WORKER_MAX_BATCHES_PER_TICK", 100)
})

/** The same configuration with every job ticking every `tickMs` (the API's embedded mode: `HANDOFF_SWEEP_MS`). */
export const withTick = (config: WorkerConfig, tickMs: number): WorkerConfig => ({
  ...config,
  sla: { ...config.sla, intervalMs: tickMs },
  decay: { ...config.decay, intervalMs: tickMs },
  reevaluate: { ...config.reevaluate, intervalMs: tickMs },
  inactivity: { ...config.inactivity, intervalMs: tickMs },
  delivery: { ...config.delivery, intervalMs: tickMs }
})

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

/**
 * The weekly report snapshot (`writeWeeklySnapshot` from @handoff/db, which `npm run worker`
 * and embedded `npm start` pass), run as a singleton (one worker at a time, under
 * `pg_try_advisory_xact_lock`). Without it the snapshot job does nothing.
 */
export type WeeklySnapshot<R> = (now: Date) => Effect.Effect<unknown, unknown, R>

export interface WorkerOptions<R = never> {
  readonly log?: Logger | undefined
  readonly weeklySnapshot?: WeeklySnapshot<R> | undefined
}

/** Group a batch's actions by kind for its log line ("reassigned to", "notified manager", ...). */
const countByKind = (report: SweepReport): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const a of report.actions) {
    const text = a.action.replace(/^[a-z_:-]+[0-9a-z-]*: /, "")
    const kind = text.split(/ (?:to|until|for|by|mgr|ae-|sdr-)| \(|:|,/)[0]!.replace(/\s+\S*\d\S*$/, "").trim()
    out[kind] = (out[kind] ?? 0) + 1
  }
  return out
}

/** The services the worker runs on: the handoff use cases and the store they write through. */
export type WorkerServices = Handoff | Transactor | SqlRunner

/**
 * Run every configured job until interrupted. Never fails: a batch that fails is logged
 * and retried on the next tick (its transaction rolled back, nothing half done).
 */
export const runWorker = <R = never>(config: WorkerConfig, options: WorkerOptions<R> = {}) =>
  Effect.gen(function*() {
    const log = options.log ?? jsonLogger()
    const handoff = yield* Handoff
    const tx = yield* Transactor
    const outage = new StoreOutage(log)

    /** One batch, run to its end whatever happens around it; failures are logged (a store outage once), not raised. */
    const guarded = <A extends { readonly claimed: number }, R2>(name: string, batch: Effect.Effect<A, unknown, R2>, empty: A) =>
      Effect.uninterruptible(batch).pipe(
        Effect.tap(() => Effect.sync(() => outage.succeeded())),
        Effect.catchAllCause((cause) =>
          Effect.sync(() => {
            if (!outage.failed(cause, name)) log.error("sweep failed", { sweep: name, error: Cause.pretty(cause).split("\n").slice(0, 6).join("\n") })
            return empty
          })
        )
      )

    /** One tick of a lead sweep: claim and act on batches while they come back full. */
    const drain = (name: JobName, batchSize: number, batch: (limit: number) => Effect.Effect<SweepReport>) =>
      Effect.gen(function*() {
        for (let i = 0; i < config.maxBatchesPerTick; i++) {
          const started = Date.now()
          const report = yield* guarded(name, batch(batchSize), { sweep: name, claimed: 0, actions: [] } as SweepReport)
          if (report.claimed > 0) {
            log.info("sweep", {
              sweep: name,
              claimed: report.claimed,
              acted: report.actions.length,
              ms: Date.now() - started,
              did: countByKind(report),
              ...(report.actions.length <= 10 ? { actions: report.actions } : { sample: report.actions.slice(0, 3) })
            })
          }
          if (report.claimed < batchSize) return
        }
      })

    const every = <E, R2>(name: JobName, intervalMs: number, tick: Effect.Effect<void, E, R2>) =>
      tick.pipe(
        Effect.catchAllCause((cause) => Effect.sync(() => outage.failed(cause, name) || log.error("job failed", { job: name, error: Cause.pretty(cause).split("\n").slice(0, 6).join("\n") }))),
        Effect.zipRight(Effect.suspend(() => Effect.sleep(Duration.millis(outage.nextTickIn(intervalMs))))),
        Effect.forever
      )

    // attempts run in the background of the passes; a pass only fans out, claims free slots and starts them
    const dispatcher = makeDispatcher(config.delivery)
    const delivery = Effect.gen(function*() {
      const started = Date.now()
      const none = { fannedOut: 0, delivered: 0, retried: 0, deadLettered: 0, started: 0, inFlight: 0, claimed: 0 }
      const summary = yield* guarded("delivery", Effect.map(dispatcher.pass, (s) => ({ ...s, claimed: s.fannedOut + s.started + s.delivered + s.retried + s.deadLettered })), none)
      if (summary.claimed > 0) log.info("sweep", { sweep: "delivery", ...summary, ms: Date.now() - started })
    })

    const snapshot = Effect.gen(function*() {
      const write = options.weeklySnapshot
      if (write === undefined) return
      const now = new Date(yield* Effect.clockWith((c) => c.currentTimeMillis))
      const ran = yield* guarded("snapshot", tx.transaction(Effect.gen(function*() {
        // one worker at a time; the others find the lock taken and skip this tick
        if (!(yield* tryJobLock("weekly-snapshot"))) return { claimed: 0 }
        yield* write(now)
        return { claimed: 1 }
      })), { claimed: 0 })
      if (ran.claimed > 0) log.info("sweep", { sweep: "snapshot", at: now.toISOString() })
    })

    const jobs: Record<JobName, Effect.Effect<void, never, WorkerServices | DeliveryServices | R>> = {
      sla: every("sla", config.sla.intervalMs, drain("sla", config.sla.batchSize, handoff.sweepSla)),
      decay: every("decay", config.decay.intervalMs, drain("decay", config.decay.batchSize, handoff.sweepDecay)),
      reevaluate: every("reevaluate", config.reevaluate.intervalMs, drain("reevaluate", config.reevaluate.batchSize, handoff.sweepReevaluations)),
      inactivity: every("inactivity", config.inactivity.intervalMs, drain("inactivity", config.inactivity.batchSize, handoff.sweepInactivity)),
      delivery: every("delivery", config.delivery.intervalMs, delivery),
      snapshot: every("snapshot", config.snapshot.intervalMs, snapshot)
    }
    log.info("worker started", {
      jobs: config.jobs,
      intervalsMs: Object.fromEntries(config.jobs.map((j) => [j, config[j].intervalMs])),
      snapshotHook: options.weeklySnapshot !== undefined
    })
    // on stop, attempts in flight are aborted and put back in line (sent again later), not waited for
    yield* Effect.all(config.jobs.map((j) => jobs[j]), { concurrency: "unbounded", discard: true }).pipe(Effect.onInterrupt(() => dispatcher.stop))
    return yield* Effect.never
  })

/** Whatever the outbox delivery pass needs from the runtime. */
export type DeliveryServices = Effect.Effect.Context<ReturnType<typeof makeDispatcher>["pass"]>

/** A worker running in the background of a runtime: `stop` stops claiming and waits for the running batch to commit. */
export interface RunningWorker {
  readonly stop: () => Promise<void>
}

/**
 * Start the worker on an existing runtime (the API's embedded mode: one process, one
 * runtime, the same layers). `stop()` interrupts it gracefully: no new batch is claimed, a
 * running batch commits first.
 */
export const startWorker = <R>(
  runtime: ManagedRuntime.ManagedRuntime<R, never>,
  config: WorkerConfig,
  options: WorkerOptions<R> = {}
): RunningWorker => {
  const fiber = runtime.runFork(runWorker(config, options) as Effect.Effect<never, never, R>)
  let stopped: Promise<void> | undefined
  return {
    stop: () => (stopped ??= runtime.runPromise(Fiber.interrupt(fiber)).then(() => undefined))
  }
}
