/**
 * Who a request acts as, for the timeline: every entry an API call writes records the key
 * that made it. A sales key names the rep it acts for; a key bound to a rep may name only
 * that rep (an unbound key — a CRM integration — and an admin key may name any).
 */
import type { Actor } from "@handoff/domain"
import { Effect } from "effect"
import type { Caller } from "./http.ts"
import { Forbidden } from "./problem.ts"

/** The key itself as the actor (forms, enrichment, integrations). */
export const keyActor = (caller: Caller): Actor => ({ kind: "api_key", id: caller.keyId, keyId: caller.keyId })

/** `repId` acting through the caller's key; 403 (path `repId`) when the key is bound to another rep. */
export const repActor = (caller: Caller, repId: string): Effect.Effect<Actor, Forbidden> =>
  caller.repId !== undefined && caller.repId !== repId
    ? Effect.fail(new Forbidden({
      message: `This key is bound to rep ${caller.repId}: it cannot act as ${repId}.`,
      role: caller.role,
      allowed: [`${caller.role} bound to ${repId}`, "unbound sales", "admin"],
      errors: [{ path: "repId", message: `this key acts only as ${caller.repId}` }]
    }))
    : Effect.succeed({ kind: "rep", id: repId, keyId: caller.keyId })

/** Who a request without a `repId` acts as: the rep a bound key belongs to, else the key. */
export const callerActor = (caller: Caller): Actor =>
  caller.repId === undefined ? keyActor(caller) : { kind: "rep", id: caller.repId, keyId: caller.keyId }
