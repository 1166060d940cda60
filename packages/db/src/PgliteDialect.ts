/**
 * A Kysely dialect for embedded PGlite.
 *
 * PGlite is one Postgres session in this process. Kysely may ask for several connections
 * at once (a transaction in one fiber, a query in another); on a single session those
 * would interleave — a query landing inside someone else's transaction. So this driver
 * hands out the session to one holder at a time and queues the rest, which gives
 * PGlite the same isolation a pool of real connections gives pg.
 * (kysely-pglite's driver shares the session without that exclusion, and its package
 * pulls in a code generator and CLI at run time; this is the 60 lines we need.)
 */
import type { PGlite } from "@electric-sql/pglite"
import {
  CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type Kysely, PostgresAdapter,
  PostgresIntrospector, PostgresQueryCompiler, type QueryResult
} from "kysely"

class PgliteConnection implements DatabaseConnection {
  constructor(private readonly client: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.client.query<R>(query.sql, [...query.parameters])
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

class PgliteDriver implements Driver {
  private readonly connection: PgliteConnection
  private tail: Promise<void> = Promise.resolve()
  private release: (() => void) | undefined

  constructor(private readonly client: PGlite, private readonly closeOnDestroy: boolean) {
    this.connection = new PgliteConnection(client)
  }

  async init(): Promise<void> {
    await this.client.waitReady
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.tail
    let release!: () => void
    this.tail = new Promise<void>((resolve) => (release = resolve))
    await previous
    this.release = release
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
    const release = this.release
    this.release = undefined
    release?.()
  }

  async destroy(): Promise<void> {
    if (this.closeOnDestroy && !this.client.closed) await this.client.close()
  }
}

export class PgliteDialect implements Dialect {
  constructor(private readonly client: PGlite, private readonly options: { readonly closeOnDestroy?: boolean } = {}) {}
  createAdapter() {
    return new PostgresAdapter()
  }
  createDriver(): Driver {
    return new PgliteDriver(this.client, this.options.closeOnDestroy ?? true)
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db)
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler()
  }
}
