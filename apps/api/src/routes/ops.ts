/** Health, readiness and metrics. */
import { Db, ping } from "@handoff/db"
import { Effect, Schema } from "effect"
import { route } from "../http.ts"
import type { Metrics } from "../metrics.ts"
import { storeRetryAfterSeconds, Unavailable } from "../problem.ts"

export const opsRoutes = (metrics: Metrics) => [
  route({
    method: "get",
    path: "/healthz",
    roles: [],
    tag: "Operations",
    summary: "Liveness",
    response: Schema.Struct({ status: Schema.Literal("ok") }),
    status: 200,
    handler: () => Effect.succeed({ body: { status: "ok" as const } })
  }),
  route({
    method: "get",
    path: "/readyz",
    roles: [],
    tag: "Operations",
    summary: "Readiness (the database answers)",
    description: "200 when the store answers a ping within 2 s; 503 with `Retry-After` when it does not (unreachable, frozen or too busy).",
    response: Schema.Struct({ status: Schema.Literal("ready"), engine: Schema.String }),
    status: 200,
    handler: () =>
      Effect.gen(function*() {
        const db = yield* Db
        const ok = yield* Effect.promise(() => ping(db, 2_000))
        if (!ok) return yield* Effect.fail(new Unavailable({ message: "The database does not answer.", reason: "not_ready", retryAfterSeconds: storeRetryAfterSeconds }))
        return { body: { status: "ready" as const, engine: db.engine } }
      })
  }),
  route({
    method: "get",
    path: "/metrics",
    roles: [],
    tag: "Operations",
    summary: "Prometheus metrics",
    response: Schema.String,
    status: 200,
    handler: () => Effect.map(Effect.promise(() => metrics.text()), (text) => ({ body: text, headers: { "content-type": "text/plain; version=0.0.4" } }))
  })
]
