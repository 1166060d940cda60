import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { Agreement } from "./Agreement.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import {
  type Actor,
  awaitingAccept,
  awaitingMerge,
  IllegalTransition,
  initialLeadState,
  inquiryEntry,
  isInactive,
  isInLimbo,
  LeadCommand,
  LeadState,
  scoreMqlBlock,
  type Stage,
  TimelineEntry,
  transition,
  type TransitionResult
} from "./Lifecycle.ts"

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const T = new Date("2026-03-02T15:00:00Z")
const plus = (d: Date, ms: number): Date => new Date(d.getTime() + ms)
const system: Actor = { kind: "system", id: "worker" }
const rep1: Actor = { kind: "rep", id: "rep-1" }
const ctx = (at: Date = T, actor: Actor = system, agreementVersion = 7) => ({ at, actor, agreementVersion })

const agreement = defaultAgreement

const run = (state: LeadState, command: LeadCommand, at: Date = T, a: Agreement = agreement, actor: Actor = system) =>
  transition(a, state, command, ctx(at, actor))

const ok = (result: Either.Either<TransitionResult, IllegalTransition>): TransitionResult => {
  if (Either.isLeft(result)) throw new Error(`expected a legal transition, got ${result.left.reason}: ${result.left.message}`)
  return result.right
}
const illegal = (result: Either.Either<TransitionResult, IllegalTransition>): IllegalTransition => {
  if (Either.isRight(result)) throw new Error(`expected an illegal transition, got stage ${result.right.state.stage}`)
  return result.left
}

// ---------------------------------------------------------------------------
// Representative states, one per stage
// ---------------------------------------------------------------------------

const routed: LeadState = {
  ...initialLeadState,
  stage: "mql",
  mqlVia: "score",
  mqlAt: plus(T, -31 * DAY),
  tier: "warm",
  ownerId: "rep-1",
  pod: "sdr",
  assignedAt: plus(T, -30 * DAY),
  cycles: 1,
  fitSignature: "fit-A"
}
const sal: LeadState = { ...routed, stage: "sal", acceptedAt: plus(T, -29 * DAY) }
const sql: LeadState = { ...sal, stage: "sql", qualification: { repId: "rep-1", framework: "BANT", fields: { budget: true }, at: plus(T, -20 * DAY) } }
const opportunity: LeadState = { ...sql, stage: "opportunity", opportunity: { amount: 60000, openedAt: plus(T, -10 * DAY) } }
const won: LeadState = { ...opportunity, stage: "won" }
const lost: LeadState = { ...opportunity, stage: "lost" }
const nurture: LeadState = {
  ...initialLeadState,
  stage: "nurture",
  cycles: 1,
  recycles: 1,
  fitSignature: "fit-A",
  rejections: [{ reason: "premature", repId: "rep-1", at: plus(T, -31 * DAY) }],
  recycle: { reason: "premature", at: plus(T, -31 * DAY), track: "education", reevaluateAt: plus(T, -DAY) }
}
const rejected: LeadState = {
  ...initialLeadState,
  stage: "rejected",
  cycles: 1,
  rejections: [{ reason: "duplicate", repId: "rep-1", at: plus(T, -HOUR) }]
}
const merged: LeadState = { ...initialLeadState, stage: "merged", mergedInto: "lead-2", cycles: 1 }

const states: Record<Stage, LeadState> = {
  inquiry: initialLeadState,
  mql: routed,
  sal,
  sql,
  opportunity,
  won,
  lost,
  nurture,
  rejected,
  merged
}

