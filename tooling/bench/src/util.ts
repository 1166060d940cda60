/** Shared pieces of the benchmark: child processes, databases, formatting. */
import { type ChildProcess, spawn } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"

export const root = join(dirname(fileURLToPath(import.meta.url)), "../../..")
export const tsx = join(root, "node_modules/.bin/tsx")
export const postgresUrl = process.env.HANDOFF_BENCH_DATABASE_URL ?? process.env.HANDOFF_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** A fresh database beside the given one (dropped by `drop`). */
export const freshDatabase = async (name: string): Promise<{ url: string; drop: () => Promise<void> }> => {
  const admin = new pg.Client({ connectionString: postgresUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  const u = new URL(postgresUrl)
  u.pathname = `/${name}`
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: postgresUrl })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    }
  }
}

export interface Child {
  readonly process: ChildProcess
  readonly url: string
  readonly stop: () => Promise<void>
}

/** Start a process that logs a JSON line `{ msg: "listening", url }`; resolve with that URL. */
export const startListening = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Child> =>
  new Promise((resolve, reject) => {
    const child = spawn(tsx, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`no "listening" line within ${timeoutMs} ms:\n${out}\n${err}`))
    }, timeoutMs)
    child.stderr!.on("data", (d: Buffer) => { err += d.toString() })
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      for (const line of out.split("\n")) {
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string }
          if (j.msg === "listening" && j.url !== undefined) {
            clearTimeout(timer)
            child.stdout!.removeAllListeners("data")
            child.stdout!.resume()
            resolve({
              process: child,
              url: j.url.replace("localhost", "127.0.0.1"),
              stop: () => new Promise((r) => {
                if (child.exitCode !== null) return r()
                child.once("exit", () => r())
                child.kill("SIGTERM")
                setTimeout(() => child.kill("SIGKILL"), 15_000).unref()
              })
            })
            return
          }
        } catch {
          // not a JSON line
        }
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before listening:\n${out}\n${err}`))
    })
  })

export const fmt = (n: number, digits = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** One line of the results table. */
export interface Row {
  readonly what: string
  readonly figure: string
  readonly target: string
  readonly met: boolean | null
}
