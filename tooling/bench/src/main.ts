/**
 * `npm run bench`: Handoff's figures against the real PostgreSQL (HANDOFF_BENCH_DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/test — each section makes its own database
 * beside it and drops it), printed as they are measured and as one table at the end.
 * `npm run bench -- ingest startup` runs only the named sections.
 */
import { cpus, totalmem } from "node:os"
import { benchIngest } from "./ingest.ts"
import { benchStartup } from "./startup.ts"
import type { Row } from "./util.ts"

const sections: Record<string, () => Promise<ReadonlyArray<Row>>> = {
  ingest: benchIngest,
  startup: benchStartup
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"))
const chosen = wanted.length === 0 ? Object.keys(sections) : wanted
for (const name of chosen) if (sections[name] === undefined) throw new Error(`unknown section ${name}; known: ${Object.keys(sections).join(", ")}`)

console.log(`# Handoff benchmarks — ${new Date().toISOString()}`)
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`)
const rows: Array<Row> = []
for (const name of chosen) rows.push(...await sections[name]!())

console.log("\n| what | measured | target | met |\n| --- | --- | --- | --- |")
for (const r of rows) console.log(`| ${r.what} | ${r.figure} | ${r.target} | ${r.met === null ? "—" : r.met ? "yes" : "no"} |`)