const commands = {
  MarkMql: LeadCommand.MarkMql({ via: "score", fitSignature: "fit-A" }),
  Route: LeadCommand.Route({ repId: "rep-2", pod: "sdr" }),
  Accept: LeadCommand.Accept({ repId: "rep-1" }),
  Reject: LeadCommand.Reject({ repId: "rep-1", reason: "premature" }),
  LogActivity: LeadCommand.LogActivity({ activity: { repId: "rep-1", kind: "call", connected: false, occurredAt: T } }),
  Qualify: LeadCommand.Qualify({ repId: "rep-1", framework: "BANT", fields: { budget: true } }),
  OpenOpportunity: LeadCommand.OpenOpportunity({ amount: 60000 }),
  CloseWon: LeadCommand.CloseWon({}),
  CloseLost: LeadCommand.CloseLost({}),
  "Recycle:inactivity": LeadCommand.Recycle({ reason: "inactivity" }),
  "Recycle:cadence_exhausted": LeadCommand.Recycle({ reason: "cadence_exhausted" }),
  "Recycle:closed_lost": LeadCommand.Recycle({ reason: "closed_lost" }),
  "Recycle:premature_reevaluated": LeadCommand.Recycle({ reason: "premature_reevaluated" }),
  Reassign: LeadCommand.Reassign({ fromRepId: "rep-1", toRepId: "rep-2", cause: "manual" }),
  Merge: LeadCommand.Merge({ into: "lead-9" }),
  Reevaluate: LeadCommand.Reevaluate({})
} as const
type Column = keyof typeof commands

// "→stage": legal, the lead ends at that stage. "✗reason": an IllegalTransition with that reason.
const W = "✗wrong_stage"
const X = "✗terminal"
const table: Record<Stage, Record<Column, string>> = {
  inquiry: {
    MarkMql: "→mql", Route: W, Accept: W, Reject: W, LogActivity: W, Qualify: W, OpenOpportunity: W, CloseWon: W, CloseLost: W,
    "Recycle:inactivity": W, "Recycle:cadence_exhausted": W, "Recycle:closed_lost": W, "Recycle:premature_reevaluated": W,
    Reassign: W, Merge: "→merged", Reevaluate: W
  },
  mql: {
    MarkMql: W, Route: "✗already_routed", Accept: "→sal", Reject: "→nurture", LogActivity: "→mql", Qualify: "✗not_accepted",
    OpenOpportunity: W, CloseWon: W, CloseLost: W, "Recycle:inactivity": "→nurture", "Recycle:cadence_exhausted": "→nurture",
    "Recycle:closed_lost": W, "Recycle:premature_reevaluated": W, Reassign: "→mql", Merge: "→merged", Reevaluate: W
  },
  sal: {
    MarkMql: W, Route: W, Accept: W, Reject: "→nurture", LogActivity: "→sal", Qualify: "→sql", OpenOpportunity: W, CloseWon: W,
    CloseLost: W, "Recycle:inactivity": "→nurture", "Recycle:cadence_exhausted": "→nurture", "Recycle:closed_lost": W,
    "Recycle:premature_reevaluated": W, Reassign: "→sal", Merge: "→merged", Reevaluate: W
  },
  sql: {
    MarkMql: W, Route: W, Accept: W, Reject: W, LogActivity: "→sql", Qualify: W, OpenOpportunity: "→opportunity", CloseWon: W,
    CloseLost: W, "Recycle:inactivity": "→nurture", "Recycle:cadence_exhausted": W, "Recycle:closed_lost": W,
    "Recycle:premature_reevaluated": W, Reassign: "→sql", Merge: "→merged", Reevaluate: W
  },
  opportunity: {
    MarkMql: W, Route: W, Accept: W, Reject: W, LogActivity: "→opportunity", Qualify: W, OpenOpportunity: W, CloseWon: "→won",
    CloseLost: "→nurture", "Recycle:inactivity": W, "Recycle:cadence_exhausted": W, "Recycle:closed_lost": W,
    "Recycle:premature_reevaluated": W, Reassign: "→opportunity", Merge: W, Reevaluate: W
  },
  won: {
    MarkMql: X, Route: X, Accept: X, Reject: X, LogActivity: X, Qualify: X, OpenOpportunity: X, CloseWon: X, CloseLost: X,
    "Recycle:inactivity": X, "Recycle:cadence_exhausted": X, "Recycle:closed_lost": X, "Recycle:premature_reevaluated": X,
    Reassign: X, Merge: X, Reevaluate: X
  },
  lost: {
    MarkMql: W, Route: W, Accept: W, Reject: W, LogActivity: W, Qualify: W, OpenOpportunity: W, CloseWon: W, CloseLost: W,
    "Recycle:inactivity": W, "Recycle:cadence_exhausted": W, "Recycle:closed_lost": "→nurture", "Recycle:premature_reevaluated": W,
    Reassign: W, Merge: "→merged", Reevaluate: W
  },
  nurture: {
    MarkMql: "→mql", Route: W, Accept: W, Reject: W, LogActivity: W, Qualify: W, OpenOpportunity: W, CloseWon: W, CloseLost: W,
    "Recycle:inactivity": W, "Recycle:cadence_exhausted": W, "Recycle:closed_lost": W, "Recycle:premature_reevaluated": "→nurture",
    Reassign: W, Merge: "→merged", Reevaluate: "→nurture"
  },
  rejected: {
    MarkMql: W, Route: W, Accept: W, Reject: W, LogActivity: W, Qualify: W, OpenOpportunity: W, CloseWon: W, CloseLost: W,
    "Recycle:inactivity": W, "Recycle:cadence_exhausted": W, "Recycle:closed_lost": W, "Recycle:premature_reevaluated": W,
    Reassign: W, Merge: "→merged", Reevaluate: W
  },
  merged: {
    MarkMql: X, Route: X, Accept: X, Reject: X, LogActivity: X, Qualify: X, OpenOpportunity: X, CloseWon: X, CloseLost: X,
    "Recycle:inactivity": X, "Recycle:cadence_exhausted": X, "Recycle:closed_lost": X, "Recycle:premature_reevaluated": X,
    Reassign: X, Merge: X, Reevaluate: X
  }
}

