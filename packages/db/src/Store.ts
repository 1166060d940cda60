/**
 * The domain's ports on Postgres (or PGlite), through Kysely.
 *
 * One fiber-local transaction: `Transactor.transaction` opens a Kysely controlled
 * transaction and every port call made inside the unit runs on it; a unit inside a unit
 * joins the outer one. Inside a unit:
 * - reading a lead locks its row (`for update`), and looking a lead up by email first
 *   takes a transaction-scoped advisory lock on that email, so concurrent ingests and
 *   events for one person queue up instead of racing (one lead, no event orphaned);
 * - reading a pod's rotation ledger locks that pod's rotation until the unit ends, so two
 *   routes into one pod see each other's credits.
 * Rows are decoded with the domain's schemas; a driver error or an undecodable row is a
 * defect, while `EmailTaken` stays a typed failure.
 */
import {
  AccountDirectory, Agreement, type AgreementVersion, Activity, AgreementStore, defaultAgreement, EmailTaken,
  IdGenerator, type LedgerSummary, type KeyedEvent, type LeadEvent, LeadEvent as LeadEventSchema, LeadRecord, LeadStore, LedgerEntry, nextSlaDeadline, Outbox,
  Rep, type RepLoad, RepDirectory, type SweepClaim, RotationLedger, TimelineEntry, Transactor, wallClock, Account,
  cadenceCheckDueAt, reevaluationDueAt, salesTouchedAt
} from "@handoff/domain"
import { Context, Effect, Exit, FiberRef, Layer, Option, Schema } from "effect"
import { type ControlledTransaction, type Kysely, sql, type Transaction } from "kysely"
import { randomBytes } from "node:crypto"
import { Db } from "./Database.ts"
import { ApiKeyStore, IdempotencyStore, LeadQueries, makeEdgeStores } from "./EdgeStores.ts"
import { emptyWrites, isDirty, type PendingWrites, sendWrites, takeWrites, type WriteTable } from "./Writes.ts"
import type { DB } from "./schema.ts"

export type Executor = Kysely<DB> | Transaction<DB>

/** A pod's rotation as read from its ledger under the pod's lock, up to entry `seq`. */
interface Rotation {
  readonly seq: number
  readonly summary: LedgerSummary
}

/** The current unit: its transaction, the writes it holds back, and what it read once. */
interface Unit {
  readonly trx: ControlledTransaction<DB>
  /** Writes not sent yet: sent together before a read that could see them, and before the commit. */
  readonly pending: PendingWrites
  /** The active agreement as this unit first read it. */
  agreement: AgreementVersion | undefined
  /** The reps as this unit first read them. */
  reps: ReadonlyArray<Rep> | undefined
  /** Pods whose rotation lock this unit holds, with their rotation as read under it. */
  readonly rotation: Map<string, Rotation | undefined>
}

/** The unit (transaction) of the current fiber, if any. */
const CurrentTx = FiberRef.unsafeMake<Unit | undefined>(undefined)

const iso = (d: Date | string | null | undefined): string | undefined =>
  d === null || d === undefined ? undefined : (d instanceof Date ? d : new Date(d)).toISOString()

const json = (value: unknown): string => JSON.stringify(value)

const decodeLead = Schema.decodeUnknownSync(LeadRecord)
const encodeLead = Schema.encodeSync(LeadRecord)
const decodeEvent = Schema.decodeUnknownSync(LeadEventSchema)
const encodeEvent = Schema.encodeSync(LeadEventSchema)
const decodeTimeline = Schema.decodeUnknownSync(TimelineEntry)
const encodeTimeline = Schema.encodeSync(TimelineEntry)
const decodeActivity = Schema.decodeUnknownSync(Activity)
const decodeRep = Schema.decodeUnknownSync(Rep)
const encodeRep = Schema.encodeSync(Rep)
const decodeLedger = Schema.decodeUnknownSync(LedgerEntry)
const decodeAgreement = Schema.decodeUnknownSync(Agreement)
const encodeAgreement = Schema.encodeSync(Agreement)
const decodeAccount = Schema.decodeUnknownSync(Account)

type LeadRow = DB["leads"] extends infer T ? { [K in keyof T]: unknown } : never

const leadFromRow = (row: LeadRow): LeadRecord =>
  decodeLead({
    id: row.id,
    email: row.email,
    profile: row.profile,
    ...(row.account_domain === null ? {} : { accountDomain: row.account_domain }),
    createdAt: iso(row.created_at as Date),
    updatedAt: iso(row.updated_at as Date),
    ...(row.enriched_at === null ? {} : { enrichedAt: iso(row.enriched_at as Date) }),
    state: row.state,
    ...(row.score === null ? {} : { score: row.score }),
    ...(row.tier === null ? {} : { tier: row.tier }),
    ...(row.routing === null ? {} : { routing: row.routing }),
    ...(row.assignment === null ? {} : { assignment: row.assignment }),
    flags: row.flags,
    agreementVersion: row.agreement_version,
    ...(row.rescore_at === null || row.rescore_at === undefined ? {} : { rescoreAt: iso(row.rescore_at as Date) })
  })

