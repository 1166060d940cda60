/**
 * In-memory implementations of every port: the tests' store, and a way to try the
 * handoff policy without a database. One `Ref` holds the whole state, so each port call
 * is atomic; `Transactor.transaction` runs a unit under a semaphore so units do not
 * interleave, and restores the state when the unit fails (the Postgres adapter gets the
 * same guarantees from a transaction).
 */
import { Context, Effect, FiberRef, Layer, Option, Ref } from "effect"
import type { Agreement, AgreementVersion } from "./Agreement.ts"
import { wallClock } from "./BusinessTime.ts"
import type { Account, LeadEvent, Rep, RepLoad } from "./Lead.ts"
import type { TimelineEntry } from "./Lifecycle.ts"
import type { KeyedEvent } from "./Receipt.ts"
import {
  AccountDirectory, AgreementStore, claimKey, EmailTaken, IdGenerator, type LeadRecord, LeadStore, nextSlaDeadline, Outbox,
  type OutboxMessage, RepDirectory, RotationLedger, Transactor
} from "./Ports.ts"
import { type LedgerEntry, summarizeLedger } from "./Routing.ts"
import type { Activity } from "./Sla.ts"

export interface InMemoryState {
  readonly leads: ReadonlyMap<string, LeadRecord>
  readonly byEmail: ReadonlyMap<string, string>
  readonly events: ReadonlyMap<string, ReadonlyArray<LeadEvent>>
  readonly pending: ReadonlyMap<string, ReadonlyArray<LeadEvent>>
  readonly timeline: ReadonlyMap<string, ReadonlyArray<TimelineEntry>>
  readonly activities: ReadonlyMap<string, ReadonlyArray<Activity>>
  readonly reps: ReadonlyMap<string, Rep>
  readonly accounts: ReadonlyMap<string, Account>
  readonly ledger: ReadonlyArray<LedgerEntry>
  readonly agreements: ReadonlyArray<AgreementVersion>
  readonly outbox: ReadonlyArray<OutboxMessage>
  readonly nextId: number
}

export const emptyState = (agreement: Agreement, at = new Date(0)): InMemoryState => ({
  leads: new Map(),
  byEmail: new Map(),
  events: new Map(),
  pending: new Map(),
  timeline: new Map(),
  activities: new Map(),
  reps: new Map(),
  accounts: new Map(),
  ledger: [],
  agreements: [{ version: 1, agreement, createdAt: at, createdBy: "default" }],
  outbox: [],
  nextId: 1
})

const put = <K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> => new Map(m).set(k, v)
const appendTo = <V>(m: ReadonlyMap<string, ReadonlyArray<V>>, k: string, vs: ReadonlyArray<V>) => put(m, k, [...(m.get(k) ?? []), ...vs])

