import { defineConfig, mergeConfig } from "vitest/config"
import { shared } from "./vitest.shared.ts"

/** Tests of the scripts under tooling/scripts (run from tooling/config: `npm test`). */
export default mergeConfig(shared, defineConfig({
  test: { name: "tooling", dir: "..", include: ["scripts/**/*.test.ts"], testTimeout: 180_000 }
}))
