import { describe, expect, it } from "@effect/vitest"
import { FastCheck, Schema } from "effect"
import { Agreement } from "./Agreement.ts"
import { businessTimeBetween, endOfBusinessDay, isWorkingTime } from "./BusinessTime.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import {
  type Activity,
  evaluateCadence,
  evaluateSla,
  type SlaAssignment,
  slaPlan,
  spreadTouchDay,
  UnknownSlaReference
} from "./Sla.ts"

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const at = (iso: string): Date => new Date(iso)
const plus = (d: Date, ms: number): Date => new Date(d.getTime() + ms)

const holidays = ["2026-01-01", "2026-01-19", "2026-07-03", "2026-11-26", "2026-12-25"]

/** Seed 000's tiers and ladder, seed 004's byIntent targets, a New York calendar with holidays. */
const agreement = Schema.decodeUnknownSync(Agreement)({
  name: "SLA test agreement",
  scoring: { fit: [], intent: [] },
  handRaise: ["demo_request", "pricing_request", "contact_sales"],
  tiers: [
    {
      name: "hot",
      when: { handRaise: true, estimatedAcv: { gt: 50000 } },
      route: { pod: "ae-direct" },
      sla: { accept: "PT2M", firstTouch: "PT5M" },
      cadence: "speed-to-lead"
    },
    {
      name: "warm-plus",
      when: { handRaise: true },
      route: { pod: "sdr" },
      sla: { firstTouch: "same-business-day", businessHours: true, byIntent: { trial_signup: "PT1H" } },
      cadence: "sdr-3x3"
    },
    {
      name: "warm",
      when: { mql: true },
      route: { pod: "sdr" },
      sla: { firstTouch: "PT24H", businessHours: true, byIntent: { trial_signup: "PT1H", content_download: "PT4H" } },
      cadence: "sdr-8x10"
    },
    { name: "nurture" }
  ],
  cadences: {
    "speed-to-lead": {
      businessHours: false,
      steps: [
        { id: "attempt-1", kinds: ["call"], after: "t0", within: "PT5M" },
        { id: "voicemail-email", kinds: ["voicemail", "email"], match: "all", after: "attempt-1", within: "PT3M", when: "missed_connect" },
        { id: "attempt-2", kinds: ["call"], after: "attempt-1", within: "PT1H" },
        { id: "attempt-3-linkedin", kinds: ["call", "linkedin"], match: "all", after: "t0", within: "end-of-business-day" }
      ]
    },
    "sdr-3x3": { touches: 3, overBusinessDays: 3 },
    "sdr-8x10": { touches: 8, overBusinessDays: 10 }
  },
  routing: {
    pods: [
      { id: "ae-direct", strategy: "round_robin", backup: "ae-backup" },
      { id: "ae-backup", strategy: "round_robin" },
      { id: "sdr", strategy: "territory" }
    ]
  },
  calendar: { timezone: "America/New_York", workingHours: { "mon-fri": ["09:00", "18:00"] }, holidays }
})
const cal = agreement.calendar

const act = (kind: Activity["kind"], occurredAt: Date, opts: { connected?: boolean; repId?: string } = {}): Activity => ({
  repId: opts.repId ?? "rep-1",
  kind,
  connected: opts.connected ?? false,
  occurredAt
})

const statusOf = (progress: ReturnType<typeof evaluateCadence>) => Object.fromEntries(progress.steps.map((s) => [s.id, s.status]))
const step = (progress: ReturnType<typeof evaluateCadence>, id: string) => progress.steps.find((s) => s.id === id)!

// Tuesday 13 Jan 2026, 10:00 in New York (EST, UTC-5).
const tue10 = at("2026-01-13T10:00:00-05:00")

// ---------------------------------------------------------------------------
// slaPlan
// ---------------------------------------------------------------------------

