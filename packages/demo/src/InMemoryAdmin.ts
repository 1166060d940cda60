/**
 * `StoreAdmin` over the domain's in-memory store, so the demo company (and its tests) can
 * seed reps and accounts on `inMemoryLayer` exactly as it does on PostgreSQL or PGlite.
 */
import { StoreAdmin } from "@handoff/db/Store"
import { defaultAgreement, emptyState, HandoffLive, InMemoryRef, inMemoryLayer, withAccounts, withReps } from "@handoff/domain"
import { Effect, Layer, Ref } from "effect"

/** `StoreAdmin` on the in-memory store's state (needs `InMemoryRef`). */
export const inMemoryStoreAdmin = Layer.effect(
  StoreAdmin,
  Effect.map(InMemoryRef, (ref) =>
    StoreAdmin.of({
      upsertRep: (rep) => Ref.update(ref, withReps([rep])),
      upsertAccount: (account) => Ref.update(ref, withAccounts([account])),
      ensureAgreement: () => Effect.map(Ref.get(ref), (s) => s.agreements[s.agreements.length - 1]!)
    }))
)

/** The handoff use cases on an empty in-memory store with the default agreement, plus `StoreAdmin`: what the demo needs. */
export const inMemoryDemoLayer = (at = new Date(0)) =>
  Layer.mergeAll(HandoffLive, inMemoryStoreAdmin).pipe(Layer.provideMerge(inMemoryLayer(emptyState(defaultAgreement, at))))
