/**
 * The demo company, live: a discrete-event simulation of Company A (see `Company.ts`)
 * driving Handoff's real use cases — `ingest`, `recordEvents`, `enrich`, `accept`,
 * `reject`, `logActivity`, `qualify`, `openOpportunity`, `closeOpportunity` and the SLA,
 * decay, re-evaluation and inactivity sweeps — over whatever store layer it is given (in
 * memory, PGlite or PostgreSQL), on a simulated clock.
 *
 * A priority queue holds every scheduled action in time order. The clock is set to each
 * action's instant before it runs, so the use cases (which read `Clock.currentTimeMillis`)
 * see the simulated time: form fills at T0, events, enrichment a few minutes later, reps
 * accepting hot leads within 2 minutes (mostly — the late ones are reassigned to the AE
 * backup pod by the breach sweep), first touches on time or late, cadences, rejections
 * with reasons, qualification to SQL, opportunities that are won or lost weeks later, and
 * the worker's sweeps every few simulated minutes.
 *
 * The simulation only reads the store through the domain ports (to see what a use case
 * decided); it never writes tables. Same seed ⇒ same company ⇒ same fate for each lead.
 */
import {
  type Actor, addBusinessTime, compileCalendar, type CompiledCalendar, Handoff, isInLimbo, type LeadRecord, LeadStore,
  nextOpening, nextSlaDeadline, type RejectionReason, type Rep, type Stage
} from "@handoff/domain"
import type { LeadId } from "@handoff/domain"
import { StoreAdmin } from "@handoff/db/Store"
import { Clock, Effect } from "effect"
import { type Channel, channels, companyA, type CompanyModel, type LeadPlan } from "./Company.ts"
import { Rng } from "./Random.ts"

const MIN = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

// ---------------------------------------------------------------------------
// Options and results
// ---------------------------------------------------------------------------

export interface DemoProgress {
  /** The simulated instant reached. */
  readonly simulatedAt: Date
  /** Share of the period simulated, 0..1. */
  readonly fraction: number
  /** Leads ingested so far. */
  readonly leads: number
  readonly elapsedMs: number
}

export interface DemoOptions {
  /** The company's seed (default 1). Same seed ⇒ same company and same fate for every lead. */
  readonly seed?: number
  /** How many months to replay (default 3: a quarter). */
  readonly months?: number
  /** The end of the replayed period (default now). */
  readonly end?: Date
  /** Called about once per simulated hour. */
  readonly onProgress?: (p: DemoProgress) => void
  /** Minutes between the worker's SLA sweeps (default 5; the sweep also runs at every accept and first-touch deadline). */
  readonly sweepEveryMinutes?: number
  /**
   * Leads one sweep batch claims (default 500, the worker's). Smaller batches make shorter
   * units: a first start seeding beside live requests uses 50, so a request never waits long
   * behind one.
   */
  readonly sweepBatch?: number
  /** Run the hourly re-evaluation and inactivity sweeps too (default true). */
  readonly recycleSweeps?: boolean
  /**
   * Run the hourly decay sweep too (default false). Off by default: the current sweep
   * re-routes a rejected or recycled lead whose (already handled) hand-raise is still
   * live — an hourly re-MQL loop that would swamp the demo's funnel.
   */
  readonly decaySweep?: boolean
  /** Include the per-lead fates in the summary (default true). */
  readonly fates?: boolean
}

/** What happened to one lead of the stream (by its index in the stream, the identity across runs). */
export interface LeadFate {
  readonly index: number
  readonly channel: Channel
  readonly intent: string
  readonly fromAccount: boolean
  /** The tier of its (first) handoff, if it was handed to sales. */
  tier?: string
  mql: boolean
  /** Reps who owned it, in order (reassignments included). */
  owners: Array<string>
  /** The pods they were routed from, same order. */
  pods: Array<string>
  flags: Array<string>
  abmSuppressed: boolean
  reassigned: boolean
  queued: boolean
  rejected?: RejectionReason
  sal: boolean
  sql: boolean
  opportunity: boolean
  won: boolean
  lost: boolean
  /** The stage at the end of the period. */
  stage?: Stage
  /** The stored lead's id (differs between stores; not part of the fate). */
  leadId?: string
}

