/**
 * The services, built once per process: the store (PostgreSQL or embedded PGlite), every
 * domain port on it, and the handoff use cases. Requests run on this runtime; it is
 * disposed (pool closed, data folder unlocked) after the server stops.
 */
import { AccountQueriesLive, Db, type DatabaseOptions, OpportunityQueriesLive, ReportQueriesLive, SimulationQueriesLive, StoreAdmin, storeLayer, WebhookStoreLive } from "@handoff/db"
import { HandoffLive } from "@handoff/domain"
import { Effect, Layer, ManagedRuntime } from "effect"

export const servicesLayer = (options: DatabaseOptions) =>
  HandoffLive.pipe(
    Layer.provideMerge(Layer.mergeAll(OpportunityQueriesLive, WebhookStoreLive, AccountQueriesLive, ReportQueriesLive, SimulationQueriesLive)),
    Layer.provideMerge(storeLayer),
    Layer.provideMerge(Db.layer(options))
  )

export type ApiServices = Layer.Layer.Success<ReturnType<typeof servicesLayer>>

/** Open the store, make sure an agreement is active, and return the runtime. */
export const makeRuntime = async (options: DatabaseOptions): Promise<ManagedRuntime.ManagedRuntime<ApiServices, never>> => {
  const runtime = ManagedRuntime.make(servicesLayer(options).pipe(Layer.orDie))
  await runtime.runPromise(Effect.flatMap(StoreAdmin, (a) => a.ensureAgreement(new Date())))
  return runtime
}
