/**
 * The demo company at first start: in embedded mode an empty store (no reps yet) is seeded
 * with seed 001's Company A — `HANDOFF_DEMO_MONTHS` (default 3, a quarter) of its inbound
 * stream replayed through the real use cases on a simulated clock ending now (@handoff/demo)
 * — so a fresh `npm start` shows a living system and a filled report. `HANDOFF_DEMO=0` turns
 * it off. Seeding runs after the service is ready; the worker starts once it is done (its
 * real-time sweeps must not race the simulation's own), and a stop interrupts it.
 */
import { storeIsEmpty } from "@handoff/demo/Empty"
import { Effect, Exit, Fiber, type ManagedRuntime } from "effect"
import type { Logger } from "./log.ts"
import type { ApiServices } from "./runtime.ts"

export interface DemoSettings {
  readonly enabled: boolean
  /** Months of the company's history to replay (default 3). */
  readonly months: number
  readonly seed: number
}

export const demoSettingsFromEnv = (env: NodeJS.ProcessEnv): DemoSettings => {
  const flag = (env.HANDOFF_DEMO ?? "").trim().toLowerCase()
  const months = Number(env.HANDOFF_DEMO_MONTHS ?? "3")
  const seed = Number(env.HANDOFF_DEMO_SEED ?? "1")
  return {
    enabled: !(flag === "0" || flag === "false" || flag === "off" || flag === "no"),
    months: Number.isFinite(months) && months > 0 ? months : 3,
    seed: Number.isInteger(seed) ? seed : 1
  }
}

export interface DemoSeeding {
  /** Resolves when seeding ended (done, failed or stopped): the worker may start. */
  readonly done: Promise<void>
  readonly stop: () => Promise<void>
}

/** Seed the demo company if the store is empty; undefined when there is nothing to seed. */
export const startDemoSeeding = async (
  runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>,
  settings: DemoSettings,
  log: Logger
): Promise<DemoSeeding | undefined> => {
  if (!settings.enabled) return undefined
  if (!(await runtime.runPromise(storeIsEmpty))) return undefined
  const { seedDemo } = await import("@handoff/demo/Simulator")
  log.info("demo: seeding Company A", { months: settings.months, seed: settings.seed, note: "an empty store gets the demo company; HANDOFF_DEMO=0 turns it off" })
  let shown = -1
  const fiber = runtime.runFork(seedDemo({
    seed: settings.seed,
    months: settings.months,
    fates: false,
    // the simulation also sweeps at every accept and first-touch deadline; a periodic sweep
    // every 30 simulated minutes (not 5) is what keeps a quarter's seeding in minutes
    sweepEveryMinutes: 30,
    onProgress: (p) => {
      const pct = Math.floor(p.fraction * 10) * 10
      if (pct === shown) return
      shown = pct
      log.info("demo: seeding", { percent: pct, simulatedAt: p.simulatedAt.toISOString(), leads: p.leads, seconds: Math.round(p.elapsedMs / 1000) })
    }
  }))
  const done = Effect.runPromise(Fiber.await(fiber)).then((exit) => {
    if (Exit.isSuccess(exit)) {
      const s = exit.value
      log.info("demo: seeded", { leads: s.leads, inquiries: s.inquiries, mqls: s.mqls, sals: s.sals, sqls: s.sqls, opportunities: s.opportunities, won: s.won, limbo: s.limbo, seconds: Math.round(s.elapsedMs / 1000) })
    } else if (!Exit.isInterrupted(exit)) {
      log.error("demo: seeding failed", { error: String(exit.cause) })
    }
  })
  return {
    done,
    stop: async () => {
      await Effect.runPromise(Fiber.interrupt(fiber))
      await done
    }
  }
}