export interface DemoSummary {
  readonly seed: number
  readonly from: Date
  readonly to: Date
  readonly reps: number
  readonly accounts: number
  /** Leads created (distinct people by normalized email). */
  readonly leads: number
  /** Inquiries (form fills), including repeat ones merged into an existing lead. */
  readonly inquiries: number
  readonly events: number
  readonly enrichments: number
  readonly byChannel: Readonly<Record<Channel, number>>
  /** Leads that became an MQL at least once. */
  readonly mqls: number
  /** Leads that were routed to a rep at least once. */
  readonly routed: number
  readonly sals: number
  readonly sqls: number
  readonly opportunities: number
  readonly won: number
  readonly lost: number
  readonly wonAmount: number
  readonly rejections: Readonly<Record<string, number>>
  /** SLA breaches the sweeps acted on, and how many of them reassigned the lead. */
  readonly breaches: { readonly handled: number; readonly reassigned: number; readonly byKind: Readonly<Record<string, number>> }
  /** Leads that waited in a named queue at some point. */
  readonly queued: number
  /** Rep actions the use cases refused (the lead had moved on, e.g. recycled by a sweep). */
  readonly refused: number
  /** Use-case calls made (ingest, events, enrich, rep actions, sweeps). */
  readonly calls: number
  /** MQLs with neither owner nor queue at the end (must be 0). */
  readonly limbo: number
  /** Leads by stage at the end. */
  readonly stages: Readonly<Record<string, number>>
  readonly elapsedMs: number
  /** Wall-clock time spent in each kind of call (ms) and how many were made: where a seeding's time goes. */
  readonly timings: Readonly<Record<string, { readonly calls: number; readonly ms: number }>>
  readonly fates?: ReadonlyArray<LeadFate>
}

// ---------------------------------------------------------------------------
// The event queue
// ---------------------------------------------------------------------------

type Action = Effect.Effect<void, never, Handoff | LeadStore>

interface Scheduled {
  readonly at: number
  readonly seq: number
  readonly run: () => Action
}

/** A binary min-heap on (at, seq): ties run in the order they were scheduled. */
class Queue {
  private readonly items: Array<Scheduled> = []
  private seq = 0
  get size() {
    return this.items.length
  }
  push(at: number, run: () => Action) {
    const item = { at, seq: this.seq++, run }
    const h = this.items
    h.push(item)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }
  peek(): Scheduled | undefined {
    return this.items[0]
  }
  pop(): Scheduled | undefined {
    const h = this.items
    const top = h[0]
    const last = h.pop()
    if (top === undefined || last === undefined || h.length === 0) return top
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && less(h[l]!, h[m]!)) m = l
      if (r < h.length && less(h[r]!, h[m]!)) m = r
      if (m === i) break
      ;[h[i], h[m]] = [h[m]!, h[i]!]
      i = m
    }
    return top
  }
}
const less = (a: Scheduled, b: Scheduled) => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A clock that reads a mutable instant the simulation advances (sleeping still uses real time). */
const simulatedClock = (now: () => number): Clock.Clock => {
  const real = Clock.make()
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: now,
    currentTimeMillis: Effect.sync(now),
    unsafeCurrentTimeNanos: () => BigInt(now()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n),
    sleep: (duration) => real.sleep(duration)
  }
}

// ---------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------

interface Tracked {
  readonly plan: LeadPlan
  leadId?: string
  stage?: Stage
  ownerId?: string | undefined
  /** The current assignment (owner and when it started): a new one starts a new generation of rep behaviour. */
  assignmentKey?: string
  gen: number
  mqlAt?: number
  readonly fate: LeadFate
}

const forms: Actor = { kind: "api_key", id: "key_web_forms" }
const analytics: Actor = { kind: "api_key", id: "key_product_analytics" }
const enrichmentVendor: Actor = { kind: "api_key", id: "key_enrichment" }
const repActor = (repId: string): Actor => ({ kind: "rep", id: repId })

