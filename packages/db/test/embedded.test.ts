/** Embedded mode: a data folder on disk that only one process may open. */
import { describe, expect, it } from "@effect/vitest"
import { execFile, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { DataFolderLocked, openDatabase } from "../src/Database.ts"

const run = promisify(execFile)
const migrateScript = fileURLToPath(new URL("../scripts/migrate.ts", import.meta.url))
const holdScript = fileURLToPath(new URL("./holdFolder.ts", import.meta.url))
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

  it("after the holder is killed (kill -9) the folder opens again at once", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "handoff-")), "data")
    const child = spawn(tsx, [holdScript], { env: { ...process.env, HANDOFF_DATA_DIR: dir, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "inherit"], detached: true })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("open") && resolve())
      child.on("exit", (code) => reject(new Error(`the holder exited (${code}) before opening`)))
    })
    // while it runs, it holds the folder
    expect(await openDatabase({ dataDir: dir }).then(() => "opened", (e) => e)).toBeInstanceOf(DataFolderLocked)
    // tsx runs the script in a child of its own: kill the whole group, as kill -9 of a server would
    const exited = new Promise((resolve) => child.on("exit", resolve))
    const holder = JSON.parse(readFileSync(join(`${dir}.lock`, "holder.json"), "utf8")) as { pid: number }
    process.kill(-child.pid!, "SIGKILL")
    await exited
    // the server itself is tsx's child: wait until the kernel has it dead (gone, or a zombie nobody reaps)
    const dead = () => {
      try {
        return /^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${holder.pid}/stat`, "utf8"))
      } catch {
        return true
      }
    }
    for (let i = 0; i < 100 && !dead(); i++) await new Promise((r) => setTimeout(r, 50))
    expect(existsSync(`${dir}.lock`)).toBe(true) // a crash leaves its lock behind ...
    const started = Date.now()
    const db = await openDatabase({ dataDir: dir }) // ... and the next start takes it over
    expect(Date.now() - started).toBeLessThan(10_000)
    await db.close()
  }, 60_000)

  it("a lock left by a process that no longer exists is taken over; a live holder's is not", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "handoff-")), "data")
    mkdirSync(`${dir}.lock`, { recursive: true })
    // a pid far above any this machine has handed out
    writeFileSync(join(`${dir}.lock`, "holder.json"), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), started: "1" }))
    const db = await openDatabase({ dataDir: dir })
    await db.close()
    // a live holder (this very process, as another opener would see it) keeps its lock
    mkdirSync(`${dir}.lock`)
    writeFileSync(join(`${dir}.lock`, "holder.json"), JSON.stringify({ pid: process.pid, host: hostname(), started: null }))
    const refused = await openDatabase({ dataDir: dir }).then(() => "opened", (e) => e)
    expect(refused).toBeInstanceOf(DataFolderLocked)
    expect((refused as DataFolderLocked).message).toContain(`pid ${process.pid}`)
  })
})
