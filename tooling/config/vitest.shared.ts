import { defineConfig } from "vitest/config"

/**
 * Defaults shared by every package's vitest project. Packages merge this with
 * their own settings (`mergeConfig(shared, defineConfig({...}))`).
 */
export const shared = defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    // Property tests and SQL suites can take a few seconds on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { concurrent: false },
    // The files of a package run one after another in one process that keeps its loaded
    // modules: loading the app and its dependencies once per file was a third of CI's time.
    // Tests therefore start what they need (stores, servers, env) themselves and stop it.
    isolate: false
  }
})