/** Every port over one shared state `Ref`; `ref` is exposed so tests can look inside. */
export const makeInMemory = (ref: Ref.Ref<InMemoryState>) => {
  const read = Ref.get(ref)
  const modify = (f: (s: InMemoryState) => InMemoryState) => Ref.update(ref, f)

  const storedKeys = (s: InMemoryState): Set<string> => {
    const out = new Set<string>()
    for (const m of [s.events, s.pending]) for (const evs of m.values()) for (const e of evs as ReadonlyArray<KeyedEvent>) if (e.key !== undefined) out.add(e.key)
    return out
  }
  /** Events whose key is not stored yet (nor repeated within these). */
  const unstored = (s: InMemoryState, events: ReadonlyArray<KeyedEvent>): ReadonlyArray<KeyedEvent> => {
    const stored = storedKeys(s)
    return events.filter((e) => {
      if (e.key === undefined) return true
      if (stored.has(e.key)) return false
      stored.add(e.key)
      return true
    })
  }

  const leadStore = LeadStore.of({
    findById: (id) => read.pipe(Effect.map((s) => Option.fromNullable(s.leads.get(id)))),
    claim: (id) => read.pipe(Effect.map((s) => Option.fromNullable(s.leads.get(id)))),
    findByEmail: (email) => read.pipe(Effect.map((s) => Option.fromNullable(s.byEmail.get(email)).pipe(Option.flatMap((id) => Option.fromNullable(s.leads.get(id)))))),
    insert: (lead) =>
      Ref.modify(ref, (s) =>
        s.byEmail.has(lead.email)
          ? [false, s]
          : [true, { ...s, leads: put(s.leads, lead.id, lead), byEmail: put(s.byEmail, lead.email, lead.id) }]
      ).pipe(Effect.flatMap((ok) => ok ? Effect.void : Effect.fail(new EmailTaken({ email: lead.email, message: `A lead with email ${lead.email} already exists.` })))),
    update: (lead) => modify((s) => ({ ...s, leads: put(s.leads, lead.id, lead) })),
    events: (id) => read.pipe(Effect.map((s) => s.events.get(id) ?? [])),
    appendEvents: (id, events) => modify((s) => ({ ...s, events: appendTo(s.events, id, unstored(s, events)) })),
    holdPendingEvents: (email, events) => modify((s) => ({ ...s, pending: appendTo(s.pending, email, unstored(s, events)) })),
    storedEventKeys: (keys) => read.pipe(Effect.map((s) => {
      const stored = storedKeys(s)
      return new Set(keys.filter((k) => stored.has(k)))
    })),
    takePendingEvents: (email) =>
      Ref.modify(ref, (s) => {
        const held = s.pending.get(email) ?? []
        const pending = new Map(s.pending)
        pending.delete(email)
        return [held, { ...s, pending }]
      }),
    appendTimeline: (id, entries) => modify((s) => ({ ...s, timeline: appendTo(s.timeline, id, entries) })),
    timeline: (id) => read.pipe(Effect.map((s) => s.timeline.get(id) ?? [])),
    activities: (id) => read.pipe(Effect.map((s) => s.activities.get(id) ?? [])),
    appendActivity: (id, activity) => modify((s) => ({ ...s, activities: appendTo(s.activities, id, [activity]) })),
    dueAssignments: (now, limit) =>
      read.pipe(Effect.map((s) =>
        [...s.leads.values()]
          .map((l) => [l, nextSlaDeadline(l)?.getTime()] as const)
          .filter((x): x is readonly [LeadRecord, number] => x[1] !== undefined && x[1] <= now.getTime())
          .sort((a, b) => a[1] - b[1])
          .slice(0, limit)
          .map(([l]) => l)
      )),
    claimBatch: (claim, limit) =>
      read.pipe(Effect.map((s) =>
        [...s.leads.values()]
          .map((l) => [l, claimKey(claim, l)] as const)
          .filter((x): x is readonly [LeadRecord, number] => x[1] !== undefined)
          .sort((a, b) => a[1] - b[1])
          .slice(0, limit)
          .map(([l]) => l)
      )),
    activitiesOf: (ids) => read.pipe(Effect.map((s) => new Map(ids.map((id) => [id as string, s.activities.get(id) ?? []] as const)))),
    eventsOf: (ids) => read.pipe(Effect.map((s) => new Map(ids.map((id) => [id as string, s.events.get(id) ?? []] as const)))),
    updateMany: (leads) => modify((s) => ({ ...s, leads: new Map([...s.leads, ...leads.map((l) => [l.id as string, l] as const)]) })),
    appendTimelines: (entries) =>
      modify((s) => {
        let timeline = s.timeline
        for (const { entry, leadId } of entries) timeline = appendTo(timeline, leadId, [entry])
        return { ...s, timeline }
      })
  })

  const repDirectory = RepDirectory.of({
    list: () => read.pipe(Effect.map((s) => [...s.reps.values()].sort((a, b) => a.id.localeCompare(b.id)))),
    get: (id) => read.pipe(Effect.map((s) => Option.fromNullable(s.reps.get(id)))),
    loads: (now) =>
      read.pipe(Effect.map((s) => {
        const loads = new Map<string, { open: number; today: number }>()
        for (const rep of s.reps.values()) loads.set(rep.id, { open: 0, today: 0 })
        for (const lead of s.leads.values()) {
          const owner = lead.state.ownerId
          const load = owner === undefined ? undefined : loads.get(owner)
          if (load === undefined || lead.assignment === undefined) continue
          if (["mql", "sal", "sql", "opportunity"].includes(lead.state.stage)) load.open++
          const rep = s.reps.get(owner!)!
          const day = (d: Date) => { const w = wallClock(rep.timezone, d); return `${w.year}-${w.month}-${w.day}` }
          if (day(lead.assignment.routedAt) === day(now)) load.today++
        }
        return loads as ReadonlyMap<string, RepLoad>
      }))
  })

  const accountDirectory = AccountDirectory.of({
    findByDomain: (domain) => read.pipe(Effect.map((s) => Option.fromNullable(s.accounts.get(domain)))),
    findByDomains: (domains) =>
      read.pipe(Effect.map((s) => new Map(domains.flatMap((d) => {
        const a = s.accounts.get(d)
        return a === undefined ? [] : [[d, a] as const]
      }))))
  })

  const rotationLedger = RotationLedger.of({
    summaries: (pods) => read.pipe(Effect.map((s) => new Map(pods.map((pod) => [pod, summarizeLedger(pod, s.ledger)] as const)))),
    entries: (pod, { afterSeq = 0, limit }) =>
      read.pipe(Effect.map((s) =>
        s.ledger.map((e, i) => ({ ...e, seq: i + 1 })).filter((e) => e.pod === pod && e.seq > afterSeq).slice(0, limit)
      )),
    append: (entries) => modify((s) => ({ ...s, ledger: [...s.ledger, ...entries] }))
  })

  const agreementStore = AgreementStore.of({
    active: () => read.pipe(Effect.map((s) => s.agreements[s.agreements.length - 1]!)),
    version: (v) => read.pipe(Effect.map((s) => Option.fromNullable(s.agreements.find((a) => a.version === v)))),
    versions: () => read.pipe(Effect.map((s) => s.agreements)),
    activate: (agreement, createdBy, at) =>
      Ref.modify(ref, (s) => {
        const version: AgreementVersion = { version: s.agreements.length + 1, agreement, createdAt: at, createdBy }
        return [version, { ...s, agreements: [...s.agreements, version] }]
      })
  })

  const outbox = Outbox.of({ publish: (messages) => modify((s) => ({ ...s, outbox: [...s.outbox, ...messages] })) })

  const idGenerator = IdGenerator.of({
    next: (prefix) => Ref.modify(ref, (s) => [`${prefix}_${String(s.nextId).padStart(6, "0")}`, { ...s, nextId: s.nextId + 1 }])
  })

  return { leadStore, repDirectory, accountDirectory, rotationLedger, agreementStore, outbox, idGenerator }
}

