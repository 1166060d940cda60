/** Running Handoff as a person would: the CLI and `npm start` as child processes. */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
export const cliBin = fileURLToPath(new URL("../bin/handoff.mjs", import.meta.url))

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `handoff-${prefix}-`))

/** The environment of a machine with no DATABASE_URL (embedded store) and the given overrides. */
export const cleanEnv = (overrides: Record<string, string | undefined>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  for (const name of ["DATABASE_URL", "HANDOFF_DATA_DIR", "HANDOFF_ADMIN_KEY", "HANDOFF_REPORTS_DIR", "HANDOFF_REPORTS_BUILD", "HANDOFF_DEMO", "HANDOFF_DEMO_MONTHS", "PORT", "HOST"]) delete env[name]
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Run the `handoff` bin to completion. */
export const runCli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Promise<Finished> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

export interface Started {
  readonly child: ChildProcess
  /** Everything printed so far (stdout and stderr). */
  readonly output: () => string
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** SIGKILL the command and everything it started (a failed test must leave no server behind). */
  readonly kill: () => void
}

/** Start a long-running command (e.g. `npm start`). */
export const start = (command: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Started => {
  // its own process group, so `kill` can end what it started too (npm → tsx → node)
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], detached: true })
  let out = ""
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })))
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
    try {
      process.kill(-child.pid, "SIGKILL")
    } catch {
      // already gone
    }
  }
  return { child, output: () => out, exited, kill }
}

/** A port nothing listens on right now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Poll `url` until it answers 200, the process exits, or `timeoutMs` passes. */
export const waitForReady = async (url: string, started: Started, timeoutMs = 60_000): Promise<void> => {
  let exited = false
  void started.exited.then(() => (exited = true))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the process exited before ${url} answered:\n${started.output()}`)
    const ok = await fetch(url).then((r) => r.ok, () => false)
    if (ok) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${started.output()}`)
}
