/**
 * What the Astro pages read: the site model that `buildSite` computed and wrote to the file
 * named by HANDOFF_REPORT_MODEL for the length of one build.
 */
import { readFileSync } from "node:fs"
import type { SiteModel } from "./model.ts"

let cached: { readonly path: string; readonly model: SiteModel } | undefined

export const loadModel = (): SiteModel => {
  const path = process.env.HANDOFF_REPORT_MODEL
  if (path === undefined || path === "") throw new Error("HANDOFF_REPORT_MODEL is not set: build the site with `npm run report` (buildSite), not `astro build` alone")
  if (cached?.path !== path) cached = { path, model: JSON.parse(readFileSync(path, "utf8")) as SiteModel }
  return cached.model
}
