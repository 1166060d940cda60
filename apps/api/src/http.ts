/**
 * Routes as data. Each route declares its method, path, the roles that may call it, the
 * schemas of its path parameters, query, body and response, and a handler that receives
 * the decoded input. The same declarations register the Hono handlers and generate the
 * OpenAPI document, so the documentation cannot drift from what the server does.
 */
import type { ApiRole } from "@handoff/db"
import { IsoDateTime, StorableDateFromSelf } from "@handoff/domain"
import type { Effect } from "effect"
import { Schema } from "effect"
import type { ApiTag } from "./openapi.ts"
import type { ApiError } from "./problem.ts"

export type Method = "get" | "post" | "put" | "delete"

export interface Caller {
  readonly keyId: string
  readonly role: ApiRole
  readonly name: string
  /** A sales key bound to a rep: the only rep it may act as. Absent: unbound. */
  readonly repId?: string
}

export interface HandlerInput<P, Q, B> {
  readonly params: P
  readonly query: Q
  readonly body: B
  readonly caller: Caller
  readonly requestId: string
  /** How the body was sent: JSON, or YAML text (routes with `yamlBody`; `body` is then the text). */
  readonly mediaType: "json" | "yaml"
}

/** A handler's answer: its status (default: the route's) and body (encoded with the route's response schema). */
export interface Reply<A> {
  readonly status?: number
  readonly body: A
  readonly headers?: Readonly<Record<string, string>>
}

export interface RouteDef<P, Q, B, A, R> {
  readonly method: Method
  /** Hono syntax: `/v1/leads/:id`. */
  readonly path: string
  /** Who may call it (admin keys may call everything). Empty: no key needed. */
  readonly roles: ReadonlyArray<ApiRole>
  readonly summary: string
  readonly description?: string
  /** The document's group for it: one of the described tags (`tagDescriptions` in openapi.ts). */
  readonly tag: ApiTag
  readonly params?: Schema.Schema<P, any>
  readonly query?: Schema.Schema<Q, any>
  readonly body?: Schema.Schema<B, any>
  /** What the OpenAPI document shows for the body, when `body` is deliberately looser (items decoded one by one by the handler). */
  readonly bodyDoc?: Schema.Schema<any, any>
  readonly response: Schema.Schema<A, any>
  readonly status: number
  /** Other success statuses the handler may answer with (same response schema), with their meaning. */
  readonly also?: Readonly<Record<number, string>>
  /** Also take the body as YAML text (`Content-Type: application/yaml`); the handler gets the text. */
  readonly yamlBody?: boolean
  /** Honour `Idempotency-Key` (POSTs that write). */
  readonly idempotent?: boolean
  /** Reads a period of history or writes a batch (reports, replays, imports): the app's long deadline (60 s) instead of its default (5 s), and the tighter bounds on heavy requests in flight. */
  readonly long?: boolean
  /** Runs CPU-heavy work in the heavy-job pool (offload/): may answer 503 with Retry-After. */
  readonly heavy?: boolean
  readonly handler: (input: HandlerInput<P, Q, B>) => Effect.Effect<Reply<A>, ApiError, R>
}

export type AnyRoute = RouteDef<any, any, any, any, any>

export const route = <P = {}, Q = {}, B = undefined, A = unknown, R = never>(def: RouteDef<P, Q, B, A, R>): AnyRoute => def as AnyRoute

/** Query-string helpers: repeated or single values arrive as strings. */
export const QueryInt = (min: number, max: number) => Schema.NumberFromString.pipe(Schema.int(), Schema.between(min, max))
export const QueryBool = Schema.transform(Schema.Literal("true", "false"), Schema.Boolean, {
  strict: true,
  decode: (s) => s === "true",
  encode: (b) => (b ? "true" : "false")
})

/**
 * An ISO 8601 date-time on the wire, a Date in the handler: a day the calendar lacks
 * (2026-02-30) is refused, and so is an instant PostgreSQL cannot store (years 0001 … 9999).
 */
export const IsoDate = Schema.compose(IsoDateTime, StorableDateFromSelf).annotations({
  description: "ISO 8601 date-time, e.g. 2026-01-06T15:00:00Z (years 0001 to 9999)",
  jsonSchema: { type: "string", format: "date-time" }
})
