/**
 * Routing: who gets an MQL now.
 *
 * Once tiering has decided a lead is hot, warm-plus or warm, its tier names a pod (a
 * queue of reps) and `route` picks the rep, in this order:
 *
 * 1. **Tier without a route** (nurture): nobody; marketing keeps the lead (`NotRouted`) —
 *    except under ABM suppression, below: an inquiry from an account in an active outbound
 *    play is owned by the account's owner even when it is no MQL (strategy `abm_owner`, pod
 *    `account:<domain>`, no rotation credit). The caller keeps it an inquiry with no SLA
 *    timer: the AE's outbound play sets the pace, not a speed-to-lead clock. Without an
 *    owner who can take it, marketing keeps it and `NotRouted.reason` says why.
 * 2. **ABM suppression**: a lead from an account in an active outbound play goes to the
 *    account owner, even one outside the pod, tagged `abm_suppressed`, with no rotation
 *    credit — the AE owns the conversation regardless of form fills, it never enters an SDR
 *    cadence. The owner gets it even when out of office or at capacity (it is their
 *    account; the explanation notes it and the accept SLA's escalation takes over). An
 *    account without an owner, or an owner who is unknown, inactive or being reassigned
 *    away from (`exclude`), cannot take it: the lead is routed as usual but keeps the flag.
 * 3. **The pod's strategy** picks the candidates: `round_robin` (equal turns), `weighted`
 *    (turns proportional to `rep.weight`), `territory` (reps whose `territories` hold the
 *    lead's `routing.territoryField`, else the catch-all: reps listing `*` or none), `segment` (the account's
 *    segment, else the first `routing.segments` entry the lead matches; reps whose
 *    `segments` hold it, else `*`), `named_account` (the account owner when a member and
 *    eligible, with no rotation credit; otherwise a round robin over the pod).
 * 4. **Rotation** among the candidates, computed from the pod's append-only ledger alone
 *    (no hidden counters, see below); ineligible reps are skipped with the reason.
 * 5. **Backup chain**: when nobody in the pod can take the lead, the pod's `backup`, then
 *    its backup, and so on, each with its own strategy and rotation (`viaBackup: true`).
 * 6. **Queued** in the tier's pod when nobody anywhere can take it: the decision names the
 *    queue so the lead is never in limbo.
 *
 * Eligibility of a rep at `now`: active; not excluded; not inside an out-of-office interval
 * `[from, to)`; fewer open leads than `capacity.maxOpen`; fewer leads today than
 * `capacity.maxPerDay`; and, when the tier's route is `onShiftOnly` (hot leads: someone
 * must call within 5 minutes), inside the rep's own working hours in the rep's own time
 * zone.
 *
 * ## The rotation ledger
 *
 * Each pod's rotation state is its ledger: `credit` (a rep got a lead), `skip` (it was the
 * rep's turn but they could not take it, with the reason) and `reset` (a new round with
 * the listed members). A rep's *turns* are their credits plus skips since the pod's last
 * reset. The rep whose turn it is minimizes `(turns + 1) / weight` (weight 1 except in
 * `weighted` pods) — a smooth weighted round robin, so with equal weights credit counts
 * never differ by more than one and with weights 1:2:3 the shares converge to 1/6, 2/6,
 * 3/6. Ties go to the rep whose last turn is older (looking at the whole ledger, across
 * resets, so a reset does not hand the next lead back to whoever just had one), then to
 * the pod's member order.
 *
 * - **A skip consumes the turn.** A rep who was out of office, at capacity or off shift
 *   when their turn came does not get a "catch-up flood" of leads when they come back:
 *   the leads they missed went to colleagues for good. (This also holds when a decision
 *   ends `Queued`: everyone skipped lost one turn, so the relative order is unchanged.)
 * - **Membership changes reset the round.** When the pod's members differ from the
 *   `members` of its last `reset` entry (or it has none), the decision first appends a
 *   `reset` with the current members; turns are counted from zero again, so a new rep
 *   takes normal turns instead of every lead until they have caught up.
 * - Only rotation writes the ledger: an ABM owner or a named-account owner getting their
 *   own account's lead is ownership, not a turn (the decision's explanation says so).
 *
 * `route` is pure: the clock (`now`), the reps, their loads and the ledger are inputs; the
 * decision lists the new ledger entries for the caller to append.
 */
