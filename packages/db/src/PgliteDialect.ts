/**
 * A Kysely dialect for embedded PGlite.
 *
 * PGlite is one Postgres session. Kysely may ask for several connections at once (a
 * transaction in one fiber, a query in another); on a single session those would
 * interleave — a query landing inside someone else's transaction. So this driver hands the
 * session to one holder at a time and queues the rest, which gives PGlite the same isolation
 * a pool of real connections gives pg. The queue is bounded like a pool's: a holder-to-be
 * that waits longer than `acquireTimeoutMs`, or finds `maxWaiting` ahead of it, fails with
 * `StoreBusy` (the API answers 503) instead of waiting without end.
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

interface Waiter {
  readonly grant: () => void
  readonly since: number
  timer: NodeJS.Timeout | undefined
}

class PgliteDriver implements Driver {
  private readonly connection: PgliteConnection
  private held = false
  private readonly waiting: Array<Waiter> = []

  constructor(private readonly session: PgliteSession, private readonly options: PgliteDriverOptions) {
    this.connection = new PgliteConnection(session)
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    if (!this.held) {
      this.held = true
      return Promise.resolve(this.connection)
    }
    const maxWaiting = this.options.maxWaiting ?? 1_000
    if (this.waiting.length >= maxWaiting) return Promise.reject(new StoreBusy(0))
    const timeoutMs = this.options.acquireTimeoutMs ?? 30_000
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: () => resolve(this.connection), since: Date.now(), timer: undefined }
      waiter.timer = setTimeout(() => {
        const at = this.waiting.indexOf(waiter)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(new StoreBusy(Date.now() - waiter.since))
      }, timeoutMs)
      this.waiting.push(waiter)
    })
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
    const next = this.waiting.shift()
    if (next === undefined) {
      this.held = false
      return
    }
    clearTimeout(next.timer)
    next.grant()
  }

  async destroy(): Promise<void> {
    if ((this.options.closeOnDestroy ?? true) && !this.session.closed) await this.session.close()
  }
}

export class PgliteDialect implements Dialect {
  constructor(private readonly session: PgliteSession, private readonly options: PgliteDriverOptions = {}) {}
  createAdapter() {
    return new PostgresAdapter()
  }
  createDriver(): Driver {
    return new PgliteDriver(this.session, this.options)
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db)
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler()
  }
}
