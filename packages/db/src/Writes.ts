/**
 * The writes of a unit (transaction), held back and sent together.
 *
 * Inside a unit the store does not send each append or update when the use case makes it:
 * it keeps them here and sends them as few statements as possible — one statement with a
 * data-modifying CTE per table — just before the next read that could see them, and before
 * the commit. A handoff that used to take eight round trips to write its lead, assignment,
 * events, timeline, outbox rows and rotation ledger entries now takes one, which matters
 * most while a pod's rotation lock is held (everyone routing into that pod waits for it).
 *
 * Sequential semantics are kept: rows of one table keep their order (one insert per table
 * per statement, so `bigserial` ids follow the order the use case wrote them); a lead
 * written twice is written once with its last state (and `last_event_at` as the latest of
 * every append); an assignment upserted twice keeps its last values; opportunities, whose
 * upsert keeps the first close date, are written one statement each, in order.
 */
import { type Kysely, sql, type Transaction } from "kysely"
import type { DB } from "./schema.ts"

type Db = Kysely<DB> | Transaction<DB>
/** A row as the store builds it for its table (column name → value). */
type Row = Record<string, unknown>

/** The tables a held write touches; `touch` is `leads.last_event_at`, which no port reads. */
export type WriteTable = "leads" | "touch" | "lead_events" | "lead_timeline" | "outbox" | "rotation_ledger" | "activities" | "assignments" | "opportunities"

export interface PendingWrites {
  /** Full lead rows by id (`leadColumns`): the last write of each lead wins. */
  readonly leads: Map<string, Record<string, unknown>>
  /** `last_event_at := greatest(last_event_at, t)` by lead id. */
  readonly touched: Map<string, Date>
  /** Assignment projections by (lead, routed at, rep): the last one wins. */
  readonly assignments: Map<string, Record<string, unknown>>
  readonly opportunities: Array<Record<string, unknown>>
  readonly events: Array<Row>
  readonly timeline: Array<Row>
  readonly outbox: Array<Row>
  readonly ledger: Array<Row>
  readonly activities: Array<Row>
}

export const emptyWrites = (): PendingWrites => ({
  leads: new Map(),
  touched: new Map(),
  assignments: new Map(),
  opportunities: [],
  events: [],
  timeline: [],
  outbox: [],
  ledger: [],
  activities: []
})

const sizeOf = (p: PendingWrites, t: WriteTable): number => {
  switch (t) {
    case "leads": return p.leads.size
    case "touch": return p.touched.size
    case "assignments": return p.assignments.size
    case "opportunities": return p.opportunities.length
    case "lead_events": return p.events.length
    case "lead_timeline": return p.timeline.length
    case "outbox": return p.outbox.length
    case "rotation_ledger": return p.ledger.length
    case "activities": return p.activities.length
  }
}

const allTables: ReadonlyArray<WriteTable> = ["leads", "touch", "lead_events", "lead_timeline", "outbox", "rotation_ledger", "activities", "assignments", "opportunities"]

/** Does a read of these tables have to send the held writes first? (no tables: any write) */
export const isDirty = (p: PendingWrites, tables?: ReadonlyArray<WriteTable>): boolean =>
  (tables ?? allTables).some((t) => sizeOf(p, t) > 0)

/** Take the held writes out (the unit keeps collecting into a fresh buffer). */
export const takeWrites = (p: PendingWrites): PendingWrites => {
  const out: PendingWrites = {
    leads: new Map(p.leads),
    touched: new Map(p.touched),
    assignments: new Map(p.assignments),
    opportunities: [...p.opportunities],
    events: [...p.events],
    timeline: [...p.timeline],
    outbox: [...p.outbox],
    ledger: [...p.ledger],
    activities: [...p.activities]
  }
  p.leads.clear()
  p.touched.clear()
  p.assignments.clear()
  p.opportunities.length = 0
  p.events.length = 0
  p.timeline.length = 0
  p.outbox.length = 0
  p.ledger.length = 0
  p.activities.length = 0
  return out
}

interface Part {
  /** One part per key per statement (rows of one table keep their order; a row is written once). */
  readonly key: string
  readonly params: number
  /** A Kysely query builder or `sql` fragment (parameters stay parameters). */
  readonly query: any
}

/** Keep each statement well under Postgres' 65,535 parameters. */
const paramBudget = 30_000

