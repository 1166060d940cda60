/**
 * The demo company at first start: in embedded mode an empty store (no reps yet) is seeded
 * with Company A — `HANDOFF_DEMO_MONTHS` (default 3, a quarter) of its inbound stream replayed
 * through the real use cases on a simulated clock ending now (@handoff/demo) — so a fresh
 * `npm start` shows a living system and a filled report. `HANDOFF_DEMO=0` turns it off.
 *
 * The seeding never stands in the way of the service. It runs on a thread of its own
 * (`thread.mjs` → `seeder.ts`) with a runtime of its own, borrowing the embedded store's
 * session between its units; requests waiting for the session go first. (A throwaway
 * in-memory store has no thread to lend from: there it runs on the service's runtime.)
 * The service is ready at once; the worker starts once seeding is done (its real-time sweeps
 * must not race the simulation's own); a stop interrupts it. `GET /v1/demo` and a log line per
 * 10% say how far it is.
 */
import { Db } from "@handoff/db"
import { storeIsEmpty } from "@handoff/demo/Empty"
import type { DemoProgress, DemoSummary } from "@handoff/demo/Simulator"
import { Cause, Effect, Exit, Fiber, type ManagedRuntime } from "effect"
import { Worker } from "node:worker_threads"
import type { Logger } from "../log.ts"
import type { ApiServices } from "../runtime.ts"
import type { SeederInput, SeederMessage, StopSeeding } from "./protocol.ts"
import { type DemoSettings, seedingOptions } from "./settings.ts"
import { DemoTracker } from "./status.ts"

export { type DemoSettings, demoSettingsFromEnv } from "./settings.ts"
export { DemoTracker, type DemoStatus, DemoStatusSchema, noDemoHere } from "./status.ts"

export interface DemoSeeding {
  /** Resolves when seeding ended (done, failed or stopped): the worker may start. */
  readonly done: Promise<void>
  readonly stop: () => Promise<void>
}

/** How long a stopping seeder may take to finish its unit before its thread is ended (its unit then rolled back). */
const stopGraceMs = 10_000

/** Seed the demo company if the store is empty; undefined when there is nothing to seed. */
export const startDemoSeeding = async (
  runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>,
  settings: DemoSettings,
  log: Logger,
  tracker: DemoTracker = new DemoTracker(settings, log)
): Promise<DemoSeeding | undefined> => {
  if (!settings.enabled) {
    tracker.off("HANDOFF_DEMO turned the demo company off")
    return undefined
  }
  if (!(await runtime.runPromise(storeIsEmpty))) {
    tracker.skipped()
    return undefined
  }
  const db = await runtime.runPromise(Db)
  log.info("demo: seeding Company A", { months: settings.months, seed: settings.seed, note: "an empty store gets the demo company; HANDOFF_DEMO=0 turns it off" })
  tracker.started(new Date())
  return db.lend === undefined ? seedInProcess(runtime, settings, tracker) : seedOnThread(db.lend, settings, tracker)
}

const seedOnThread = (lend: NonNullable<Db["Type"]["lend"]>, settings: DemoSettings, tracker: DemoTracker): DemoSeeding => {
  const lending = lend()
  const input: SeederInput = { lent: lending.lent, seed: settings.seed, months: settings.months, endMs: Date.now() }
  const worker = new Worker(new URL("./thread.mjs", import.meta.url), { workerData: input, transferList: [lending.lent.control, lending.lent.queries] })
  worker.on("message", (m: SeederMessage) => {
    if (m.type === "progress") tracker.progress(m.progress)
    else if (m.type === "seeded") tracker.seeded(m.summary)
    else if (m.type === "failed") tracker.failed(m.error)
    else tracker.stopped()
  })
  worker.on("error", (e) => tracker.failed(e.stack ?? e.message))
  const done = new Promise<void>((resolve) => {
    worker.once("exit", (code) => {
      // a thread that ended without saying how (it was terminated, or crashed) did not finish
      if (tracker.status().state === "seeding") tracker.failed(`the seeding thread ended (exit code ${code}) before it finished`)
      void lending.end().then(resolve)
    })
  })
  return {
    done,
    stop: async () => {
      worker.postMessage({ type: "stop" } satisfies StopSeeding)
      const force = setTimeout(() => void worker.terminate(), stopGraceMs)
      await done
      clearTimeout(force)
    }
  }
}

const seedInProcess = (runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>, settings: DemoSettings, tracker: DemoTracker): DemoSeeding => {
  // imported here: the simulation is only loaded when there is something to seed
  const fiber = runtime.runFork(Effect.flatMap(
    Effect.promise(() => import("@handoff/demo/Simulator")),
    ({ seedDemo }) => seedDemo({ ...seedingOptions(settings), onProgress: (p: DemoProgress) => tracker.progress(p) })
  ))
  const done = Effect.runPromise(Fiber.await(fiber)).then((exit: Exit.Exit<DemoSummary>) => {
    if (Exit.isSuccess(exit)) tracker.seeded(exit.value)
    else if (Exit.isInterrupted(exit)) tracker.stopped()
    else tracker.failed(Cause.pretty(exit.cause))
  })
  return {
    done,
    stop: async () => {
      await Effect.runPromise(Fiber.interrupt(fiber))
      await done
    }
  }
}
