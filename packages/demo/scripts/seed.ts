/**
 * Seed a store with the demo company and print what happened.
 *
 *   npx tsx scripts/seed.ts [--months 3] [--seed 1] [--memory] [--pglite-memory] [--profile]
 *
 * The store is PostgreSQL at DATABASE_URL, else the embedded PGlite folder HANDOFF_DATA_DIR
 * (default .handoff/data). `--pglite-memory` uses a throwaway in-memory PGlite, `--memory`
 * the domain's in-memory store (both for timing). `--profile` times the use cases by kind.
 */
import { Db, StoreAdmin, storeLayer } from "@handoff/db"
import { Handoff, HandoffLive, LeadStore } from "@handoff/domain"
import { Effect, Layer } from "effect"
import { inMemoryDemoLayer, seedDemo } from "../src/index.ts"

const args = process.argv.slice(2)
const flag = (name: string) => args.includes(`--${name}`)
const value = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const nonEmpty = (s: string | undefined) => (s === undefined || s.trim() === "" ? undefined : s)

const months = Number(value("months") ?? 3)
const seed = Number(value("seed") ?? 1)
const url = nonEmpty(process.env.DATABASE_URL)
const dataDir = flag("pglite-memory") ? "memory://" : nonEmpty(process.env.HANDOFF_DATA_DIR) ?? ".handoff/data"

const where = flag("memory") ? "the in-memory store" : url !== undefined ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite at ${dataDir}`
const layer: Layer.Layer<Handoff | LeadStore | StoreAdmin> = flag("memory")
  ? inMemoryDemoLayer()
  : HandoffLive.pipe(Layer.provideMerge(storeLayer), Layer.provideMerge(Db.layer({ url, dataDir })), Layer.orDie)

console.log(`Seeding ${months} month(s) of Company A (seed ${seed}) into ${where}…`)
let shown = -1
const program = seedDemo({
  seed,
  months,
  fates: false,
  onProgress: (p) => {
    const pct = Math.floor(p.fraction * 10) * 10
    if (pct !== shown) {
      shown = pct
      console.log(`  ${String(pct).padStart(3)}%  ${p.simulatedAt.toISOString().slice(0, 16)}  ${p.leads} leads  ${(p.elapsedMs / 1000).toFixed(1)} s`)
    }
  }
})
const summary = await Effect.runPromise(program.pipe(Effect.provide(layer)))
console.log(JSON.stringify(summary, null, 2))
