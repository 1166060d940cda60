import { describe, expect, it } from "@effect/vitest"
import { FastCheck, Option, Schema } from "effect"
import {
  type LeadJourney,
  type WaterfallPolicy,
  type WaterfallStage,
  type WaterfallTransition,
  LeadJourney as LeadJourneySchema,
  defaultWaterfallPolicy,
  effectiveReachedAt,
  percentile,
  rejectionAlarm,
  timeBetween,
  timeInStage,
  waterfall,
  waterfallStages
} from "./Waterfall.ts"

const day = 86_400_000
/** A UTC date in 2025 (month 1 = January; December 2024 as month 0). */
const d = (month: number, dayOfMonth: number) => new Date(Date.UTC(2025, month - 1, dayOfMonth))

const journey = (leadId: string, reachedAt: LeadJourney["reachedAt"]): LeadJourney => ({ leadId, reachedAt })

const january = { from: d(1, 1), to: d(2, 1) }

const policy: WaterfallPolicy = {
  targets: [
    { from: "inquiry", to: "mql", owner: "marketing" },
    { from: "mql", to: "sql", rate: 0.5, owner: "sdr-manager" },
    { from: "sql", to: "opportunity", rate: 0.25, owner: "ae-lead" }
  ],
  mqlToSqlBand: [0.4, 0.7],
  alarms: { rejectRate: 0.2, mqlToSqlDrift: 0.05 }
}

// A hand-built January cohort (now = Feb 10).
const cohort: ReadonlyArray<LeadJourney> = [
  // the full trip; won on Feb 15, after now
  journey("L1", { inquiry: d(1, 2), mql: d(1, 3), sal: d(1, 4), sql: d(1, 6), opportunity: d(1, 10), won: d(2, 15) }),
  // accepted, never qualified
  journey("L2", { inquiry: d(1, 5), mql: d(1, 6), sal: d(1, 7) }),
  // inquiry in December; qualified without a SAL time → SAL implicitly on Jan 12
  journey("L3", { inquiry: d(0, 20), mql: d(1, 2), sql: d(1, 12) }),
  // MQL in January, qualified on Feb 3 (after the period, before now)
  journey("L4", { inquiry: d(1, 10), mql: d(1, 20), sal: d(1, 21), sql: d(2, 3) }),
  // inquiry only
  journey("L5", { inquiry: d(1, 15) }),
  // arrived as an MQL (list import) → inquiry implicitly on Jan 28
  journey("L6", { mql: d(1, 28) }),
  // MQL in December, accepted and qualified in January
  journey("L7", { inquiry: d(0, 1), mql: d(0, 15), sal: d(1, 3), sql: d(1, 4) }),
  // MQL in December, qualified in January with no SAL time → SAL Jan 15; inquiry implicitly Dec 20
  journey("L8", { mql: d(0, 20), sql: d(1, 15) })
]

const report = waterfall(cohort, january, policy, d(2, 10))
const transition = (from: WaterfallStage, to: WaterfallStage): WaterfallTransition => {
  const t = report.transitions.find((x) => x.from === from && x.to === to)
  if (!t) throw new Error(`no ${from}→${to}`)
  return t
}