describe("slaPlan", () => {
  it("hot: accept 2 min from routing, first call 5 min from T0, the ladder from T0", () => {
    const routedAt = plus(tue10, 20 * SECOND)
    const plan = slaPlan(agreement, "hot", { t0: tue10, routedAt })
    expect(plan.acceptBy).toEqual(plus(routedAt, 2 * MINUTE))
    expect(plan.firstTouchBy).toEqual(plus(tue10, 5 * MINUTE))
    expect(plan.firstTouchRule).toEqual({ deadline: "PT5M" })
    expect(plan.businessHours).toBe(false)
    expect(plan.cadence).toBe("speed-to-lead")
    expect(plan.steps.map((s) => [s.id, s.dueAt.toISOString(), s.projected, s.conditional])).toEqual([
      ["attempt-1", "2026-01-13T15:05:00.000Z", false, false],
      // projected: attempt 1 done at its own deadline, voicemail + email 3 min later
      ["voicemail-email", "2026-01-13T15:08:00.000Z", true, true],
      ["attempt-2", "2026-01-13T16:05:00.000Z", true, false],
      // end of the business day of T0: 18:00 New York
      ["attempt-3-linkedin", "2026-01-13T23:00:00.000Z", false, false]
    ])
    expect(plan.steps[1]!.rule).toContain("if attempt-1 did not connect")
  })

  it("hot SLAs are wall-clock: a Saturday lead is still due in 2 and 5 minutes", () => {
    const sat = at("2026-01-17T11:00:00-05:00")
    const plan = slaPlan(agreement, "hot", { t0: sat, routedAt: sat })
    expect(plan.acceptBy).toEqual(plus(sat, 2 * MINUTE))
    expect(plan.firstTouchBy).toEqual(plus(sat, 5 * MINUTE))
    // by end of business day: Monday 19 Jan is a holiday, so Tuesday's close
    expect(plan.steps[3]!.dueAt).toEqual(at("2026-01-20T18:00:00-05:00"))
  })

  it("warm: 24 business hours skip the night, the weekend and a holiday", () => {
    // Friday 16 Jan 10:00: 8 h Friday, Monday 19 Jan is MLK day, 9 h Tuesday, 7 h Wednesday → Wed 16:00
    const fri10 = at("2026-01-16T10:00:00-05:00")
    const plan = slaPlan(agreement, "warm", { t0: fri10, routedAt: fri10 })
    expect(plan.acceptBy).toBeUndefined()
    expect(plan.businessHours).toBe(true)
    expect(plan.firstTouchBy).toEqual(at("2026-01-21T16:00:00-05:00"))
  })

  it("warm-plus: same business day is the close of T0's business day", () => {
    const late = at("2026-01-13T17:59:00-05:00")
    expect(slaPlan(agreement, "warm-plus", { t0: late, routedAt: late }).firstTouchBy).toEqual(at("2026-01-13T18:00:00-05:00"))
    const early = at("2026-01-13T07:00:00-05:00")
    expect(slaPlan(agreement, "warm-plus", { t0: early, routedAt: early }).firstTouchBy).toEqual(at("2026-01-13T18:00:00-05:00"))
    const afterClose = at("2026-01-13T19:30:00-05:00")
    expect(slaPlan(agreement, "warm-plus", { t0: afterClose, routedAt: afterClose }).firstTouchBy).toEqual(at("2026-01-14T18:00:00-05:00"))
    const saturday = at("2026-01-10T12:00:00-05:00")
    expect(slaPlan(agreement, "warm-plus", { t0: saturday, routedAt: saturday }).firstTouchBy).toEqual(at("2026-01-12T18:00:00-05:00"))
  })

  it("byIntent replaces the first-touch target only when it is stricter", () => {
    // warm + trial signup: 1 business hour instead of 24
    const trial = slaPlan(agreement, "warm", { t0: tue10, routedAt: tue10, intent: "trial_signup" })
    expect(trial.firstTouchBy).toEqual(at("2026-01-13T11:00:00-05:00"))
    expect(trial.firstTouchRule).toEqual({ deadline: "PT1H", intent: "trial_signup" })
    const content = slaPlan(agreement, "warm", { t0: tue10, routedAt: tue10, intent: "content_download" })
    expect(content.firstTouchBy).toEqual(at("2026-01-13T14:00:00-05:00"))
    // an inquiry type without a target keeps the tier's rule
    const webinar = slaPlan(agreement, "warm", { t0: tue10, routedAt: tue10, intent: "webinar_registration" })
    expect(webinar.firstTouchRule).toEqual({ deadline: "PT24H" })
    // warm-plus at 17:30: 1 business hour would be 09:30 tomorrow, same-business-day is 18:00 today: keep 18:00
    const t = at("2026-01-13T17:30:00-05:00")
    const plus1 = slaPlan(agreement, "warm-plus", { t0: t, routedAt: t, intent: "trial_signup" })
    expect(plus1.firstTouchBy).toEqual(at("2026-01-13T18:00:00-05:00"))
    expect(plus1.firstTouchRule).toEqual({ deadline: "same-business-day" })
    // at 10:00 the 1-hour target is stricter
    expect(slaPlan(agreement, "warm-plus", { t0: tue10, routedAt: tue10, intent: "trial_signup" }).firstTouchBy)
      .toEqual(at("2026-01-13T11:00:00-05:00"))
  })

  it("the nurture tier has no owner, no timer and no cadence", () => {
    const plan = slaPlan(agreement, "nurture", { t0: tue10, routedAt: tue10 })
    expect(plan).toEqual({ tier: "nurture", steps: [], businessHours: false })
  })

  it("accepts the tier object and refuses an unknown tier name", () => {
    const hot = agreement.tiers[0]
    expect(slaPlan(agreement, hot, { t0: tue10, routedAt: tue10 }).tier).toBe("hot")
    expect(() => slaPlan(agreement, "lukewarm", { t0: tue10, routedAt: tue10 })).toThrow(UnknownSlaReference)
  })

  it("the default agreement's hot tier gives the seed's 2-minute accept and 5-minute first call", () => {
    const plan = slaPlan(defaultAgreement, "hot", { t0: tue10, routedAt: plus(tue10, 10 * SECOND) })
    expect(plan.acceptBy).toEqual(plus(tue10, 2 * MINUTE + 10 * SECOND))
    expect(plan.firstTouchBy).toEqual(plus(tue10, 5 * MINUTE))
  })
})

