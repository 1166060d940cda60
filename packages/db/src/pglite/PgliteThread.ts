/**
 * The embedded store, run on a thread of its own (`thread.mjs`): the request thread sends a
 * statement and awaits its rows, so it stays free for other requests, health probes and the
 * SLA clock while PGlite works. Only data crosses (structured clone: dates, numbers, JSON).
 */
import { Worker } from "node:worker_threads"

export interface ThreadResult<R> {
  readonly rows: Array<R>
  readonly affectedRows?: number
}

interface Pending {
  readonly resolve: (value: ThreadResult<any>) => void
  readonly reject: (e: Error) => void
}

/** A failure the thread sent back, as an Error with the Postgres fields (`code`, `detail`, ...) on it. */
const rebuild = (fields: Record<string, unknown>): Error => Object.assign(new Error(String(fields.message)), fields)

export class PgliteThread {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private stopped: Error | undefined
  /** Resolves once the database is open (rejects if it cannot be). */
  readonly ready: Promise<void>
  closed = false

  /** `dataDir` undefined: an in-memory database. */
  constructor(dataDir: string | undefined) {
    this.worker = new Worker(new URL("./thread.mjs", import.meta.url), { workerData: { dataDir: dataDir ?? null } })
    this.ready = new Promise<void>((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject })
    })
    this.worker.on("message", (m: { id: number; rows?: Array<unknown>; affectedRows?: number; error?: Record<string, unknown> }) => {
      const p = this.pending.get(m.id)
      if (p === undefined) return
      this.pending.delete(m.id)
      if (m.error !== undefined) p.reject(rebuild(m.error))
      else p.resolve({ rows: m.rows ?? [], ...(m.affectedRows === undefined ? {} : { affectedRows: m.affectedRows }) })
    })
    const fail = (e: Error) => {
      this.stopped ??= e
      for (const p of this.pending.values()) p.reject(this.stopped)
      this.pending.clear()
    }
    this.worker.on("error", (e) => fail(Object.assign(new Error(`the embedded store's thread failed: ${e.message}`), { code: "ECONNRESET" })))
    this.worker.on("exit", (code) => fail(Object.assign(new Error(`the embedded store's thread stopped (exit code ${code})`), { code: "ECONNRESET" })))
  }

  private send<R>(message: Record<string, unknown>): Promise<ThreadResult<R>> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ ...message, id })
    })
  }

  query<R>(sql: string, params: ReadonlyArray<unknown>): Promise<ThreadResult<R>> {
    return this.send<R>({ op: "query", sql, params })
  }

  /** Close the database (its files flushed) and end the thread. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.stopped === undefined) await this.send({ op: "close" }).catch(() => undefined)
    await this.worker.terminate()
  }
}
