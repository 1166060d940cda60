/**
 * Opening the store: PostgreSQL through pg when a `DATABASE_URL` is given, embedded PGlite
 * (a real Postgres compiled to WASM, in this process) otherwise.
 *
 * Embedded mode keeps its files in a data folder (default `.handoff/data`) and takes a lock
 * on it: two processes on one PGlite folder would corrupt it, so a second one gets a clear
 * error instead. PGlite runs on a worker thread, so a long statement never stalls requests. PGlite runs without fsync — it is the trying-out default, not the
 * production store.
 */
import { Context, Data, Effect, Layer } from "effect"
import { Kysely, PostgresDialect, sql } from "kysely"
import { mkdirSync } from "node:fs"
import { hostname } from "node:os"
import { resolve } from "node:path"
import pg from "pg"
import { FolderHeld, lockDataFolder } from "./DataFolderLock.ts"
import { migrateToLatest } from "./migrations.ts"
import { PGlite } from "@electric-sql/pglite"
import { PgliteDialect, type PgliteSession, SessionQueue } from "./PgliteDialect.ts"
import { BorrowedGate, lendSession, type LentSession, type Lending } from "./pglite/Lending.ts"
import { PgliteThread, PortSession } from "./pglite/PgliteThread.ts"
import type { DB } from "./schema.ts"

export type Engine = "postgres" | "pglite"

export interface DatabaseOptions {
  /** A PostgreSQL connection string; without it, embedded PGlite. */
  readonly url?: string | undefined
  /** PGlite's data folder; `memory://` for a throwaway in-memory database. Default `.handoff/data`. */
  readonly dataDir?: string | undefined
  /** Postgres only: the schema to work in (tests give each file its own). */
  readonly schema?: string | undefined
  /** Postgres only: pool size (default 10). */
  readonly poolSize?: number | undefined
  /** Run pending migrations when opening (default true). */
  readonly migrate?: boolean | undefined
  /**
   * Embedded only, on a thread other than the one that opened the store: use that thread's
   * session, lent by `Database.lend` (no lock, no migrations: the lender did both).
   */
  readonly borrowed?: LentSession | undefined
}

export interface Database {
  readonly kysely: Kysely<DB>
  readonly engine: Engine
  /** Where the data lives, for messages: a redacted URL or the data folder. */
  readonly location: string
  readonly close: () => Promise<void>
  /**
   * Embedded store on its own thread: lend the session to another thread (its units queue
   * behind every waiting request). Undefined for PostgreSQL (open a pool instead) and for an
   * in-memory store, which runs on the calling thread.
   */
  readonly lend?: (() => Lending) | undefined
}

/** Does the database answer within `timeoutMs`? (for readiness checks: a frozen server must not hang the probe) */
export const ping = (db: Database, timeoutMs = 2_000): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    sql`select 1`.execute(db.kysely).then(() => true, () => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
  ]).finally(() => clearTimeout(timer))
}