// ---------------------------------------------------------------------------
// The hot speed-to-lead ladder
// ---------------------------------------------------------------------------

describe("evaluateCadence: the hot speed-to-lead ladder", () => {
  const ladder = (activities: ReadonlyArray<Activity>, now: Date) => evaluateCadence(agreement, "speed-to-lead", tue10, activities, now)

  it("before anything is logged: attempt 1 is due at T0 + 5 min, follow-ups wait for it", () => {
    const p = ladder([], plus(tue10, 4 * MINUTE))
    expect(statusOf(p)).toEqual({ "attempt-1": "pending", "voicemail-email": "pending", "attempt-2": "pending", "attempt-3-linkedin": "pending" })
    expect(step(p, "attempt-1").dueAt).toEqual(plus(tue10, 5 * MINUTE))
    expect(step(p, "voicemail-email").dueAt).toBeUndefined()
    expect(step(p, "attempt-2").dueAt).toBeUndefined()
    expect(step(p, "attempt-3-linkedin").dueAt).toEqual(at("2026-01-13T18:00:00-05:00"))
    expect(p.connected).toBe(false)
    expect(p.exhausted).toBe(false)
  })

  it("a missed connect starts the 3-minute voicemail + email clock from the call", () => {
    const call = plus(tue10, 3 * MINUTE)
    const p = ladder([act("call", call), act("voicemail", plus(call, MINUTE)), act("email", plus(call, 2 * MINUTE))], plus(tue10, 6 * MINUTE))
    expect(step(p, "attempt-1")).toMatchObject({ status: "done", doneAt: call, late: false })
    expect(step(p, "voicemail-email")).toMatchObject({ status: "done", startsAt: call, dueAt: plus(call, 3 * MINUTE), doneAt: plus(call, 2 * MINUTE), late: false })
    // attempt 2 counts from attempt 1's call: 1 hour later
    expect(step(p, "attempt-2")).toMatchObject({ status: "pending", dueAt: plus(call, HOUR) })
  })

  it("match all: a voicemail without the email does not complete the follow-up", () => {
    const call = plus(tue10, MINUTE)
    const p = ladder([act("call", call), act("voicemail", plus(call, MINUTE))], plus(call, 3 * MINUTE + 1))
    expect(step(p, "voicemail-email").status).toBe("overdue")
    const later = ladder([act("call", call), act("voicemail", plus(call, MINUTE)), act("email", plus(call, 10 * MINUTE))], plus(call, 11 * MINUTE))
    expect(step(later, "voicemail-email")).toMatchObject({ status: "done", late: true, doneAt: plus(call, 10 * MINUTE) })
  })

  it("the deadline is inclusive: a call at exactly T0 + 5 min is on time; nothing by then is overdue 1 ms later", () => {
    const due = plus(tue10, 5 * MINUTE)
    expect(step(ladder([act("call", due)], due), "attempt-1")).toMatchObject({ status: "done", late: false })
    expect(step(ladder([], due), "attempt-1").status).toBe("pending")
    expect(step(ladder([], plus(due, 1)), "attempt-1").status).toBe("overdue")
  })

  it("a live conversation completes the cadence: the remaining steps are skipped", () => {
    const p = ladder([act("call", plus(tue10, 2 * MINUTE), { connected: true })], plus(tue10, 3 * HOUR))
    expect(p.connected).toBe(true)
    expect(p.connectedAt).toEqual(plus(tue10, 2 * MINUTE))
    expect(statusOf(p)).toEqual({ "attempt-1": "done", "voicemail-email": "skipped", "attempt-2": "skipped", "attempt-3-linkedin": "skipped" })
    expect(p.exhausted).toBe(false)
  })

  it("each activity counts once: attempt 1's call is not also attempt 3's", () => {
    const acts = [
      act("call", plus(tue10, 2 * MINUTE)),
      act("voicemail", plus(tue10, 3 * MINUTE)),
      act("email", plus(tue10, 4 * MINUTE)),
      act("call", plus(tue10, 30 * MINUTE)),
      act("linkedin", plus(tue10, 40 * MINUTE))
    ]
    const eod = at("2026-01-13T18:00:00-05:00")
    const p = ladder(acts, plus(eod, 1))
    expect(statusOf(p)).toEqual({ "attempt-1": "done", "voicemail-email": "done", "attempt-2": "done", "attempt-3-linkedin": "overdue" })
    // a third call completes it
    const q = ladder([...acts, act("call", plus(tue10, 50 * MINUTE))], plus(eod, 1))
    expect(step(q, "attempt-3-linkedin")).toMatchObject({ status: "done", doneAt: plus(tue10, 50 * MINUTE), late: false })
    // all four steps done, nobody picked up: the cadence is exhausted
    expect(q.exhausted).toBe(true)
  })

  it("when attempt 1 never happens only attempt 1 is overdue; the follow-ups have nothing to count from", () => {
    const p = ladder([], plus(tue10, 10 * MINUTE))
    expect(statusOf(p)).toEqual({ "attempt-1": "overdue", "voicemail-email": "pending", "attempt-2": "pending", "attempt-3-linkedin": "pending" })
  })

  it("a step already overdue stays overdue when a conversation happens later", () => {
    const acts = [
      act("call", plus(tue10, MINUTE)),
      act("voicemail", plus(tue10, 2 * MINUTE)),
      act("email", plus(tue10, 2 * MINUTE)),
      act("call", plus(tue10, 20 * MINUTE)),
      // next morning the prospect picks up
      act("call", at("2026-01-14T10:00:00-05:00"), { connected: true })
    ]
    const p = ladder(acts, at("2026-01-14T12:00:00-05:00"))
    expect(p.connected).toBe(true)
    expect(step(p, "attempt-3-linkedin").status).toBe("overdue")
    expect(p.exhausted).toBe(false)
  })

  it("ignores activities before T0 (an earlier cycle) and after now (not known yet)", () => {
    const acts = [act("call", plus(tue10, -DAY)), act("call", plus(tue10, 10 * MINUTE))]
    const p = ladder(acts, plus(tue10, 6 * MINUTE))
    expect(step(p, "attempt-1").status).toBe("overdue")
    expect(step(ladder(acts, plus(tue10, 10 * MINUTE)), "attempt-1")).toMatchObject({ status: "done", late: true })
  })

  it("refuses a cadence the agreement does not define", () => {
    expect(() => evaluateCadence(agreement, "nope", tue10, [], tue10)).toThrow(UnknownSlaReference)
  })
})

