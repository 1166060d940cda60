// Config files are bundled by vite, so the shared preset is imported by path
// (a workspace package exporting .ts would be loaded by Node 20, which cannot).
import { defineConfig, mergeConfig } from "vitest/config"
import { shared } from "../../tooling/config/vitest.shared.ts"

export default mergeConfig(shared, defineConfig({ test: { name: "domain" } }))