describe("waterfall on a hand-built cohort", () => {
  it("counts the leads that entered each stage in the period (flow view)", () => {
    expect(report.counts).toEqual({ inquiry: 5, mql: 5, sal: 6, sql: 4, opportunity: 1, won: 0 })
  })

  it("lists the consecutive pairs, then the targeted mql→sql", () => {
    expect(report.transitions.map((t) => `${t.from}>${t.to}`)).toEqual([
      "inquiry>mql",
      "mql>sal",
      "sal>sql",
      "sql>opportunity",
      "opportunity>won",
      "mql>sql"
    ])
  })

  it.each([
    // from, to, enteredFrom, enteredTo, flowRate, cohortReached, cohortRate
    ["inquiry", "mql", 5, 5, 1, 4, 0.8],
    ["mql", "sal", 5, 6, 1.2, 4, 0.8],
    ["sal", "sql", 6, 4, 4 / 6, 5, 5 / 6],
    ["sql", "opportunity", 4, 1, 0.25, 1, 0.25],
    ["opportunity", "won", 1, 0, 0, 0, 0],
    ["mql", "sql", 5, 4, 0.8, 3, 0.6]
  ] as const)("%s → %s", (from, to, enteredFrom, enteredTo, flowRate, cohortReached, cohortRate) => {
    const t = transition(from, to)
    expect(t.enteredFrom).toBe(enteredFrom)
    expect(t.enteredTo).toBe(enteredTo)
    expect(t.flowRate).toBeCloseTo(flowRate, 12)
    expect(t.cohortReached).toBe(cohortReached)
    expect(t.cohortRate).toBeCloseTo(cohortRate, 12)
  })

  it("median and p90 time between stages (linear interpolation)", () => {
    // inquiry→mql over L1 (1d), L2 (1d), L4 (10d), L6 (0, implicit): [0, 1, 1, 10] days
    expect(transition("inquiry", "mql").medianMs).toBe(1 * day)
    expect(transition("inquiry", "mql").p90Ms).toBeCloseTo(7.3 * day, 3) // 1 + 0.7 · 9
    // mql→sql over L1 (3d), L3 (10d), L4 (14d)
    expect(transition("mql", "sql").medianMs).toBe(10 * day)
    expect(transition("mql", "sql").p90Ms).toBeCloseTo(13.2 * day, 3) // 10 + 0.8 · 4
    // nobody won by now
    expect(transition("opportunity", "won").medianMs).toBeNull()
    expect(transition("opportunity", "won").p90Ms).toBeNull()
  })

  it("targets, owners, gaps in points and statuses", () => {
    const mqlSql = transition("mql", "sql")
    expect(mqlSql.target).toBe(0.5)
    expect(mqlSql.owner).toBe("sdr-manager")
    expect(mqlSql.deltaPoints).toBeCloseTo(10, 9)
    expect(mqlSql.status).toBe("above")

    const sqlOpp = transition("sql", "opportunity")
    expect(sqlOpp.deltaPoints).toBeCloseTo(0, 9)
    expect(sqlOpp.status).toBe("ok")
    expect(sqlOpp.owner).toBe("ae-lead")

    const inquiryMql = transition("inquiry", "mql")
    expect(inquiryMql).toMatchObject({ target: null, deltaPoints: null, owner: "marketing", status: "no_target" })
    expect(transition("mql", "sal")).toMatchObject({ target: null, owner: null, status: "no_target" })
  })

  it("MQL→SQL health and the drift alarm", () => {
    expect(report.mqlToSql).toEqual({ rate: 0.6, band: [0.4, 0.7], target: 0.5, status: "healthy" })
    expect(report.alarms).toHaveLength(1)
    expect(report.alarms[0]).toMatchObject({ kind: "mql_to_sql_drift", limit: 0.05 })
    expect(report.alarms[0]!.value).toBeCloseTo(0.1, 12)
    expect(report.alarms[0]!.message).toContain("10.0 points above the 50.0% target")
  })

  it("`now` bounds the cohort view and defaults to the end of the period", () => {
    const atPeriodEnd = waterfall(cohort, january, policy)
    expect(atPeriodEnd.now).toEqual(january.to)
    // L4 qualified on Feb 3: not yet by Feb 1
    expect(atPeriodEnd.transitions.find((t) => t.from === "mql" && t.to === "sql")?.cohortRate).toBeCloseTo(0.4, 12)
    // by Feb 20 L1 has won
    const later = waterfall(cohort, january, policy, d(2, 20))
    const won = later.transitions.find((t) => t.from === "opportunity" && t.to === "won")!
    expect(won.cohortRate).toBe(1)
    expect(won.medianMs).toBe(36 * day) // Jan 10 → Feb 15
    expect(won.flowRate).toBe(0) // the win falls outside January
  })
})