// ---------------------------------------------------------------------------
// Spread cadences
// ---------------------------------------------------------------------------

describe("evaluateCadence: touches spread over business days", () => {
  it("the spread rule: touch i is due on business day ceil((i + 1) × days / touches)", () => {
    expect([0, 1, 2].map((i) => spreadTouchDay(i, 3, 3))).toEqual([1, 2, 3])
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => spreadTouchDay(i, 8, 10))).toEqual([2, 3, 4, 5, 7, 8, 9, 10])
  })

  it("3 touches over 3 business days: one a day, at T0's local time", () => {
    const p = evaluateCadence(agreement, "sdr-3x3", tue10, [], tue10)
    expect(p.steps.map((s) => s.dueAt)).toEqual([
      at("2026-01-14T10:00:00-05:00"),
      at("2026-01-15T10:00:00-05:00"),
      at("2026-01-16T10:00:00-05:00")
    ])
    expect(statusOf(p)).toEqual({ "touch-1": "pending", "touch-2": "pending", "touch-3": "pending" })
  })

  it("8 touches over 10 business days skip the weekend and the MLK holiday", () => {
    const mon = at("2026-01-12T10:00:00-05:00")
    const p = evaluateCadence(agreement, "sdr-8x10", mon, [], mon)
    // business days after Mon 12 Jan: 13, 14, 15, 16, (19 is a holiday) 20, 21, 22, 23, 26, 27
    expect(p.steps.map((s) => s.dueAt!.toISOString().slice(0, 10))).toEqual([
      "2026-01-14", "2026-01-15", "2026-01-16", "2026-01-20", "2026-01-22", "2026-01-23", "2026-01-26", "2026-01-27"
    ])
    expect(p.steps.every((s) => s.dueAt!.getUTCHours() === 15)).toBe(true)
  })

  it("a lead arriving on Saturday counts from Monday's opening", () => {
    const sat = at("2026-01-10T15:00:00-05:00")
    const p = evaluateCadence(agreement, "sdr-3x3", sat, [], sat)
    expect(p.steps[0]!.dueAt).toEqual(at("2026-01-13T09:00:00-05:00"))
  })

  it("any activity of the cadence's kinds is the next touch; meetings are not touches", () => {
    const acts = [act("email", plus(tue10, HOUR)), act("meeting", plus(tue10, 2 * HOUR)), act("linkedin", at("2026-01-15T09:30:00-05:00"))]
    const p = evaluateCadence(agreement, "sdr-3x3", tue10, acts, at("2026-01-15T12:00:00-05:00"))
    expect(p.steps.map((s) => [s.status, s.doneAt?.toISOString()])).toEqual([
      ["done", "2026-01-13T16:00:00.000Z"],
      ["done", "2026-01-15T14:30:00.000Z"],
      ["pending", undefined]
    ])
  })

  it("a missed touch is overdue; three touches without an answer exhaust the cadence", () => {
    const late = evaluateCadence(agreement, "sdr-3x3", tue10, [act("call", plus(tue10, HOUR))], at("2026-01-15T10:00:01-05:00"))
    expect(statusOf(late)).toEqual({ "touch-1": "done", "touch-2": "overdue", "touch-3": "pending" })
    const acts = [act("call", plus(tue10, HOUR)), act("email", plus(tue10, 2 * HOUR)), act("voicemail", plus(tue10, 3 * HOUR))]
    const done = evaluateCadence(agreement, "sdr-3x3", tue10, acts, plus(tue10, 4 * HOUR))
    expect(done.exhausted).toBe(true)
    expect(done.connected).toBe(false)
  })

  it("a reply (connected) ends the 8-touch cadence: later touches are skipped", () => {
    const mon = at("2026-01-12T10:00:00-05:00")
    const acts = [act("email", plus(mon, HOUR)), act("call", plus(mon, DAY), { connected: true })]
    const p = evaluateCadence(agreement, "sdr-8x10", mon, acts, at("2026-02-10T10:00:00-05:00"))
    expect(p.steps.map((s) => s.status)).toEqual(["done", "done", "skipped", "skipped", "skipped", "skipped", "skipped", "skipped"])
    expect(p.connected).toBe(true)
    expect(p.exhausted).toBe(false)
  })
})

