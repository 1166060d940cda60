/**
 * A Kysely dialect for embedded PGlite.
 *
 * PGlite is one Postgres session. Kysely may ask for several connections at once (a
 * transaction in one fiber, a query in another); on a single session those would
 * interleave — a query landing inside someone else's transaction. So this driver hands the
 * session to one holder at a time and queues the rest, which gives PGlite the same isolation
 * a pool of real connections gives pg. The queue is bounded like a pool's: a holder-to-be
 * that waits longer than `acquireTimeoutMs`, or finds `maxWaiting` ahead of it, fails with
 * `StoreBusy` (the API answers 503) instead of waiting without end. Another thread may borrow
 * the session through the same queue (`pglite/Lending.ts`).
 * (kysely-pglite's driver shares the session without that exclusion, and its package
 * pulls in a code generator and CLI at run time; this is the code we need.)
 */
import {
  CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type Kysely, PostgresAdapter,
  PostgresIntrospector, PostgresQueryCompiler, type QueryResult
} from "kysely"
import { StoreBusy } from "./Unavailable.ts"

/** What the driver needs of the session: PGlite itself, or `PgliteThread` (PGlite on a thread of its own). */
export interface PgliteSession {
  readonly query: <R>(sql: string, params: Array<unknown>) => Promise<{ readonly rows: Array<R>; readonly affectedRows?: number }>
  readonly close: () => Promise<void>
  readonly closed: boolean
}

class PgliteConnection implements DatabaseConnection {
  constructor(private readonly session: PgliteSession) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.session.query<R>(query.sql, [...query.parameters])
    return {
      rows: result.rows,
      ...(result.affectedRows === undefined ? {} : { numAffectedRows: BigInt(result.affectedRows) })
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("PGlite does not stream query results")
  }
}

export interface PgliteDriverOptions {
  /** Close the session when Kysely is destroyed (default true). */
  readonly closeOnDestroy?: boolean
  /** How long a unit may wait for the session (default 30 s). */
  readonly acquireTimeoutMs?: number
  /** How many units may wait for the session at once (default 1,000). */
  readonly maxWaiting?: number
}

/** Who may use the session now: one holder at a time; `acquire` resolves when it is the caller's turn. */
export interface SessionGate {
  readonly acquire: (background?: boolean) => Promise<void>
  readonly release: () => void
}

interface Waiter {
  readonly grant: () => void
  readonly since: number
  readonly background: boolean
  timer: NodeJS.Timeout | undefined
}

/**
 * How long the session stays free for a request's next statement before background work may
 * take it. A request runs its statements one after another (the key, the unit, the view), each
 * acquiring the session anew; granting a waiting background unit in the gap between two of them
 * would make the request wait for that unit once per statement. Waiting this long for the next
 * one first — anticipatory scheduling, as disk schedulers do for a reader's next block — keeps a
 * request's statements together at the cost of a few idle milliseconds for the background.
 */
const anticipationMs = 3

/** The longest a background unit waits while requests keep the session busy. */
const backgroundMaxWaitMs = 250

/**
 * The session's queue, bounded like a pool's. Background holders (a borrower seeding the demo
 * company on another thread) queue behind every request waiting, and after a request's
 * statement the session is kept free for its next one (`anticipationMs`): a request waits for
 * at most the background unit in progress, never for a backlog of background work. So that a
 * steady stream of requests cannot stop background work altogether, a background unit that has
 * waited `backgroundMaxWaitMs` goes next (aging, as fair schedulers do); it has no acquire
 * timeout of its own.
 */
export class SessionQueue implements SessionGate {
  private held = false
  private heldByBackground = false
  private anticipating: NodeJS.Timeout | undefined
  private readonly waiting: Array<Waiter> = []

  constructor(private readonly options: Pick<PgliteDriverOptions, "acquireTimeoutMs" | "maxWaiting"> = {}) {}

  acquire(background = false): Promise<void> {
    if (!this.held && (!background || this.anticipating === undefined)) {
      this.take(background)
      return Promise.resolve()
    }
    const maxWaiting = this.options.maxWaiting ?? 1_000
    if (this.waiting.length >= maxWaiting) return Promise.reject(new StoreBusy(0))
    const timeoutMs = this.options.acquireTimeoutMs ?? 30_000
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, since: Date.now(), background, timer: undefined }
      if (!background) {
        waiter.timer = setTimeout(() => {
          const at = this.waiting.indexOf(waiter)
          if (at >= 0) this.waiting.splice(at, 1)
          reject(new StoreBusy(Date.now() - waiter.since))
        }, timeoutMs)
      }
      const firstBackground = background ? -1 : this.waiting.findIndex((w) => w.background)
      if (firstBackground < 0) this.waiting.push(waiter)
      else this.waiting.splice(firstBackground, 0, waiter)
    })
  }

  release(): void {
    this.held = false
    const next = this.waiting[0]
    if (next === undefined) return
    const aged = this.waiting.findIndex((w) => w.background && Date.now() - w.since >= backgroundMaxWaitMs)
    if (aged > 0) this.waiting.unshift(...this.waiting.splice(aged, 1))
    if (aged >= 0) return this.grantNext()
    if (next.background && !this.heldByBackground) {
      // a request just finished a statement: its next one may be on its way
      this.anticipating ??= setTimeout(() => {
        this.anticipating = undefined
        if (!this.held) this.grantNext()
      }, anticipationMs)
      return
    }
    this.grantNext()
  }

  private take(background: boolean): void {
    this.held = true
    this.heldByBackground = background
    if (!background && this.anticipating !== undefined) {
      clearTimeout(this.anticipating)
      this.anticipating = undefined
    }
  }

  private grantNext(): void {
    const next = this.waiting.shift()
    if (next === undefined) return
    clearTimeout(next.timer)
    this.take(next.background)
    next.grant()
  }
}

class PgliteDriver implements Driver {
  private readonly connection: PgliteConnection

  constructor(
    private readonly session: PgliteSession,
    private readonly gate: SessionGate,
    private readonly closeOnDestroy: boolean
  ) {
    this.connection = new PgliteConnection(session)
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.gate.acquire()
    return this.connection
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin"))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"))
  }

  async releaseConnection(): Promise<void> {
    this.gate.release()
  }

  async destroy(): Promise<void> {
    if (this.closeOnDestroy && !this.session.closed) await this.session.close()
  }
}

export class PgliteDialect implements Dialect {
  /** Who holds the session: this dialect's own queue, unless another gate is given (a borrower's). */
  readonly gate: SessionGate

  constructor(private readonly session: PgliteSession, private readonly options: PgliteDriverOptions = {}, gate?: SessionGate) {
    this.gate = gate ?? new SessionQueue(options)
  }
  createAdapter() {
    return new PostgresAdapter()
  }
  createDriver(): Driver {
    return new PgliteDriver(this.session, this.gate, this.options.closeOnDestroy ?? true)
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db)
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler()
  }
}
