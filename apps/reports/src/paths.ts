/** Where the site's sources and its default output are (no dependencies: the API imports this at start). */
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** apps/reports: Astro's root. */
export const reportsRoot = fileURLToPath(new URL("..", import.meta.url))
/** Where `npm run report` writes the site, and what `npm start` serves at /reports, unless told otherwise. */
export const defaultOutDir = join(reportsRoot, "dist")