// ---------------------------------------------------------------------------
// evaluateSla
// ---------------------------------------------------------------------------

const hotAssignment = (over: Partial<SlaAssignment> = {}): SlaAssignment => {
  const routedAt = plus(tue10, 20 * SECOND)
  const plan = slaPlan(agreement, "hot", { t0: tue10, routedAt })
  return {
    tier: "hot",
    cadence: "speed-to-lead",
    t0: tue10,
    routedAt,
    repId: "rep-1",
    ...(plan.acceptBy === undefined ? {} : { acceptBy: plan.acceptBy }),
    ...(plan.firstTouchBy === undefined ? {} : { firstTouchBy: plan.firstTouchBy }),
    reassignments: 0,
    ...over
  }
}

describe("evaluateSla", () => {
  it("accept: done at exactly acceptBy is met; at acceptBy with nothing done it is pending; 1 ms later breached", () => {
    const a = hotAssignment()
    const acceptBy = a.acceptBy!
    expect(evaluateSla(agreement, { ...a, acceptedAt: acceptBy }, [], acceptBy).accept).toBe("met")
    expect(evaluateSla(agreement, a, [], acceptBy).accept).toBe("pending")
    const late = evaluateSla(agreement, a, [], plus(acceptBy, 1))
    expect(late.accept).toBe("breached")
    expect(late.status).toBe("breached")
    expect(late.breaches).toEqual([{ kind: "accept", key: "accept", dueAt: acceptBy, action: "reassign_backup" }])
  })

  it("accept missed after the maximum reassignments notifies the manager instead", () => {
    const a = hotAssignment({ reassignments: agreement.escalation.maxReassignments })
    const s = evaluateSla(agreement, a, [], plus(a.acceptBy!, MINUTE))
    expect(s.breaches.find((b) => b.kind === "accept")?.action).toBe("notify_manager")
    const once = evaluateSla(agreement, hotAssignment({ reassignments: agreement.escalation.maxReassignments - 1 }), [], plus(a.acceptBy!, MINUTE))
    expect(once.breaches.find((b) => b.kind === "accept")?.action).toBe("reassign_backup")
  })

  it("accepted late: still a breach (counted), marked done so nobody reassigns it", () => {
    const a = hotAssignment()
    const acceptedAt = plus(a.acceptBy!, 30 * SECOND)
    const s = evaluateSla(agreement, { ...a, acceptedAt }, [act("call", plus(tue10, 4 * MINUTE))], plus(tue10, 5 * MINUTE))
    expect(s.accept).toBe("breached")
    expect(s.breaches[0]).toMatchObject({ kind: "accept", doneAt: acceptedAt })
    // an acceptance dated after `now` is not known yet
    expect(evaluateSla(agreement, { ...a, acceptedAt }, [], plus(tue10, MINUTE)).accept).toBe("pending")
  })

  it("first touch is the assigned rep's first activity at or after routing, of any kind", () => {
    const a = hotAssignment({ acceptedAt: plus(tue10, MINUTE) })
    const acts = [
      act("call", plus(tue10, 10 * SECOND)), // before routing: does not count
      act("call", plus(tue10, 2 * MINUTE), { repId: "rep-2" }), // another rep
      act("email", plus(tue10, 4 * MINUTE))
    ]
    const s = evaluateSla(agreement, a, acts, plus(tue10, 6 * MINUTE))
    expect(s.firstTouchAt).toEqual(plus(tue10, 4 * MINUTE))
    expect(s.firstTouch).toBe("met")
  })

  it("first touch missed: notify the manager and flag the lead", () => {
    const a = hotAssignment({ acceptedAt: plus(tue10, MINUTE) })
    const s = evaluateSla(agreement, a, [], plus(tue10, 6 * MINUTE))
    expect(s.firstTouch).toBe("breached")
    expect(s.breaches.find((b) => b.kind === "first_touch")).toEqual({
      kind: "first_touch",
      key: "first_touch",
      dueAt: plus(tue10, 5 * MINUTE),
      action: "notify_manager",
      flag: "sla_missed:first_touch"
    })
    // the ladder's first attempt is overdue too
    expect(s.breaches.find((b) => b.kind === "cadence_step")).toMatchObject({ stepId: "attempt-1", key: "cadence:attempt-1", action: "flag" })
  })

  it("a first-touch policy of reassign_backup also falls back to the manager after the maximum", () => {
    const strict = { ...agreement, escalation: { ...agreement.escalation, firstTouchMissed: "reassign_backup" as const } }
    const a = hotAssignment({ acceptedAt: plus(tue10, MINUTE) })
    expect(evaluateSla(strict, a, [], plus(tue10, 6 * MINUTE)).breaches.find((b) => b.kind === "first_touch")?.action).toBe("reassign_backup")
    expect(evaluateSla(strict, { ...a, reassignments: 5 }, [], plus(tue10, 6 * MINUTE)).breaches.find((b) => b.kind === "first_touch")?.action)
      .toBe("notify_manager")
  })

  it("status: on track, then at risk in the last quarter of a window, met when the conversation happened", () => {
    const a = hotAssignment()
    expect(evaluateSla(agreement, a, [], plus(tue10, 30 * SECOND)).status).toBe("on_track")
    // 2 min accept window from routing: at risk with 30 s or less to go
    expect(evaluateSla(agreement, a, [], plus(a.acceptBy!, -20 * SECOND)).status).toBe("at_risk")
    const done = evaluateSla(
      agreement,
      { ...a, acceptedAt: plus(tue10, MINUTE) },
      [act("call", plus(tue10, 2 * MINUTE), { connected: true })],
      plus(tue10, 3 * MINUTE)
    )
    expect(done.status).toBe("met")
    expect(done.cadence?.connected).toBe(true)
  })

  it("warm lead: no accept SLA (n/a), first touch counted in business hours", () => {
    const fri10 = at("2026-01-16T10:00:00-05:00")
    const plan = slaPlan(agreement, "warm", { t0: fri10, routedAt: fri10 })
    const a: SlaAssignment = { tier: "warm", cadence: "sdr-8x10", t0: fri10, routedAt: fri10, repId: "sdr-1", firstTouchBy: plan.firstTouchBy!, reassignments: 0 }
    // Tuesday afternoon (after the weekend and MLK day): still within 24 business hours
    const tue = evaluateSla(agreement, a, [], at("2026-01-20T15:00:00-05:00"))
    expect(tue.accept).toBe("n/a")
    expect(tue.firstTouch).toBe("pending")
    const wed = evaluateSla(agreement, a, [], at("2026-01-21T16:00:01-05:00"))
    expect(wed.firstTouch).toBe("breached")
  })

  it("a cadence step done late stays a breach with its doneAt", () => {
    const a = hotAssignment({ acceptedAt: plus(tue10, MINUTE) })
    const call = plus(tue10, 2 * MINUTE)
    const acts = [act("call", call), act("voicemail", plus(call, MINUTE)), act("email", plus(call, 5 * MINUTE))]
    const s = evaluateSla(agreement, a, acts, plus(call, 10 * MINUTE))
    expect(s.breaches).toEqual([
      { kind: "cadence_step", stepId: "voicemail-email", key: "cadence:voicemail-email", dueAt: plus(call, 3 * MINUTE), action: "flag", flag: "cadence_missed:voicemail-email", doneAt: plus(call, 5 * MINUTE) }
    ])
  })
})