import { Data, Either, Schema } from "effect"
import type { Agreement, Pod, RoutingStrategy, Tier } from "./Agreement.ts"
import { compileCalendarEither, isWorkingTime, wallClock } from "./BusinessTime.ts"
import { testPredicate } from "./Condition.ts"
import type { Account, LeadProfile, Rep, RepLoad } from "./Lead.ts"
import { leadFieldValue } from "./Scoring.ts"

// ---------------------------------------------------------------------------
// The rotation ledger
// ---------------------------------------------------------------------------

/** Why a rep was passed over when it was their turn. */
export const SkipReason = Schema.Literal(
  "inactive",
  "out_of_office",
  "over_capacity",
  "over_daily_cap",
  "outside_hours",
  "excluded"
)
export type SkipReason = typeof SkipReason.Type

export const LedgerEntryKind = Schema.Literal("credit", "skip", "reset")
export type LedgerEntryKind = typeof LedgerEntryKind.Type

/**
 * One line of a pod's rotation ledger (append-only; served by `GET /v1/pods/{id}/ledger`).
 *
 * - `credit`: `repId` got `leadId`;
 * - `skip`: it was `repId`'s turn for `leadId` but they could not take it (`reason`); the
 *   skip consumes their turn;
 * - `reset`: a new round starts with `members` (the pod's membership changed).
 */
export const LedgerEntry = Schema.Struct({
  pod: Schema.String,
  at: Schema.Date,
  kind: LedgerEntryKind,
  repId: Schema.optional(Schema.String),
  leadId: Schema.optional(Schema.String),
  reason: Schema.optional(SkipReason),
  members: Schema.optional(Schema.Array(Schema.String))
})
export type LedgerEntry = typeof LedgerEntry.Type

// ---------------------------------------------------------------------------
// The decision
// ---------------------------------------------------------------------------

/** The strategy that made an assignment: the pod's, or `abm_owner` for ABM suppression. */
export type RouteStrategy = RoutingStrategy | "abm_owner"

/**
 * The outcome of routing one lead:
 * - `Assigned`: `repId` owns it now. `ledger` holds the NEW entries to append (possibly a
 *   reset, skips, then the credit; empty for owner assignments). `viaBackup` when a backup
 *   pod took it. `pod` is the tier's pod, or `account:<domain>` for an ABM owner who gets
 *   a lead of a tier without a route.
 * - `Queued`: nobody in the pod nor its backup chain can take it now; it waits in `queue`
 *   (the tier's pod) with its SLA timer running. `ledger` holds the resets and skips
 *   recorded while looking.
 * - `NotRouted`: the tier has no route: marketing keeps the lead (nurture); `reason` says
 *   why, including why ABM suppression could not give it to the account owner.
 */
export type RouteDecision = Data.TaggedEnum<{
  Assigned: {
    readonly pod: string
    readonly repId: string
    readonly strategy: RouteStrategy
    readonly viaBackup: boolean
    readonly explanation: ReadonlyArray<string>
    readonly ledger: ReadonlyArray<LedgerEntry>
    readonly flags: ReadonlyArray<string>
  }
  Queued: {
    readonly queue: string
    readonly reason: string
    readonly explanation: ReadonlyArray<string>
    readonly ledger: ReadonlyArray<LedgerEntry>
    readonly flags: ReadonlyArray<string>
  }
  NotRouted: {
    readonly reason: string
  }
}>
export const RouteDecision = Data.taggedEnum<RouteDecision>()

