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

export const postgresUrl = process.env.HANDOFF_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const probe = async (): Promise<string | undefined> => {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query("select 1")
    return undefined
  } catch (e) {
    return (e as Error).message
  } finally {
    await client.end().catch(() => undefined)
  }
}

const unreachable = await probe()
if (unreachable !== undefined) {
  if (process.env.CI === "true") throw new Error(`CI=true and PostgreSQL at ${postgresUrl} is unreachable: ${unreachable}`)
  console.warn(`PostgreSQL at ${postgresUrl} is unreachable (${unreachable}): Postgres runs are skipped; PGlite runs go on.`)
}

export const postgresAvailable = unreachable === undefined

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