// ---------------------------------------------------------------------------
// Properties across weekends, holidays and DST changes (America/New_York, 2026)
// ---------------------------------------------------------------------------

const year2026 = FastCheck.integer({ min: at("2026-01-01T00:00:00Z").getTime(), max: at("2026-12-31T00:00:00Z").getTime() })
const aroundSpring = FastCheck.integer({ min: at("2026-03-04T00:00:00Z").getTime(), max: at("2026-03-12T00:00:00Z").getTime() })
const aroundFall = FastCheck.integer({ min: at("2026-10-28T00:00:00Z").getTime(), max: at("2026-11-05T00:00:00Z").getTime() })
const t0Arb = FastCheck.oneof(year2026, aroundSpring, aroundFall).map((ms) => new Date(ms))
const businessTierArb = FastCheck.constantFrom(
  { tier: "warm", intent: undefined, sla: 24 * HOUR },
  { tier: "warm", intent: "trial_signup", sla: HOUR },
  { tier: "warm", intent: "content_download", sla: 4 * HOUR }
)

/** At a working instant, or exactly at the close of the business day that just ended. */
const insideHoursOrAtClose = (d: Date): boolean =>
  isWorkingTime(cal, d) || endOfBusinessDay(cal, new Date(d.getTime() - 1)).getTime() === d.getTime()

