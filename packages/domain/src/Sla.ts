/**
 * The speed-to-lead clock: SLA deadlines for a routed lead, cadence progress and breach
 * evaluation.
 *
 * Seed 000's speed-to-lead playbook: T0 is the form submission; the lead is auto-routed,
 * the owner must accept within the tier's accept SLA (hot: 2 min) or the lead is
 * reassigned to the backup pod; the first call attempt is due within the first-touch SLA
 * of T0 (hot: 5 min; warm-plus: same business day; warm: 24 business hours); then the
 * cadence runs (the hot ladder: voicemail + email within 3 min of a missed connect, a 2nd
 * call within the hour, a 3rd attempt + LinkedIn by end of day; the SDR 3-touch and
 * 8-touch cadences spread over business days). A live conversation ends the cadence: the
 * rep moves to discovery.
 *
 * Everything here is pure: `now`, the assignment and the logged activities are
 * parameters, and the same inputs always give the same answer.
 *
 * Conventions:
 * - A deadline is inclusive. Work done at exactly `dueAt` is on time ("met"); at
 *   `now === dueAt` with nothing done the SLA is still "pending"; it is breached only
 *   once `now > dueAt`.
 * - Activities dated after `now` are not known yet and are ignored (so evaluating a past
 *   instant gives what the worker would have seen then, and a breach, once seen, stays).
 * - Durations are wall-clock unless the tier's `sla.businessHours` (deadlines) or the
 *   cadence's `businessHours` (step windows) says to count working time on the agreement's
 *   calendar. "same-business-day" / "end-of-business-day" is the close of the business day
 *   the clock starts in (`endOfBusinessDay`): T0 at 17:59 on a Tuesday is due at 18:00 that
 *   Tuesday; T0 on a Saturday is due at Monday's close.
 */
import { Data, Schema } from "effect"
import { ActivityKind, type Agreement, type Cadence, type CadenceStep, type Deadline, type Tier } from "./Agreement.ts"
import { addBusinessDays, addBusinessTime, endOfBusinessDay } from "./BusinessTime.ts"
import { durationMillis, formatMillis } from "./IsoDuration.ts"

// ---------------------------------------------------------------------------
// Activities
// ---------------------------------------------------------------------------

/**
 * A sales touch logged against a lead (`POST /v1/leads/{id}/activities`): a call, email,
 * voicemail, LinkedIn message or meeting by a rep, and whether it was a live
 * conversation (`connected`). The first one by the owner stops the first-touch timer;
 * every one moves the cadence.
 */
export const Activity = Schema.Struct({
  repId: Schema.NonEmptyTrimmedString,
  kind: ActivityKind,
  connected: Schema.Boolean,
  occurredAt: Schema.Date
})
export type Activity = typeof Activity.Type

// ---------------------------------------------------------------------------
// Failures (defects: the agreement's cross-check makes them impossible for decoded agreements)
// ---------------------------------------------------------------------------

/** A tier or cadence name that the agreement does not define. Thrown: a caller bug, like a failed `decodeSync`. */
export class UnknownSlaReference extends Data.TaggedError("UnknownSlaReference")<{
  readonly reason: "tier" | "cadence"
  readonly name: string
  readonly message: string
}> {}

// ---------------------------------------------------------------------------
// Deadline arithmetic
// ---------------------------------------------------------------------------

const isBusinessDeadline = (d: Deadline): d is "same-business-day" | "end-of-business-day" =>
  d === "same-business-day" || d === "end-of-business-day"

/**
 * The instant a deadline written in the agreement falls due when its clock starts at
 * `start`: the close of that business day for "same-business-day" / "end-of-business-day",
 * otherwise `start` plus the duration, in business time when `businessHours`.
 */
export const deadlineAfter = (agreement: Agreement, start: Date, within: Deadline, businessHours: boolean): Date => {
  if (isBusinessDeadline(within)) return endOfBusinessDay(agreement.calendar, start)
  const ms = durationMillis(within)
  return businessHours ? addBusinessTime(agreement.calendar, start, ms) : new Date(start.getTime() + ms)
}

