/**
 * The lock on an embedded data folder: two processes on one PGlite folder would corrupt it.
 *
 * The lock is a directory beside the folder (`<folder>.lock`, made with `mkdir`, which is
 * atomic) holding `holder.json`: the holder's pid, host and process start time. A second
 * process that finds it asks whether that holder still runs:
 * - it runs (same host, same pid, same start time): refused, naming the pid;
 * - it is gone (a `kill -9`, a crash, a power cut): the lock is taken over at once — renamed
 *   aside first, so of two processes starting together only one takes it over;
 * - another host holds it (a shared disk): refused; only that host can tell.
 *
 * Why not an mtime heartbeat (what proper-lockfile does): a crashed holder blocks every start
 * until its heartbeat goes stale, and a live holder whose event loop is busy past the
 * staleness window loses its lock to a second process — the one thing the lock is for.
 */
import { randomBytes } from "node:crypto"
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"

interface Holder {
  readonly pid: number
  readonly host: string
  /** The holder's start time in clock ticks since boot (Linux `/proc/<pid>/stat`), so a reused pid is not mistaken for it. */
  readonly started: string | null
}

/** Why the folder could not be locked: held by a live process (`pid`), or by another host. */
export class FolderHeld extends Error {
  constructor(readonly lockDir: string, readonly holder: Holder | undefined) {
    super(holder === undefined ? `${lockDir} is being taken by another process` : `${lockDir} is held by process ${holder.pid} on ${holder.host}`)
  }
}

/** A lock directory with no holder file yet is one being taken right now, unless it is older than this. */
const unclaimedGraceMs = 10_000

/** What `/proc/<pid>/stat` says after the command name (which may hold spaces and parentheses): [state, ppid, ...]. */
const procStat = (pid: number): ReadonlyArray<string> | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  } catch {
    return undefined
  }
}

/** Field 22 of the stat line: the start time in clock ticks since boot. */
const processStart = (pid: number): string | null => procStat(pid)?.[19] ?? null

const runs = (holder: Holder): boolean => {
  try {
    process.kill(holder.pid, 0)
  } catch (e) {
    // EPERM: it runs, as another user
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false
  }
  const stat = procStat(holder.pid)
  if (stat === undefined) return true // no /proc: the signal's answer is all we know
  // a killed process nobody has reaped yet (a zombie) still answers signals
  if (stat[0] === "Z" || stat[0] === "X") return false
  return holder.started === null || stat[19] === holder.started
}

const readHolder = (lockDir: string): Holder | undefined => {
  try {
    const h = JSON.parse(readFileSync(join(lockDir, "holder.json"), "utf8")) as Partial<Holder>
    return typeof h.pid === "number" && typeof h.host === "string" ? { pid: h.pid, host: h.host, started: typeof h.started === "string" ? h.started : null } : undefined
  } catch {
    return undefined
  }
}

const ageMs = (path: string): number => {
  try {
    return Date.now() - statSync(path).mtimeMs
  } catch {
    return 0
  }
}

const tryTake = (lockDir: string, me: Holder): boolean => {
  try {
    mkdirSync(lockDir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false
    throw e
  }
  const tmp = join(lockDir, `holder.${randomBytes(4).toString("hex")}.tmp`)
  writeFileSync(tmp, JSON.stringify(me))
  renameSync(tmp, join(lockDir, "holder.json"))
  return true
}

/**
 * Lock `dir` for this process; returns the release. Throws `FolderHeld` when a live process
 * (or another host) holds it. A dead holder's lock is taken over.
 */
export const lockDataFolder = (dir: string): (() => void) => {
  const lockDir = `${dir}.lock`
  const me: Holder = { pid: process.pid, host: hostname(), started: processStart(process.pid) }
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryTake(lockDir, me)) {
      return () => {
        // only our own lock is removed: a lock taken over from us (we were presumed dead) is not ours any more
        const holder = readHolder(lockDir)
        if (holder?.pid === me.pid && holder.host === me.host) rmSync(lockDir, { recursive: true, force: true })
      }
    }
    const holder = readHolder(lockDir)
    const stale = holder === undefined ? ageMs(lockDir) > unclaimedGraceMs : holder.host === me.host && !runs(holder)
    if (!stale) throw new FolderHeld(lockDir, holder)
    // rename first: of two processes taking over the same dead lock, one rename succeeds
    const aside = `${lockDir}.stale-${randomBytes(4).toString("hex")}`
    try {
      renameSync(lockDir, aside)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
      continue
    }
    const moved = readHolder(aside)
    if (moved !== undefined && (moved.pid !== holder?.pid || moved.started !== holder.started)) {
      // between our look and our rename another process took the dead lock over: give it back
      try {
        renameSync(aside, lockDir)
      } catch {
        // it took the lock again in the meantime: the new one stands
        rmSync(aside, { recursive: true, force: true })
      }
      throw new FolderHeld(lockDir, moved)
    }
    rmSync(aside, { recursive: true, force: true })
  }
  throw new FolderHeld(lockDir, readHolder(lockDir))
}