const leadColumns = (lead: LeadRecord) => {
  const e = encodeLead(lead)
  return {
    email: lead.email,
    account_domain: lead.accountDomain ?? null,
    stage: lead.state.stage,
    owner_id: lead.state.ownerId ?? null,
    queue: lead.state.queue ?? null,
    tier: lead.tier ?? null,
    score_total: lead.score?.total ?? null,
    next_deadline_at: nextSlaDeadline(lead) ?? null,
    mql_at: lead.state.mqlAt ?? null,
    created_at: lead.createdAt,
    updated_at: lead.updatedAt,
    agreement_version: lead.agreementVersion,
    profile: json(e.profile),
    state: json(e.state),
    score: e.score === undefined ? null : json(e.score),
    routing: e.routing === undefined ? null : json(e.routing),
    assignment: e.assignment === undefined ? null : json(e.assignment),
    flags: json(e.flags),
    enriched_at: lead.enrichedAt ?? null,
    // kept for every lead (it round-trips); the decay sweep only claims leads marketing holds
    rescore_at: lead.rescoreAt ?? null,
    reevaluate_at: reevaluationDueAt(lead) ?? null,
    sales_touched_at: salesTouchedAt(lead) ?? null,
    cadence_check_at: cadenceCheckDueAt(lead) ?? null
  }
}

