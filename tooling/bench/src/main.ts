/**
 * `npm run bench`: Handoff's figures against the real PostgreSQL (HANDOFF_BENCH_DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/test — each section makes its own database
 * beside it and drops it), printed as they are measured and as one table at the end.
 * `npm run bench -- ingest startup` runs only the named sections.
 *
 * Sections: ingest, startup, route (T0 → lead.routed webhook), sweep (decay + SLA breach
 * sweep over 1,000,000 leads; `--leads N`, `--batch N`), snapshot (weekly report snapshot
 * over 1,000,000 leads and 10,000,000 events; `--leads N`, `--events N`, `--weeks N`).
 * Options: `--rate N` and `--seconds N` for route; `--keep` keeps each section's database
 * (for EXPLAIN and the like) instead of dropping it.
 */
import { cpus, totalmem } from "node:os"
import { benchIngest } from "./ingest.ts"
import { benchRoute } from "./route.ts"
import { benchSnapshot } from "./snapshot.ts"
import { benchStartup } from "./startup.ts"
import { benchSweep } from "./sweep.ts"
import { positional, type Row } from "./util.ts"

const sections: Record<string, () => Promise<ReadonlyArray<Row>>> = {
  ingest: benchIngest,
  startup: benchStartup,
  route: benchRoute,
  sweep: benchSweep,
  snapshot: benchSnapshot
}

const wanted = positional()
const chosen = wanted.length === 0 ? Object.keys(sections) : wanted
for (const name of chosen) if (sections[name] === undefined) throw new Error(`unknown section ${name}; known: ${Object.keys(sections).join(", ")}`)

console.log(`# Handoff benchmarks — ${new Date().toISOString()}`)
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`)
const rows: Array<Row> = []
for (const name of chosen) rows.push(...await sections[name]!())

console.log("\n| what | measured | target | met |\n| --- | --- | --- | --- |")
for (const r of rows) console.log(`| ${r.what} | ${r.figure} | ${r.target} | ${r.met === null ? "—" : r.met ? "yes" : "no"} |`)
