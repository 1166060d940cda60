/** Embedded mode: a data folder on disk that only one process may open. */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { DataFolderLocked, openDatabase } from "../src/Database.ts"

const run = promisify(execFile)
const migrateScript = fileURLToPath(new URL("../scripts/migrate.ts", import.meta.url))
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url))

describe("the embedded database folder", () => {
  it("keeps its data across restarts", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "handoff-")), "data")
    const first = await openDatabase({ dataDir: dir })
    await first.kysely.insertInto("accounts").values({ domain: "acme.com", name: "Acme", named: true, owner_rep_id: null, active_outbound: false, segment: null, updated_at: new Date() }).execute()
    await first.close()
    const second = await openDatabase({ dataDir: dir })
    const rows = await second.kysely.selectFrom("accounts").select(["domain", "name"]).execute()
    await second.close()
    expect(rows).toEqual([{ domain: "acme.com", name: "Acme" }])
  })

  it("a second opener in this process gets a clear error, not a corrupt database", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "handoff-")), "data")
    const first = await openDatabase({ dataDir: dir })
    try {
      const second = await openDatabase({ dataDir: dir }).then(() => "opened", (e) => e)
      expect(second).toBeInstanceOf(DataFolderLocked)
      expect((second as DataFolderLocked).message).toMatch(/already open in another Handoff process/)
    } finally {
      await first.close()
    }
    // released on close: it opens again
    const again = await openDatabase({ dataDir: dir })
    await again.close()
  })

  it("another process is refused while this one holds the folder", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "handoff-")), "data")
    const holder = await openDatabase({ dataDir: dir })
    try {
      const result = await run(tsx, [migrateScript], { env: { ...process.env, HANDOFF_DATA_DIR: dir, DATABASE_URL: "" } }).then(
        (r) => ({ code: 0, stderr: r.stderr }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr })
      )
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(/already open in another Handoff process/)
    } finally {
      await holder.close()
    }
    const ok = await run(tsx, [migrateScript], { env: { ...process.env, HANDOFF_DATA_DIR: dir, DATABASE_URL: "" } })
    expect(ok.stdout).toMatch(/already up to date/)
  })
})