/** Seed helpers for tests and demos. */
export const withReps = (reps: ReadonlyArray<Rep>) => (s: InMemoryState): InMemoryState => ({
  ...s,
  reps: new Map([...s.reps, ...reps.map((r) => [r.id as string, r] as const)])
})

export const withAccounts = (accounts: ReadonlyArray<Account>) => (s: InMemoryState): InMemoryState => ({
  ...s,
  accounts: new Map([...s.accounts, ...accounts.map((a) => [a.domain, a] as const)])
})

/** The state behind the in-memory ports, for tests that look inside or seed it. */
export class InMemoryRef extends Context.Tag("@handoff/domain/InMemoryRef")<InMemoryRef, Ref.Ref<InMemoryState>>() {}

/** Every port in memory, starting from `initial`, plus `InMemoryRef`. */
export const inMemoryLayer = (initial: InMemoryState) =>
  Layer.scopedContext(Effect.gen(function*() {
    const ref = yield* Ref.make(initial)
    const ports = makeInMemory(ref)
    const semaphore = yield* Effect.makeSemaphore(1)
    // a unit inside a unit joins it (as a nested call joins a Postgres transaction)
    const inside = yield* FiberRef.make(false)
    const transaction = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.flatMap(FiberRef.get(inside), (nested) =>
        nested ? self : semaphore.withPermits(1)(
          // all or nothing: a unit that fails leaves the state as it found it
          Effect.flatMap(Ref.get(ref), (snapshot) =>
            Effect.locally(self, inside, true).pipe(Effect.onExit((exit) => exit._tag === "Failure" ? Ref.set(ref, snapshot) : Effect.void)))
        ))
    return Context.make(InMemoryRef, ref).pipe(
      Context.add(LeadStore, ports.leadStore),
      Context.add(RepDirectory, ports.repDirectory),
      Context.add(AccountDirectory, ports.accountDirectory),
      Context.add(RotationLedger, ports.rotationLedger),
      Context.add(AgreementStore, ports.agreementStore),
      Context.add(Outbox, ports.outbox),
      Context.add(IdGenerator, ports.idGenerator),
      Context.add(Transactor, Transactor.of({ transaction }))
    )
  }))