const describeDeadline = (within: Deadline, businessHours: boolean): string =>
  isBusinessDeadline(within)
    ? "by the end of the business day"
    : `within ${formatMillis(durationMillis(within))}${businessHours ? " of business time" : ""}`

/**
 * The business day (counted from T0) on which touch `index` (0-based) of a spread cadence
 * of `touches` touches over `overBusinessDays` business days is due:
 * `ceil((index + 1) × overBusinessDays / touches)`. The last touch is due on the last day;
 * touches are spread as evenly as whole days allow (3 over 3: days 1, 2, 3; 8 over 10:
 * days 2, 3, 4, 5, 7, 8, 9, 10).
 */
export const spreadTouchDay = (index: number, touches: number, overBusinessDays: number): number =>
  Math.ceil(((index + 1) * overBusinessDays) / touches)

// ---------------------------------------------------------------------------
// The plan at routing time
// ---------------------------------------------------------------------------

/** One step of the cadence as planned when the lead is routed. */
export interface PlannedStep {
  readonly id: string
  readonly kinds: ReadonlyArray<ActivityKind>
  /** `all`: every kind must be logged (voicemail + email); `any`: one is enough. */
  readonly match: "all" | "any"
  /** What the step's clock counts from: `t0` or the completion of the named step. */
  readonly after: string
  /**
   * When the step is due. For a step counted from another step this is the latest it can
   * be: assuming the step it follows is done exactly at its own deadline (`projected`).
   */
  readonly dueAt: Date
  readonly projected: boolean
  /** Only due when the step it follows ended without a live conversation (`missed_connect`). */
  readonly conditional: boolean
  /** The rule in words, for the handoff notification: "call within 1 h of attempt-1". */
  readonly rule: string
}

/** The speed-to-lead deadlines of a routed lead, fixed at routing time (SPEC §1 `tiers`, `cadences`). */
export interface SlaPlan {
  readonly tier: string
  /** The owner must accept by then (counted from routing), or the lead goes to the backup pod. */
  readonly acceptBy?: Date
  /** The first touch is due by then (counted from T0). */
  readonly firstTouchBy?: Date
  /** The deadline rule that gave `firstTouchBy`, and the inquiry type when a `byIntent` target won. */
  readonly firstTouchRule?: { readonly deadline: Deadline; readonly intent?: string }
  readonly cadence?: string
  readonly steps: ReadonlyArray<PlannedStep>
  /** The tier's SLA counts business time on the agreement's calendar. */
  readonly businessHours: boolean
}

const resolveTier = (agreement: Agreement, tier: Tier | string): Tier => {
  if (typeof tier !== "string") return tier
  const found = agreement.tiers.find((t) => t.name === tier)
  if (found === undefined) throw new UnknownSlaReference({ reason: "tier", name: tier, message: `the agreement has no tier "${tier}"` })
  return found
}

const resolveCadence = (agreement: Agreement, cadenceId: string): Cadence => {
  const found = agreement.cadences[cadenceId]
  if (found === undefined) {
    throw new UnknownSlaReference({ reason: "cadence", name: cadenceId, message: `the agreement has no cadence "${cadenceId}"` })
  }
  return found
}

const anchorOf = (steps: ReadonlyArray<CadenceStep>, index: number): string =>
  steps[index]!.after ?? (index === 0 ? "t0" : steps[index - 1]!.id)