const rows = (Object.keys(table) as Array<Stage>).flatMap((stage) =>
  (Object.keys(commands) as Array<Column>).map((column) => ({ stage, column, expected: table[stage][column] }))
)

const isEntry = Schema.is(TimelineEntry)
const isState = Schema.is(LeadState)

describe("transition table: every (stage, command) pair", () => {
  it.each(rows)("$stage × $column → $expected", ({ stage, column, expected }) => {
    const result = run(states[stage], commands[column], T, agreement, rep1)
    if (expected.startsWith("→")) {
      const r = ok(result)
      expect(r.state.stage).toBe(expected.slice(1))
      expect(isState(r.state)).toBe(true)
      expect(r.timeline.length).toBeGreaterThan(0)
      expect(r.timeline[0]!.from).toBe(stage)
      expect(r.timeline[r.timeline.length - 1]!.stage).toBe(r.state.stage)
      for (const e of r.timeline) {
        expect(isEntry(e)).toBe(true)
        expect(e.actor).toEqual(rep1)
        expect(e.cause).toBe(commands[column]._tag)
        expect(e.agreementVersion).toBe(7)
        expect(e.at).toEqual(T)
        expect(e.explanation.trim().length).toBeGreaterThan(10)
      }
    } else {
      const e = illegal(result)
      expect(e).toBeInstanceOf(IllegalTransition)
      expect(e._tag).toBe("IllegalTransition")
      expect(e.reason).toBe(expected.slice(1))
      expect(e.from).toBe(stage)
      expect(e.command).toBe(commands[column]._tag)
      expect(e.message.length).toBeGreaterThan(10)
    }
  })
})

// ---------------------------------------------------------------------------
// Routing, acceptance, ownership
// ---------------------------------------------------------------------------