/** Split rows so one statement stays well under Postgres' 65,535 parameters. */
const chunks = <A>(rows: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

const timelineRow = (id: string, entry: TimelineEntry) => {
  const e = encodeTimeline(entry)
  return {
    lead_id: id,
    at: entry.at,
    stage: entry.stage,
    from_stage: entry.from,
    cause: entry.cause,
    reason: entry.reason ?? null,
    actor_kind: entry.actor.kind,
    actor_id: entry.actor.id,
    actor_key_id: entry.actor.keyId ?? null,
    agreement_version: entry.agreementVersion,
    explanation: entry.explanation,
    data: e.data === undefined ? null : json(e.data)
  }
}

const assignmentRow = (lead: LeadRecord) => {
  const a = lead.assignment!
  return {
    lead_id: lead.id,
    rep_id: a.repId,
    pod: a.pod,
    tier: a.tier,
    t0: a.t0,
    routed_at: a.routedAt,
    accept_by: a.acceptBy ?? null,
    first_touch_by: a.firstTouchBy ?? null,
    accepted_at: a.acceptedAt ?? null,
    first_touch_at: a.firstTouchAt ?? null,
    reassignments: a.reassignments,
    agreement_version: lead.agreementVersion
  }
}

/** The indexed column and comparison each sweep claims by. */
const claimFilter = (claim: SweepClaim) => {
  switch (claim.kind) {
    case "sla":
      return { column: "sla_sweep_at", op: "<", at: claim.now } as const
    case "rescore":
      return { column: "rescore_at", op: "<=", at: claim.now } as const
    case "reevaluate":
      return { column: "reevaluate_at", op: "<=", at: claim.now } as const
    case "inactive":
      return { column: "sales_touched_at", op: "<", at: claim.touchedBefore } as const
  }
}

/** A random, roughly time-ordered id with a readable prefix: `lead_m3k9x2q8a1b2c3d4e5f6`. */
export const newId = (prefix: string): string => `${prefix}_${Date.now().toString(36)}${randomBytes(8).toString("hex")}`

const openStages = ["mql", "sal", "sql", "opportunity"]

export const makeStore = Effect.gen(function*() {
  const { kysely } = yield* Db
  /** The time zone names the database knows (read once). */
  let zones: Set<string> | undefined

  /**
   * Pods' rotations as last read under their lock by a unit that committed: the next unit
   * reads only the ledger entries after them. Sound because every ledger entry of a pod is
   * appended while holding that pod's lock, so entries commit in `seq` order per pod.
   */
  const rotations = new Map<string, Rotation>()

  /** Send the unit's held writes now (before a read that could see them). */
  const send = (unit: Unit, tables?: ReadonlyArray<WriteTable>): Promise<void> =>
    isDirty(unit.pending, tables) ? sendWrites(unit.trx, takeWrites(unit.pending)) : Promise.resolve()

  /** Raw access (edge stores, tests): everything held is sent first, and what the unit read once is read again. */
  const executor: Effect.Effect<Executor> = Effect.flatMap(FiberRef.get(CurrentTx), (unit) =>
    unit === undefined ? Effect.succeed(kysely) : Effect.promise(async () => {
      await send(unit)
      unit.agreement = undefined
      unit.reps = undefined
      return unit.trx
    }))
  const inTx = Effect.map(FiberRef.get(CurrentTx), (tx) => tx !== undefined)
  /**
   * Run a query on the unit's transaction (or the pool); a rejection is a defect. The
   * unit's held writes to `tables` are sent first (all of them when no tables are named).
   */
  const read = <A>(tables: ReadonlyArray<WriteTable> | undefined, f: (db: Executor, inTransaction: boolean, unit: Unit | undefined) => Promise<A>): Effect.Effect<A> =>
    Effect.flatMap(FiberRef.get(CurrentTx), (unit) =>
      Effect.promise(async () => {
        if (unit === undefined) return f(kysely, false, undefined)
        await send(unit, tables)
        return f(unit.trx, true, unit)
      }))
  const q = <A>(f: (db: Executor, inTransaction: boolean) => Promise<A>): Effect.Effect<A> => read(undefined, f)
  /** For raw SQL from outside the ports: as `q`, and what the unit read once is read again. */
  const qRaw = <A>(f: (db: Executor, inTransaction: boolean) => Promise<A>): Effect.Effect<A> =>
    read(undefined, (db, tx, unit) => {
      if (unit !== undefined) {
        unit.agreement = undefined
        unit.reps = undefined
      }
      return f(db, tx)
    })
  /** Hold writes in the unit (sent with the next read that needs them, or at commit); outside a unit, send them now. */
  const hold = (fill: (p: PendingWrites) => void): Effect.Effect<void> =>
    Effect.flatMap(FiberRef.get(CurrentTx), (unit) => {
      if (unit !== undefined) return Effect.sync(() => fill(unit.pending))
      const p = emptyWrites()
      fill(p)
      return Effect.promise(() => sendWrites(kysely, p))
    })

  const transaction = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(FiberRef.get(CurrentTx), (current) =>
      current !== undefined
        ? self
        : Effect.acquireUseRelease(
          Effect.promise(async (): Promise<Unit> => ({
            trx: await kysely.startTransaction().execute(),
            pending: emptyWrites(),
            agreement: undefined,
            reps: undefined,
            rotation: new Map()
          })),
          // the held writes go out at the end of the unit's work, so a failing write fails (and rolls back) the unit
          (unit) => Effect.locally(Effect.tap(self, () => Effect.promise(() => send(unit))), CurrentTx, unit),
          (unit, exit) =>
            Exit.isSuccess(exit)
              ? Effect.promise(async () => {
                await unit.trx.commit().execute()
                // what this unit read of the pods' rotations is now committed: the next unit starts from it
                for (const [pod, r] of unit.rotation) {
                  if (r !== undefined && (rotations.get(pod)?.seq ?? -1) <= r.seq) rotations.set(pod, r)
                }
              })
              // the original failure matters, not a rollback on a connection that is already gone
              : Effect.promise(() => unit.trx.rollback().execute().catch(() => undefined))
        ))

  const opportunityRow = (lead: LeadRecord) => {
    const o = lead.state.opportunity!
    return { id: o.id ?? `opp_${lead.id}`, lead_id: lead.id, amount: o.amount, opened_at: o.openedAt, closed_at: o.closedAt ?? null, won: o.won ?? null }
  }

  /** Keep the assignments and opportunities tables in step with the lead (for reports): held with the lead's write. */
  const project = (p: PendingWrites, lead: LeadRecord) => {
    if (lead.assignment !== undefined && lead.assignment.repId !== "") {
      const row = assignmentRow(lead)
      p.assignments.set(`${row.lead_id}\u0000${row.routed_at.getTime()}\u0000${row.rep_id}`, row)
    }
    if (lead.state.opportunity !== undefined) p.opportunities.push(opportunityRow(lead))
  }

  const selectLead = (db: Executor, lock: boolean) => {
    const base = db.selectFrom("leads").selectAll()
    return lock ? base.forUpdate() : base
  }

  const leadStore = LeadStore.of({
    findById: (id) =>
      read(["leads"], async (db, tx) => {
        const row = await selectLead(db, tx).where("id", "=", id).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(leadFromRow(row as LeadRow))
      }),
    claim: (id) =>
      read(["leads"], async (db, tx) => {
        const base = db.selectFrom("leads").selectAll().where("id", "=", id)
        const row = await (tx ? base.forUpdate().skipLocked() : base).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(leadFromRow(row as LeadRow))
      }),
    findByEmail: (email) =>
      read(["leads"], async (db, tx) => {
        // serialize everything about one email address: ingests, pending events
        if (tx) await sql`select pg_advisory_xact_lock(hashtextextended(${"email:" + email}, 0))`.execute(db)
        const row = await selectLead(db, tx).where("email", "=", email).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(leadFromRow(row as LeadRow))
      }),
    insert: (lead) =>
      q(async (db) => {
        const inserted = await db.insertInto("leads").values({ id: lead.id, ...leadColumns(lead) })
          .onConflict((oc) => oc.column("email").doNothing()).returning("id").executeTakeFirst()
        return inserted !== undefined
      }).pipe(Effect.flatMap((ok) => ok ? hold((p) => project(p, lead)) : Effect.fail(new EmailTaken({ email: lead.email, message: `A lead with email ${lead.email} already exists.` })))),
    update: (lead) =>
      hold((p) => {
        p.leads.set(lead.id, leadColumns(lead))
        project(p, lead)
      }),
    events: (id) =>
      read(["lead_events"], async (db) => {
        const rows = await db.selectFrom("lead_events").selectAll().where("lead_id", "=", id).orderBy("occurred_at").orderBy("id").execute()
        return rows.map(eventFromRow)
      }),
    appendEvents: (id, events) =>
      events.length === 0 ? Effect.void : hold((p) => {
        for (const e of events) p.events.push(eventRow(e, id, null))
        const latest = Math.max(...events.map((e) => e.occurredAt.getTime()))
        const before = p.touched.get(id)
        if (before === undefined || before.getTime() < latest) p.touched.set(id, new Date(latest))
      }),
    holdPendingEvents: (email, events) =>
      events.length === 0 ? Effect.void : hold((p) => {
        for (const e of events) p.events.push(eventRow(e, null, email))
      }),
    takePendingEvents: (email) =>
      read(["lead_events"], async (db) => {
        const rows = await db.deleteFrom("lead_events").where("lead_id", "is", null).where("email", "=", email).returningAll().execute()
        // the key goes with the event, so the attached copy still stands for it
        return rows.sort((a, b) => Number(a.id) - Number(b.id)).map((r): KeyedEvent => {
          const e = eventFromRow(r)
          return r.dedupe_key === null ? e : { ...e, key: r.dedupe_key }
        })
      }),
    storedEventKeys: (keys) =>
      keys.length === 0 ? Effect.succeed(new Set<string>()) : read(["lead_events"], async (db) => {
        const found = new Set<string>()
        const unique = [...new Set(keys)]
        for (let i = 0; i < unique.length; i += 1000) {
          const part = unique.slice(i, i + 1000)
          const rows = await db.selectFrom("lead_events").select("dedupe_key")
            .where(sql<string>`md5(dedupe_key)`, "in", part.map((k) => sql<string>`md5(${k})`))
            .where("dedupe_key", "is not", null)
            .execute()
          for (const r of rows) if (r.dedupe_key !== null) found.add(r.dedupe_key)
        }
        return found
      }),
    appendTimeline: (id, entries) =>
      entries.length === 0 ? Effect.void : hold((p) => {
        for (const entry of entries) p.timeline.push(timelineRow(id, entry))
      }),
    timeline: (id) =>
      read(["lead_timeline"], async (db) => {
        const rows = await db.selectFrom("lead_timeline").selectAll().where("lead_id", "=", id).orderBy("id").execute()
        return rows.map((r) => decodeTimeline({
          at: iso(r.at),
          stage: r.stage,
          from: r.from_stage,
          cause: r.cause,
          ...(r.reason === null ? {} : { reason: r.reason }),
          actor: { kind: r.actor_kind, id: r.actor_id, ...(r.actor_key_id === null ? {} : { keyId: r.actor_key_id }) },
          agreementVersion: r.agreement_version,
          explanation: r.explanation,
          ...(r.data === null ? {} : { data: r.data })
        }))
      }),
    activities: (id) =>
      read(["activities"], async (db) => {
        const rows = await db.selectFrom("activities").selectAll().where("lead_id", "=", id).orderBy("occurred_at").orderBy("id").execute()
        return rows.map((r) => decodeActivity({ repId: r.rep_id, kind: r.kind, connected: r.connected, occurredAt: iso(r.occurred_at) }))
      }),
    appendActivity: (id, a) =>
      hold((p) => {
        p.activities.push({ lead_id: id, rep_id: a.repId, kind: a.kind, connected: a.connected, occurred_at: a.occurredAt })
      }),
    dueAssignments: (now, limit) =>
      read(["leads"], async (db) => {
        const rows = await db.selectFrom("leads").selectAll().where("next_deadline_at", "<=", now).orderBy("next_deadline_at").limit(limit).execute()
        return rows.map((r) => leadFromRow(r as LeadRow))
      }),
    claimBatch: (claim, limit) =>
      read(["leads"], async (db, tx) => {
        const f = claimFilter(claim)
        let base = db.selectFrom("leads").selectAll().where(f.column, f.op, f.at).orderBy(f.column).limit(limit)
        // the predicate of the partial index leads_rescore: leads marketing holds, and queued MQLs
        if (claim.kind === "rescore") base = base.where(sql<boolean>`(stage in ('inquiry', 'nurture') or (stage = 'mql' and owner_id is null))`)
        // locked until the unit ends; rows another worker holds are skipped, never waited for
        const rows = await (tx ? base.forUpdate().skipLocked() : base).execute()
        return rows.map((r) => leadFromRow(r as LeadRow))
      }),
    activitiesOf: (ids) =>
      ids.length === 0 ? Effect.succeed(new Map()) : read(["activities"], async (db) => {
        const out = new Map<string, Array<Activity>>()
        for (const part of chunks(ids, 5000)) {
          const rows = await db.selectFrom("activities").selectAll().where("lead_id", "in", [...part]).orderBy("occurred_at").orderBy("id").execute()
          for (const r of rows) {
            const list = out.get(r.lead_id) ?? []
            list.push(decodeActivity({ repId: r.rep_id, kind: r.kind, connected: r.connected, occurredAt: iso(r.occurred_at) }))
            out.set(r.lead_id, list)
          }
        }
        return out
      }),
    eventsOf: (ids) =>
      ids.length === 0 ? Effect.succeed(new Map()) : read(["lead_events"], async (db) => {
        const out = new Map<string, Array<LeadEvent>>()
        for (const part of chunks(ids, 5000)) {
          const rows = await db.selectFrom("lead_events").selectAll().where("lead_id", "in", [...part]).orderBy("occurred_at").orderBy("id").execute()
          for (const r of rows) {
            const list = out.get(r.lead_id!) ?? []
            list.push(eventFromRow(r))
            out.set(r.lead_id!, list)
          }
        }
        return out
      }),
    updateMany: (leads) =>
      leads.length === 0 ? Effect.void : hold((p) => {
        // one row per lead (the last write wins), so each upsert touches a row once
        for (const l of leads) {
          p.leads.set(l.id, leadColumns(l))
          project(p, l)
        }
      }),
    appendTimelines: (entries) =>
      entries.length === 0 ? Effect.void : hold((p) => {
        for (const x of entries) p.timeline.push(timelineRow(x.leadId, x.entry))
      })
  })

  const listReps = (db: Executor, unit: Unit | undefined): Promise<ReadonlyArray<Rep>> =>
    unit?.reps !== undefined
      ? Promise.resolve(unit.reps)
      : db.selectFrom("reps").select("data").orderBy("id").execute().then((rows) => {
        const reps = rows.map((r) => decodeRep(r.data))
        // read once per unit: routing asks for the reps and their loads, and a sweep for both again
        if (unit !== undefined) unit.reps = reps
        return reps
      })

  const repDirectory = RepDirectory.of({
    list: () => read([], (db, _tx, unit) => listReps(db, unit)),
    get: (id) =>
      read([], async (db, _tx, unit) => {
        if (unit?.reps !== undefined) return Option.fromNullable(unit.reps.find((r) => r.id === id))
        const row = await db.selectFrom("reps").select("data").where("id", "=", id).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(decodeRep(row.data))
      }),
    loads: (now) =>
      read(["leads", "assignments"], async (db, _tx, unit) => {
        const reps = await listReps(db, unit)
        const loads = new Map<string, { open: number; today: number }>()
        for (const r of reps) loads.set(r.id, { open: 0, today: 0 })
        // "today" is the rep's own day: look two days back and count in their time zone
        const since = new Date(now.getTime() - 2 * 86_400_000)
        zones ??= new Set((await sql<{ name: string }>`select name from pg_timezone_names`.execute(db)).rows.map((r) => r.name))
        const inDb = reps.filter((r) => zones!.has(r.timezone)).map((r) => r.id as string)
        // open leads per owner, and (for reps whose time zone the database knows) today's assignments
        // counted in the database, one row per rep, in one statement
        const counted = await sql<{ k: string; rep_id: string; n: number }>`
          select 'open' as k, owner_id as rep_id, count(*)::int as n from leads
          where owner_id is not null and stage in (${sql.join(openStages)}) group by owner_id
          ${inDb.length === 0 ? sql`` : sql`union all
          select 'today' as k, a.rep_id, count(*)::int as n from assignments a join reps r on r.id = a.rep_id
          where a.routed_at > ${since} and a.rep_id in (${sql.join(inDb)})
            and (a.routed_at at time zone (r.data->>'timezone'))::date = (${now}::timestamptz at time zone (r.data->>'timezone'))::date
          group by a.rep_id`}`.execute(db)
        for (const c of counted.rows) {
          const l = loads.get(c.rep_id)
          if (l === undefined) continue
          if (c.k === "open") l.open = Number(c.n)
          else l.today = Number(c.n)
        }
        const rest = reps.filter((r) => !zones!.has(r.timezone)).map((r) => r.id as string)
        if (rest.length === 0) return loads as ReadonlyMap<string, RepLoad>
        // time zones the database does not know: count in JavaScript
        const recent = await db.selectFrom("assignments").select(["rep_id", "routed_at"]).where("routed_at", ">", since).where("rep_id", "in", rest).execute()
        const dayOf = (tz: string, d: Date) => {
          const w = wallClock(tz, d)
          return `${w.year}-${w.month}-${w.day}`
        }
        const byId = new Map(reps.map((r) => [r.id as string, r]))
        for (const a of recent) {
          const rep = byId.get(a.rep_id)
          const l = loads.get(a.rep_id)
          if (rep !== undefined && l !== undefined && dayOf(rep.timezone, a.routed_at as Date) === dayOf(rep.timezone, now)) l.today++
        }
        return loads as ReadonlyMap<string, RepLoad>
      })
  })

  const accountDirectory = AccountDirectory.of({
    findByDomain: (domain) =>
      read([], async (db) => {
        const row = await db.selectFrom("accounts").selectAll().where("domain", "=", domain).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(accountFromRow(row))
      }),
    findByDomains: (domains) =>
      domains.length === 0 ? Effect.succeed(new Map()) : read([], async (db) => {
        const out = new Map<string, Account>()
        for (const part of chunks(domains, 5000)) {
          const rows = await db.selectFrom("accounts").selectAll().where("domain", "in", [...part]).execute()
          for (const r of rows) out.set(r.domain, accountFromRow(r))
        }
        return out
      })
  })

  /** Pods' rotations condensed in the database: last reset per pod, then turns since it and each rep's last turn. */
  const condensedRotations = async (db: Executor, pods: ReadonlyArray<string>): Promise<Map<string, Rotation>> => {
    const resets = await db.selectFrom("rotation_ledger").select(["pod", "seq", "members"])
      .where("kind", "=", "reset").where("pod", "in", [...pods])
      .distinctOn("pod").orderBy("pod").orderBy("seq", "desc")
      .execute()
    const turns = await db.selectFrom("rotation_ledger as l")
      .leftJoin(
        (eb) => eb.selectFrom("rotation_ledger").select(["pod", (x) => x.fn.max("seq").as("reset_seq")]).where("kind", "=", "reset").groupBy("pod").as("r"),
        (join) => join.onRef("r.pod", "=", "l.pod")
      )
      .select([
        "l.pod",
        "l.rep_id",
        sql<number>`(count(*) filter (where l.seq > coalesce(r.reset_seq, 0)))::int`.as("turns"),
        sql<string>`max(l.seq)::text`.as("last_seq")
      ])
      .where("l.pod", "in", [...pods]).where("l.kind", "!=", "reset").where("l.rep_id", "is not", null)
      .groupBy(["l.pod", "l.rep_id"])
      .execute()
    const out = new Map<string, Rotation>()
    for (const pod of pods) {
      const reset = resets.find((r) => r.pod === pod)
      const mine = turns.filter((t) => t.pod === pod)
      out.set(pod, {
        // the last entry this summary counts (a later reader only needs what comes after it)
        seq: Math.max(0, reset === undefined ? 0 : Number(reset.seq), ...mine.map((t) => Number(t.last_seq))),
        summary: {
          resetMembers: reset === undefined ? undefined : (reset.members as ReadonlyArray<string> | null) ?? [],
          turns: new Map(mine.filter((t) => t.turns > 0).map((t) => [t.rep_id!, Number(t.turns)])),
          lastTurn: new Map(mine.map((t) => [t.rep_id!, Number(t.last_seq)]))
        }
      })
    }
    return out
  }

  /**
   * Bring known rotations up to date with the ledger entries after them (one indexed read);
   * a pod whose known last entry is no longer in the ledger is left out (condensed afresh).
   */
  const advancedRotations = async (db: Executor, known: ReadonlyMap<string, Rotation>): Promise<Map<string, Rotation>> => {
    const out = new Map<string, Rotation>()
    if (known.size === 0) return out
    const rows = await db.selectFrom("rotation_ledger").select(["seq", "pod", "kind", "rep_id", "members"])
      .where((eb) => eb.or([...known].map(([pod, r]) => eb.and([eb("pod", "=", pod), eb("seq", ">=", r.seq as never)]))))
      .orderBy("seq")
      .execute()
    for (const [pod, base] of known) {
      const mine = rows.filter((r) => r.pod === pod)
      if (base.seq > 0 && Number(mine[0]?.seq) !== base.seq) continue
      let resetMembers = base.summary.resetMembers
      let turns = new Map(base.summary.turns)
      const lastTurn = new Map(base.summary.lastTurn)
      let seq = base.seq
      for (const r of mine) {
        const at = Number(r.seq)
        if (at <= base.seq) continue
        seq = at
        if (r.kind === "reset") {
          turns = new Map()
          resetMembers = (r.members as ReadonlyArray<string> | null) ?? []
        } else if (r.rep_id !== null) {
          turns.set(r.rep_id, (turns.get(r.rep_id) ?? 0) + 1)
          lastTurn.set(r.rep_id, at)
        }
      }
      out.set(pod, { seq, summary: { resetMembers, turns, lastTurn } })
    }
    return out
  }

  const rotationLedger = RotationLedger.of({
    summaries: (pods) =>
      read(["rotation_ledger"], async (db, _tx, unit) => {
        const out = new Map<string, LedgerSummary>()
        const wanted = [...new Set(pods)].sort()
        if (wanted.length === 0) return out
        if (unit === undefined) {
          for (const [pod, r] of await condensedRotations(db, wanted)) out.set(pod, r.summary)
          return out
        }
        // hold these pods' rotation until the unit ends: one statement, always in the same order (no
        // deadlock); a pod this unit already holds is not asked for again
        const toLock = wanted.filter((pod) => !unit.rotation.has(pod))
        if (toLock.length > 0) {
          await sql`select ${sql.join(toLock.map((pod) => sql`pg_advisory_xact_lock(hashtextextended(${"pod:" + pod}, 0))`))}`.execute(db)
          for (const pod of toLock) unit.rotation.set(pod, undefined)
        }
        // under the lock: from the rotation this unit (or the last unit that committed) read, only the entries after it
        const known = new Map<string, Rotation>()
        for (const pod of wanted) {
          const r = unit.rotation.get(pod) ?? rotations.get(pod)
          if (r !== undefined) known.set(pod, r)
        }
        const advanced = await advancedRotations(db, known)
        const cold = wanted.filter((pod) => !advanced.has(pod))
        const condensed = cold.length === 0 ? new Map<string, Rotation>() : await condensedRotations(db, cold)
        for (const pod of wanted) {
          const r = advanced.get(pod) ?? condensed.get(pod)!
          unit.rotation.set(pod, r)
          out.set(pod, r.summary)
        }
        return out
      }),
    entries: (pod, { afterSeq = 0, limit }) =>
      read(["rotation_ledger"], async (db) => {
        const rows = await db.selectFrom("rotation_ledger").selectAll().where("pod", "=", pod).where(sql<boolean>`seq > ${afterSeq}`).orderBy("seq").limit(limit).execute()
        return rows.map((r) => ({ ...ledgerFromRow(r), seq: Number(r.seq) }))
      }),
    append: (entries) =>
      entries.length === 0 ? Effect.void : Effect.flatMap(FiberRef.get(CurrentTx), (unit) => {
        // entries are appended under their pod's lock (see `summaries`); should one not be, the
        // pod's rotation is condensed afresh next time rather than trusted
        for (const e of entries) if (unit === undefined || !unit.rotation.has(e.pod)) rotations.delete(e.pod)
        return hold((p) => {
          for (const e of entries) {
            p.ledger.push({
              pod: e.pod,
              at: e.at,
              kind: e.kind,
              rep_id: e.repId ?? null,
              lead_id: e.leadId ?? null,
              reason: e.reason ?? null,
              members: e.members === undefined ? null : json(e.members)
            })
          }
        })
      })
  })

  // agreement versions never change once stored: decode each once
  const decoded = new Map<number, AgreementVersion>()
  const versionFromRow = (r: { version: number; document: unknown; created_at: Date | string; created_by: string }): AgreementVersion => {
    const hit = decoded.get(r.version)
    if (hit !== undefined) return hit
    const v: AgreementVersion = { version: r.version, agreement: decodeAgreement(r.document), createdAt: new Date(r.created_at), createdBy: r.created_by }
    decoded.set(r.version, v)
    return v
  }
  const agreementStore = AgreementStore.of({
    active: () =>
      read([], async (db, _tx, unit) => {
        // once per unit; and the document (large) only for a version not decoded yet
        if (unit?.agreement !== undefined) return unit.agreement
        const known = [...decoded.keys()]
        const row = await db.selectFrom("agreement_versions")
          .select(["version", "created_at", "created_by", sql<unknown>`case when ${known.length === 0 ? sql`false` : sql`version in (${sql.join(known)})`} then null else document end`.as("document")])
          .where("active", "=", true).executeTakeFirst()
        if (row === undefined) throw new Error("no active agreement: the store was not initialised (ensureAgreement)")
        const hit = decoded.get(row.version)
        const v = row.document === null && hit !== undefined && hit.createdAt.getTime() === new Date(row.created_at).getTime() && hit.createdBy === row.created_by
          ? hit
          : row.document !== null
          ? versionFromRow(row)
          : await db.selectFrom("agreement_versions").selectAll().where("version", "=", row.version).executeTakeFirstOrThrow().then((full) => {
            // a version decoded from a unit that rolled back: decode the stored one
            decoded.delete(full.version)
            return versionFromRow(full)
          })
        if (unit !== undefined) unit.agreement = v
        return v
      }),
    version: (v) =>
      q(async (db) => {
        const row = await db.selectFrom("agreement_versions").selectAll().where("version", "=", v).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(versionFromRow(row))
      }),
    versions: () => q(async (db) => (await db.selectFrom("agreement_versions").selectAll().orderBy("version").execute()).map(versionFromRow)),
    activate: (agreement, createdBy, at) =>
      transaction(read(undefined, async (db, _tx, unit) => {
        await sql`select pg_advisory_xact_lock(hashtextextended('agreement_versions', 0))`.execute(db)
        const max = await db.selectFrom("agreement_versions").select(sql<number>`coalesce(max(version), 0)::int`.as("v")).executeTakeFirstOrThrow()
        const version = Number(max.v) + 1
        await db.updateTable("agreement_versions").set({ active: false }).where("active", "=", true).execute()
        await db.insertInto("agreement_versions").values({ version, document: json(encodeAgreement(agreement)), created_at: at, created_by: createdBy, active: true }).execute()
        const v: AgreementVersion = { version, agreement, createdAt: at, createdBy }
        decoded.set(version, v)
        if (unit !== undefined) unit.agreement = v
        return v
      }))
  })

  const outbox = Outbox.of({
    publish: (messages) =>
      messages.length === 0 ? Effect.void : hold((p) => {
        for (const m of messages) p.outbox.push({ topic: m.topic, key: m.key, payload: json(m.payload), at: m.at })
      })
  })

  const idGenerator = IdGenerator.of({ next: (prefix) => Effect.sync(() => newId(prefix)) })

  return { leadStore, repDirectory, accountDirectory, rotationLedger, agreementStore, outbox, idGenerator, transactor: Transactor.of({ transaction }), executor, inTx, q: qRaw }
})

const eventRow = (e: KeyedEvent, leadId: string | null, email: string | null) => {
  const enc = encodeEvent(e)
  return {
    lead_id: leadId,
    email,
    type: e.type,
    occurred_at: e.occurredAt,
    properties: json(enc.properties ?? {}),
    channel: e.channel ?? null,
    campaign: e.campaign ?? null,
    dedupe_key: e.key ?? null
  }
}

/** A `lead_events` row as the domain's event. */
export const eventFromRow = (r: { type: string; occurred_at: unknown; properties: unknown; channel: string | null; campaign: string | null }): LeadEvent =>
  decodeEvent({
    type: r.type,
    occurredAt: iso(r.occurred_at as Date),
    properties: r.properties,
    ...(r.channel === null ? {} : { channel: r.channel }),
    ...(r.campaign === null ? {} : { campaign: r.campaign })
  })

const ledgerFromRow = (r: { pod: string; at: unknown; kind: string; rep_id: string | null; lead_id: string | null; reason: string | null; members: unknown }): LedgerEntry =>
  decodeLedger({
    pod: r.pod,
    at: iso(r.at as Date),
    kind: r.kind,
    ...(r.rep_id === null ? {} : { repId: r.rep_id }),
    ...(r.lead_id === null ? {} : { leadId: r.lead_id }),
    ...(r.reason === null ? {} : { reason: r.reason }),
    ...(r.members === null ? {} : { members: r.members })
  })

export const accountFromRow = (r: { domain: string; name: string | null; named: boolean; owner_rep_id: string | null; active_outbound: boolean; segment: string | null }): Account =>
  decodeAccount({
    domain: r.domain,
    ...(r.name === null ? {} : { name: r.name }),
    named: r.named,
    ...(r.owner_rep_id === null ? {} : { ownerRepId: r.owner_rep_id }),
    activeOutbound: r.active_outbound,
    ...(r.segment === null ? {} : { segment: r.segment })
  })

/**
 * Run SQL on the current unit's transaction (or the pool). For store services beyond the
 * domain ports (reports, webhooks, ...): build them from this so they join units too.
 */
export class SqlRunner extends Context.Tag("@handoff/db/SqlRunner")<SqlRunner, {
  readonly q: <A>(f: (db: Executor, inTransaction: boolean) => Promise<A>) => Effect.Effect<A>
}>() {}

/**
 * For singleton jobs (the weekly snapshot): try to take the transaction-scoped advisory lock
 * `name` on the current unit's transaction — true when this unit has it until it ends,
 * false when another worker holds it now (never waits). Must run inside
 * `Transactor.transaction`: outside a unit the lock would end with its statement.
 */
export const tryJobLock = (name: string): Effect.Effect<boolean, never, SqlRunner> =>
  Effect.flatMap(SqlRunner, (runner) =>
    runner.q(async (db, inTransaction) => {
      if (!inTransaction) throw new Error(`tryJobLock(${name}) needs a unit (Transactor.transaction)`)
      const r = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtextextended(${"job:" + name}, 0)) as ok`.execute(db)
      return r.rows[0]?.ok === true
    }))

/** The store's extras beyond the domain ports (admin writes used by the API and seeding). */
export class StoreAdmin extends Context.Tag("@handoff/db/StoreAdmin")<StoreAdmin, {
  readonly upsertRep: (rep: Rep, at: Date) => Effect.Effect<void>
  readonly upsertAccount: (account: Account, at: Date) => Effect.Effect<void>
  /** Install the default agreement as version 1 when the store has none. */
  readonly ensureAgreement: (at: Date) => Effect.Effect<AgreementVersion>
}>() {}

/** Every domain port on the store, plus `StoreAdmin`. Needs `Db`. */
export const storeLayer = Layer.effectContext(Effect.gen(function*() {
  const s = yield* makeStore
  const db = yield* Db
  const edge = makeEdgeStores(s.q)
  const admin = StoreAdmin.of({
    upsertRep: (rep, at) =>
      s.transactor.transaction(Effect.flatMap(s.executor, (db) => Effect.promise(async () => {
        const values = { name: rep.name, email: rep.email ?? null, role: rep.role, active: rep.active, data: json(encodeRep(rep)), updated_at: at }
        await db.insertInto("reps").values({ id: rep.id, ...values }).onConflict((oc) => oc.column("id").doUpdateSet(values)).execute()
        await db.deleteFrom("rep_pods").where("rep_id", "=", rep.id).execute()
        if (rep.pods.length > 0) await db.insertInto("rep_pods").values([...new Set(rep.pods)].map((pod) => ({ rep_id: rep.id, pod }))).execute()
      }))),
    upsertAccount: (a, at) =>
      Effect.flatMap(s.executor, (db) => Effect.promise(async () => {
        const values = { name: a.name ?? null, named: a.named, owner_rep_id: a.ownerRepId ?? null, active_outbound: a.activeOutbound, segment: a.segment ?? null, updated_at: at }
        await db.insertInto("accounts").values({ domain: a.domain, ...values }).onConflict((oc) => oc.column("domain").doUpdateSet(values)).execute()
      })),
    ensureAgreement: (at) =>
      s.transactor.transaction(Effect.gen(function*() {
        const db = yield* s.executor
        yield* Effect.promise(() => sql`select pg_advisory_xact_lock(hashtextextended('agreement_versions', 0))`.execute(db))
        const existing = yield* Effect.promise(() => db.selectFrom("agreement_versions").select("version").limit(1).executeTakeFirst())
        if (existing !== undefined) return yield* s.agreementStore.active()
        return yield* s.agreementStore.activate(defaultAgreement, "handoff (default agreement)", at)
      }))
  })
  return Context.make(LeadStore, s.leadStore).pipe(
    Context.add(RepDirectory, s.repDirectory),
    Context.add(AccountDirectory, s.accountDirectory),
    Context.add(RotationLedger, s.rotationLedger),
    Context.add(AgreementStore, s.agreementStore),
    Context.add(Outbox, s.outbox),
    Context.add(IdGenerator, s.idGenerator),
    Context.add(Transactor, s.transactor),
    Context.add(StoreAdmin, admin),
    Context.add(ApiKeyStore, edge.apiKeys),
    Context.add(IdempotencyStore, edge.idempotency),
    Context.add(LeadQueries, edge.leadQueries),
    Context.add(SqlRunner, { q: s.q }),
    Context.add(Db, db)
  )
}))
