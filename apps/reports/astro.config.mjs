// The weekly funnel site: static pages with relative links, styles inlined, no client JavaScript.
// Build it with `npm run report` (src/build.ts), which computes the pages' data from a snapshot.
import { defineConfig } from "astro/config"

export default defineConfig({
  output: "static",
  build: { format: "file", inlineStylesheets: "always" },
  devToolbar: { enabled: false }
})
