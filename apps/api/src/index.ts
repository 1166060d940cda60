/**
 * @handoff/api — the HTTP API. `handoffApp(runtime)` builds the Hono app (it never
 * listens: tests call `app.request()`); `main.ts` serves it.
 */
import type { ManagedRuntime } from "effect"
import { type AppOptions, defaultAppOptions, makeApp } from "./app.ts"
import { Metrics } from "./metrics.ts"
import type { DemoStatus } from "./demo/index.ts"
import { allRoutes } from "./routes/index.ts"
import type { ApiServices } from "./runtime.ts"

/** `demo`: how far the demo company's seeding is (`GET /v1/demo`; default: nothing seeds here). */
export const handoffApp = (
  runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>,
  { demo, ...options }: Partial<AppOptions> & { readonly demo?: () => DemoStatus } = {}
) => {
  const metrics = options.metrics ?? new Metrics()
  return makeApp(runtime, allRoutes(metrics, demo), { ...defaultAppOptions, ...options, metrics })
}

export { createApiKey, ensureAdminKey, generateKey, hashKey } from "./auth.ts"
export { makeRuntime, servicesLayer } from "./runtime.ts"
export type { ApiServices } from "./runtime.ts"
