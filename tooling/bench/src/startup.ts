/** Embedded `npm start` on a fresh data folder until /readyz answers 200: the newcomer's wait. */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fmt, median, root, type Row } from "./util.ts"

const once = async (): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), "handoff-bench-start-"))
  const port = 31_000 + Math.floor(Math.random() * 2000)
  const started = performance.now()
  const child = spawn("npm", ["start", "--silent"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: "", HANDOFF_DATA_DIR: join(dir, "data"), PORT: String(port), HANDOFF_ADMIN_KEY: "", HANDOFF_DEMO: "0" },
    stdio: "ignore",
    detached: true
  })
  try {
    for (;;) {
      if (performance.now() - started > 60_000) throw new Error("not ready within 60 s")
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`)
        if (res.status === 200) return performance.now() - started
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  } finally {
    try { process.kill(-child.pid!, "SIGTERM") } catch { /* gone */ }
    await new Promise((r) => setTimeout(r, 1500))
    try { process.kill(-child.pid!, "SIGKILL") } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true })
  }
}

export const benchStartup = async (): Promise<ReadonlyArray<Row>> => {
  console.log("\n## Embedded `npm start` on a fresh folder → /readyz 200 (3 runs)")
  const runs: Array<number> = []
  for (let i = 0; i < 3; i++) runs.push(await once())
  const m = median(runs) / 1000
  console.log(`  runs: ${runs.map((r) => `${fmt(r / 1000, 2)} s`).join(", ")}; median ${fmt(m, 2)} s`)
  return [{ what: "embedded npm start → ready (s)", figure: fmt(m, 2), target: "≤ 10", met: m <= 10 }]
}