/** The period a run covers: `months` calendar months ending at `end`. */
export const demoPeriod = (months: number, end: Date): { readonly start: Date; readonly end: Date } => {
  const start = new Date(end)
  const whole = Math.floor(months)
  start.setUTCMonth(start.getUTCMonth() - whole)
  const rest = months - whole
  return { start: new Date(start.getTime() - rest * 30.44 * DAY), end }
}

/**
 * Seed the store with Company A: upsert its reps and accounts (through `StoreAdmin`), then
 * replay `months` (default 3) of its inbound lead stream ending at `end` (default now)
 * through the Handoff use cases on a simulated clock, and return what happened.
 */
export const seedDemo = (options: DemoOptions = {}) =>
  Effect.gen(function*() {
    const startedAt = Date.now()
    const end = options.end ?? new Date(yield* Clock.currentTimeMillis)
    const period = demoPeriod(options.months ?? 3, end)
    const seed = options.seed ?? 1
    const company = companyA({ seed, start: period.start, end: period.end })
    const admin = yield* StoreAdmin
    yield* admin.ensureAgreement(period.start)
    for (const rep of company.reps) yield* admin.upsertRep(rep, period.start)
    for (const account of company.accounts.accounts) yield* admin.upsertAccount(account, period.start)
    const summary = yield* replay(company, options, startedAt)
    return summary
  })

