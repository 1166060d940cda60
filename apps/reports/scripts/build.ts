/**
 * Build the weekly funnel site from an exported snapshot (no store needed):
 *
 *   npx tsx apps/reports/scripts/build.ts --snapshot week.json [--out apps/reports/dist]
 *
 * `npm run report` (the handoff CLI's `report build`) reads the snapshot from the store
 * instead. The embedded service runs this in a child process after each weekly snapshot.
 */
import { readFile } from "node:fs/promises"
import { parseArgs } from "node:util"
import { buildSite, decodeSnapshot } from "../src/build.ts"
import { defaultOutDir } from "../src/paths.ts"

const { values } = parseArgs({ options: { snapshot: { type: "string" }, out: { type: "string" } } })
if (values.snapshot === undefined) {
  console.error("usage: build.ts --snapshot <week.json> [--out <dir>]")
  process.exit(2)
}
try {
  const snapshot = decodeSnapshot(JSON.parse(await readFile(values.snapshot, "utf8")))
  const result = await buildSite(snapshot, { outDir: values.out ?? defaultOutDir })
  console.log(`Built the report for the week of ${result.weekStart} in ${(result.ms / 1000).toFixed(1)} s: ${result.pages.length} pages, ${result.csv.length} CSV files in ${result.outDir}`)
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e))
  process.exit(1)
}