describe("properties", () => {
  it.prop(
    "with businessHours, firstTouchBy − T0 in business time equals the SLA",
    { t0: t0Arb, rule: businessTierArb },
    ({ t0, rule }) => {
      const plan = slaPlan(agreement, rule.tier, { t0, routedAt: t0, ...(rule.intent === undefined ? {} : { intent: rule.intent }) })
      expect(businessTimeBetween(cal, t0, plan.firstTouchBy!)).toBe(rule.sla)
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "business deadlines and cadence due times are inside working hours, or exactly at closing",
    { t0: t0Arb, tier: FastCheck.constantFrom("warm", "warm-plus"), intent: FastCheck.constantFrom(undefined, "trial_signup", "content_download") },
    ({ t0, tier, intent }) => {
      const plan = slaPlan(agreement, tier, { t0, routedAt: t0, ...(intent === undefined ? {} : { intent }) })
      expect(insideHoursOrAtClose(plan.firstTouchBy!)).toBe(true)
      for (const s of plan.steps) expect(insideHoursOrAtClose(s.dueAt)).toBe(true)
      // the hot ladder's end-of-day step too
      const hot = slaPlan(agreement, "hot", { t0, routedAt: t0 })
      expect(insideHoursOrAtClose(hot.steps[3]!.dueAt)).toBe(true)
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "a touch logged by the deadline always meets the first-touch SLA, whenever it is evaluated",
    {
      t0: t0Arb,
      tier: FastCheck.constantFrom("hot", "warm-plus", "warm"),
      share: FastCheck.double({ min: 0, max: 1, noNaN: true }),
      later: FastCheck.integer({ min: 0, max: 30 * DAY })
    },
    ({ t0, tier, share, later }) => {
      const routedAt = plus(t0, 15 * SECOND)
      const plan = slaPlan(agreement, tier, { t0, routedAt })
      const firstTouchBy = plan.firstTouchBy!
      const touchAt = new Date(routedAt.getTime() + Math.floor(share * (firstTouchBy.getTime() - routedAt.getTime())))
      const a: SlaAssignment = { tier, t0, routedAt, repId: "rep-1", firstTouchBy, reassignments: 0 }
      const s = evaluateSla(agreement, a, [act("call", touchAt)], plus(touchAt, later))
      expect(s.firstTouch).toBe("met")
      expect(s.firstTouchAt).toEqual(touchAt)
      expect(s.breaches.some((b) => b.kind === "first_touch")).toBe(false)
    },
    { fastCheck: { numRuns: 200 } }
  )

  const activityArb = FastCheck.record({
    kind: FastCheck.constantFrom<Activity["kind"]>("call", "email", "voicemail", "linkedin", "meeting"),
    offset: FastCheck.integer({ min: -HOUR, max: 3 * DAY }),
    connected: FastCheck.integer({ min: 0, max: 5 }).map((n) => n === 0),
    rep: FastCheck.constantFrom("rep-1", "rep-2")
  })

  it.prop(
    "evaluateSla is deterministic and monotone in now: once breached, stays breached",
    {
      t0: t0Arb,
      tier: FastCheck.constantFrom("hot", "warm-plus", "warm"),
      acts: FastCheck.array(activityArb, { maxLength: 8 }),
      acceptOffset: FastCheck.option(FastCheck.integer({ min: 0, max: 10 * MINUTE })),
      nows: FastCheck.array(FastCheck.integer({ min: 0, max: 5 * DAY }), { minLength: 2, maxLength: 6 })
    },
    ({ t0, tier, acts, acceptOffset, nows }) => {
      const routedAt = plus(t0, 10 * SECOND)
      const plan = slaPlan(agreement, tier, { t0, routedAt })
      const a: SlaAssignment = {
        tier,
        ...(plan.cadence === undefined ? {} : { cadence: plan.cadence }),
        t0,
        routedAt,
        repId: "rep-1",
        ...(plan.acceptBy === undefined ? {} : { acceptBy: plan.acceptBy }),
        ...(plan.firstTouchBy === undefined ? {} : { firstTouchBy: plan.firstTouchBy }),
        ...(acceptOffset === null ? {} : { acceptedAt: plus(routedAt, acceptOffset) }),
        reassignments: 0
      }
      const activities = acts.map((x) => act(x.kind, plus(t0, x.offset), { connected: x.connected, repId: x.rep }))
      const instants = [...nows].sort((x, y) => x - y).map((n) => plus(t0, n))
      let seen = new Set<string>()
      let breached = false
      for (const now of instants) {
        const s = evaluateSla(agreement, a, activities, now)
        expect(evaluateSla(agreement, a, [...activities].reverse(), now)).toEqual(s)
        const keys = new Set(s.breaches.map((b) => b.key))
        for (const k of seen) expect(keys.has(k)).toBe(true)
        if (breached) expect(s.status).toBe("breached")
        breached = s.status === "breached"
        seen = keys
      }
    },
    { fastCheck: { numRuns: 200 } }
  )
})
