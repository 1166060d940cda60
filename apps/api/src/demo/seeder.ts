/**
 * The body of the demo's seeding thread: a runtime of its own on the service's embedded store
 * (its session borrowed, see @handoff/db's pglite/Lending.ts), the demo company replayed
 * through the real use cases on it, and its progress sent back as messages. The simulation's
 * computing — scoring, routing, encoding thousands of leads — happens here, off the request
 * thread; its statements queue behind every waiting request.
 */
import { seedDemo } from "@handoff/demo/Simulator"
import { Cause, Effect, Exit, Fiber, Layer, ManagedRuntime } from "effect"
import { setPriority } from "node:os"
import { parentPort, workerData } from "node:worker_threads"
import { servicesLayer } from "../runtime.ts"
import type { SeederInput, SeederMessage, StopSeeding } from "./protocol.ts"
import { seedingOptions } from "./settings.ts"

/** CFS gives a nice-10 thread about a tenth of a core's share when the others want it. */
const seederNice = 10

// On Linux a thread has a nice value of its own: this one yields the CPU to the request thread
// and the store's thread whenever they have work, and takes what they leave. (Elsewhere the
// call would lower the whole process, so it is made on Linux only.)
if (process.platform === "linux") setPriority(seederNice)

const input = workerData as SeederInput
const port = parentPort!
const send = (m: SeederMessage) => port.postMessage(m)

const runtime = ManagedRuntime.make(servicesLayer({ borrowed: input.lent }).pipe(Layer.orDie))
const fiber = runtime.runFork(seedDemo({
  ...seedingOptions(input),
  end: new Date(input.endMs),
  onProgress: (progress) => send({ type: "progress", progress })
}))
port.on("message", (m: StopSeeding) => {
  if (m.type === "stop") void Effect.runPromise(Fiber.interrupt(fiber))
})
const exit = await Effect.runPromise(Fiber.await(fiber))
if (Exit.isSuccess(exit)) send({ type: "seeded", summary: exit.value })
else if (Exit.isInterrupted(exit)) send({ type: "stopped" })
else send({ type: "failed", error: Cause.pretty(exit.cause) })
await runtime.dispose()
port.close()