describe("routing and acceptance", () => {
  const mql = ok(run(initialLeadState, LeadCommand.MarkMql({ via: "hand_raise", tier: "hot" }))).state

  it("a fresh MQL with no owner and no queue is in limbo; routing to a rep makes it await acceptance", () => {
    expect(mql.stage).toBe("mql")
    expect(isInLimbo(mql)).toBe(true)
    const r = ok(run(mql, LeadCommand.Route({ repId: "ae-1", pod: "ae-direct" })))
    expect(r.state).toMatchObject({ stage: "mql", ownerId: "ae-1", pod: "ae-direct", assignedAt: T })
    expect(awaitingAccept(r.state)).toBe(true)
    expect(isInLimbo(r.state)).toBe(false)
  })

  it("without an available rep the MQL waits in a named queue, then a rep is routed from it", () => {
    const queued = ok(run(mql, LeadCommand.Route({ pod: "sdr", queue: "sdr-overflow" }))).state
    expect(queued).toMatchObject({ queue: "sdr-overflow", pod: "sdr" })
    expect(queued.ownerId).toBeUndefined()
    expect(isInLimbo(queued)).toBe(false)
    expect(awaitingAccept(queued)).toBe(false)
    expect(illegal(run(queued, LeadCommand.Accept({ repId: "sdr-1" }))).reason).toBe("not_routed")
    const owned = ok(run(queued, LeadCommand.Route({ repId: "sdr-1", pod: "sdr" }))).state
    expect(owned.ownerId).toBe("sdr-1")
    expect(owned.queue).toBeUndefined()
  })

  it("only the owner accepts; a rep who is not the owner gets not_owner", () => {
    const e = illegal(run(routed, LeadCommand.Accept({ repId: "rep-2" })))
    expect(e.reason).toBe("not_owner")
    expect(e.message).toContain("rep-2")
    const r = ok(run(routed, LeadCommand.Accept({ repId: "rep-1" }), plus(T, MINUTE)))
    expect(r.state).toMatchObject({ stage: "sal", acceptedAt: plus(T, MINUTE) })
    expect(r.timeline[0]!.explanation).toContain("SAL")
  })

  it("qualifying before acceptance is refused; by someone else than the owner too", () => {
    expect(illegal(run(routed, LeadCommand.Qualify({ repId: "rep-1", framework: "BANT", fields: {} }))).reason).toBe("not_accepted")
    expect(illegal(run(sal, LeadCommand.Qualify({ repId: "rep-9", framework: "BANT", fields: {} }))).reason).toBe("not_owner")
  })

  it("reassignment after a breach counts towards maxReassignments and restarts the accept clock; manual ones do not count", () => {
    const r = ok(run(routed, LeadCommand.Reassign({ fromRepId: "rep-1", toRepId: "rep-7", cause: "accept_sla_missed", pod: "sdr-backup" })))
    expect(r.state).toMatchObject({ ownerId: "rep-7", pod: "sdr-backup", assignedAt: T, reassignments: 1 })
    expect(r.timeline[0]).toMatchObject({ cause: "Reassign", reason: "accept_sla_missed" })
    const manual = ok(run(r.state, LeadCommand.Reassign({ fromRepId: "rep-7", toRepId: "rep-8", cause: "manual" }))).state
    expect(manual.reassignments).toBe(1)
    // moved up a tier by enrichment: not a breach either
    const upgraded = ok(run(manual, LeadCommand.Reassign({ fromRepId: "rep-8", toRepId: "ae-1", cause: "tier_upgraded", pod: "ae-direct" })))
    expect(upgraded.state).toMatchObject({ ownerId: "ae-1", pod: "ae-direct", reassignments: 1, stage: "mql" })
    expect(upgraded.timeline[0]).toMatchObject({ reason: "tier_upgraded" })
    expect(upgraded.timeline[0]!.explanation).toContain("nobody had accepted it yet")
    expect(illegal(run(routed, LeadCommand.Reassign({ fromRepId: "rep-3", toRepId: "rep-4", cause: "manual" }))).reason).toBe("not_owner")
    expect(illegal(run(routed, LeadCommand.Reassign({ fromRepId: "rep-1", toRepId: "rep-1", cause: "manual" }))).reason).toBe("invalid_command")
  })

  it("logging an activity keeps the stage and moves lastActivityAt forward only", () => {
    const later = ok(run(sal, LeadCommand.LogActivity({ activity: { repId: "rep-1", kind: "email", connected: false, occurredAt: plus(T, HOUR) } }))).state
    expect(later.lastActivityAt).toEqual(plus(T, HOUR))
    const backdated = ok(run(later, LeadCommand.LogActivity({ activity: { repId: "rep-1", kind: "call", connected: true, occurredAt: T } }))).state
    expect(backdated.lastActivityAt).toEqual(plus(T, HOUR))
  })
})