const planSteps = (agreement: Agreement, cadence: Cadence, t0: Date): Array<PlannedStep> => {
  if (cadence.steps === undefined) {
    const touches = cadence.touches ?? 0
    const days = cadence.overBusinessDays ?? 0
    return Array.from({ length: touches }, (_, i) => {
      const day = spreadTouchDay(i, touches, days)
      return {
        id: `touch-${i + 1}`,
        kinds: cadence.kinds,
        match: "any" as const,
        after: "t0",
        dueAt: addBusinessDays(agreement.calendar, t0, day),
        projected: false,
        conditional: false,
        rule: `touch ${i + 1} of ${touches} (${cadence.kinds.join(", ")}) by business day ${day} of ${days}`
      }
    })
  }
  const due = new Map<string, { dueAt: Date; projected: boolean }>()
  return cadence.steps.map((step, i) => {
    const after = anchorOf(cadence.steps!, i)
    const anchor = after === "t0" ? { dueAt: t0, projected: false } : due.get(after)!
    const dueAt = deadlineAfter(agreement, anchor.dueAt, step.within, cadence.businessHours)
    const projected = after !== "t0"
    due.set(step.id, { dueAt, projected })
    const kinds = step.kinds.join(step.match === "all" ? " + " : " or ")
    return {
      id: step.id,
      kinds: step.kinds,
      match: step.match,
      after,
      dueAt,
      projected,
      conditional: step.when === "missed_connect",
      rule: `${kinds} ${describeDeadline(step.within, cadence.businessHours)} ${after === "t0" ? "of T0" : `after ${after}`}` +
        (step.when === "missed_connect" ? `, if ${after} did not connect` : "")
    }
  })
}

/**
 * The speed-to-lead plan of a lead routed under `tier` (the tier object, or its name).
 *
 * - `acceptBy` = `routedAt` + `sla.accept`;
 * - `firstTouchBy` = `t0` + `sla.firstTouch` ("same-business-day" / "end-of-business-day":
 *   the close of T0's business day). When the inquiry type (`intent`, e.g. `trial_signup`)
 *   has a `byIntent` target that falls due earlier, that target replaces it (seed 004:
 *   free-trial signup < 1 h; high-intent content < 4 h);
 * - durations are wall-clock unless `sla.businessHours` (then business time on the
 *   agreement's calendar);
 * - `steps`: the tier's cadence planned from T0 (see `PlannedStep.projected`).
 *
 * A tier without an SLA (nurture) gets no deadlines. Throws `UnknownSlaReference` for a
 * tier name the agreement does not define.
 */
export const slaPlan = (
  agreement: Agreement,
  tier: Tier | string,
  input: { readonly t0: Date; readonly routedAt: Date; readonly intent?: string }
): SlaPlan => {
  const t = resolveTier(agreement, tier)
  const sla = t.sla
  const businessHours = sla?.businessHours ?? false
  const acceptBy = sla?.accept === undefined ? undefined : deadlineAfter(agreement, input.routedAt, sla.accept, businessHours)

  let firstTouch: { by: Date; rule: { deadline: Deadline; intent?: string } } | undefined =
    sla?.firstTouch === undefined
      ? undefined
      : { by: deadlineAfter(agreement, input.t0, sla.firstTouch, businessHours), rule: { deadline: sla.firstTouch } }
  const byIntent = input.intent === undefined ? undefined : sla?.byIntent?.[input.intent]
  if (byIntent !== undefined && input.intent !== undefined) {
    const by = deadlineAfter(agreement, input.t0, byIntent, businessHours)
    if (firstTouch === undefined || by.getTime() < firstTouch.by.getTime()) {
      firstTouch = { by, rule: { deadline: byIntent, intent: input.intent } }
    }
  }
  const cadence = t.cadence === undefined ? undefined : resolveCadence(agreement, t.cadence)
  return {
    tier: t.name,
    ...(acceptBy === undefined ? {} : { acceptBy }),
    ...(firstTouch === undefined ? {} : { firstTouchBy: firstTouch.by, firstTouchRule: firstTouch.rule }),
    ...(t.cadence === undefined ? {} : { cadence: t.cadence }),
    steps: cadence === undefined ? [] : planSteps(agreement, cadence, input.t0),
    businessHours
  }
}

