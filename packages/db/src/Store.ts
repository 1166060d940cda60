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
  IdGenerator, type LedgerSummary, type LeadEvent, LeadEvent as LeadEventSchema, LeadRecord, LeadStore, LedgerEntry, nextSlaDeadline, Outbox,
  Rep, type RepLoad, RepDirectory, type SweepClaim, RotationLedger, TimelineEntry, Transactor, wallClock, Account,
  cadenceCheckDueAt, reevaluationDueAt, salesTouchedAt
} from "@handoff/domain"
import { Context, Effect, Exit, FiberRef, Layer, Option, Schema } from "effect"
import { type Kysely, sql, type Transaction } from "kysely"
import { randomBytes } from "node:crypto"
import { Db } from "./Database.ts"
import { ApiKeyStore, IdempotencyStore, LeadQueries, makeEdgeStores } from "./EdgeStores.ts"
import type { DB } from "./schema.ts"

export type Executor = Kysely<DB> | Transaction<DB>

/** The transaction of the current unit, if any. */
const CurrentTx = FiberRef.unsafeMake<Transaction<DB> | undefined>(undefined)

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

  const executor: Effect.Effect<Executor> = Effect.map(FiberRef.get(CurrentTx), (tx) => tx ?? kysely)
  const inTx = Effect.map(FiberRef.get(CurrentTx), (tx) => tx !== undefined)
  /** Run a query on the unit's transaction (or the pool); a rejection is a defect. */
  const q = <A>(f: (db: Executor, inTransaction: boolean) => Promise<A>): Effect.Effect<A> =>
    Effect.flatMap(FiberRef.get(CurrentTx), (tx) => Effect.promise(() => f(tx ?? kysely, tx !== undefined)))

  const transaction = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(FiberRef.get(CurrentTx), (current) =>
      current !== undefined
        ? self
        : Effect.acquireUseRelease(
          Effect.promise(() => kysely.startTransaction().execute()),
          (trx) => Effect.locally(self, CurrentTx, trx),
          (trx, exit) =>
            Exit.isSuccess(exit)
              ? Effect.promise(() => trx.commit().execute())
              // the original failure matters, not a rollback on a connection that is already gone
              : Effect.promise(() => trx.rollback().execute().catch(() => undefined))
        ))

  /** Keep the assignments and opportunities tables in step with the lead (for reports). */
  const project = (db: Executor, lead: LeadRecord) =>
    Promise.all([
      lead.assignment === undefined || lead.assignment.repId === ""
        ? undefined
        : db.insertInto("assignments").values(assignmentRow(lead)).onConflict((oc) =>
          oc.columns(["lead_id", "routed_at", "rep_id"]).doUpdateSet({
            accepted_at: lead.assignment?.acceptedAt ?? null,
            first_touch_at: lead.assignment?.firstTouchAt ?? null
          })
        ).execute(),
      lead.state.opportunity === undefined
        ? undefined
        : db.insertInto("opportunities").values({
          id: lead.state.opportunity.id ?? `opp_${lead.id}`,
          lead_id: lead.id,
          amount: lead.state.opportunity.amount,
          opened_at: lead.state.opportunity.openedAt,
          closed_at: lead.state.opportunity.closedAt ?? null,
          won: lead.state.opportunity.won ?? null
        }).onConflict((oc) =>
          oc.column("id").doUpdateSet({
            amount: lead.state.opportunity!.amount,
            // a close is recorded once (the API may have set the CRM's own close date): later writes keep it
            closed_at: sql`coalesce(opportunities.closed_at, excluded.closed_at)`,
            won: sql`coalesce(opportunities.won, excluded.won)`
          })
        ).execute()
    ])

  const selectLead = (db: Executor, lock: boolean) => {
    const base = db.selectFrom("leads").selectAll()
    return lock ? base.forUpdate() : base
  }

  const leadStore = LeadStore.of({
    findById: (id) =>
      q(async (db, tx) => {
        const row = await selectLead(db, tx).where("id", "=", id).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(leadFromRow(row as LeadRow))
      }),
    claim: (id) =>
      q(async (db, tx) => {
        const base = db.selectFrom("leads").selectAll().where("id", "=", id)
        const row = await (tx ? base.forUpdate().skipLocked() : base).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(leadFromRow(row as LeadRow))
      }),
    findByEmail: (email) =>
      q(async (db, tx) => {
        // serialize everything about one email address: ingests, pending events
        if (tx) await sql`select pg_advisory_xact_lock(hashtextextended(${"email:" + email}, 0))`.execute(db)
        const row = await selectLead(db, tx).where("email", "=", email).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(leadFromRow(row as LeadRow))
      }),
    insert: (lead) =>
      q(async (db) => {
        const inserted = await db.insertInto("leads").values({ id: lead.id, ...leadColumns(lead) })
          .onConflict((oc) => oc.column("email").doNothing()).returning("id").executeTakeFirst()
        if (inserted !== undefined) await project(db, lead)
        return inserted !== undefined
      }).pipe(Effect.flatMap((ok) => ok ? Effect.void : Effect.fail(new EmailTaken({ email: lead.email, message: `A lead with email ${lead.email} already exists.` })))),
    update: (lead) =>
      q(async (db) => {
        await db.updateTable("leads").set(leadColumns(lead)).where("id", "=", lead.id).execute()
        await project(db, lead)
      }),
    events: (id) =>
      q(async (db) => {
        const rows = await db.selectFrom("lead_events").selectAll().where("lead_id", "=", id).orderBy("occurred_at").orderBy("id").execute()
        return rows.map(eventFromRow)
      }),
    appendEvents: (id, events) =>
      events.length === 0 ? Effect.void : q(async (db) => {
        await db.insertInto("lead_events").values(events.map((e) => eventRow(e, id, null))).execute()
        const latest = new Date(Math.max(...events.map((e) => e.occurredAt.getTime())))
        await db.updateTable("leads")
          .set({ last_event_at: sql`greatest(last_event_at, ${latest})` })
          .where("id", "=", id).execute()
      }),
    holdPendingEvents: (email, events) =>
      events.length === 0 ? Effect.void : q(async (db) => {
        await db.insertInto("lead_events").values(events.map((e) => eventRow(e, null, email))).execute()
      }),
    takePendingEvents: (email) =>
      q(async (db) => {
        const rows = await db.deleteFrom("lead_events").where("lead_id", "is", null).where("email", "=", email).returningAll().execute()
        return rows.sort((a, b) => Number(a.id) - Number(b.id)).map(eventFromRow)
      }),
    appendTimeline: (id, entries) =>
      entries.length === 0 ? Effect.void : q(async (db) => {
        await db.insertInto("lead_timeline").values(entries.map((entry) => timelineRow(id, entry))).execute()
      }),
    timeline: (id) =>
      q(async (db) => {
        const rows = await db.selectFrom("lead_timeline").selectAll().where("lead_id", "=", id).orderBy("id").execute()
        return rows.map((r) => decodeTimeline({
          at: iso(r.at),
          stage: r.stage,
          from: r.from_stage,
          cause: r.cause,
          ...(r.reason === null ? {} : { reason: r.reason }),
          actor: { kind: r.actor_kind, id: r.actor_id },
          agreementVersion: r.agreement_version,
          explanation: r.explanation,
          ...(r.data === null ? {} : { data: r.data })
        }))
      }),
    activities: (id) =>
      q(async (db) => {
        const rows = await db.selectFrom("activities").selectAll().where("lead_id", "=", id).orderBy("occurred_at").orderBy("id").execute()
        return rows.map((r) => decodeActivity({ repId: r.rep_id, kind: r.kind, connected: r.connected, occurredAt: iso(r.occurred_at) }))
      }),
    appendActivity: (id, a) =>
      q(async (db) => {
        await db.insertInto("activities").values({ lead_id: id, rep_id: a.repId, kind: a.kind, connected: a.connected, occurred_at: a.occurredAt }).execute()
      }),
    dueAssignments: (now, limit) =>
      q(async (db) => {
        const rows = await db.selectFrom("leads").selectAll().where("next_deadline_at", "<=", now).orderBy("next_deadline_at").limit(limit).execute()
        return rows.map((r) => leadFromRow(r as LeadRow))
      }),
    claimBatch: (claim, limit) =>
      q(async (db, tx) => {
        const f = claimFilter(claim)
        let base = db.selectFrom("leads").selectAll().where(f.column, f.op, f.at).orderBy(f.column).limit(limit)
        // the predicate of the partial index leads_rescore: leads marketing holds, and queued MQLs
        if (claim.kind === "rescore") base = base.where(sql<boolean>`(stage in ('inquiry', 'nurture') or (stage = 'mql' and owner_id is null))`)
        // locked until the unit ends; rows another worker holds are skipped, never waited for
        const rows = await (tx ? base.forUpdate().skipLocked() : base).execute()
        return rows.map((r) => leadFromRow(r as LeadRow))
      }),
    activitiesOf: (ids) =>
      ids.length === 0 ? Effect.succeed(new Map()) : q(async (db) => {
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
      ids.length === 0 ? Effect.succeed(new Map()) : q(async (db) => {
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
      leads.length === 0 ? Effect.void : q(async (db) => {
        // one row per lead (the last write wins), so each upsert touches a row once
        const byId = new Map(leads.map((l) => [l.id as string, l]))
        const all = [...byId.values()]
        for (const part of chunks(all, 1000)) {
          const rows = part.map((l) => ({ id: l.id, ...leadColumns(l) }))
          await db.insertInto("leads").values(rows).onConflict((oc) =>
            oc.column("id").doUpdateSet((eb) => {
              const set: Record<string, unknown> = {}
              for (const k of Object.keys(rows[0]!)) if (k !== "id") set[k] = eb.ref(`excluded.${k}` as any)
              return set as any
            })
          ).execute()
        }
        const projected = all.filter((l) => l.assignment !== undefined && l.assignment.repId !== "")
        for (const part of chunks(projected, 2000)) {
          await db.insertInto("assignments").values(part.map(assignmentRow)).onConflict((oc) =>
            oc.columns(["lead_id", "routed_at", "rep_id"]).doUpdateSet((eb) => ({
              accepted_at: eb.ref("excluded.accepted_at"),
              first_touch_at: eb.ref("excluded.first_touch_at")
            }))
          ).execute()
        }
        // opportunities change outside sweeps; keep them in step the one-by-one way
        for (const l of all) if (l.state.opportunity !== undefined) await project(db, l)
      }),
    appendTimelines: (entries) =>
      entries.length === 0 ? Effect.void : q(async (db) => {
        for (const part of chunks(entries, 2000)) await db.insertInto("lead_timeline").values(part.map((x) => timelineRow(x.leadId, x.entry))).execute()
      })
  })

  const repDirectory = RepDirectory.of({
    list: () => q(async (db) => (await db.selectFrom("reps").select("data").orderBy("id").execute()).map((r) => decodeRep(r.data))),
    get: (id) =>
      q(async (db) => {
        const row = await db.selectFrom("reps").select("data").where("id", "=", id).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(decodeRep(row.data))
      }),
    loads: (now) =>
      q(async (db) => {
        const reps = (await db.selectFrom("reps").select("data").execute()).map((r) => decodeRep(r.data))
        const open = await db.selectFrom("leads").select(["owner_id", sql<number>`count(*)::int`.as("n")])
          .where("owner_id", "is not", null).where("stage", "in", openStages).groupBy("owner_id").execute()
        const loads = new Map<string, { open: number; today: number }>()
        for (const r of reps) loads.set(r.id, { open: 0, today: 0 })
        for (const o of open) {
          const l = loads.get(o.owner_id!)
          if (l !== undefined) l.open = Number(o.n)
        }
        // "today" is the rep's own day: look two days back and count in their time zone
        const since = new Date(now.getTime() - 2 * 86_400_000)
        // counted in the database for reps whose time zone it knows (one row per rep, not per assignment)
        zones ??= new Set((await sql<{ name: string }>`select name from pg_timezone_names`.execute(db)).rows.map((r) => r.name))
        const inDb = reps.filter((r) => zones!.has(r.timezone)).map((r) => r.id as string)
        if (inDb.length > 0) {
          const counted = await sql<{ rep_id: string; n: number }>`
            select a.rep_id, count(*)::int as n from assignments a join reps r on r.id = a.rep_id
            where a.routed_at > ${since} and a.rep_id in (${sql.join(inDb)})
              and (a.routed_at at time zone (r.data->>'timezone'))::date = (${now}::timestamptz at time zone (r.data->>'timezone'))::date
            group by a.rep_id`.execute(db)
          for (const c of counted.rows) {
            const l = loads.get(c.rep_id)
            if (l !== undefined) l.today = Number(c.n)
          }
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
      q(async (db) => {
        const row = await db.selectFrom("accounts").selectAll().where("domain", "=", domain).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(accountFromRow(row))
      }),
    findByDomains: (domains) =>
      domains.length === 0 ? Effect.succeed(new Map()) : q(async (db) => {
        const out = new Map<string, Account>()
        for (const part of chunks(domains, 5000)) {
          const rows = await db.selectFrom("accounts").selectAll().where("domain", "in", [...part]).execute()
          for (const r of rows) out.set(r.domain, accountFromRow(r))
        }
        return out
      })
  })

  const rotationLedger = RotationLedger.of({
    summaries: (pods) =>
      q(async (db, tx) => {
        const out = new Map<string, LedgerSummary>()
        if (pods.length === 0) return out
        // hold these pods' rotation until the unit ends; always in the same order (no deadlock)
        if (tx) for (const pod of [...new Set(pods)].sort()) await sql`select pg_advisory_xact_lock(hashtextextended(${"pod:" + pod}, 0))`.execute(db)
        // the ledger condensed in the database: last reset per pod, then turns since it and each rep's last turn
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
        for (const pod of pods) {
          const reset = resets.find((r) => r.pod === pod)
          const mine = turns.filter((t) => t.pod === pod)
          out.set(pod, {
            resetMembers: reset === undefined ? undefined : (reset.members as ReadonlyArray<string> | null) ?? [],
            turns: new Map(mine.filter((t) => t.turns > 0).map((t) => [t.rep_id!, Number(t.turns)])),
            lastTurn: new Map(mine.map((t) => [t.rep_id!, Number(t.last_seq)]))
          })
        }
        return out
      }),
    entries: (pod, { afterSeq = 0, limit }) =>
      q(async (db) => {
        const rows = await db.selectFrom("rotation_ledger").selectAll().where("pod", "=", pod).where(sql<boolean>`seq > ${afterSeq}`).orderBy("seq").limit(limit).execute()
        return rows.map((r) => ({ ...ledgerFromRow(r), seq: Number(r.seq) }))
      }),
    append: (entries) =>
      entries.length === 0 ? Effect.void : q(async (db) => {
        for (const part of chunks(entries, 5000)) {
          await db.insertInto("rotation_ledger").values(part.map((e) => ({
            pod: e.pod,
            at: e.at,
            kind: e.kind,
            rep_id: e.repId ?? null,
            lead_id: e.leadId ?? null,
            reason: e.reason ?? null,
            members: e.members === undefined ? null : json(e.members)
          }))).execute()
        }
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
      q(async (db) => {
        const row = await db.selectFrom("agreement_versions").selectAll().where("active", "=", true).executeTakeFirst()
        if (row === undefined) throw new Error("no active agreement: the store was not initialised (ensureAgreement)")
        return versionFromRow(row)
      }),
    version: (v) =>
      q(async (db) => {
        const row = await db.selectFrom("agreement_versions").selectAll().where("version", "=", v).executeTakeFirst()
        return row === undefined ? Option.none() : Option.some(versionFromRow(row))
      }),
    versions: () => q(async (db) => (await db.selectFrom("agreement_versions").selectAll().orderBy("version").execute()).map(versionFromRow)),
    activate: (agreement, createdBy, at) =>
      transaction(q(async (db) => {
        await sql`select pg_advisory_xact_lock(hashtextextended('agreement_versions', 0))`.execute(db)
        const max = await db.selectFrom("agreement_versions").select(sql<number>`coalesce(max(version), 0)::int`.as("v")).executeTakeFirstOrThrow()
        const version = Number(max.v) + 1
        await db.updateTable("agreement_versions").set({ active: false }).where("active", "=", true).execute()
        await db.insertInto("agreement_versions").values({ version, document: json(encodeAgreement(agreement)), created_at: at, created_by: createdBy, active: true }).execute()
        const v: AgreementVersion = { version, agreement, createdAt: at, createdBy }
        decoded.set(version, v)
        return v
      }))
  })

  const outbox = Outbox.of({
    publish: (messages) =>
      messages.length === 0 ? Effect.void : q(async (db) => {
        for (const part of chunks(messages, 5000)) {
          await db.insertInto("outbox").values(part.map((m) => ({ topic: m.topic, key: m.key, payload: json(m.payload), at: m.at }))).execute()
        }
      })
  })

  const idGenerator = IdGenerator.of({ next: (prefix) => Effect.sync(() => newId(prefix)) })

  return { leadStore, repDirectory, accountDirectory, rotationLedger, agreementStore, outbox, idGenerator, transactor: Transactor.of({ transaction }), executor, inTx, q }
})

const eventRow = (e: LeadEvent, leadId: string | null, email: string | null) => {
  const enc = encodeEvent(e)
  return {
    lead_id: leadId,
    email,
    type: e.type,
    occurred_at: e.occurredAt,
    properties: json(enc.properties ?? {}),
    channel: e.channel ?? null,
    campaign: e.campaign ?? null
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
