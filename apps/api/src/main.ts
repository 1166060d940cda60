/**
 * `npm start`: serve the API on http://localhost:3000 (PORT). With no DATABASE_URL the
 * store is embedded PGlite in HANDOFF_DATA_DIR (default .handoff/data) and the SLA sweep
 * runs in this process too; with DATABASE_URL the API runs alone (the worker is its own
 * process). First start installs HANDOFF_ADMIN_KEY as the admin key, or prints a generated
 * one once. SIGTERM/SIGINT stop it gracefully. `handoff serve` does the same.
 */
import { serveHandoff, serveOptionsFromEnv, startFailureMessage } from "./serve.ts"

await Promise.resolve().then(() => serveHandoff(serveOptionsFromEnv(process.env))).catch((e: unknown) => {
  console.error(startFailureMessage(e))
  process.exit(1)
})