export class DataFolderLocked extends Data.TaggedError("DataFolderLocked")<{ readonly dataDir: string; readonly message: string }> {}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`: never log a password. */
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url)
    if (u.password !== "") u.password = "***"
    return u.toString()
  } catch {
    return "(unparseable database URL)"
  }
}

/** How long connecting to PostgreSQL, or waiting for a free pooled connection, may take. */
export const connectTimeoutMs = 3_000
/** The longest statement Handoff runs (the reports over a large period are the longest). */
export const statementTimeoutMs = 60_000

const validSchema = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Migrate with a session advisory lock held on a connection of its own (not one of the
 * pool's), so processes starting together migrate one after the other: Kysely's own lock
 * table is itself created racily on a fresh database. A crashed migrator's session ends,
 * and with it the lock.
 */
const migrateExclusively = async (url: string, schema: string | undefined, kysely: Kysely<DB>): Promise<ReadonlyArray<string>> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs })
  client.on("error", () => undefined)
  await client.connect()
  try {
    await client.query("select pg_advisory_lock(hashtextextended($1, 0))", [`handoff:migrate:${schema ?? "public"}`])
    return await migrateToLatest(kysely, schema)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Open the store (and migrate it unless told not to). */
export const openDatabase = async (options: DatabaseOptions = {}): Promise<Database> => {
  if (options.url !== undefined && options.url !== "") {
    if (options.schema !== undefined && !validSchema.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`)
    // JIT off: Handoff's statements are short, and the report queries over a period's lead ids
    // are estimated costly enough to be compiled — ~0.4 s of LLVM per call that never pays
    // back (EXPLAIN ANALYZE of the snapshot's journeys query: 1.3 s with JIT, 0.78 s without).
    const settings = ["-c jit=off", ...(options.schema === undefined ? [] : [`-c search_path=${options.schema}`])]
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      options: [...settings, `-c statement_timeout=${statementTimeoutMs}`].join(" "),
      // An unreachable or saturated server is a failure within seconds, not a hang: connecting,
      // and waiting for a free connection, give up after this long.
      connectionTimeoutMillis: connectTimeoutMs,
      // A frozen server cannot enforce its own statement_timeout: the client stops waiting too.
      query_timeout: statementTimeoutMs + 5_000,
      keepAlive: true
    })
    // A connection the server drops (restart, pg_terminate_backend) must not take the process
    // down: the query on it fails, the unit rolls back, and the pool replaces the client.
    pool.on("error", () => undefined)
    pool.on("connect", (client) => client.on("error", () => undefined))
    const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
    const db: Database = { kysely, engine: "postgres", location: redactUrl(options.url), close: () => kysely.destroy() }
    try {
      if (options.migrate ?? true) await migrateExclusively(options.url, options.schema, kysely)
    } catch (e) {
      await db.close()
      throw e
    }
    return db
  }

  if (options.borrowed !== undefined) {
    const { control, queries } = options.borrowed
    const kysely = new Kysely<DB>({ dialect: new PgliteDialect(new PortSession(queries), {}, new BorrowedGate(control)) })
    return {
      kysely,
      engine: "pglite",
      location: "embedded (borrowed session)",
      close: async () => {
        await kysely.destroy()
        control.close()
      }
    }
  }

  const dataDir = options.dataDir ?? ".handoff/data"
  const inMemory = dataDir.startsWith("memory://")
  let unlock: (() => void) | undefined
  if (!inMemory) {
    const dir = resolve(dataDir)
    mkdirSync(dir, { recursive: true })
    try {
      unlock = lockDataFolder(dir)
    } catch (e) {
      if (e instanceof FolderHeld) {
        throw new DataFolderLocked({
          dataDir: dir,
          message: `The embedded database at ${dir} is already open in another Handoff process` +
            `${e.holder === undefined ? "" : ` (pid ${e.holder.pid}${e.holder.host === hostname() ? "" : ` on ${e.holder.host}`})`}. ` +
            `Stop that process, or point this one at another folder (HANDOFF_DATA_DIR) or at PostgreSQL (DATABASE_URL).`
        })
      }
      throw e
    }
  }
  // A data folder's PGlite runs on a thread of its own: its statements never stall this thread's
  // requests and timers. A throwaway in-memory one (tests, the demo's dry runs) stays in this
  // thread: starting a thread and compiling PGlite in it costs seconds per store.
  let session: PgliteSession
  let thread: PgliteThread | undefined
  if (inMemory) {
    const local = new PGlite()
    await local.waitReady
    session = local
  } else {
    thread = new PgliteThread(resolve(dataDir))
    try {
      await thread.ready
    } catch (e) {
      await thread.close()
      unlock?.()
      throw e
    }
    session = thread
  }
  const queue = new SessionQueue()
  const kysely = new Kysely<DB>({ dialect: new PgliteDialect(session, {}, queue) })
  const lendings: Array<Lending> = []
  const onThread = thread
  const db: Database = {
    kysely,
    engine: "pglite",
    location: inMemory ? "memory://" : resolve(dataDir),
    close: async () => {
      for (const l of lendings) await l.end()
      await kysely.destroy()
      unlock?.()
    },
    lend: onThread === undefined ? undefined : () => {
      const lending = lendSession(queue, onThread)
      lendings.push(lending)
      return lending
    }
  }
  try {
    if (options.migrate ?? true) await migrateToLatest(kysely)
  } catch (e) {
    await db.close()
    throw e
  }
  return db
}

/** The open store, as a service. */
export class Db extends Context.Tag("@handoff/db/Db")<Db, Database>() {
  /** Open on acquire, close (pool destroyed, lock released) on release. */
  static readonly layer = (options: DatabaseOptions): Layer.Layer<Db, DataFolderLocked> =>
    Layer.scoped(
      Db,
      Effect.acquireRelease(
        Effect.tryPromise({ try: () => openDatabase(options), catch: (e) => e }).pipe(
          Effect.catchAll((e) => (e instanceof DataFolderLocked ? Effect.fail(e) : Effect.die(e)))
        ),
        (db) => Effect.promise(() => db.close())
      )
    )

  /** Wrap an already open store (its owner closes it). */
  static readonly fromOpen = (db: Database): Layer.Layer<Db> => Layer.succeed(Db, db)
}

/** `npm run db:migrate`: open, migrate (safely alongside other processes), close; the names applied. */
export const runMigrations = async (options: Omit<DatabaseOptions, "migrate">): Promise<{ readonly engine: Engine; readonly location: string; readonly applied: ReadonlyArray<string> }> => {
  const db = await openDatabase({ ...options, migrate: false })
  try {
    const applied = db.engine === "postgres"
      ? await migrateExclusively(options.url!, options.schema, db.kysely)
      : await migrateToLatest(db.kysely)
    return { engine: db.engine, location: db.location, applied }
  } finally {
    await db.close()
  }
}