// ---------------------------------------------------------------------------
// Cadence progress
// ---------------------------------------------------------------------------

export type StepStatus = "done" | "pending" | "overdue" | "skipped"

/** Where one cadence step stands at `now`. */
export interface StepProgress {
  readonly id: string
  readonly kinds: ReadonlyArray<ActivityKind>
  /** When its clock started (T0 or the completion of the step it follows); absent while that step is not done. */
  readonly startsAt?: Date
  /** Absent while the step it follows is not done yet (nothing to count from). */
  readonly dueAt?: Date
  readonly status: StepStatus
  /** When the step was completed (the last of its activities for `match: all`). */
  readonly doneAt?: Date
  /** Done, but after `dueAt`: a breach that was made good. */
  readonly late: boolean
}

/** A cadence at `now`: each step's status, and whether it ended in a conversation or ran out. */
export interface CadenceProgress {
  readonly cadence: string
  readonly steps: ReadonlyArray<StepProgress>
  /** A live conversation happened (any activity with `connected`): the cadence is complete. */
  readonly connected: boolean
  readonly connectedAt?: Date
  /**
   * Every step is done (or skipped) and nobody connected: the cadence is used up, and the
   * lead is a candidate for the `cadence_exhausted` recycle rule.
   */
  readonly exhausted: boolean
}