// ---------------------------------------------------------------------------
// Rejections and recycle rules
// ---------------------------------------------------------------------------

const reject = (state: LeadState, reason: "wrong_icp" | "premature" | "duplicate" | "unreachable" | "other", extra: { into?: string; fitSignature?: string; note?: string } = {}, a: Agreement = agreement) =>
  run(state, LeadCommand.Reject({ repId: "rep-1", reason, ...extra }), T, a, rep1)

describe("rejections: two timeline entries and the agreement's recycle rule", () => {
  it("every rejection is recorded as `rejected` with its reason, then where the rule sends the lead", () => {
    for (const reason of ["wrong_icp", "premature", "unreachable", "other"] as const) {
      const r = ok(reject(sal, reason, { note: "checked" }))
      expect(r.timeline.map((e) => [e.from, e.stage, e.reason])).toEqual([
        ["sal", "rejected", reason],
        ["rejected", "nurture", reason]
      ])
      expect(r.state.rejections.map((x) => x.reason)).toEqual([reason])
      expect(r.state.ownerId).toBeUndefined()
      expect(r.state.recycle?.reason).toBe(reason)
    }
    // reports count rejections by reason from the `rejected` entries
    const timeline = [
      ...ok(reject(routed, "premature")).timeline,
      ...ok(reject(sal, "premature")).timeline,
      ...ok(reject(routed, "unreachable")).timeline
    ]
    const byReason = timeline.filter((e) => e.stage === "rejected").reduce<Record<string, number>>((m, e) => ({ ...m, [e.reason!]: (m[e.reason!] ?? 0) + 1 }), {})
    expect(byReason).toEqual({ premature: 2, unreachable: 1 })
  })

  it("wrong_icp: nurture, blocked from score-based MQL until the fit data changes", () => {
    const r = ok(reject(sal, "wrong_icp"))
    expect(r.state.wrongIcpBlock).toEqual({ fitSignature: "fit-A", at: T, repId: "rep-1" })
    expect(r.state.recycle).toEqual({ reason: "wrong_icp", at: T, track: "none" })
    const later = plus(T, 200 * DAY)
    expect(scoreMqlBlock(r.state, later, "fit-A")).toBe("wrong_icp_block")
    expect(illegal(run(r.state, LeadCommand.MarkMql({ via: "score", fitSignature: "fit-A" }), later)).reason).toBe("wrong_icp_block")
    expect(illegal(run(r.state, LeadCommand.MarkMql({ via: "score" }), later)).reason).toBe("wrong_icp_block")
    // the company grew: new fit data lifts the block
    const regrown = ok(run(r.state, LeadCommand.MarkMql({ via: "score", fitSignature: "fit-B" }), later))
    expect(regrown.state.stage).toBe("mql")
    expect(regrown.state.wrongIcpBlock).toBeUndefined()
    expect(regrown.state.fitSignature).toBe("fit-B")
  })

  it("wrong_icp: a later hand-raise still reaches sales, flagged rejected_before:wrong_icp", () => {
    const blocked = ok(reject(sal, "wrong_icp")).state
    const r = ok(run(blocked, LeadCommand.MarkMql({ via: "hand_raise", fitSignature: "fit-A" }), plus(T, DAY)))
    expect(r.state.stage).toBe("mql")
    expect(r.state.flags).toContain("rejected_before:wrong_icp")
    expect(r.state.flags).toContain("returning_lead")
    // still blocked for score-based MQL if it comes back to nurture
    expect(r.state.wrongIcpBlock?.fitSignature).toBe("fit-A")
    expect(r.timeline[0]!.explanation).toMatch(/rejected before as wrong_icp/)
  })

  it("a block without a rejection record (an imported lead) still flags the hand-raise", () => {
    const imported: LeadState = { ...nurture, rejections: [], wrongIcpBlock: { fitSignature: "fit-A", at: T, repId: "crm-import" } }
    expect(ok(run(imported, LeadCommand.MarkMql({ via: "hand_raise" }))).state.flags).toContain("rejected_before:wrong_icp")
  })

  it("wrong_icp needs a fit signature (from the command or the state)", () => {
    const { fitSignature: _f, ...noSignature } = sal
    expect(illegal(reject(noSignature, "wrong_icp")).reason).toBe("invalid_command")
    expect(ok(reject(noSignature, "wrong_icp", { fitSignature: "fit-Z" })).state.wrongIcpBlock?.fitSignature).toBe("fit-Z")
  })

  it("premature: nurture on the education track, re-evaluated after 30 days", () => {
    const r = ok(reject(routed, "premature"))
    expect(r.state.recycle).toEqual({ reason: "premature", at: T, track: "education", reevaluateAt: plus(T, 30 * DAY) })
    expect(r.timeline[1]!.explanation).toMatch(/30 days/)
    expect(illegal(run(r.state, LeadCommand.MarkMql({ via: "score" }), plus(T, 29 * DAY))).reason).toBe("recycle_hold")
    expect(ok(run(r.state, LeadCommand.MarkMql({ via: "hand_raise" }), plus(T, 29 * DAY))).state.stage).toBe("mql")
    expect(ok(run(r.state, LeadCommand.MarkMql({ via: "score" }), plus(T, 30 * DAY))).state.stage).toBe("mql")
  })

  it("premature: 30 days is the default when the agreement gives no delay", () => {
    const custom = Schema.decodeUnknownSync(Agreement)({
      ...Schema.encodeSync(Agreement)(defaultAgreement),
      recycle: { premature: { track: "slow-drip" } }
    })
    const r = ok(reject(routed, "premature", {}, custom))
    expect(r.state.recycle).toEqual({ reason: "premature", at: T, track: "slow-drip", reevaluateAt: plus(T, 30 * DAY) })
    const longer = Schema.decodeUnknownSync(Agreement)({
      ...Schema.encodeSync(Agreement)(defaultAgreement),
      recycle: { premature: { reevaluateAfter: "P45D" } }
    })
    expect(ok(reject(routed, "premature", {}, longer)).state.recycle?.reevaluateAt).toEqual(plus(T, 45 * DAY))
  })

  it("duplicate with the surviving lead: rejected, then merged into it", () => {
    const r = ok(reject(routed, "duplicate", { into: "lead-42" }))
    expect(r.state).toMatchObject({ stage: "merged", mergedInto: "lead-42" })
    expect(r.timeline.map((e) => [e.stage, e.reason])).toEqual([["rejected", "duplicate"], ["merged", "duplicate"]])
    expect(illegal(run(r.state, LeadCommand.MarkMql({ via: "hand_raise" }))).reason).toBe("terminal")
  })

  it("duplicate without the surviving lead rests at rejected until a Merge names it", () => {
    const r = ok(reject(routed, "duplicate"))
    expect(r.state.stage).toBe("rejected")
    expect(awaitingMerge(r.state)).toBe(true)
    expect(r.timeline).toHaveLength(1)
    const m = ok(run(r.state, LeadCommand.Merge({ into: "lead-42" })))
    expect(m.state).toMatchObject({ stage: "merged", mergedInto: "lead-42" })
    expect(m.timeline[0]!.from).toBe("rejected")
  })

  it("unreachable: the low-frequency re-engagement track, re-evaluated after 90 days", () => {
    const r = ok(reject(sal, "unreachable"))
    expect(r.state.recycle).toEqual({ reason: "unreachable", at: T, track: "low_frequency", reevaluateAt: plus(T, 90 * DAY) })
  })

  it("other: back to the education track with no re-evaluation date", () => {
    const r = ok(reject(sal, "other", { note: "student project" }))
    expect(r.state.recycle).toEqual({ reason: "other", at: T, track: "education" })
    expect(r.state.rejections[0]).toEqual({ reason: "other", repId: "rep-1", at: T, note: "student project" })
    expect(r.timeline[0]!.explanation).toContain("student project")
  })

  it("only the owner rejects, and only a routed MQL or a SAL", () => {
    expect(illegal(run(routed, LeadCommand.Reject({ repId: "rep-2", reason: "other" }))).reason).toBe("not_owner")
    expect(illegal(run(nurture, LeadCommand.Reject({ repId: "rep-1", reason: "other" }))).reason).toBe("wrong_stage")
  })
})

