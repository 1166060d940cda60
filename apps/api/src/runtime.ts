/**
 * The services, built once per process: the store (PostgreSQL or embedded PGlite), every
 * domain port on it, and the handoff use cases. Requests run on this runtime; it is
 * disposed (pool closed, data folder unlocked) after the server stops.
 */
import { ScorecardQueriesLive } from "@handoff/db"
import { AccountQueriesLive, Db, DeliveryQueriesLive, type DatabaseOptions, OpportunityQueriesLive, ReportQueriesLive, SimulationQueriesLive, StoreAdmin, storeLayer, WebhookStoreLive } from "@handoff/db"
import { HandoffLive } from "@handoff/domain"
import { Clock, Effect, Layer, ManagedRuntime } from "effect"
import { HeavyJobsLive, type PoolOptions } from "./offload/index.ts"

/** `heavy`: limits of the pool that runs CPU-heavy work off the request loop (default: from the environment, see offload/). */
export const servicesLayer = (options: DatabaseOptions, heavy: Partial<PoolOptions> = {}) =>
  HandoffLive.pipe(
    Layer.provideMerge(Layer.mergeAll(OpportunityQueriesLive, WebhookStoreLive, AccountQueriesLive, ReportQueriesLive, SimulationQueriesLive, DeliveryQueriesLive, ScorecardQueriesLive)),
    Layer.provideMerge(storeLayer),
    Layer.provideMerge(Db.layer(options)),
    Layer.merge(HeavyJobsLive(heavy))
  )

export type ApiServices = Layer.Layer.Success<ReturnType<typeof servicesLayer>>

/**
 * A clock `offsetMs` away from the real one (ticking with it): tests run the service as if
 * it were another day and hour — a Tuesday morning in New York — whatever the real time is.
 */
export const shiftedClock = (offsetMs: number): Clock.Clock => {
  const real = Clock.make()
  const millis = () => real.unsafeCurrentTimeMillis() + offsetMs
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    currentTimeMillis: Effect.sync(millis),
    unsafeCurrentTimeNanos: () => BigInt(millis()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(millis()) * 1_000_000n),
    sleep: (duration) => real.sleep(duration)
  }
}

/** Open the store, make sure an agreement is active, and return the runtime (on `clock`, default the real one; `heavy`: the heavy-job pool's limits). */
export const makeRuntime = async (options: DatabaseOptions, clock?: Clock.Clock, heavy: Partial<PoolOptions> = {}): Promise<ManagedRuntime.ManagedRuntime<ApiServices, never>> => {
  const layer = servicesLayer(options, heavy).pipe(Layer.orDie)
  const runtime = ManagedRuntime.make(clock === undefined ? layer : Layer.merge(layer, Layer.setClock(clock)))
  await runtime.runPromise(Effect.flatMap(StoreAdmin, (a) => Effect.flatMap(Clock.currentTimeMillis, (ms) => a.ensureAgreement(new Date(ms)))))
  return runtime
}
