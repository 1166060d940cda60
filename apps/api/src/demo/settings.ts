/** The demo company's settings (`HANDOFF_DEMO*`) and how a first start seeds it. */
import type { DemoOptions } from "@handoff/demo/Simulator"

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

/** The simulation's options at a first start, wherever it runs. */
export const seedingOptions = (settings: Pick<DemoSettings, "months" | "seed">): DemoOptions => ({
  seed: settings.seed,
  months: settings.months,
  fates: false,
  // the simulation also sweeps at every accept and first-touch deadline; a periodic sweep
  // every 30 simulated minutes (not 5) is what keeps a quarter's seeding in minutes
  sweepEveryMinutes: 30,
  // short units: a request waits at most for the one in progress
  sweepBatch: 50
})