describe("recycling without a rejection", () => {
  it("isInactive: no activity for 14 days after assignment; exactly 14 days is not yet inactive", () => {
    const assigned = T
    expect(isInactive(agreement, assigned, undefined, plus(T, 14 * DAY))).toBe(false)
    expect(isInactive(agreement, assigned, undefined, plus(T, 14 * DAY + 1))).toBe(true)
    // an activity restarts the clock; one from before the assignment does not
    expect(isInactive(agreement, assigned, plus(T, 5 * DAY), plus(T, 15 * DAY))).toBe(false)
    expect(isInactive(agreement, assigned, plus(T, -5 * DAY), plus(T, 15 * DAY))).toBe(true)
  })

  it("inactivity recycles an assigned lead to nurture only once it is due", () => {
    const fresh: LeadState = { ...sal, assignedAt: plus(T, -3 * DAY) }
    expect(illegal(run(fresh, LeadCommand.Recycle({ reason: "inactivity" }))).reason).toBe("not_due")
    const worked: LeadState = { ...sal, lastActivityAt: plus(T, -DAY) }
    expect(illegal(run(worked, LeadCommand.Recycle({ reason: "inactivity" }))).reason).toBe("not_due")
    const r = ok(run(sal, LeadCommand.Recycle({ reason: "inactivity" })))
    expect(r.state).toMatchObject({ stage: "nurture", recycle: { reason: "inactivity", at: T }, recycles: 1 })
    expect(r.state.ownerId).toBeUndefined()
    const queued: LeadState = { ...initialLeadState, stage: "mql", queue: "sdr", cycles: 1 }
    expect(illegal(run(queued, LeadCommand.Recycle({ reason: "inactivity" }))).reason).toBe("not_routed")
  })

  it("an exhausted cadence goes to the low-frequency track for 60 days", () => {
    const r = ok(run(routed, LeadCommand.Recycle({ reason: "cadence_exhausted" })))
    expect(r.state.recycle).toEqual({ reason: "cadence_exhausted", at: T, track: "low_frequency", reevaluateAt: plus(T, 60 * DAY) })
  })

  it("closed-lost: lost, then nurture under the closed_lost rule", () => {
    const r = ok(run(opportunity, LeadCommand.CloseLost({ note: "went with a competitor" })))
    expect(r.timeline.map((e) => [e.from, e.stage])).toEqual([["opportunity", "lost"], ["lost", "nurture"]])
    expect(r.state.recycle).toEqual({ reason: "closed_lost", at: T, track: "closed_lost", reevaluateAt: plus(T, 90 * DAY) })
    expect(r.state.opportunity).toBeUndefined()
  })

  it("a premature lead re-evaluated and still not ready starts another delay", () => {
    const r = ok(run(nurture, LeadCommand.Recycle({ reason: "premature_reevaluated" })))
    expect(r.state.recycle).toEqual({ reason: "premature_reevaluated", at: T, track: "education", reevaluateAt: plus(T, 30 * DAY) })
    expect(r.state.recycles).toBe(2)
    // not before the delay is over, and only for premature leads
    expect(illegal(run(r.state, LeadCommand.Recycle({ reason: "premature_reevaluated" }), plus(T, DAY))).reason).toBe("not_due")
    const unreachable: LeadState = { ...nurture, recycle: { reason: "unreachable", at: T, track: "low_frequency" } }
    expect(illegal(run(unreachable, LeadCommand.Recycle({ reason: "premature_reevaluated" }))).reason).toBe("invalid_command")
  })

  it("Reevaluate lifts a hold that is over, or a wrong-ICP block whose fit data changed", () => {
    const held: LeadState = { ...nurture, recycle: { reason: "premature", at: T, reevaluateAt: plus(T, 30 * DAY) } }
    expect(illegal(run(held, LeadCommand.Reevaluate({}), plus(T, 10 * DAY))).reason).toBe("not_due")
    const lifted = ok(run(held, LeadCommand.Reevaluate({}), plus(T, 30 * DAY)))
    expect(lifted.state.recycle?.reevaluateAt).toBeUndefined()
    expect(scoreMqlBlock(lifted.state, plus(T, 30 * DAY))).toBeUndefined()
    const blocked = ok(reject(sal, "wrong_icp")).state
    expect(illegal(run(blocked, LeadCommand.Reevaluate({ fitSignature: "fit-A" }))).reason).toBe("not_due")
    const changed = ok(run(blocked, LeadCommand.Reevaluate({ fitSignature: "fit-B" }))).state
    expect(changed.wrongIcpBlock).toBeUndefined()
    expect(ok(run(changed, LeadCommand.MarkMql({ via: "score" }))).state.stage).toBe("mql")
  })
})