const rowsIn = <A>(rows: ReadonlyArray<A>, columns: number): Array<ReadonlyArray<A>> => {
  const size = Math.max(1, Math.floor(paramBudget / Math.max(1, columns)))
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

const columnsOf = (rows: ReadonlyArray<Record<string, unknown>>): number => Object.keys(rows[0] ?? {}).length

const parts = (db: Db, p: PendingWrites): Array<Part> => {
  const out: Array<Part> = []
  // leads: one statement part for full writes (with their appended events' times), one for the other appends' times
  const full = [...p.leads.entries()]
  if (full.length === 1) {
    const [id, row] = full[0]!
    const t = p.touched.get(id)
    out.push({
      key: "leads",
      params: Object.keys(row).length + 2,
      query: db.updateTable("leads").set({ ...row, ...(t === undefined ? {} : { last_event_at: sql`greatest(last_event_at, ${t})` }) } as any).where("id", "=", id)
    })
  } else if (full.length > 1) {
    const rows = full.map(([id, row]) => ({ id, ...row, last_event_at: p.touched.get(id) ?? null }))
    for (const part of rowsIn(rows, columnsOf(rows))) {
      out.push({
        key: "leads",
        params: part.length * columnsOf(rows),
        query: db.insertInto("leads").values(part as any).onConflict((oc) =>
          oc.column("id").doUpdateSet((eb) => {
            const set: Record<string, unknown> = {}
            for (const k of Object.keys(part[0]!)) if (k !== "id" && k !== "last_event_at") set[k] = eb.ref(`excluded.${k}` as any)
            set.last_event_at = sql`greatest(leads.last_event_at, excluded.last_event_at)`
            return set as any
          })
        )
      })
    }
  }
  const touchOnly = [...p.touched.entries()].filter(([id]) => !p.leads.has(id))
  for (const part of rowsIn(touchOnly, 2)) {
    out.push({
      key: "touch",
      params: part.length * 2,
      query: sql`update leads set last_event_at = greatest(leads.last_event_at, v.t)
        from (values ${sql.join(part.map(([id, t]) => sql`(${id}, ${t}::timestamptz)`))}) as v(id, t) where leads.id = v.id`
    })
  }
  const inserts: ReadonlyArray<readonly [keyof DB, ReadonlyArray<Record<string, unknown>>]> = [
    ["lead_events", p.events],
    ["lead_timeline", p.timeline],
    ["outbox", p.outbox],
    ["rotation_ledger", p.ledger],
    ["activities", p.activities]
  ]
  for (const [table, rows] of inserts) {
    for (const part of rowsIn(rows, columnsOf(rows))) {
      const insert = db.insertInto(table).values(part as any)
      // an event already stored under its key (a resent batch, a race with another) is not stored again
      out.push({ key: table, params: part.length * columnsOf(rows), query: table === "lead_events" ? insert.onConflict((oc) => oc.doNothing()) : insert })
    }
  }
  const assignments = [...p.assignments.values()]
  for (const part of rowsIn(assignments, columnsOf(assignments))) {
    out.push({
      key: "assignments",
      params: part.length * columnsOf(assignments),
      query: db.insertInto("assignments").values(part as any).onConflict((oc) =>
        oc.columns(["lead_id", "routed_at", "rep_id"]).doUpdateSet((eb) => ({
          accepted_at: eb.ref("excluded.accepted_at"),
          first_touch_at: eb.ref("excluded.first_touch_at")
        }))
      )
    })
  }
  for (const o of p.opportunities) {
    out.push({
      key: "opportunities",
      params: Object.keys(o).length + 1,
      query: db.insertInto("opportunities").values(o as any).onConflict((oc) =>
        oc.column("id").doUpdateSet({
          amount: o.amount as number,
          // a close is recorded once (the API may have set the CRM's own close date): later writes keep it
          closed_at: sql`coalesce(opportunities.closed_at, excluded.closed_at)`,
          won: sql`coalesce(opportunities.won, excluded.won)`
        })
      )
    })
  }
  return out
}

/** Send held writes: every table's part in one statement (data-modifying CTEs), split only when needed. */
export const sendWrites = async (db: Db, p: PendingWrites): Promise<void> => {
  const all = parts(db, p)
  const statements: Array<Array<Part>> = []
  let current: Array<Part> = []
  let params = 0
  for (const part of all) {
    if (current.length > 0 && (current.some((c) => c.key === part.key) || params + part.params > paramBudget)) {
      statements.push(current)
      current = []
      params = 0
    }
    current.push(part)
    params += part.params
  }
  if (current.length > 0) statements.push(current)
  for (const statement of statements) {
    const last = statement[statement.length - 1]!
    if (statement.length === 1) {
      await sql`${last.query}`.execute(db)
      continue
    }
    const ctes = statement.slice(0, -1).map((part, i) => sql`${sql.id(`w${i}`)} as (${part.query})`)
    await sql`with ${sql.join(ctes)} ${last.query}`.execute(db)
  }
}
