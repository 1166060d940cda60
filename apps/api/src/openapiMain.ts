/**
 * Writes the OpenAPI document — the one `GET /openapi.json` serves — to the file named by the
 * first argument, or to stdout: built from the route declarations alone, with no store and no
 * server, so CI can lint it (`npm run lint:openapi`) or publish it.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { Metrics } from "./metrics.ts"
import { openApiDocument } from "./openapi.ts"
import { allRoutes } from "./routes/index.ts"

// the same route table the app registers, the reference's own routes included
const text = JSON.stringify(openApiDocument(allRoutes(new Metrics())), null, 2) + "\n"
const out = process.argv[2]
if (out === undefined || out === "-") {
  process.stdout.write(text)
} else {
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, text)
}