// ---------------------------------------------------------------------------
// A returning lead keeps its history
// ---------------------------------------------------------------------------

describe("a returning lead", () => {
  it("keeps its cycles, rejections and full timeline across two trips through sales", () => {
    const timeline: Array<TimelineEntry> = [inquiryEntry(ctx(plus(T, -HOUR), { kind: "api_key", id: "key_forms" }))]
    let state = initialLeadState
    const step = (command: LeadCommand, at: Date, actor: Actor = system) => {
      const r = ok(transition(agreement, state, command, ctx(at, actor, 3)))
      state = r.state
      timeline.push(...r.timeline)
    }
    step(LeadCommand.MarkMql({ via: "score", tier: "warm", fitSignature: "fit-A" }), T)
    step(LeadCommand.Route({ repId: "sdr-1", pod: "sdr" }), T)
    step(LeadCommand.Accept({ repId: "sdr-1" }), plus(T, HOUR), { kind: "rep", id: "sdr-1" })
    step(LeadCommand.Reject({ repId: "sdr-1", reason: "premature", note: "no project this quarter" }), plus(T, DAY), { kind: "rep", id: "sdr-1" })
    expect(state.stage).toBe("nurture")

    step(LeadCommand.MarkMql({ via: "hand_raise", tier: "warm-plus" }), plus(T, 45 * DAY))
    expect(state).toMatchObject({ stage: "mql", cycles: 2, recycles: 1, mqlVia: "hand_raise", tier: "warm-plus" })
    expect(state.flags).toEqual(expect.arrayContaining(["returning_lead", "rejected_before:premature"]))
    expect(state.rejections).toEqual([{ reason: "premature", repId: "sdr-1", at: plus(T, DAY), note: "no project this quarter" }])

    step(LeadCommand.Route({ repId: "sdr-2", pod: "sdr" }), plus(T, 45 * DAY))
    step(LeadCommand.Reject({ repId: "sdr-2", reason: "unreachable" }), plus(T, 60 * DAY), { kind: "rep", id: "sdr-2" })
    expect(state).toMatchObject({ stage: "nurture", cycles: 2, recycles: 2 })
    expect(state.rejections.map((r) => r.reason)).toEqual(["premature", "unreachable"])

    expect(timeline.map((e) => e.stage)).toEqual([
      "inquiry", "mql", "mql", "sal", "rejected", "nurture", "mql", "mql", "rejected", "nurture"
    ])
    expect(timeline.every((e) => isEntry(e) && e.explanation.length > 0)).toBe(true)
    expect(timeline.slice(1).every((e) => e.agreementVersion === 3)).toBe(true)
    expect(timeline[3]!.actor).toEqual({ kind: "rep", id: "sdr-1" })
    expect(timeline[0]!.actor.kind).toBe("api_key")
  })
})
