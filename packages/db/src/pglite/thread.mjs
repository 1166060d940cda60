// The embedded store's own thread: PGlite (Postgres compiled to WebAssembly) runs each
// statement synchronously on the thread that calls it, so on the request thread one long
// statement would stall every request, probe and timer. Here it stalls nothing but itself.
//
// Plain JavaScript on purpose: a worker thread is started by Node itself, which cannot load
// TypeScript. The protocol is three messages: { id, op: "query", sql, params } →
// { id, rows, affectedRows } | { id, error }; { id, op: "close" } → { id }; and
// { op: "port", port }, which gives another thread a port of its own that takes queries
// (a borrower of the session: see Lending.ts — who may use the session when is decided on
// the opening thread, not here).
import { PGlite } from "@electric-sql/pglite"
import { parentPort, workerData } from "node:worker_threads"

/** What crosses back of a failure: its message and the Postgres fields (code, detail, constraint, ...). */
const errorFields = (e) => {
  const fields = { message: e instanceof Error ? e.message : String(e) }
  if (typeof e === "object" && e !== null) {
    for (const [k, v] of Object.entries(e)) if (typeof v === "string" || typeof v === "number") fields[k] = v
  }
  return fields
}

let db
try {
  db = workerData.dataDir === null ? new PGlite() : new PGlite(workerData.dataDir)
  await db.waitReady
  parentPort.postMessage({ id: 0, ready: true })
} catch (e) {
  parentPort.postMessage({ id: 0, error: errorFields(e) })
  process.exit(1)
}

/** Answer one query on `port` (the opening thread's, or a borrower's). */
const answer = async (port, m) => {
  try {
    const r = await db.query(m.sql, m.params)
    port.postMessage({ id: m.id, rows: r.rows, affectedRows: r.affectedRows })
  } catch (e) {
    port.postMessage({ id: m.id, error: errorFields(e) })
  }
}

parentPort.on("message", async (m) => {
  if (m.op === "close") {
    await db.close().catch(() => undefined)
    parentPort.postMessage({ id: m.id })
    parentPort.close()
    return
  }
  if (m.op === "port") {
    m.port.on("message", (q) => void answer(m.port, q))
    return
  }
  await answer(parentPort, m)
})
