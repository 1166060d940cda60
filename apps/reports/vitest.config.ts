import { defineConfig, mergeConfig } from "vitest/config"
import { shared } from "../../tooling/config/vitest.shared.ts"

// Building the site runs Astro (a few seconds) and the browser check starts Chromium.
export default mergeConfig(shared, defineConfig({ test: { name: "reports", testTimeout: 120_000 } }))