/** Everything routing needs to know about one lead at `now`. */
export interface RoutingInput {
  readonly leadId: string
  readonly profile: LeadProfile
  /** The agreement's tier chosen for this lead (`route.pod`, `route.onShiftOnly`). */
  readonly tier: Tier
  /** The lead's account, matched by email domain. */
  readonly account?: Account
  readonly reps: ReadonlyArray<Rep>
  /** Open leads and leads assigned today, per rep id (a missing rep counts as 0 / 0). */
  readonly loads: ReadonlyMap<string, RepLoad>
  /** The rotation ledger of the tier's pod and its backups so far, oldest first (other pods' entries are ignored). */
  readonly ledger: ReadonlyArray<LedgerEntry>
  /** The same, condensed per pod (what stores pass instead of the whole ledger); wins over `ledger` for the pods it has. */
  readonly rotation?: ReadonlyMap<string, LedgerSummary>
  readonly now: Date
  /** Rep ids that must not get the lead (the rep it is being reassigned away from). */
  readonly exclude?: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------
// Pod membership and rotation state
// ---------------------------------------------------------------------------

/**
 * The members of a pod, in rotation order: `pod.members` as listed (unknown rep ids
 * dropped, duplicates once), or else every rep whose `pods` include the pod, by rep id.
 * Inactive reps stay members (they are skipped, not removed).
 */
export const podMembers = (pod: Pod, reps: ReadonlyArray<Rep>): ReadonlyArray<Rep> => {
  if (pod.members !== undefined) {
    const byId = new Map(reps.map((r) => [r.id as string, r]))
    const seen = new Set<string>()
    const out: Array<Rep> = []
    for (const id of pod.members) {
      const rep = byId.get(id)
      if (rep === undefined || seen.has(id)) continue
      seen.add(id)
      out.push(rep)
    }
    return out
  }
  return reps.filter((r) => r.pods.includes(pod.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** A pod's rotation as its ledger says it stands. */
export interface RotationState {
  readonly pod: string
  /** The members of the pod's last `reset`, if any. */
  readonly resetMembers: ReadonlyArray<string> | undefined
  /** True when the current members differ from `resetMembers` (or there was no reset): a new round starts. */
  readonly needsReset: boolean
  /** Credits + skips per rep id since the last reset (all zero when `needsReset`). */
  readonly turns: ReadonlyMap<string, number>
  /** Position in the ledger of each rep's last credit or skip in this pod, across resets (absent: never). */
  readonly lastTurn: ReadonlyMap<string, number>
}

const sameMembers = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a.length !== b.length) return false
  const sa = [...a].sort()
  const sb = [...b].sort()
  return sa.every((x, i) => x === sb[i])
}

/**
 * What a pod's ledger says about its rotation, condensed: the members of its last reset,
 * each rep's turns (credits + skips) since then, and the position of each rep's last turn
 * (any increasing position: the index in the ledger, or a stored sequence number). A store
 * can compute this with one aggregate query instead of shipping the whole ledger.
 */
export interface LedgerSummary {
  readonly resetMembers: ReadonlyArray<string> | undefined
  readonly turns: ReadonlyMap<string, number>
  readonly lastTurn: ReadonlyMap<string, number>
}

/** The summary of an empty ledger. */
export const emptyLedgerSummary: LedgerSummary = { resetMembers: undefined, turns: new Map(), lastTurn: new Map() }

/**
 * A pod's summary after more entries: what `summarizeLedger` would give for the whole
 * ledger, without reading it again (entry `i` of `entries` sits at position
 * `firstPosition + i`). For callers that route many leads in memory — a batch of
 * reassignments, a what-if replay — keeping the rotation as they go.
 */
export const extendLedgerSummary = (
  podId: string,
  summary: LedgerSummary,
  entries: ReadonlyArray<LedgerEntry>,
  firstPosition: number
): LedgerSummary => {
  let turns = new Map(summary.turns)
  const lastTurn = new Map(summary.lastTurn)
  let resetMembers = summary.resetMembers
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    if (e.pod !== podId) continue
    if (e.kind === "reset") {
      turns = new Map()
      resetMembers = e.members ?? []
    } else if (e.repId !== undefined) {
      turns.set(e.repId, (turns.get(e.repId) ?? 0) + 1)
      lastTurn.set(e.repId, firstPosition + i)
    }
  }
  return { resetMembers, turns, lastTurn }
}

/** Summarize a pod's ledger in one pass; entries of other pods are ignored. */
export const summarizeLedger = (podId: string, ledger: ReadonlyArray<LedgerEntry>): LedgerSummary =>
  extendLedgerSummary(podId, emptyLedgerSummary, ledger, 0)

/** The rotation of a pod with these members, from its ledger summary. */
export const stateFromSummary = (podId: string, members: ReadonlyArray<string>, summary: LedgerSummary): RotationState => {
  const needsReset = summary.resetMembers === undefined || !sameMembers(summary.resetMembers, members)
  return { pod: podId, resetMembers: summary.resetMembers, needsReset, turns: needsReset ? new Map() : summary.turns, lastTurn: summary.lastTurn }
}

/**
 * Read a pod's rotation from its ledger in one pass: each rep's turns (credits + skips)
 * since the last reset, when each last had a turn, and whether the membership changed
 * since that reset. Entries of other pods are ignored.
 */
export const rotationState = (
  podId: string,
  members: ReadonlyArray<string>,
  ledger: ReadonlyArray<LedgerEntry>
): RotationState => stateFromSummary(podId, members, summarizeLedger(podId, ledger))

// ---------------------------------------------------------------------------
// Eligibility
// ---------------------------------------------------------------------------

/** Can this rep take a lead now, and if not, why (with a line ops can read). */
export type Eligibility =
  | { readonly eligible: true }
  | { readonly eligible: false; readonly reason: SkipReason; readonly detail: string }

export interface EligibilityContext {
  readonly now: Date
  readonly load?: RepLoad | undefined
  /** The tier needs someone on shift right now (their own hours and time zone). */
  readonly onShiftOnly: boolean
  readonly excluded: boolean
}

const pad = (n: number): string => String(n).padStart(2, "0")

/** A date as the rep reads it: `2026-01-09` at local midnight, else `2026-01-09 14:00 (Europe/Berlin)`. */
const localDate = (timezone: string, at: Date): string => {
  try {
    const w = wallClock(timezone, at)
    const day = `${w.year}-${pad(w.month)}-${pad(w.day)}`
    return w.hour === 0 && w.minute === 0 ? day : `${day} ${pad(w.hour)}:${pad(w.minute)} (${timezone})`
  } catch {
    return at.toISOString()
  }
}

const describeHours = (rep: Rep): string =>
  `${Object.entries(rep.workingHours).map(([days, [from, to]]) => `${days} ${from}–${to}`).join(", ") || "no hours"} ${rep.timezone}`

/** Is `rep` on shift at `at` in their own working hours and time zone? Unusable hours count as off shift. */
const onShift = (rep: Rep, at: Date): { readonly on: boolean; readonly detail: string } => {
  const compiled = compileCalendarEither(rep)
  if (Either.isLeft(compiled)) return { on: false, detail: `off shift (working hours unusable: ${compiled.left.message})` }
  return isWorkingTime(compiled.right, at)
    ? { on: true, detail: "" }
    : { on: false, detail: `off shift (works ${describeHours(rep)})` }
}

/**
 * Whether a rep can take a lead at `now`, checked in this order: excluded, inactive, out
 * of office (`[from, to)`), open leads at `capacity.maxOpen`, leads today at
 * `capacity.maxPerDay`, and off shift when the tier needs someone now.
 */
export const repEligibility = (rep: Rep, ctx: EligibilityContext): Eligibility => {
  if (ctx.excluded) return { eligible: false, reason: "excluded", detail: "excluded (the lead is being reassigned away from them)" }
  if (!rep.active) return { eligible: false, reason: "inactive", detail: "inactive" }
  const t = ctx.now.getTime()
  let backAt: number | undefined
  for (const o of rep.outOfOffice) {
    if (t >= o.from.getTime() && t < o.to.getTime()) backAt = Math.max(backAt ?? -Infinity, o.to.getTime())
  }
  if (backAt !== undefined) {
    return { eligible: false, reason: "out_of_office", detail: `out of office until ${localDate(rep.timezone, new Date(backAt))}` }
  }
  const open = ctx.load?.open ?? 0
  const today = ctx.load?.today ?? 0
  const { maxOpen, maxPerDay } = rep.capacity
  if (maxOpen !== undefined && open >= maxOpen) {
    return { eligible: false, reason: "over_capacity", detail: `at capacity (${open}/${maxOpen} open leads)` }
  }
  if (maxPerDay !== undefined && today >= maxPerDay) {
    return { eligible: false, reason: "over_daily_cap", detail: `daily cap reached (${today}/${maxPerDay} leads today)` }
  }
  if (ctx.onShiftOnly) {
    const shift = onShift(rep, ctx.now)
    if (!shift.on) return { eligible: false, reason: "outside_hours", detail: shift.detail }
  }
  return { eligible: true }
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

interface Context {
  readonly agreement: Agreement
  readonly input: RoutingInput
  readonly onShiftOnly: boolean
  readonly excluded: ReadonlySet<string>
  readonly repById: ReadonlyMap<string, Rep>
}

const nameOf = (rep: Rep): string => (rep.name.trim() === "" ? rep.id : rep.name)
const namesOf = (reps: ReadonlyArray<Rep>): string => `[${reps.map(nameOf).join(", ")}]`
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

const eligibilityOf = (ctx: Context, rep: Rep): Eligibility =>
  repEligibility(rep, {
    now: ctx.input.now,
    load: ctx.input.loads.get(rep.id),
    onShiftOnly: ctx.onShiftOnly,
    excluded: ctx.excluded.has(rep.id)
  })

interface PodOutcome {
  readonly repId?: string
  readonly lines: ReadonlyArray<string>
  readonly entries: ReadonlyArray<LedgerEntry>
}

const lower = (s: string): string => s.trim().toLowerCase()

/** Members covering `value` in `pick(rep)`, else the catch-all `*` members. */
const matchList = (
  members: ReadonlyArray<Rep>,
  pick: (rep: Rep) => ReadonlyArray<string>,
  value: string | undefined
): { readonly reps: ReadonlyArray<Rep>; readonly catchAll: boolean } => {
  if (value !== undefined) {
    const v = lower(value)
    const covering = members.filter((r) => pick(r).some((t) => lower(t) === v))
    if (covering.length > 0) return { reps: covering, catchAll: false }
  }
  // the catch-all: reps who list `*`, or who list nothing (a rep created without territories
  // takes what no territory claims, rather than the lead going to the backup pod)
  return { reps: members.filter((r) => pick(r).length === 0 || pick(r).some((t) => t.trim() === "*")), catchAll: true }
}

const scalarText = (v: unknown): string | undefined =>
  typeof v === "string" ? (v.trim() === "" ? undefined : v.trim()) : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined

/** The candidates a territory or segment pod rotates over, with the line that explains them. */
const narrowed = (
  label: string,
  value: string | undefined,
  shown: string,
  members: ReadonlyArray<Rep>,
  pick: (rep: Rep) => ReadonlyArray<string>,
  podId: string
): { readonly candidates: ReadonlyArray<Rep>; readonly line: string } => {
  const { catchAll, reps } = matchList(members, pick, value)
  const what = `${label} ${shown}`
  if (!catchAll) return { candidates: reps, line: `${what} → reps ${namesOf(reps)}` }
  const uncovered = value === undefined ? "" : `: no rep in ${podId} covers it`
  if (reps.length > 0) return { candidates: reps, line: `${what}${uncovered} → catch-all reps (* or none listed) ${namesOf(reps)}` }
  return { candidates: [], line: `${what}${uncovered === "" ? ":" : `${uncovered} and`} no catch-all rep (* or none listed) in ${podId}` }
}

/**
 * Rotate over `candidates` (a subset of the pod's members): the rep whose turn it is
 * gets a credit, reps passed over get a skip with the reason. Returns no rep when every
 * candidate was skipped.
 */
const rotate = (ctx: Context, pod: Pod, members: ReadonlyArray<Rep>, candidates: ReadonlyArray<Rep>, weighted: boolean): PodOutcome => {
  if (candidates.length === 0) return { lines: [], entries: [] }
  const { input } = ctx
  const memberIds = members.map((r) => r.id as string)
  const summary = input.rotation?.get(pod.id)
  const state = summary === undefined ? rotationState(pod.id, memberIds, input.ledger) : stateFromSummary(pod.id, memberIds, summary)
  const entries: Array<LedgerEntry> = []
  const lines: Array<string> = []
  if (state.needsReset) {
    entries.push({ pod: pod.id, at: input.now, kind: "reset", leadId: input.leadId, members: memberIds })
    lines.push(
      state.resetMembers === undefined
        ? `pod ${pod.id}: rotation starts with members ${namesOf(members)}`
        : `pod ${pod.id}: members changed → rotation reset with ${namesOf(members)}`
    )
  }
  const order = new Map(memberIds.map((id, i) => [id, i]))
  const ranked = candidates
    .map((rep) => ({
      rep,
      turns: state.turns.get(rep.id) ?? 0,
      last: state.lastTurn.get(rep.id) ?? -1,
      weight: weighted ? rep.weight : 1,
      index: order.get(rep.id) ?? 0
    }))
    .sort((a, b) =>
      // (turns + 1) / weight, compared without division
      (a.turns + 1) * b.weight - (b.turns + 1) * a.weight || a.last - b.last || a.index - b.index
    )
  for (const c of ranked) {
    const e = eligibilityOf(ctx, c.rep)
    if (!e.eligible) {
      entries.push({ pod: pod.id, at: input.now, kind: "skip", repId: c.rep.id, leadId: input.leadId, reason: e.reason })
      lines.push(`skipped ${nameOf(c.rep)}: ${e.detail}`)
      continue
    }
    entries.push({ pod: pod.id, at: input.now, kind: "credit", repId: c.rep.id, leadId: input.leadId })
    const since = `${plural(c.turns, "turn")} since reset${weighted ? `, weight ${c.weight}` : ""}`
    lines.push(`pod ${pod.id} (${pod.strategy}): ${nameOf(c.rep)}'s turn (${since})`)
    return { repId: c.rep.id, lines, entries }
  }
  return { lines, entries }
}

/** Route within one pod by its strategy. */
const routeInPod = (ctx: Context, pod: Pod): PodOutcome => {
  const { agreement, input } = ctx
  const members = podMembers(pod, input.reps)
  const pre: Array<string> = []
  if (pod.members !== undefined) {
    const unknown = pod.members.filter((id) => !ctx.repById.has(id))
    if (unknown.length > 0) pre.push(`pod ${pod.id} lists unknown reps [${unknown.join(", ")}]: ignored`)
  }
  if (members.length === 0) return { lines: [...pre, `pod ${pod.id} has no members`], entries: [] }
  const withPre = (o: PodOutcome): PodOutcome => ({ ...o, lines: [...pre, ...o.lines] })

  switch (pod.strategy) {
    case "round_robin":
      return withPre(rotate(ctx, pod, members, members, false))
    case "weighted":
      return withPre(rotate(ctx, pod, members, members, true))
    case "territory": {
      const field = agreement.routing.territoryField
      const value = scalarText(leadFieldValue(input.profile, field))
      const shown = value ?? `unknown (no ${field} on the lead)`
      const n = narrowed("territory", value, shown, members, (r) => r.territories, pod.id)
      const o = rotate(ctx, pod, members, n.candidates, false)
      return withPre({ ...o, lines: [n.line, ...o.lines] })
    }
    case "segment": {
      let value: string | undefined
      let source = ""
      const accountSegment = input.account?.segment
      if (accountSegment !== undefined && accountSegment.trim() !== "") {
        value = accountSegment.trim()
        source = ` (account ${input.account?.domain})`
      } else {
        const seg = agreement.routing.segments.find((s) => testPredicate(s.when, (name) => leadFieldValue(input.profile, name)))
        if (seg !== undefined) {
          value = seg.id
          source = " (first matching routing segment)"
        }
      }
      const shown = value === undefined ? "unknown (no account segment and no routing segment matches the lead)" : `${value}${source}`
      const n = narrowed("segment", value, shown, members, (r) => r.segments, pod.id)
      const o = rotate(ctx, pod, members, n.candidates, false)
      return withPre({ ...o, lines: [n.line, ...o.lines] })
    }
    case "named_account": {
      const account = input.account
      const ownerId = account?.ownerRepId
      let why: string
      if (account === undefined) why = "no account matched the lead"
      else if (ownerId === undefined) why = `account ${account.domain} has no owner`
      else {
        const owner = members.find((r) => r.id === ownerId)
        if (owner === undefined) why = `the owner of ${account.domain} (${ctx.repById.has(ownerId) ? nameOf(ctx.repById.get(ownerId)!) : ownerId}) is not in pod ${pod.id}`
        else {
          const e = eligibilityOf(ctx, owner)
          if (e.eligible) {
            return withPre({
              repId: owner.id,
              lines: [`pod ${pod.id} (named_account): ${account.domain} is owned by ${nameOf(owner)} → owner (no rotation credit)`],
              entries: []
            })
          }
          why = `the owner of ${account.domain}, ${nameOf(owner)}, cannot take it: ${e.detail}`
        }
      }
      const o = rotate(ctx, pod, members, members, false)
      return withPre({ ...o, lines: [`named account: ${why} → round robin over pod ${pod.id}`, ...o.lines] })
    }
  }
}

/** The pod an ABM owner assignment names when the lead's tier has no pod of its own: the account. */
/** The pod and its backups, in order (the chain routing walks). */
export const podChain = (agreement: Agreement, pod: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  let next: string | undefined = pod
  while (next !== undefined && !out.includes(next)) {
    out.push(next)
    next = agreement.routing.pods.find((p) => p.id === next)?.backup
  }
  return out
}

export const accountOwnerPod = (domain: string): string => `account:${domain}`

/**
 * ABM suppression for one lead: `undefined` when it does not apply (the agreement does not
 * suppress, or the account is in no active outbound play); otherwise the account owner who
 * takes the lead (`owner`), or none with the line that says why (no owner, an unknown or
 * inactive one, or the lead is being reassigned away from them).
 */
const abmOwnership = (ctx: Context): { readonly owner: Rep | undefined; readonly lines: ReadonlyArray<string> } | undefined => {
  const account = ctx.input.account
  if (!ctx.agreement.routing.abmSuppression || account?.activeOutbound !== true) return undefined
  const owner = account.ownerRepId === undefined ? undefined : ctx.repById.get(account.ownerRepId)
  const play = `ABM: ${account.domain} is in an active outbound play`
  if (account.ownerRepId === undefined) return { owner: undefined, lines: [`${play}, but the account has no owner`] }
  if (owner === undefined) return { owner: undefined, lines: [`${play}, but its owner ${account.ownerRepId} is not a known rep`] }
  if (!owner.active) return { owner: undefined, lines: [`${play}, but its owner ${nameOf(owner)} is inactive`] }
  if (ctx.excluded.has(owner.id)) return { owner: undefined, lines: [`${play}, but the lead is being reassigned away from its owner ${nameOf(owner)}`] }
  const lines = [`${play} → its owner ${nameOf(owner)} (ABM-suppressed: no SDR cadence, no rotation credit)`]
  const e = eligibilityOf({ ...ctx, excluded: new Set() }, owner)
  if (!e.eligible) lines.push(`note: ${nameOf(owner)} is ${e.detail}`)
  return { owner, lines }
}

/**
 * Route one lead: pick the rep who gets it now, or name the queue it waits in.
 *
 * ABM suppression comes first (the account owner of an active outbound play gets it,
 * `abm_suppressed`), even for a tier without a route (see 1. above). Otherwise a tier
 * without a route leaves the lead with marketing (nurture); a routed tier goes to its pod
 * by its strategy and rotation ledger, then the pod's backup chain; when nobody is
 * eligible anywhere the lead is `Queued` in the tier's pod. Speed-to-lead depends on this
 * being fast: it reads the ledger once per pod tried.
 *
 * Pure and deterministic: the same input gives the same decision. The caller appends
 * `decision.ledger` to the rotation ledger (in the same transaction as the assignment).
 */
export const route = (agreement: Agreement, input: RoutingInput): RouteDecision => {
  const target = input.tier.route
  const ctx: Context = {
    agreement,
    input,
    onShiftOnly: target?.onShiftOnly ?? false,
    excluded: new Set(input.exclude ?? []),
    repById: new Map(input.reps.map((r) => [r.id as string, r]))
  }
  const abm = abmOwnership(ctx)
  const account = input.account
  if (target === undefined) {
    const nurture = `tier ${input.tier.name} has no route: marketing keeps the lead in nurture`
    if (abm === undefined || account === undefined) return RouteDecision.NotRouted({ reason: nurture })
    if (abm.owner === undefined) return RouteDecision.NotRouted({ reason: `${nurture} (${abm.lines.join("; ")})` })
    // the AE owns the conversation regardless of form fills: ownership, not an MQL handoff
    return RouteDecision.Assigned({
      pod: accountOwnerPod(account.domain),
      repId: abm.owner.id,
      strategy: "abm_owner",
      viaBackup: false,
      explanation: [
        ...abm.lines,
        `tier ${input.tier.name} has no route: not an MQL, so no speed-to-lead SLA; the account owner owns the conversation`
      ],
      ledger: [],
      flags: ["abm_suppressed"]
    })
  }
  const flags: Array<string> = []
  const explanation: Array<string> = []

  if (abm !== undefined) {
    flags.push("abm_suppressed")
    if (abm.owner === undefined) {
      explanation.push(`${abm.lines.join("; ")} → routed as usual`)
    } else {
      explanation.push(...abm.lines)
      return RouteDecision.Assigned({
        pod: target.pod,
        repId: abm.owner.id,
        strategy: "abm_owner",
        viaBackup: false,
        explanation,
        ledger: [],
        flags
      })
    }
  }

  const ledger: Array<LedgerEntry> = []
  const tried: Array<string> = []
  const seen = new Set<string>()
  let podId: string | undefined = target.pod
  while (podId !== undefined && !seen.has(podId)) {
    seen.add(podId)
    const id: string = podId
    const pod = agreement.routing.pods.find((p) => p.id === id)
    if (pod === undefined) {
      explanation.push(`pod ${id} is not defined in routing.pods`)
      break
    }
    tried.push(pod.id)
    const viaBackup = tried.length > 1
    const outcome = routeInPod(ctx, pod)
    explanation.push(...outcome.lines)
    ledger.push(...outcome.entries)
    if (outcome.repId !== undefined) {
      return RouteDecision.Assigned({
        pod: pod.id,
        repId: outcome.repId,
        strategy: pod.strategy,
        viaBackup,
        explanation,
        ledger,
        flags
      })
    }
    podId = pod.backup
    explanation.push(
      podId === undefined
        ? `pod ${pod.id}: nobody can take it now`
        : `pod ${pod.id}: nobody can take it now → backup pod ${podId}`
    )
  }
  const chain = tried.slice(1)
  const reason = chain.length === 0
    ? `nobody in pod ${target.pod} can take it now (no backup pod)`
    : `nobody in pod ${target.pod} nor its backup chain [${chain.join(", ")}] can take it now`
  explanation.push(`queued in ${target.pod} until a rep can take it`)
  return RouteDecision.Queued({ queue: target.pod, reason, explanation, ledger, flags })
}
