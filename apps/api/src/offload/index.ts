/**
 * What runs off the request loop, in one place.
 *
 * The API's event loop answers every request, `/healthz` included; a request that computes
 * for seconds on it stalls all of them. The CPU-heavy work runs instead in a small pool of
 * worker threads (`pool.ts`), each job by name (`jobs.ts`):
 *
 * | job          | for                                                                        |
 * | ------------ | -------------------------------------------------------------------------- |
 * | `agreement`  | `POST /v1/agreement` (decode, the document's own tests); a draft to simulate |
 * | `preview`    | `POST /v1/agreement/preview` (decode the draft, its tests, score one lead)  |
 * | `simulate`   | `POST /v1/agreement/simulate` (replay every lead of the period)            |
 * | `scorecard`  | `GET /v1/reports/calibration` (fit the scorecard on known outcomes)        |
 *
 * The routes read what a job needs from the store first (async I/O, on the main side) and
 * pass it over as data. The weekly report site is built in a child process (`reportSite.ts`).
 *
 * Limits (environment, read once when the runtime is built):
 * - `HANDOFF_HEAVY_DEADLINE_MS` (default 10000): how long one job may run; past it the request
 *   answers 503 `deadline-exceeded` with `Retry-After`, and the thread is terminated and replaced;
 * - `HANDOFF_HEAVY_THREADS` (default 1 on a machine with 2 cores or fewer, else 2): jobs running at once;
 * - `HANDOFF_HEAVY_QUEUE` (default 16): jobs waiting for a thread; past it 503 `unavailable` with `Retry-After`.
 */
import { Config, Context, Effect, Layer } from "effect"
import { availableParallelism } from "node:os"
import { Unavailable } from "../problem.ts"
import type { JobInput, JobName, JobOutput } from "./jobs.ts"
import { HeavyPool, type PoolOptions } from "./pool.ts"

export type { PoolOptions } from "./pool.ts"

/** What the OpenAPI description of each route that runs heavy work says about the limits. */
export const heavyWorkNote =
  "Runs off the request loop, in the heavy-job pool: each job may compute for `HANDOFF_HEAVY_DEADLINE_MS` (default 10 s) — past it the work is stopped and the answer is 503 `deadline-exceeded`; " +
  "when the pool's threads (`HANDOFF_HEAVY_THREADS`, default 1 on 2 cores or fewer, else 2) are busy and its queue (`HANDOFF_HEAVY_QUEUE`, default 16 waiting jobs) is full, the answer is 503 `unavailable` at once. Both carry `Retry-After`."

export class HeavyJobs extends Context.Tag("@handoff/api/HeavyJobs")<HeavyJobs, {
  /** Run job `name` in the pool; refused (503) when the pool is full, past the deadline, or when the job fails. */
  readonly run: <N extends JobName>(name: N, input: JobInput<N>) => Effect.Effect<JobOutput<N>, Unavailable>
  readonly options: PoolOptions
  /** Jobs running and waiting, and threads started, now. */
  readonly load: () => { readonly running: number; readonly waiting: number; readonly threads: number }
  /** Start a thread ahead of the first job (the server does, once it listens). */
  readonly warm: () => void
}>() {}

/** The defaults: one thread on a small machine leaves a core to the request loop. */
export const defaultPoolOptions = (): PoolOptions => ({
  threads: availableParallelism() <= 2 ? 1 : 2,
  queue: 16,
  deadlineMs: 10_000
})

const positive = (name: string, fallback: number, min: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: `must be an integer of at least ${min}`, validation: (n) => n >= min }),
    Config.withDefault(fallback)
  )

/** The pool's limits from HANDOFF_HEAVY_DEADLINE_MS, HANDOFF_HEAVY_THREADS and HANDOFF_HEAVY_QUEUE. */
export const poolConfig: Config.Config<PoolOptions> = Config.suspend(() => {
  const d = defaultPoolOptions()
  return Config.all({
    threads: positive("HANDOFF_HEAVY_THREADS", d.threads, 1),
    queue: positive("HANDOFF_HEAVY_QUEUE", d.queue, 0),
    deadlineMs: positive("HANDOFF_HEAVY_DEADLINE_MS", d.deadlineMs, 1)
  })
})

/** Why heavy work was refused: its pool is full, it ran past its deadline, it failed in its thread, or the service is stopping. */
type Refusal = "busy" | "deadline" | "failed" | "closed"

const explain: Record<Refusal, (detail: string, options: PoolOptions) => string> = {
  busy: (detail) => `Too much heavy work is running (${detail}); try again shortly.`,
  deadline: (_, o) =>
    `The work took longer than the ${o.deadlineMs} ms this service allows (HANDOFF_HEAVY_DEADLINE_MS) and was stopped: a smaller draft (fewer rules or tests), a shorter period or a quieter moment finishes sooner.`,
  failed: () => "The work failed on our side; try again.",
  closed: () => "The service is stopping; try again in a moment."
}

/** The pool as a service: started with the runtime (threads only on first use), stopped when it is disposed. */
export const HeavyJobsLive = (overrides: Partial<PoolOptions> = {}): Layer.Layer<HeavyJobs, never> =>
  Layer.scoped(
    HeavyJobs,
    Effect.gen(function*() {
      const options: PoolOptions = { ...(yield* Effect.orDie(poolConfig)), ...overrides }
      const pool = yield* Effect.acquireRelease(Effect.sync(() => new HeavyPool(options)), (p) => Effect.promise(() => p.close()))
      const retryAfterSeconds = Math.max(1, Math.ceil(options.deadlineMs / 1000))
      return HeavyJobs.of({
        options,
        load: () => pool.load,
        warm: () => pool.warm(),
        run: <N extends JobName>(name: N, input: JobInput<N>) =>
          Effect.async<JobOutput<N>, Unavailable>((resume) => {
            const cancel = pool.submit(name, input, (outcome) => {
              if (outcome.ok) resume(Effect.succeed(outcome.value))
              else if (outcome.reason === "threw") resume(Effect.die(new Error(`heavy job ${name} failed: ${outcome.detail}`)))
              else resume(Effect.fail(new Unavailable({ reason: outcome.reason, message: explain[outcome.reason](outcome.detail, options), retryAfterSeconds })))
            })
            // the request gave up (the client went away): stop the work nobody waits for
            return Effect.sync(cancel)
          })
      })
    })
  )
