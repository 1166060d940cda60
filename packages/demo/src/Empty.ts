/** Whether a store is the demo's to seed — on its own, so a service can ask at start without loading the simulator. */
import { RepDirectory } from "@handoff/domain"
import { Effect } from "effect"

/** True when the store has no reps yet: an empty database the demo may seed. */
export const storeIsEmpty = Effect.map(Effect.flatMap(RepDirectory, (d) => d.list()), (reps) => reps.length === 0)
