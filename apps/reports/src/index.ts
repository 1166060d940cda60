/**
 * @handoff/reports — the weekly funnel site: `buildSite(snapshot, { outDir })` renders one
 * week's report snapshot as static pages (Astro), SVG charts (ECharts) and CSV downloads.
 */
export * from "./build.ts"
export * from "./csv.ts"
export * from "./format.ts"
export * from "./model.ts"
export * from "./paths.ts"
