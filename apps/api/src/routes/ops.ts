/** Health, readiness and metrics. */
import { Db, ping } from "@handoff/db"
import { Effect, Schema } from "effect"
import { route } from "../http.ts"
import type { Metrics } from "../metrics.ts"
import { Conflict } from "../problem.ts"

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
    response: Schema.Struct({ status: Schema.Literal("ready"), engine: Schema.String }),
    status: 200,
    handler: () =>
      Effect.gen(function*() {
        const db = yield* Db
        const ok = yield* Effect.promise(() => ping(db))
        if (!ok) return yield* Effect.fail(new Conflict({ message: "The database does not answer.", reason: "not_ready" }))
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
