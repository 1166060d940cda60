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
  Rep, type RepLoad, RepDirectory, RotationLedger, TimelineEntry, Transactor, wallClock, Account
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
    agreementVersion: row.agreement_version
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
    enriched_at: lead.enrichedAt ?? null
  }
}

/** A random, roughly time-ordered id with a readable prefix: `lead_m3k9x2q8a1b2c3d4e5f6`. */
export const newId = (prefix: string): string => `${prefix}_${Date.now().toString(36)}${randomBytes(8).toString("hex")}`

const openStages = ["mql", "sal", "sql", "opportunity"]

export const makeStore = Effect.gen(function*() {
  const { kysely } = yield* Db

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
        : db.insertInto("assignments").values({
          lead_id: lead.id,
          rep_id: lead.assignment.repId,
          pod: lead.assignment.pod,
          tier: lead.assignment.tier,
          t0: lead.assignment.t0,
          routed_at: lead.assignment.routedAt,
          accept_by: lead.assignment.acceptBy ?? null,
          first_touch_by: lead.assignment.firstTouchBy ?? null,
          accepted_at: lead.assignment.acceptedAt ?? null,
          first_touch_at: lead.assignment.firstTouchAt ?? null,
          reassignments: lead.assignment.reassignments,
          agreement_version: lead.agreementVersion
        }).onConflict((oc) =>
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
        await db.insertInto("lead_timeline").values(entries.map((entry) => {
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
        })).execute()
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
        // "today" is the rep's own day: look two days back and count in their time zone
        const recent = await db.selectFrom("assignments").select(["rep_id", "routed_at"])
          .where("routed_at", ">", new Date(now.getTime() - 2 * 86_400_000)).execute()
        const loads = new Map<string, { open: number; today: number }>()
        for (const r of reps) loads.set(r.id, { open: 0, today: 0 })
        for (const o of open) {
          const l = loads.get(o.owner_id!)
          if (l !== undefined) l.open = Number(o.n)
        }
        const dayOf = (tz: string, d: Date) => {
          const w = wallClock(tz, d)
          return `${w.year}-${w.month}-${w.day}`
        }
        for (const a of recent) {
          const rep = reps.find((r) => r.id === a.rep_id)
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
        await db.insertInto("rotation_ledger").values(entries.map((e) => ({
          pod: e.pod,
          at: e.at,
          kind: e.kind,
          rep_id: e.repId ?? null,
          lead_id: e.leadId ?? null,
          reason: e.reason ?? null,
          members: e.members === undefined ? null : json(e.members)
        }))).execute()
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
        await db.insertInto("outbox").values(messages.map((m) => ({ topic: m.topic, key: m.key, payload: json(m.payload), at: m.at }))).execute()
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
