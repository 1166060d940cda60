/**
 * `npm start`: serve the API on http://localhost:3000 (PORT). With no DATABASE_URL the
 * store is embedded PGlite in HANDOFF_DATA_DIR (default .handoff/data) and the SLA sweep
 * runs in this process too; with DATABASE_URL the API runs alone (the worker is its own
 * process). First start installs HANDOFF_ADMIN_KEY as the admin key, or prints a generated
 * one once.
 */
import { Handoff } from "@handoff/domain"
import { serve } from "@hono/node-server"
import { Effect } from "effect"
import { ensureAdminKey } from "./auth.ts"
import { handoffApp } from "./index.ts"
import { jsonLogger } from "./log.ts"
import { makeRuntime } from "./runtime.ts"

const log = jsonLogger()
const url = process.env.DATABASE_URL === "" ? undefined : process.env.DATABASE_URL
const dataDir = process.env.HANDOFF_DATA_DIR ?? ".handoff/data"
const port = Number(process.env.PORT ?? "3000")
const embedded = url === undefined

const runtime = await makeRuntime({ url, dataDir }).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e))
  process.exit(1)
})
const admin = await runtime.runPromise(ensureAdminKey(process.env.HANDOFF_ADMIN_KEY === "" ? undefined : process.env.HANDOFF_ADMIN_KEY))
if (admin.installed && admin.generated) {
  console.log(`\nNo admin key existed, so one was generated. It is shown once — keep it:\n\n  ${admin.key}\n`)
} else if (admin.installed) {
  log.info("installed HANDOFF_ADMIN_KEY as the admin key")
}

const { app } = handoffApp(runtime, { logger: log })
const server = serve({ fetch: app.fetch, port, hostname: process.env.HOST ?? "127.0.0.1" }, (info) =>
  log.info("listening", { url: `http://${info.address === "::1" ? "localhost" : info.address}:${info.port}`, store: embedded ? `embedded PGlite (${dataDir})` : "postgres" }))

// Until the worker (issue #5) lands, embedded mode runs the SLA breach sweep here.
let sweeping = false
const sweep = embedded
  ? setInterval(() => {
    if (sweeping) return
    sweeping = true
    runtime.runPromise(Effect.flatMap(Handoff, (h) => h.handleBreaches(100))).then(
      (done) => { if (done.length > 0) log.info("sla sweep", { acted: done.length }) },
      (e: unknown) => log.error("sla sweep failed", { error: String(e) })
    ).finally(() => { sweeping = false })
  }, Number(process.env.HANDOFF_SWEEP_MS ?? "5000"))
  : undefined

let stopping = false
const stop = (signal: string) => {
  if (stopping) process.exit(1)
  stopping = true
  log.info("stopping", { signal })
  if (sweep !== undefined) clearInterval(sweep)
  server.close(() => {
    runtime.dispose().then(() => process.exit(0), () => process.exit(1))
  })
}
process.on("SIGTERM", () => stop("SIGTERM"))
process.on("SIGINT", () => stop("SIGINT"))
