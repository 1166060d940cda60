/**
 * The engines every persistence test runs on: embedded PGlite, and the real PostgreSQL
 * server at `HANDOFF_TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/test),
 * where each opened store gets a schema of its own, dropped when it closes.
 *
 * Without a reachable Postgres the Postgres runs are skipped with a message — except under
 * `CI=true`, where a missing Postgres fails the run.
 */
import { randomBytes } from "node:crypto"
import pg from "pg"
import { type Database, openDatabase } from "../src/Database.ts"
import { postgresAvailable as probePostgres, postgresUrl } from "../src/testing.ts"

export { postgresUrl }

/** Whether the test server answers (under `CI=true` a missing one fails the run). */
export const postgresAvailable = await probePostgres()

export interface TestStore extends Database {
  /** Postgres: the schema this store lives in. */
  readonly schema?: string
}

/** A fresh, migrated Postgres store in its own schema (dropped on close). */
export const openPostgres = async (options: { poolSize?: number } = {}): Promise<TestStore> => {
  const schema = `t_${randomBytes(6).toString("hex")}`
  const admin = new pg.Client({ connectionString: postgresUrl })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  await admin.end()
  const db = await openDatabase({ url: postgresUrl, schema, poolSize: options.poolSize ?? 10 })
  return {
    ...db,
    schema,
    close: async () => {
      await db.close()
      const c = new pg.Client({ connectionString: postgresUrl })
      await c.connect()
      await c.query(`drop schema if exists ${schema} cascade`)
      await c.end()
    }
  }
}

export const openPglite = (): Promise<TestStore> => openDatabase({ dataDir: "memory://" })

export const engines = [
  { name: "pglite", available: true, open: openPglite },
  { name: "postgres", available: postgresAvailable, open: () => openPostgres() }
] as const
