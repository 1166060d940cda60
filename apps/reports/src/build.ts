/**
 * Build the weekly funnel site from one report snapshot: the site model (pages, charts as SVG,
 * tables), rendered by Astro into static HTML with relative links, one CSV per table under
 * `csv/`, and the snapshot itself as `snapshot.json`. The folder can be opened from disk,
 * served under any path (Handoff serves it at /reports), or copied to any static host.
 */
import { type WeeklySnapshot, WeeklySnapshotSchema } from "@handoff/db"
import { Schema } from "effect"
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { tableCsv } from "./csv.ts"
import { siteModel, type SiteModel, tablesOf } from "./model.ts"
import { defaultOutDir, reportsRoot } from "./paths.ts"


export interface BuildResult {
  readonly outDir: string
  readonly weekStart: string
  /** The HTML pages written, relative to outDir. */
  readonly pages: ReadonlyArray<string>
  /** The CSV downloads written, relative to outDir. */
  readonly csv: ReadonlyArray<string>
  readonly ms: number
}

/** A snapshot as read from JSON (an export of `npm run report:snapshot`, or a stored row), checked against the schema the API writes it with. */
export const decodeSnapshot = (json: unknown): WeeklySnapshot => Schema.decodeUnknownSync(WeeklySnapshotSchema, { errors: "all" })(json)

let queue: Promise<unknown> = Promise.resolve()

/**
 * Build the site for `snapshot` into `outDir` (replaced). Builds in one process run one at a
 * time (Astro reads the model through an environment variable for the length of a build).
 */
export const buildSite = (snapshot: WeeklySnapshot, options: { readonly outDir?: string } = {}): Promise<BuildResult> => {
  const run = async (): Promise<BuildResult> => {
    const started = performance.now()
    const outDir = resolve(options.outDir ?? defaultOutDir)
    const model: SiteModel = siteModel(snapshot)
    const work = await mkdtemp(join(tmpdir(), "handoff-report-"))
    const previousModel = process.env.HANDOFF_REPORT_MODEL
    try {
      const modelFile = join(work, "model.json")
      await writeFile(modelFile, JSON.stringify(model))
      process.env.HANDOFF_REPORT_MODEL = modelFile
      process.env.ASTRO_TELEMETRY_DISABLED = "1"
      // Astro builds into a fresh folder beside the target, which then replaces it whole:
      // a site being served is never half old, half new.
      const staging = `${outDir}.building-${process.pid}`
      await rm(staging, { recursive: true, force: true })
      const { build } = await import("astro")
      // parts of Astro resolve `.astro/` against the working directory, not the root it is given
      const cwd = process.cwd()
      process.chdir(reportsRoot)
      try {
        await build({ root: reportsRoot, outDir: staging, logLevel: "error", vite: { logLevel: "error", cacheDir: join(work, "vite") } })
      } finally {
        process.chdir(cwd)
      }
      // Astro's content layer leaves its (empty) module maps in the output; a static site has no use for them.
      for (const f of await readdir(staging)) if (/^content-(assets|modules)\.mjs$/.test(f)) await rm(join(staging, f))
      const tables = tablesOf(model)
      await mkdir(join(staging, "csv"), { recursive: true })
      for (const t of tables) await writeFile(join(staging, "csv", `${t.id}.csv`), tableCsv(t))
      await writeFile(join(staging, "snapshot.json"), JSON.stringify(Schema.encodeSync(WeeklySnapshotSchema)(snapshot), null, 1))
      await rm(outDir, { recursive: true, force: true })
      await mkdir(join(outDir, ".."), { recursive: true })
      await rename(staging, outDir)
      return {
        outDir,
        weekStart: snapshot.weekStart,
        pages: model.pages.map((p) => `${p.slug}.html`),
        csv: tables.map((t) => `csv/${t.id}.csv`),
        ms: Math.round(performance.now() - started)
      }
    } finally {
      if (previousModel === undefined) delete process.env.HANDOFF_REPORT_MODEL
      else process.env.HANDOFF_REPORT_MODEL = previousModel
      await rm(work, { recursive: true, force: true })
    }
  }
  const next = queue.then(run, run)
  queue = next.catch(() => undefined)
  return next
}
