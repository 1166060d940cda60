/**
 * The embedded store, run on a thread of its own (`thread.mjs`): the request thread sends a
 * statement and awaits its rows, so it stays free for other requests, health probes and the
 * SLA clock while PGlite works. Only data crosses (structured clone: dates, numbers, JSON).
 */
import { MessageChannel, type MessagePort, type TransferListItem, Worker } from "node:worker_threads"

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

/** What a statement is sent over and answered on: the store's thread itself, or a port to it. */
interface Endpoint {
  postMessage(message: unknown, transfer?: ReadonlyArray<TransferListItem>): void
  on(event: "message", listener: (message: any) => void): unknown
}

type Reply = { id: number; rows?: Array<unknown>; affectedRows?: number; error?: Record<string, unknown> }

/** Statements sent over an endpoint and their answers matched by id. */
class StatementChannel {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private stopped: Error | undefined

  constructor(private readonly endpoint: Endpoint) {
    endpoint.on("message", (m: Reply) => {
      const p = this.pending.get(m.id)
      if (p === undefined) return
      this.pending.delete(m.id)
      if (m.error !== undefined) p.reject(rebuild(m.error))
      else p.resolve({ rows: m.rows ?? [], ...(m.affectedRows === undefined ? {} : { affectedRows: m.affectedRows }) })
    })
  }

  /** Expect the answer to message id 0 (the thread's "ready"). */
  expectReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject })
    })
  }

  /** Every statement waiting, and every one sent from now on, fails with `e`. */
  fail(e: Error): void {
    this.stopped ??= e
    for (const p of this.pending.values()) p.reject(this.stopped)
    this.pending.clear()
  }

  get failed(): boolean {
    return this.stopped !== undefined
  }

  send<R>(message: Record<string, unknown>, transfer?: ReadonlyArray<TransferListItem>): Promise<ThreadResult<R>> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.endpoint.postMessage({ ...message, id }, transfer)
    })
  }
}

export class PgliteThread {
  private readonly worker: Worker
  private readonly channel: StatementChannel
  /** Resolves once the database is open (rejects if it cannot be). */
  readonly ready: Promise<void>
  closed = false

  /** `dataDir` undefined: an in-memory database. */
  constructor(dataDir: string | undefined) {
    this.worker = new Worker(new URL("./thread.mjs", import.meta.url), { workerData: { dataDir: dataDir ?? null } })
    this.channel = new StatementChannel(this.worker)
    this.ready = this.channel.expectReady()
    const fail = (e: Error) => this.channel.fail(e)
    this.worker.on("error", (e) => fail(Object.assign(new Error(`the embedded store's thread failed: ${e.message}`), { code: "ECONNRESET" })))
    this.worker.on("exit", (code) => fail(Object.assign(new Error(`the embedded store's thread stopped (exit code ${code})`), { code: "ECONNRESET" })))
  }

  query<R>(sql: string, params: ReadonlyArray<unknown>): Promise<ThreadResult<R>> {
    return this.channel.send<R>({ op: "query", sql, params })
  }

  /**
   * A port of its own to the store's thread, for another thread to send statements on (see
   * Lending.ts: it may only do so while it holds the session).
   */
  openPort(): MessagePort {
    const { port1, port2 } = new MessageChannel()
    this.worker.postMessage({ op: "port", port: port2 }, [port2])
    return port1
  }

  /** Close the database (its files flushed) and end the thread. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (!this.channel.failed) await this.channel.send({ op: "close" }).catch(() => undefined)
    await this.worker.terminate()
  }
}

/** Statements over a port that `PgliteThread.openPort` made (on the borrowing thread). */
export class PortSession {
  private readonly channel: StatementChannel
  closed = false

  constructor(private readonly port: MessagePort) {
    this.channel = new StatementChannel(port)
    port.on("close", () => this.channel.fail(Object.assign(new Error("the embedded store's port was closed"), { code: "ECONNRESET" })))
  }

  query<R>(sql: string, params: ReadonlyArray<unknown>): Promise<ThreadResult<R>> {
    return this.channel.send<R>({ sql, params })
  }

  async close(): Promise<void> {
    this.closed = true
    this.port.close()
  }
}