/** Oldest first; simultaneous activities in a fixed order (so the input order never matters). */
const byTime = (a: Activity, b: Activity): number =>
  a.occurredAt.getTime() - b.occurredAt.getTime() ||
  Number(b.connected) - Number(a.connected) ||
  (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
  (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0)

/**
 * Progress of cadence `cadenceId` for a lead whose clock started at `t0`, from the
 * activities logged on the lead (by any rep: the cadence is the lead's follow-up; only
 * activities at or after `t0` and at or before `now` count).
 *
 * Explicit steps (the hot ladder), in the order written:
 * - a step's clock starts at its `after` anchor: `t0`, or the completion of the named step
 *   (default: the previous step, or `t0` for the first). Until that step is done the step
 *   has no due time and is `pending`;
 * - `within` is a duration (business time when the cadence's `businessHours`) or
 *   "end-of-business-day" (the close of the anchor's business day);
 * - `when: missed_connect` steps apply only if their anchor step ended without a connected
 *   activity;
 * - each activity counts for one step only: a step takes the earliest unused activities of
 *   its kinds logged at or after its anchor (`match: all`: one of every kind, done when the
 *   last arrives; `any`: the first one). So attempt 1's call never also counts as attempt 3;
 * - the first connected activity completes the cadence (live conversation → discovery):
 *   activities after it no longer count, and the steps not done by then are `skipped`,
 *   except those already past due when it happened, which stay `overdue` (a miss is not
 *   erased by a later conversation).
 *
 * Spread cadences (`touches` over `overBusinessDays`): touch i (0-based) is due at
 * `addBusinessDays(calendar, t0, ceil((i + 1) × overBusinessDays / touches))` — T0's local
 * time on that business day, or the next opening's when T0 is out of hours (see
 * `spreadTouchDay`); every activity of the cadence's `kinds` counts as the next touch.
 *
 * Step status: `done` (with `doneAt`; `late` when after `dueAt`), `overdue` (`now > dueAt`,
 * not done), `skipped`, or `pending`. Throws `UnknownSlaReference` for an unknown cadence.
 */
export const evaluateCadence = (
  agreement: Agreement,
  cadenceId: string,
  t0: Date,
  activities: ReadonlyArray<Activity>,
  now: Date
): CadenceProgress => {
  const cadence = resolveCadence(agreement, cadenceId)
  const known = activities
    .filter((a) => a.occurredAt.getTime() >= t0.getTime() && a.occurredAt.getTime() <= now.getTime())
    .sort(byTime)
  const connectedAt = known.find((a) => a.connected)?.occurredAt
  // After a live conversation the cadence is over: later activities are discovery, not cadence.
  const counted = connectedAt === undefined ? known : known.filter((a) => a.occurredAt.getTime() <= connectedAt.getTime())

  const settle = (id: string, kinds: ReadonlyArray<ActivityKind>, startsAt: Date | undefined, dueAt: Date | undefined, doneAt: Date | undefined): StepProgress => {
    const base = {
      id,
      kinds,
      ...(startsAt === undefined ? {} : { startsAt }),
      ...(dueAt === undefined ? {} : { dueAt })
    }
    if (doneAt !== undefined) return { ...base, status: "done", doneAt, late: dueAt !== undefined && doneAt.getTime() > dueAt.getTime() }
    const pastDue = (at: Date) => dueAt !== undefined && at.getTime() > dueAt.getTime()
    if (connectedAt !== undefined) return { ...base, status: pastDue(connectedAt) ? "overdue" : "skipped", late: false }
    return { ...base, status: pastDue(now) ? "overdue" : "pending", late: false }
  }

  let steps: Array<StepProgress>
  if (cadence.steps === undefined) {
    const touches = cadence.touches ?? 0
    const days = cadence.overBusinessDays ?? 0
    const done = counted.filter((a) => cadence.kinds.includes(a.kind))
    steps = Array.from({ length: touches }, (_, i) =>
      settle(`touch-${i + 1}`, cadence.kinds, t0, addBusinessDays(agreement.calendar, t0, spreadTouchDay(i, touches, days)), done[i]?.occurredAt)
    )
  } else {
    const explicit = cadence.steps
    const used = new Set<Activity>()
    const outcome = new Map<string, { progress: StepProgress; connected: boolean }>()
    steps = explicit.map((step, i) => {
      const after = anchorOf(explicit, i)
      const anchor = after === "t0" ? undefined : outcome.get(after)
      let startsAt: Date | undefined
      if (after === "t0") startsAt = t0
      else if (anchor?.progress.status === "done") startsAt = anchor.progress.doneAt
      // The step it follows connected (so there is no missed connect), or was itself skipped.
      const inapplicable = anchor !== undefined &&
        (anchor.progress.status === "skipped" || (step.when === "missed_connect" && anchor.connected))
      if (inapplicable) {
        const progress: StepProgress = { id: step.id, kinds: step.kinds, status: "skipped", late: false }
        outcome.set(step.id, { progress, connected: false })
        return progress
      }
      let taken: Array<Activity> = []
      if (startsAt !== undefined) {
        const from = startsAt.getTime()
        const candidates = counted.filter((a) => !used.has(a) && a.occurredAt.getTime() >= from)
        if (step.match === "any") {
          const first = candidates.find((a) => step.kinds.includes(a.kind))
          taken = first === undefined ? [] : [first]
        } else {
          const each = step.kinds.map((k) => candidates.find((a) => a.kind === k))
          taken = each.every((a) => a !== undefined) ? (each as Array<Activity>) : []
        }
      }
      for (const a of taken) used.add(a)
      const doneAt = taken.length === 0 ? undefined : new Date(Math.max(...taken.map((a) => a.occurredAt.getTime())))
      const dueAt = startsAt === undefined ? undefined : deadlineAfter(agreement, startsAt, step.within, cadence.businessHours)
      const progress = settle(step.id, step.kinds, startsAt, dueAt, doneAt)
      outcome.set(step.id, { progress, connected: taken.some((a) => a.connected) })
      return progress
    })
  }
  const connected = connectedAt !== undefined
  return {
    cadence: cadenceId,
    steps,
    connected,
    ...(connectedAt === undefined ? {} : { connectedAt }),
    exhausted: !connected && steps.every((s) => s.status === "done" || s.status === "skipped")
  }
}

// ---------------------------------------------------------------------------
// SLA status and breaches
// ---------------------------------------------------------------------------

/**
 * What the SLA evaluation needs from the current assignment of a lead to a rep. The
 * deadlines are the ones fixed at routing (`slaPlan`), so a later agreement version never
 * moves a running clock. (The store's `Assignment` record has this shape and more.)
 */
export interface SlaAssignment {
  /** The tier's name. */
  readonly tier: string
  readonly cadence?: string
  /** Form submission time: the speed-to-lead clock's start. */
  readonly t0: Date
  /** When the lead was routed (or last reassigned) to `repId`. */
  readonly routedAt: Date
  readonly repId: string
  readonly acceptBy?: Date
  readonly firstTouchBy?: Date
  readonly acceptedAt?: Date
  /** Reassignments of this handoff after breaches so far. */
  readonly reassignments: number
}

export type SlaOutcome = "met" | "pending" | "breached" | "n/a"
export type EscalationAction = "reassign_backup" | "notify_manager" | "flag"

/** A missed deadline, with what the escalation policy says to do about it. */
export interface SlaBreach {
  readonly kind: "accept" | "first_touch" | "cadence_step"
  readonly stepId?: string
  /** Stable key for "handle each breach once": `accept`, `first_touch` or `cadence:<step id>`. */
  readonly key: string
  readonly dueAt: Date
  readonly action: EscalationAction
  /** A lead flag to set along with the action (first touch and cadence misses are flagged for manager review). */
  readonly flag?: string
  /** Set when the work was done after all (late): count the breach, but there is nothing left to act on. */
  readonly doneAt?: Date
}

export interface SlaStatus {
  readonly accept: SlaOutcome
  readonly firstTouch: SlaOutcome
  /** The owner's first activity on the lead at or after routing. */
  readonly firstTouchAt?: Date
  readonly cadence?: CadenceProgress
  readonly breaches: ReadonlyArray<SlaBreach>
  /**
   * `breached`: any breach (it stays breached); `met`: nothing left to do (accept and first
   * touch met or not required, cadence connected or used up); `at_risk`: something pending
   * has less than `atRiskShare` of its time window left; otherwise `on_track`.
   */
  readonly status: "on_track" | "at_risk" | "breached" | "met"
}

/** A pending deadline is "at risk" once less than this share of its window (wall-clock) is left. */
export const atRiskShare = 0.25

const outcome = (dueBy: Date | undefined, doneAt: Date | undefined, now: Date): SlaOutcome => {
  if (dueBy === undefined) return "n/a"
  if (doneAt !== undefined) return doneAt.getTime() <= dueBy.getTime() ? "met" : "breached"
  return now.getTime() > dueBy.getTime() ? "breached" : "pending"
}

/**
 * The escalation for a missed accept or first-touch SLA: the agreement's action, except
 * that a lead already reassigned `maxReassignments` times stays put and the rep's manager
 * is notified instead.
 */
const escalate = (agreement: Agreement, configured: "reassign_backup" | "notify_manager", reassignments: number): EscalationAction =>
  configured === "reassign_backup" && reassignments >= agreement.escalation.maxReassignments ? "notify_manager" : configured

/**
 * Where a lead's speed-to-lead SLA stands at `now`, and which breaches need escalating.
 *
 * - accept: met when `acceptedAt <= acceptBy`; breached when accepted late or `now > acceptBy`
 *   without acceptance; "n/a" without `acceptBy`. Missed → `escalation.acceptMissed`
 *   (default: reassign to the backup pod; once `reassignments >= maxReassignments`, notify
 *   the manager instead).
 * - first touch: the first activity (any kind) by the assigned rep at or after `routedAt`.
 *   Same rule against `firstTouchBy`. Missed → `escalation.firstTouchMissed` (default: notify
 *   the rep's manager) and the lead is flagged `sla_missed:first_touch`.
 * - cadence (when the assignment has one this agreement defines): `evaluateCadence` from
 *   T0; every overdue or late step is a breach with action `flag` (`cadence_missed:<step>`).
 *
 * Deadlines are inclusive (see the module notes); activities and an `acceptedAt` after `now`
 * are not known yet. Pure and deterministic; monotone in `now`: once breached, a lead stays
 * breached (late work marks the breach `doneAt`, it does not remove it).
 */
export const evaluateSla = (
  agreement: Agreement,
  assignment: SlaAssignment,
  activities: ReadonlyArray<Activity>,
  now: Date
): SlaStatus => {
  const t = now.getTime()
  const acceptedAt = assignment.acceptedAt !== undefined && assignment.acceptedAt.getTime() <= t ? assignment.acceptedAt : undefined
  const firstTouchAt = activities
    .filter((a) =>
      a.repId === assignment.repId && a.occurredAt.getTime() >= assignment.routedAt.getTime() && a.occurredAt.getTime() <= t
    )
    .reduce<Date | undefined>((min, a) => (min === undefined || a.occurredAt.getTime() < min.getTime() ? a.occurredAt : min), undefined)

  const accept = outcome(assignment.acceptBy, acceptedAt, now)
  const firstTouch = outcome(assignment.firstTouchBy, firstTouchAt, now)
  const cadence = assignment.cadence !== undefined && agreement.cadences[assignment.cadence] !== undefined
    ? evaluateCadence(agreement, assignment.cadence, assignment.t0, activities, now)
    : undefined

  const breaches: Array<SlaBreach> = []
  if (accept === "breached" && assignment.acceptBy !== undefined) {
    breaches.push({
      kind: "accept",
      key: "accept",
      dueAt: assignment.acceptBy,
      action: escalate(agreement, agreement.escalation.acceptMissed, assignment.reassignments),
      ...(acceptedAt === undefined ? {} : { doneAt: acceptedAt })
    })
  }
  if (firstTouch === "breached" && assignment.firstTouchBy !== undefined) {
    breaches.push({
      kind: "first_touch",
      key: "first_touch",
      dueAt: assignment.firstTouchBy,
      action: escalate(agreement, agreement.escalation.firstTouchMissed, assignment.reassignments),
      flag: "sla_missed:first_touch",
      ...(firstTouchAt === undefined ? {} : { doneAt: firstTouchAt })
    })
  }
  for (const step of cadence?.steps ?? []) {
    if ((step.status === "overdue" || step.late) && step.dueAt !== undefined) {
      breaches.push({
        kind: "cadence_step",
        stepId: step.id,
        key: `cadence:${step.id}`,
        dueAt: step.dueAt,
        action: "flag",
        flag: `cadence_missed:${step.id}`,
        ...(step.doneAt === undefined ? {} : { doneAt: step.doneAt })
      })
    }
  }

  let status: SlaStatus["status"]
  if (breaches.length > 0) status = "breached"
  else {
    const windows: Array<{ start: Date; due: Date }> = []
    if (accept === "pending" && assignment.acceptBy !== undefined) windows.push({ start: assignment.routedAt, due: assignment.acceptBy })
    if (firstTouch === "pending" && assignment.firstTouchBy !== undefined) windows.push({ start: assignment.t0, due: assignment.firstTouchBy })
    for (const s of cadence?.steps ?? []) {
      if (s.status === "pending" && s.startsAt !== undefined && s.dueAt !== undefined) windows.push({ start: s.startsAt, due: s.dueAt })
    }
    const cadenceOpen = cadence !== undefined && !cadence.connected && !cadence.exhausted
    if (windows.length === 0 && !cadenceOpen && accept !== "pending" && firstTouch !== "pending") status = "met"
    else {
      const atRisk = windows.some(({ start, due }) => due.getTime() - t <= atRiskShare * (due.getTime() - start.getTime()))
      status = atRisk ? "at_risk" : "on_track"
    }
  }

  return {
    accept,
    firstTouch,
    ...(firstTouchAt === undefined ? {} : { firstTouchAt }),
    ...(cadence === undefined ? {} : { cadence }),
    breaches,
    status
  }
}
