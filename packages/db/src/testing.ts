/**
 * For the tests of every package that runs on PostgreSQL: the server they use
 * (`HANDOFF_TEST_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test), whether it
 * answers, and schemas of their own. Without a reachable server Postgres runs are skipped —
 * except under `CI=true`, where a missing Postgres fails the run.
 */
import { randomBytes } from "node:crypto"
import pg from "pg"

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

let checked: Promise<boolean> | undefined

/** Does the test server answer? Throws under `CI=true` when it does not. */
export const postgresAvailable = (): Promise<boolean> =>
  checked ??= probe().then((unreachable) => {
    if (unreachable === undefined) return true
    if (process.env.CI === "true") throw new Error(`CI=true and PostgreSQL at ${postgresUrl} is unreachable: ${unreachable}`)
    console.warn(`PostgreSQL at ${postgresUrl} is unreachable (${unreachable}): Postgres runs are skipped.`)
    return false
  })

const admin = async <A>(f: (c: pg.Client) => Promise<A>): Promise<A> => {
  const c = new pg.Client({ connectionString: postgresUrl })
  await c.connect()
  try {
    return await f(c)
  } finally {
    await c.end()
  }
}

/** A new empty schema on the test server, and its removal. */
export const freshSchema = async (): Promise<{ readonly schema: string; readonly drop: () => Promise<void> }> => {
  const schema = `t_${randomBytes(6).toString("hex")}`
  await admin((c) => c.query(`create schema ${schema}`))
  return { schema, drop: () => admin((c) => c.query(`drop schema if exists ${schema} cascade`)).then(() => undefined) }
}
