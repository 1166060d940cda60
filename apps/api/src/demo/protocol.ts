/** The messages between the service and the demo's seeding thread (structured-clone data only). */
import type { LentSession } from "@handoff/db"
import type { DemoProgress, DemoSummary } from "@handoff/demo/Simulator"

/** What the thread is started with. */
export interface SeederInput {
  readonly lent: LentSession
  readonly seed: number
  readonly months: number
  /** The end of the replayed period (epoch ms): the service's now. */
  readonly endMs: number
}

/** Thread → service. */
export type SeederMessage =
  | { readonly type: "progress"; readonly progress: DemoProgress }
  | { readonly type: "seeded"; readonly summary: DemoSummary }
  | { readonly type: "failed"; readonly error: string }
  | { readonly type: "stopped" }

/** Service → thread: finish the unit in progress and stop. */
export interface StopSeeding {
  readonly type: "stop"
}