/** Replay a company's lead stream on the store (reps and accounts already in place). */
export const replay = (company: CompanyModel, options: DemoOptions, startedAt = Date.now()) =>
  Effect.gen(function*() {
    const handoff = yield* Handoff
    const store = yield* LeadStore
    const startMs = company.start.getTime()
    const endMs = company.end.getTime()
    let now = startMs
    const clock = simulatedClock(() => now)
    const queue = new Queue()
    const seed = company.seed
    const sweepEvery = Math.max(1, options.sweepEveryMinutes ?? 5) * MIN
    const recycleSweeps = options.recycleSweeps ?? true
    const decaySweep = options.decaySweep ?? false
    const batch = Math.max(1, options.sweepBatch ?? 500)

    const repById = new Map(company.reps.map((r) => [r.id as string, r]))
    const calendars = new Map<string, CompiledCalendar>()
    const calendarOf = (rep: Rep): CompiledCalendar => {
      let c = calendars.get(rep.id)
      if (c === undefined) {
        c = compileCalendar({ timezone: rep.timezone, workingHours: rep.workingHours })
        calendars.set(rep.id, c)
      }
      return c
    }
    /** When the rep can next act: back from any time off, then the next opening of their hours. */
    const repAvailableAt = (rep: Rep, t: number): number => {
      let at = t
      for (const o of rep.outOfOffice) if (at >= o.from.getTime() && at < o.to.getTime()) at = o.to.getTime()
      return nextOpening(calendarOf(rep), new Date(at)).getTime()
    }

    const tracked: Array<Tracked> = company.leads.map((plan) => ({
      plan,
      gen: 0,
      fate: {
        index: plan.index, channel: plan.channel, intent: plan.intent, fromAccount: plan.fromAccount, mql: false, owners: [], pods: [], flags: [],
        abmSuppressed: false, reassigned: false, queued: false, sal: false, sql: false, opportunity: false, won: false, lost: false
      }
    }))
    const byLeadId = new Map<string, Tracked>()

    const counts = {
      leads: 0, inquiries: 0, events: 0, enrichments: 0, refused: 0, calls: 0, wonAmount: 0,
      breaches: 0, reassigned: 0
    }
    const rejections: Record<string, number> = {}
    const breachKinds: Record<string, number> = {}
    const timings: Record<string, { calls: number; ms: number }> = {}
    const timed = <A, E, R>(kind: string, eff: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() => {
        const t0 = performance.now()
        return Effect.ensuring(eff, Effect.sync(() => {
          const entry = timings[kind] ?? (timings[kind] = { calls: 0, ms: 0 })
          entry.calls++
          entry.ms += performance.now() - t0
        }))
      })
    const byChannel = Object.fromEntries(channels.map((c) => [c, 0])) as Record<Channel, number>

    const schedule = (at: number, run: () => Action) => {
      if (at < endMs) queue.push(Math.max(at, now), run)
    }
    const sweepMinutes = new Set<number>()
    const scheduleSweepAt = (t: number) => {
      const minute = Math.ceil((t + 1) / MIN) * MIN
      if (minute >= endMs || sweepMinutes.has(minute)) return
      sweepMinutes.add(minute)
      schedule(minute, () => Effect.sync(() => sweepMinutes.delete(minute)).pipe(Effect.zipRight(slaSweep)))
    }

    // -- observing what the use cases decided ---------------------------------

    const observe = (t: Tracked, lead: LeadRecord) => {
      t.leadId = lead.id
      byLeadId.set(lead.id, t)
      const s = lead.state
      t.stage = s.stage
      t.ownerId = s.ownerId
      const f = t.fate
      if (s.mqlAt !== undefined && s.mqlAt.getTime() !== t.mqlAt) {
        t.mqlAt = s.mqlAt.getTime()
        f.mql = true
        if (f.tier === undefined && lead.tier !== undefined) f.tier = lead.tier
      }
      if (s.stage === "mql" && s.ownerId === undefined && s.queue !== undefined) f.queued = true
      if (s.stage === "mql" && s.ownerId !== undefined) {
        const key = `${s.ownerId}@${s.assignedAt?.getTime() ?? 0}`
        if (key !== t.assignmentKey) {
          if (t.assignmentKey !== undefined && f.owners.length > 0 && s.reassignments > 0) f.reassigned = true
          t.assignmentKey = key
          t.gen++
          f.owners.push(s.ownerId)
          f.pods.push(lead.assignment?.pod ?? s.pod ?? "")
          for (const flag of lead.flags) if (!f.flags.includes(flag)) f.flags.push(flag)
          if (lead.flags.includes("abm_suppressed")) f.abmSuppressed = true
          planRep(t, lead)
        }
      }
      const due = nextSlaDeadline(lead)
      if (due !== undefined && lead.assignment !== undefined && lead.assignment.repId !== "") scheduleSweepAt(due.getTime())
    }

    const refresh = (t: Tracked) =>
      t.leadId === undefined
        ? Effect.void
        : timed("read", store.findById(t.leadId as LeadId)).pipe(Effect.map((o) => {
          if (o._tag === "Some") observe(t, o.value)
        }))

    /** Run a rep's use case; a refusal (the lead moved on) is counted and the lead looked at again. */
    const repCall = <E>(t: Tracked, gen: number, repId: string, call: (leadId: string) => Effect.Effect<LeadRecord, E>, after?: (lead: LeadRecord) => void, kind = "rep"): Action =>
      Effect.suspend(() => {
        if (t.gen !== gen || t.leadId === undefined || (t.ownerId !== undefined && t.ownerId !== repId)) return Effect.void
        counts.calls++
        return timed(kind, call(t.leadId)).pipe(
          Effect.matchEffect({
            onFailure: () => Effect.sync(() => counts.refused++).pipe(Effect.zipRight(refresh(t))),
            onSuccess: (lead) => Effect.sync(() => {
              observe(t, lead)
              after?.(lead)
            })
          })
        )
      })

    // -- the reps ---------------------------------------------------------------

    /** What the owner of a new assignment will do, decided once from the seed. */
    const planRep = (t: Tracked, lead: LeadRecord) => {
      const gen = t.gen
      const repId = lead.state.ownerId!
      const rep = repById.get(repId)
      if (rep === undefined) return
      const plan = t.plan
      const r = Rng.of(seed, "rep", plan.index, gen)
      const a = lead.assignment
      const routedAt = (a?.routedAt ?? lead.state.assignedAt ?? new Date(now)).getTime()
      const tier = a?.tier ?? lead.tier ?? "warm"
      const hot = tier === "hot"
      const abm = lead.flags.includes("abm_suppressed")
      // what the rep sees once the lead is enriched: the company's size and industry and the person's role
      const fit = trueFit(plan)
      const x = plan.readiness

      // response: hot leads mostly within the 2-minute accept window; others when the rep is at work
      let respondAt: number
      if (a?.acceptBy !== undefined) {
        respondAt = r.chance(hot ? 0.8 : 0.85)
          ? routedAt + r.between(15_000, 110_000)
          : routedAt + r.between(3 * MIN, 40 * MIN)
      } else {
        const open = repAvailableAt(rep, routedAt)
        respondAt = r.chance(0.92)
          ? open + Math.min(4 * HOUR, r.logNormal(25 * MIN, 0.9))
          : addBusinessTime(calendarOf(rep), new Date(open), r.between(8 * HOUR, 20 * HOUR)).getTime()
      }

      // a duplicate of an earlier lead: rejected into it
      const original = plan.duplicateOf === undefined ? undefined : tracked[plan.duplicateOf]
      if (original?.leadId !== undefined) {
        const into = original.leadId
        schedule(respondAt, () => repCall(t, gen, repId, (id) => handoff.reject(id, { repId, reason: "duplicate", into, note: "Same person as an earlier lead." }, repActor(repId)), () => {
          t.fate.rejected = "duplicate"
          rejections.duplicate = (rejections.duplicate ?? 0) + 1
        }))
        return
      }

      const pReject = Math.min(0.9, Math.max(0.02,
        (hot ? 0.04 : tier === "warm-plus" ? 0.07 : 0.1) + (fit ? 0 : 0.25) + (plan.freeMail ? 0.06 : 0) - (abm ? 0.08 : 0) - 0.08 * x))
      if (r.chance(pReject)) {
        const reason: RejectionReason = !fit
          ? r.weighted([["wrong_icp", 75], ["other", 25]] as const)
          : r.weighted([["premature", tier === "warm" ? 55 : 30], ["wrong_icp", 20], ["other", 15], ["unreachable", 5]] as const)
        schedule(respondAt, () => reject(t, gen, repId, reason))
        return
      }

      schedule(respondAt, () => repCall(t, gen, repId, (id) => handoff.accept(id, repId, repActor(repId)), () => {
        t.fate.sal = true
      }))

      // touches until a live conversation, then the outcome
      const connectP = Math.min(0.85, 0.22 + 0.35 * x + (hot ? 0.15 : 0) + (abm ? 0.2 : 0))
      const cal = calendarOf(rep)
      const touches: Array<{ at: number; kind: "call" | "email" | "voicemail" | "linkedin" | "meeting"; canConnect: boolean }> = []
      if (hot) {
        const first = respondAt + (r.chance(0.75) ? r.between(10_000, 80_000) : r.between(6 * MIN, 70 * MIN))
        touches.push({ at: first, kind: "call", canConnect: true })
        touches.push({ at: first + r.between(40_000, 170_000), kind: "voicemail", canConnect: false })
        touches.push({ at: first + r.between(60_000, 200_000), kind: "email", canConnect: false })
        touches.push({ at: first + r.between(20 * MIN, 70 * MIN), kind: "call", canConnect: true })
        touches.push({ at: first + r.between(2 * HOUR, 5 * HOUR), kind: "call", canConnect: true })
        touches.push({ at: first + r.between(2 * HOUR, 5 * HOUR) + MIN, kind: "linkedin", canConnect: false })
      } else {
        const n = tier === "warm-plus" ? 3 : abm ? 4 : 8
        const days = tier === "warm-plus" ? 3 : 10
        const first = respondAt + (r.chance(0.9) ? r.between(2 * MIN, 30 * MIN) : r.between(4 * HOUR, 30 * HOUR))
        touches.push({ at: first, kind: r.chance(0.6) ? "call" : "email", canConnect: true })
        for (let i = 1; i < n; i++) {
          const offset = (i * days * 9 * HOUR) / n * r.between(0.7, 1.15)
          const kind = r.weighted([["call", 5], ["email", 4], ["linkedin", 2]] as const)
          touches.push({ at: addBusinessTime(cal, new Date(first), offset).getTime(), kind, canConnect: kind === "call" || r.chance(0.15) })
        }
      }
      touches.sort((p, q) => p.at - q.at)
      let connectedAt: number | undefined
      for (const touch of touches) {
        const connected = touch.canConnect && r.chance(connectP)
        schedule(touch.at, () => repCall(t, gen, repId, (id) => handoff.logActivity(id, { repId, kind: touch.kind, connected, occurredAt: new Date(touch.at) }, repActor(repId))))
        if (connected) {
          connectedAt = touch.at
          break
        }
      }
      if (connectedAt === undefined) {
        // no conversation: a quarter of the reps close it out as unreachable, the others let the cadence run out
        if (r.chance(0.25)) schedule(touches[touches.length - 1]!.at + r.between(HOUR, 2 * DAY), () => reject(t, gen, repId, "unreachable"))
        return
      }
      const pSql = Math.min(0.95, (hot ? 0.85 : abm ? 0.85 : tier === "warm-plus" ? 0.78 : 0.72) * (fit ? 1 : 0.5) * (0.8 + 0.4 * x))
      if (!r.chance(pSql)) {
        // not a fit for now: most go quiet (the inactivity rule hands them back to marketing), some are rejected
        if (!r.chance(0.25)) return
        const reason: RejectionReason = !fit ? "wrong_icp" : r.weighted([["premature", 70], ["other", 30]] as const)
        schedule(connectedAt + r.between(10 * MIN, DAY), () => reject(t, gen, repId, reason))
        return
      }
      const qualifyAt = hot ? connectedAt + r.between(5 * MIN, 2 * HOUR) : addBusinessTime(cal, new Date(connectedAt), r.between(HOUR, 20 * HOUR)).getTime()
      const framework = hot || abm ? "MEDDICC" : "BANT"
      schedule(qualifyAt, () => repCall(t, gen, repId, (id) => handoff.qualify(id, {
        repId,
        framework,
        fields: framework === "BANT"
          ? { budget: r.chance(0.7) ? "confirmed" : "in planning", authority: plan.profile.title ?? "unknown", need: String(plan.profile.fields?.use_case ?? "lead routing"), timeline: r.pick(["this quarter", "next quarter"]) }
          : { metrics: "speed-to-lead under 5 minutes", economicBuyer: plan.profile.title ?? "unknown", decisionProcess: "security review + VP sign-off", champion: true }
      }, repActor(repId)), () => {
        t.fate.sql = true
      }))
      // a discovery meeting keeps the SQL active; most become opportunities
      const meetingAt = qualifyAt + r.between(DAY, 4 * DAY)
      schedule(meetingAt, () => repCall(t, gen, repId, (id) => handoff.logActivity(id, { repId, kind: "meeting", connected: true, occurredAt: new Date(meetingAt) }, repActor(repId))))
      if (!r.chance(hot ? 0.8 : 0.68)) return
      const oppAt = meetingAt + r.between(HOUR, 6 * DAY)
      const amount = Math.round(plan.acv * r.between(0.8, 1.25) / 500) * 500
      schedule(oppAt, () => repCall(t, gen, repId, (id) => handoff.openOpportunity(id, { amount }, repActor(repId)), () => {
        t.fate.opportunity = true
      }))
      const closeAt = oppAt + r.between(14 * DAY, 60 * DAY)
      const won = r.chance(Math.min(0.6, (hot ? 0.36 : abm ? 0.4 : 0.26) * (0.8 + 0.4 * x)))
      const finalAmount = Math.round(amount * r.between(0.85, 1.05) / 100) * 100
      schedule(closeAt, () => repCall(t, gen, repId, (id) => handoff.closeOpportunity(id, won ? { won, amount: finalAmount } : { won }, repActor(repId)), () => {
        if (won) {
          t.fate.won = true
          counts.wonAmount += finalAmount
        } else t.fate.lost = true
      }))
    }

    const reject = (t: Tracked, gen: number, repId: string, reason: RejectionReason): Action =>
      repCall(t, gen, repId, (id) => handoff.reject(id, { repId, reason, note: rejectionNotes[reason] }, repActor(repId)), () => {
        t.fate.rejected = reason
        rejections[reason] = (rejections[reason] ?? 0) + 1
      })

    // -- marketing: form fills, events, enrichment -------------------------------

    const ingest = (t: Tracked, intent: string, channel: Channel, campaign: string, form: string, properties: Readonly<Record<string, string>>): Action =>
      Effect.suspend(() => {
        counts.calls++
        counts.inquiries++
        const first = t.leadId === undefined
        const profile = first ? t.plan.profile : { ...t.plan.profile, source: { channel, campaign, form } }
        return timed("ingest", handoff.ingest({ profile, intent, occurredAt: new Date(now), properties }, forms)).pipe(Effect.map((out) => {
          if (out.created) {
            counts.leads++
            byChannel[t.plan.channel]++
          }
          observe(t, out.lead)
          if (first) scheduleFollowUps(t)
        }))
      })

    const recordEvent = (t: Tracked, f: Extract<LeadPlan["after"][number], { kind: "event" }>): Action =>
      Effect.suspend(() => {
        counts.calls++
        counts.events++
        const event = {
          type: f.type, occurredAt: f.at, properties: f.properties,
          ...(f.channel === undefined ? {} : { channel: f.channel }),
          ...(f.campaign === undefined ? {} : { campaign: f.campaign })
        }
        const item = t.leadId === undefined ? { email: t.plan.profile.email, event } : { leadId: t.leadId, event }
        return timed("recordEvents", handoff.recordEvents([item], analytics)).pipe(Effect.flatMap(() =>
          // only a lead marketing holds can change hands on an event: look at what was decided
          t.leadId !== undefined && (t.stage === "inquiry" || t.stage === "nurture") ? refresh(t) : Effect.void
        ))
      })

    const scheduleFollowUps = (t: Tracked) => {
      const p = t.plan
      if (p.enrichment !== undefined) {
        const e = p.enrichment
        schedule(e.at.getTime(), () => Effect.suspend(() => {
          if (t.leadId === undefined) return Effect.void
          counts.calls++
          counts.enrichments++
          return timed("enrich", handoff.enrich(t.leadId, e.data, enrichmentVendor)).pipe(
            Effect.matchEffect({ onFailure: () => Effect.sync(() => counts.refused++), onSuccess: (out) => Effect.sync(() => observe(t, out.lead)) })
          )
        }))
      }
      for (const f of p.after) {
        if (f.kind === "event") schedule(f.at.getTime(), () => recordEvent(t, f))
        else schedule(f.at.getTime(), () => ingest(t, f.intent, f.channel, f.campaign, f.form, {}))
      }
    }

    // -- the worker's sweeps ------------------------------------------------------

    const observeIds = (ids: Iterable<string>) =>
      Effect.forEach([...new Set(ids)], (id) => {
        const t = byLeadId.get(id)
        return t === undefined ? Effect.void : refresh(t)
      }, { discard: true })

    // as many batches as it takes to clear what is due (10,000 leads at most per sweep)
    const rounds = Math.ceil(10_000 / batch)
    const slaSweep: Action = Effect.gen(function*() {
      for (let round = 0; round < rounds; round++) {
        counts.calls++
        const report = yield* timed("sweepSla", handoff.sweepSla(batch))
        if (report.claimed === 0) return
        for (const b of report.breaches) {
          counts.breaches++
          breachKinds[b.breach.kind] = (breachKinds[b.breach.kind] ?? 0) + 1
          if (b.action.startsWith("reassigned")) counts.reassigned++
        }
        yield* observeIds([...report.breaches.map((b) => b.leadId), ...report.actions.filter((a) => a.action.startsWith("recycled")).map((a) => a.leadId)])
        if (report.claimed < batch) return
      }
    })

    const recycleSweep: Action = Effect.gen(function*() {
      for (const sweep of [...(decaySweep ? [handoff.sweepDecay] : []), handoff.sweepReevaluations, handoff.sweepInactivity]) {
        for (let round = 0; round < rounds; round++) {
          counts.calls++
          const report = yield* timed("sweepRecycle", sweep(batch))
          const ids = report.actions
            .filter((a) => report.sweep !== "decay" || /MQL|nurture|routed|queued/.test(a.action))
            .map((a) => a.leadId)
          yield* observeIds(ids)
          if (report.claimed < batch) break
        }
      }
    })

    // -- the stream -------------------------------------------------------------

    for (const t of tracked) {
      for (const f of t.plan.before) if (f.kind === "event") schedule(f.at.getTime(), () => recordEvent(t, f))
      schedule(t.plan.t0.getTime(), () => ingest(t, t.plan.intent, t.plan.channel, t.plan.campaign, t.plan.profile.source?.form ?? "form", t.plan.properties))
    }
    for (let s = Math.ceil(startMs / sweepEvery) * sweepEvery; s < endMs; s += sweepEvery) queue.push(s, () => slaSweep)
    if (recycleSweeps) for (let s = Math.ceil(startMs / HOUR) * HOUR + 7 * MIN; s < endMs; s += HOUR) queue.push(s, () => recycleSweep)

    let nextProgress = startMs + HOUR
    const run = Effect.gen(function*() {
      for (;;) {
        const next = queue.pop()
        if (next === undefined) break
        now = next.at
        if (options.onProgress !== undefined && now >= nextProgress) {
          nextProgress = now + HOUR
          options.onProgress({ simulatedAt: new Date(now), fraction: (now - startMs) / (endMs - startMs), leads: counts.leads, elapsedMs: Date.now() - startedAt })
        }
        yield* next.run()
      }
      now = endMs
    })
    yield* Effect.withClock(run, clock)

    // -- the end of the period: every lead's stage, and the limbo figure -----------
    let limbo = 0
    const stages: Record<string, number> = {}
    yield* Effect.forEach(tracked, (t) =>
      t.leadId === undefined ? Effect.void : store.findById(t.leadId as LeadId).pipe(Effect.map((o) => {
        if (o._tag === "None") return
        const s = o.value.state
        t.fate.stage = s.stage
        t.fate.leadId = o.value.id
        stages[s.stage] = (stages[s.stage] ?? 0) + 1
        if (isInLimbo(s)) limbo++
      })), { discard: true })
    options.onProgress?.({ simulatedAt: new Date(endMs), fraction: 1, leads: counts.leads, elapsedMs: Date.now() - startedAt })

    const fates = tracked.map((t) => t.fate)
    const n = (f: (x: LeadFate) => boolean) => fates.filter(f).length
    const summary: DemoSummary = {
      seed,
      from: company.start,
      to: company.end,
      reps: company.reps.length,
      accounts: company.accounts.accounts.length,
      leads: counts.leads,
      inquiries: counts.inquiries,
      events: counts.events,
      enrichments: counts.enrichments,
      byChannel,
      mqls: n((f) => f.mql),
      routed: n((f) => f.owners.length > 0),
      sals: n((f) => f.sal),
      sqls: n((f) => f.sql),
      opportunities: n((f) => f.opportunity),
      won: n((f) => f.won),
      lost: n((f) => f.lost),
      wonAmount: counts.wonAmount,
      rejections,
      breaches: { handled: counts.breaches, reassigned: counts.reassigned, byKind: breachKinds },
      queued: n((f) => f.queued),
      refused: counts.refused,
      calls: counts.calls,
      limbo,
      stages,
      elapsedMs: Date.now() - startedAt,
      timings,
      ...(options.fates === false ? {} : { fates })
    }
    return summary
  })

const icpIndustries = new Set(["software", "saas", "information technology", "computer software", "fintech", "financial services"])

/** The default agreement's fit, on the lead's true firmographics: the rep's judgement once enriched. */
export const trueFit = (plan: LeadPlan): boolean => {
  const e = plan.company.employees
  if (e < 50 || plan.seniority === "other") return false
  const points = (plan.seniority === "exec" ? 15 : 0) + (e <= 5000 ? 10 : 0) + (icpIndustries.has(plan.company.industry) ? 10 : 0)
  return points >= 10
}

const rejectionNotes: Readonly<Record<RejectionReason, string>> = {
  wrong_icp: "Not our ICP: company too small or the wrong role.",
  premature: "Interested, but no project before next quarter.",
  duplicate: "Same person as an earlier lead.",
  unreachable: "No answer after the whole cadence.",
  other: "Existing customer's colleague; passed to account management."
}

export { storeIsEmpty } from "./Empty.ts"