describe("division by zero", () => {
  it("an empty period gives null rates and no_data, never NaN", () => {
    const r = waterfall(cohort, { from: d(6, 1), to: d(7, 1) }, policy, d(7, 1))
    expect(Object.values(r.counts)).toEqual([0, 0, 0, 0, 0, 0])
    for (const t of r.transitions) {
      expect(t).toMatchObject({ enteredFrom: 0, flowRate: null, cohortRate: null, deltaPoints: null, medianMs: null, p90Ms: null, status: "no_data" })
    }
    expect(r.mqlToSql).toMatchObject({ rate: null, status: "no_data" })
    expect(r.alarms).toEqual([])
    expect(JSON.stringify(r)).not.toContain("NaN")
  })

  it("no journeys at all", () => {
    const r = waterfall([], january, defaultWaterfallPolicy)
    // the five consecutive pairs and MQL→SQL, which is always reported
    expect(r.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(["inquiry>mql", "mql>sal", "sal>sql", "sql>opportunity", "opportunity>won", "mql>sql"])
    expect(r.transitions.every((t) => t.status === "no_data" && t.cohortRate === null)).toBe(true)
  })

  it.prop(
    "rates are null or finite in [0, 1] (cohort), never NaN, for any journeys",
    {
      leads: FastCheck.array(
        FastCheck.array(FastCheck.option(FastCheck.integer({ min: 0, max: 90 }), { nil: undefined }), { minLength: 6, maxLength: 6 }),
        { maxLength: 30 }
      )
    },
    ({ leads }) => {
      const journeys = leads.map((offsets, i) => {
        const reachedAt: Partial<Record<WaterfallStage, Date>> = {}
        offsets.forEach((o, k) => {
          if (o !== undefined) reachedAt[waterfallStages[k]!] = new Date(d(1, 1).getTime() + o * day)
        })
        return journey(`L${i}`, reachedAt)
      })
      const r = waterfall(journeys, { from: d(1, 15), to: d(2, 15) }, policy, d(4, 1))
      for (const t of r.transitions) {
        if (t.cohortRate === null) expect(t.enteredFrom).toBe(0)
        else {
          expect(t.cohortRate).toBeGreaterThanOrEqual(0)
          expect(t.cohortRate).toBeLessThanOrEqual(1)
        }
        if (t.flowRate !== null) expect(Number.isFinite(t.flowRate)).toBe(true)
      }
      for (let i = 1; i < waterfallStages.length; i++) {
        // implicit passing: everyone who reached a stage reached the earlier ones (some maybe before the period)
        const reached = (s: WaterfallStage) => journeys.filter((j) => effectiveReachedAt(j)[s] !== undefined).length
        expect(reached(waterfallStages[i]!)).toBeLessThanOrEqual(reached(waterfallStages[i - 1]!))
      }
    },
    { fastCheck: { numRuns: 150 } }
  )
})

describe("implicit stage passing", () => {
  it("a lead with only an SQL time entered inquiry, MQL and SAL at that time", () => {
    const j = journey("sql-only", { sql: d(1, 12) })
    expect(effectiveReachedAt(j)).toEqual({ inquiry: d(1, 12), mql: d(1, 12), sal: d(1, 12), sql: d(1, 12) })
    const r = waterfall([j], january, defaultWaterfallPolicy)
    expect(r.counts).toEqual({ inquiry: 1, mql: 1, sal: 1, sql: 1, opportunity: 0, won: 0 })
    expect(r.transitions.find((t) => t.from === "sal" && t.to === "sql")).toMatchObject({ cohortRate: 1, medianMs: 0 })
  })

  it("a missing stage takes the earliest later time", () => {
    const j = journey("gap", { inquiry: d(1, 1), sql: d(1, 20), opportunity: d(1, 18) })
    expect(effectiveReachedAt(j).sal).toEqual(d(1, 18))
    expect(timeBetween(j, "inquiry", "mql")).toBe(17 * day)
    expect(timeBetween(j, "mql", "won")).toBeNull()
  })

  it("time in stage: until the next stage, or until now", () => {
    const j = journey("L", { inquiry: d(1, 1), mql: d(1, 4), sal: d(1, 5) })
    expect(timeInStage(j, "inquiry", d(2, 1))).toBe(3 * day)
    expect(timeInStage(j, "mql", d(2, 1))).toBe(1 * day)
    expect(timeInStage(j, "sal", d(1, 25))).toBe(20 * day)
    expect(timeInStage(j, "sql", d(2, 1))).toBeNull()
    expect(timeInStage(j, "won", d(2, 1))).toBeNull()
  })

  it("invalid dates are ignored", () => {
    const j = journey("bad", { mql: new Date("not a date"), sql: d(1, 3) })
    expect(effectiveReachedAt(j).mql).toEqual(d(1, 3))
  })
})

describe("MQL→SQL band (seed 002)", () => {
  /** ten January MQLs, `qualified` of them reach SQL */
  const mqls = (qualified: number) =>
    Array.from({ length: 10 }, (_, i) => journey(`M${i}`, i < qualified ? { mql: d(1, 5), sql: d(1, 9) } : { mql: d(1, 5) }))

  it.each([
    [0, "too_low"],
    [3, "too_low"],
    [4, "healthy"],
    [7, "healthy"],
    [8, "too_high"],
    [10, "too_high"]
  ] as const)("%i of 10 MQLs qualified → %s", (qualified, status) => {
    const r = waterfall(mqls(qualified), january, defaultWaterfallPolicy)
    expect(r.mqlToSql.rate).toBeCloseTo(qualified / 10, 12)
    expect(r.mqlToSql.status).toBe(status)
    // no target set → the band still applies, but there is nothing to drift from
    expect(r.alarms).toEqual([])
  })

  it("uses the agreement's band", () => {
    const r = waterfall(mqls(3), january, { ...defaultWaterfallPolicy, mqlToSqlBand: [0.2, 0.3] })
    expect(r.mqlToSql.status).toBe("healthy")
  })
})

describe("MQL→SQL drift alarm", () => {
  const hundred = (qualified: number) =>
    Array.from({ length: 100 }, (_, i) => journey(`M${i}`, i < qualified ? { mql: d(1, 5), sql: d(1, 9) } : { mql: d(1, 5) }))
  const withTarget: WaterfallPolicy = { ...defaultWaterfallPolicy, targets: [{ from: "mql", to: "sql", rate: 0.5, owner: "marketing-ops" }] }

  it.each([
    [50, false, "ok"],
    [55, false, "ok"], // exactly 5 points: within the limit
    [45, false, "ok"],
    [56, true, "above"],
    [44, true, "below"],
    [30, true, "below"]
  ] as const)("%i%% against a 50%% target → alarm %s", (qualified, alarm, status) => {
    const r = waterfall(hundred(qualified), january, withTarget)
    expect(r.alarms.length > 0).toBe(alarm)
    expect(r.transitions.find((t) => t.from === "mql" && t.to === "sql")?.status).toBe(status)
    if (alarm) {
      expect(r.alarms[0]).toMatchObject({ kind: "mql_to_sql_drift", limit: 0.05 })
      expect(r.alarms[0]!.value).toBeCloseTo(Math.abs(qualified / 100 - 0.5), 12)
    }
  })

  it("the limit comes from the agreement", () => {
    const strict = { ...withTarget, alarms: { ...withTarget.alarms, mqlToSqlDrift: 0.02 } }
    expect(waterfall(hundred(53), january, strict).alarms).toHaveLength(1)
    expect(waterfall(hundred(53), january, withTarget).alarms).toHaveLength(0)
  })
})

describe("rejection alarm (sales rejects > 20% of routed leads in a month)", () => {
  it.each([
    [20, 4, false], // exactly 20%: no alarm
    [10, 2, false],
    [100, 20, false],
    [20, 5, true],
    [100, 21, true],
    [3, 3, true],
    [0, 0, false], // nothing routed
    [50, 0, false]
  ] as const)("%i routed, %i rejected → alarm %s", (routed, rejected, alarm) => {
    const result = rejectionAlarm(routed, rejected, defaultWaterfallPolicy)
    expect(Option.isSome(result)).toBe(alarm)
    if (Option.isSome(result)) {
      expect(result.value).toMatchObject({ kind: "reject_rate", limit: 0.2 })
      expect(result.value.value).toBeCloseTo(rejected / routed, 12)
      expect(result.value.message).toContain(`${rejected} of ${routed}`)
    }
  })

  it("the limit comes from the agreement", () => {
    expect(Option.isSome(rejectionAlarm(10, 2, { alarms: { rejectRate: 0.1, mqlToSqlDrift: 0.05 } }))).toBe(true)
  })
})

describe("percentile", () => {
  it.each([
    [[], 0.5, null],
    [[7], 0.9, 7],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[4, 1, 3, 2], 0.5, 2.5],
    [[1, 2, 3, 4, 5], 0.5, 3],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1],
    [[0, 10], 0.9, 9]
  ] as const)("%j p=%d → %d", (values, p, expected) => {
    const got = percentile(values, p)
    if (expected === null) expect(got).toBeNull()
    else expect(got).toBeCloseTo(expected, 12)
  })
})

describe("LeadJourney schema", () => {
  it("decodes partial stage times and refuses unknown stages' values", () => {
    const decode = Schema.decodeUnknownSync(LeadJourneySchema)
    expect(decode({ leadId: "L1", reachedAt: { mql: d(1, 2) }, source: "webinar" })).toEqual({ leadId: "L1", reachedAt: { mql: d(1, 2) }, source: "webinar" })
    expect(() => decode({ leadId: "L1", reachedAt: { mql: "2025-01-02" } })).toThrow()
  })
})
