import { configDefaults, defineConfig, mergeConfig } from "vitest/config"
import { shared } from "../../tooling/config/vitest.shared.ts"

/**
 * The chaos group (test/chaos) runs real servers and floods them: it runs after the rest
 * (`npm test` runs both; `npm run test:chaos` only it), one file at a time, so it neither
 * starves nor is starved by the other suites.
 */
const chaos = process.env.HANDOFF_CHAOS === "1"

export default mergeConfig(shared, defineConfig({
  test: {
    name: chaos ? "api-chaos" : "api",
    testTimeout: 120_000,
    ...(chaos
      // (mergeConfig adds to the shared include list, so the chaos run excludes the rest instead)
      ? { exclude: [...configDefaults.exclude, "src/**", "test/*.test.ts"], fileParallelism: false }
      : { exclude: [...configDefaults.exclude, "test/chaos/**"] })
  }
}))
