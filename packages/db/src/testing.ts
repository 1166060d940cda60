/**
 * For the tests of every package that runs on PostgreSQL: the server they use
 * (`HANDOFF_TEST_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test), whether it
 * answers, and schemas of their own. Without a reachable server Postgres runs are skipped —
 * except under `CI=true`, where a missing Postgres fails the run.
 */
import { randomBytes } from "node:crypto"
import { createServer, type Server, Socket } from "node:net"
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

/**
 * A TCP proxy in front of PostgreSQL that a test can cut ("the server is down": every
 * connection dropped, new ones refused) or freeze ("the server stopped answering": bytes
 * are accepted and never forwarded, as with a SIGSTOPped server) and then restore.
 */
export interface TcpProxy {
  readonly port: number
  readonly down: () => Promise<void>
  readonly freeze: () => void
  readonly up: () => Promise<void>
  readonly close: () => Promise<void>
}

export const tcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  let frozen = false
  const pairs = new Set<[Socket, Socket]>()
  const server: Server = createServer((client) => {
    const upstream = new Socket()
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on("error", end).on("close", end)
    upstream.on("error", end).on("close", end)
    upstream.connect(target.port, target.host)
    client.pipe(upstream)
    upstream.pipe(client)
    if (frozen) {
      client.unpipe(upstream)
      upstream.unpipe(client)
      client.pause()
      upstream.pause()
    }
  })
  const listenOn = (port: number) => new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve())
  })
  await listenOn(0)
  const port = (server.address() as { port: number }).port
  return {
    port,
    down: () => new Promise<void>((resolve) => {
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      server.close(() => resolve())
    }),
    // like a SIGSTOPped server: what is sent waits in the socket buffers, and is answered on thaw
    freeze: () => {
      frozen = true
      for (const [a, b] of pairs) {
        a.unpipe(b)
        b.unpipe(a)
        a.pause()
        b.pause()
      }
    },
    up: async () => {
      if (frozen) {
        for (const [a, b] of pairs) {
          a.pipe(b)
          b.pipe(a)
        }
      }
      frozen = false
      if (!server.listening) await listenOn(port)
    },
    close: () => new Promise<void>((resolve) => {
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      if (server.listening) server.close(() => resolve())
      else resolve()
    })
  }
}
