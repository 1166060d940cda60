/**
 * The ceiling for ingest: a bare Hono endpoint on the same HTTP server package that parses
 * the same JSON body and does one INSERT of the lead row — no auth, validation, dedupe,
 * scoring, routing, timeline or outbox. Run as its own process by the benchmark.
 */
import { serve } from "@hono/node-server"
import { Hono } from "hono"
import { randomBytes } from "node:crypto"
import pg from "pg"

const url = process.env.DATABASE_URL
if (url === undefined) throw new Error("DATABASE_URL is required")
const pool = new pg.Pool({ connectionString: url, max: 10 })
await pool.query(`create table if not exists bare_leads (id text primary key, email text not null unique, profile jsonb not null, created_at timestamptz not null)`)

const app = new Hono()
app.post("/v1/leads", async (c) => {
  const body = await c.req.json<{ email: string }>()
  const id = `lead_${randomBytes(8).toString("hex")}`
  await pool.query("insert into bare_leads (id, email, profile, created_at) values ($1, $2, $3, now())", [id, body.email.toLowerCase(), JSON.stringify(body)])
  return c.json({ id, email: body.email }, 201)
})

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  process.stdout.write(`${JSON.stringify({ msg: "listening", url: `http://127.0.0.1:${info.port}` })}\n`)
})
process.on("SIGTERM", () => {
  server.close()
  void pool.end().then(() => process.exit(0))
})
