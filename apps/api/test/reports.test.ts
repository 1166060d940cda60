/**
 * The report endpoints over HTTP, on a small funnel built through the API (and the
 * Handoff service for opportunities), with every figure worked out by hand below.
 *
 * The funnel (T = one minute before the funnel is built; hot leads' T0 is T):
 *
 * | lead | source      | tier      | score | path                                                        |
 * | H1   | paid_search | hot       | 85    | accept, call at T+3m, SQL, opp 10,000, won; email + webinar touches |
 * | H2   | paid_search | hot       | 85    | accept, call at T+8m (late), SQL, opp 5,000, lost           |
 * | H3   | webinar     | hot       | 85    | accept, call at T+4m, SQL                                    |
 * | H4   | webinar     | hot       | 85    | accept, rejected "premature"                                 |
 * | H5   | organic     | hot       | 85    | T0 ten minutes ago, never accepted nor touched (overdue)     |
 * | W1   | webinar     | warm-plus | 70    | sdr-us, rejected "wrong_icp"                                  |
 * | W2   | organic     | warm-plus | 70    | sdr-us, rejected "wrong_icp"                                  |
 * | W3   | organic     | warm-plus | 70    | sdr-de, accept, SQL                                          |
 * | N1,N2| organic     | nurture   | 10    | marketing keeps them                                         |
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { acceptOutcome, calibrationFigures, firstTouchOutcome, type HandoffRow, SqlRunner, StoreAdmin } from "@handoff/db"
import { type Actor, Handoff } from "@handoff/domain"
import { Effect } from "effect"
import { lastWeekdayOffset, rep, startTestApi, type TestApi } from "./harness.ts"

const minute = 60_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const crm: Actor = { kind: "api_key", id: "crm" }

let api: TestApi
let T: number
const ids: Record<string, string> = {}
const owners: Record<string, string> = {}
const scores: Record<string, number> = {}

const hot = (email: string, channel: string, campaign: string, t0: number) => ({
  email, title: "VP Sales", company: "BigSoft", employees: 800, industry: "software", estimatedAcv: 90000,
  intent: "demo_request", occurredAt: new Date(t0).toISOString(), source: { channel, campaign }
})
const warmPlus = (email: string, channel: string, country: string) => ({
  email, title: "Marketing Manager", employees: 120, industry: "software", estimatedAcv: 20000, country,
  intent: "demo_request", source: { channel }
})
const nurture = (email: string) => ({ email, title: "Analyst", employees: 300, intent: "content_download", source: { channel: "organic" } })

const ingest = async (name: string, body: object) => {
  const res = await api.call("POST", "/v1/leads", { body })
  expect(res.status).toBe(201)
  ids[name] = res.body.id
  owners[name] = res.body.owner?.repId ?? ""
  scores[name] = res.body.score.total
  return res.body
}
const sales = async (name: string, action: string, body: object) => {
  const res = await api.call("POST", `/v1/leads/${ids[name]}/${action}`, { key: api.keys.sales, body: { repId: owners[name], ...body } })
  expect(res.status).toBe(200)
  return res.body
}
const touch = (name: string, at: number) => sales(name, "activities", { kind: "call", connected: true, occurredAt: new Date(at).toISOString() })
const handoff = <A>(f: (h: Handoff["Type"]) => Effect.Effect<A, unknown>) => api.runtime.runPromise(Effect.flatMap(Handoff, f))
const get = async (path: string, key?: string) => {
  const res = await api.call("GET", path, { key: key ?? api.keys.read })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body
}

/** The last Tuesday 10:00 in New York before now: the funnel is built in business hours, far from the 18:00 close. */
const tuesdayMorningOffset = (): number => lastWeekdayOffset(2, 10)

beforeAll(async () => {
  api = await startTestApi([], {}, { clockOffsetMs: tuesdayMorningOffset() })
  T = api.now() - minute

  await ingest("H1", hot("h1@bigsoft.com", "paid_search", "brand", T))
  await sleep(5)
  await api.call("POST", "/v1/events", {
    key: api.keys.ingest,
    body: { events: [{ leadId: ids.H1, type: "email_click", occurredAt: new Date(api.now()).toISOString(), channel: "email", campaign: "nurture-1" }] }
  })
  await sleep(5)
  await api.call("POST", "/v1/events", {
    key: api.keys.ingest,
    body: { events: [{ leadId: ids.H1, type: "webinar_attended", occurredAt: new Date(api.now()).toISOString(), channel: "webinar", campaign: "w-1" }] }
  })
  await ingest("H2", hot("h2@bigsoft.com", "paid_search", "brand", T))
  await ingest("H3", hot("h3@bigsoft.com", "webinar", "w-1", T))
  await ingest("H4", hot("h4@bigsoft.com", "webinar", "w-1", T))
  await ingest("H5", hot("h5@bigsoft.com", "organic", "seo", api.now() - 10 * minute))
  await ingest("W1", warmPlus("w1@agency.com", "webinar", "US"))
  await ingest("W2", warmPlus("w2@agency.com", "organic", "US"))
  await ingest("W3", warmPlus("w3@midco.de", "organic", "DE"))
  await ingest("N1", nurture("n1@corp.com"))
  await ingest("N2", nurture("n2@corp.com"))

  for (const name of ["H1", "H2", "H3", "H4", "W3"]) await sales(name, "accept", {})
  await touch("H1", T + 3 * minute)
  await touch("H2", T + 8 * minute)
  await touch("H3", T + 4 * minute)
  for (const name of ["H1", "H2", "H3", "W3"]) await sales(name, "qualify", { framework: "BANT", fields: {} })
  await sales("H4", "reject", { reason: "premature" })
  await sales("W1", "reject", { reason: "wrong_icp" })
  await sales("W2", "reject", { reason: "wrong_icp" })

  await handoff((h) => h.openOpportunity(ids.H1!, { amount: 10_000 }, crm))
  await handoff((h) => h.closeOpportunity(ids.H1!, { won: true }, crm))
  await handoff((h) => h.openOpportunity(ids.H2!, { amount: 5_000 }, crm))
  await handoff((h) => h.closeOpportunity(ids.H2!, { won: false }, crm))
})
afterAll(async () => {
  await api?.close()
})

describe("the funnel as built", () => {
  it("was built on the API's pinned clock: a Tuesday morning in New York", async () => {
    const created = Date.parse((await get(`/v1/leads/${ids.H1}`)).createdAt)
    expect(Math.abs(created - api.now())).toBeLessThan(10 * minute)
    expect(new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", weekday: "long" }).format(created)).toBe("Tuesday")
  })

  it("has the tiers, owners and scores the figures below assume", () => {
    expect(["H1", "H2", "H3", "H4", "H5"].map((n) => scores[n])).toEqual([85, 85, 85, 85, 85])
    expect(["W1", "W2", "W3", "N1", "N2"].map((n) => scores[n])).toEqual([70, 70, 70, 10, 10])
    for (const n of ["H1", "H2", "H3", "H4", "H5"]) expect(["ae-1", "ae-2"]).toContain(owners[n])
    expect([owners.W1, owners.W2, owners.W3, owners.N1]).toEqual(["sdr-us", "sdr-us", "sdr-de", ""])
  })
})

describe("GET /v1/reports/waterfall", () => {
  it("counts each stage and converts stage to stage, against the agreement's targets", async () => {
    const w = await get("/v1/reports/waterfall")
    expect(w.counts).toEqual({ inquiry: 10, mql: 8, sal: 5, sql: 4, opportunity: 2, won: 1 })
    expect(w.leads).toBe(10)
    const rate = (from: string, to: string) => w.transitions.find((t: any) => t.from === from && t.to === to)
    expect(rate("inquiry", "mql")).toMatchObject({ enteredFrom: 10, cohortReached: 8, cohortRate: 0.8, owner: "marketing", status: "no_target" })
    expect(rate("mql", "sal")).toMatchObject({ enteredFrom: 8, cohortReached: 5, cohortRate: 5 / 8, owner: "sdr" })
    expect(rate("sal", "sql")).toMatchObject({ enteredFrom: 5, cohortReached: 4, cohortRate: 4 / 5 })
    expect(rate("sql", "opportunity")).toMatchObject({ enteredFrom: 4, cohortReached: 2, cohortRate: 0.5, owner: "ae" })
    expect(rate("opportunity", "won")).toMatchObject({ enteredFrom: 2, cohortReached: 1, cohortRate: 0.5 })
    // MQL→SQL 4 of 8 = 50%: inside the 40–70% band, 5 points under the 55% target (the limit: ok)
    expect(rate("mql", "sql")).toMatchObject({ cohortRate: 0.5, target: 0.55, status: "ok" })
    expect(w.mqlToSql).toEqual({ rate: 0.5, band: [0.4, 0.7], target: 0.55, status: "healthy" })
    // sales rejected 3 of the 8 routed leads (37.5%) in the last 30 days: above 20%
    expect(w.alarms).toHaveLength(1)
    expect(w.alarms[0]).toMatchObject({ kind: "reject_rate", value: 0.375, limit: 0.2 })
    expect(w.groupBy).toBeNull()
    expect(w.groups).toEqual([])
    expect(Date.parse(w.period.to) - Date.parse(w.period.from)).toBe(7 * 24 * 60 * minute)
  })

  it("puts pipeline sourced beside pipeline worked, and names the gap: rejected or never touched", async () => {
    const w = await get("/v1/reports/waterfall")
    // handed to sales this week: the 5 hot and 3 warm-plus leads; worked (accepted and touched): H1, H2, H3,
    // which hold both opportunities (10,000 + 5,000); rejected: H4, W1, W2; never touched: H5, W3
    expect(w.pipeline).toEqual({
      sourced: { leads: 8, opportunities: 2, value: 15_000 },
      worked: { leads: 3, opportunities: 2, value: 15_000 },
      rejected: 3,
      untouched: 2
    })
  })

  it("groupBy=source gives one waterfall per source channel", async () => {
    const w = await get("/v1/reports/waterfall?groupBy=source")
    expect(w.groupBy).toBe("source")
    expect(w.groups.map((g: any) => [g.key, g.leads, g.counts])).toEqual([
      ["organic", 5, { inquiry: 5, mql: 3, sal: 1, sql: 1, opportunity: 0, won: 0 }],
      ["paid_search", 2, { inquiry: 2, mql: 2, sal: 2, sql: 2, opportunity: 2, won: 1 }],
      ["webinar", 3, { inquiry: 3, mql: 3, sal: 2, sql: 1, opportunity: 0, won: 0 }]
    ])
    const paid = w.groups[1]
    expect(paid.mqlToSql).toMatchObject({ rate: 1, status: "too_high" })
    expect(w.counts.inquiry).toBe(10)
  })

  it("groupBy=rep groups by the first rep routed to; never-routed leads under null", async () => {
    const w = await get("/v1/reports/waterfall?groupBy=rep")
    const group = (key: string | null) => w.groups.find((g: any) => g.key === key)
    expect(group("sdr-us").counts).toEqual({ inquiry: 2, mql: 2, sal: 0, sql: 0, opportunity: 0, won: 0 })
    expect(group("sdr-de").counts).toEqual({ inquiry: 1, mql: 1, sal: 1, sql: 1, opportunity: 0, won: 0 })
    expect(group(null).counts).toEqual({ inquiry: 2, mql: 0, sal: 0, sql: 0, opportunity: 0, won: 0 })
    const aes = w.groups.filter((g: any) => g.key === "ae-1" || g.key === "ae-2")
    expect(aes.reduce((n: number, g: any) => n + g.counts.mql, 0)).toBe(5)
    expect(w.groups[w.groups.length - 1].key).toBeNull()
  })

  it("a period with no data reports zeros and no rates", async () => {
    const w = await get("/v1/reports/waterfall?from=2020-01-01&to=2020-01-31")
    expect(w.counts).toEqual({ inquiry: 0, mql: 0, sal: 0, sql: 0, opportunity: 0, won: 0 })
    expect(w.mqlToSql.status).toBe("no_data")
    expect(w.transitions.every((t: any) => t.cohortRate === null && t.status === "no_data")).toBe(true)
  })
})

describe("GET /v1/reports/attribution", () => {
  it("credits the two opportunities W-shaped by default (the agreement's model)", async () => {
    const a = await get("/v1/reports/attribution")
    expect(a).toMatchObject({ model: "w_shaped", modelSource: "agreement", conversion: "opportunity_opened", conversions: 2, value: 15_000 })
    expect(a.unattributed).toEqual({ conversions: 0, value: 0 })
    expect(a.journeys).toEqual({ converted: 2, notConverted: 8 })
    // H1: paid_search (first touch and the MQL touch: 30 + 30), email (10), webinar (the opportunity touch: 30)
    // H2: paid_search alone takes it all
    const byChannel = Object.fromEntries(a.result.byChannel.map((c: any) => [c.channel, c]))
    expect(byChannel.paid_search.conversions).toBeCloseTo(1.6, 9)
    expect(byChannel.paid_search.value).toBeCloseTo(11_000, 6)
    expect(byChannel.email.conversions).toBeCloseTo(0.1, 9)
    expect(byChannel.email.value).toBeCloseTo(1_000, 6)
    expect(byChannel.webinar.conversions).toBeCloseTo(0.3, 9)
    expect(byChannel.webinar.value).toBeCloseTo(3_000, 6)
    const campaign = a.result.byCampaign.find((c: any) => c.channel === "webinar")
    expect(campaign).toMatchObject({ campaign: "w-1" })
    expect(a.result.totals).toEqual({ conversions: 2, value: 15_000 })
  })

  it("compares every model, Markov removal effects included", async () => {
    const a = await get("/v1/reports/attribution")
    expect(a.comparison.map((r: any) => r.model)).toEqual(["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov"])
    const credit = (model: string, channel: string) => a.table.find((r: any) => r.channel === channel).credits.find((c: any) => c.model === model)
    expect(credit("first_touch", "paid_search")).toEqual({ model: "first_touch", conversions: 2, value: 15_000 })
    expect(credit("last_touch", "webinar")).toMatchObject({ conversions: 1, value: 10_000 })
    expect(credit("last_touch", "paid_search")).toMatchObject({ conversions: 1, value: 5_000 })
    expect(credit("u_shaped", "paid_search").value).toBeCloseTo(9_000, 6)
    expect(credit("linear", "email").conversions).toBeCloseTo(1 / 3, 9)
    // Markov over 10 journeys (2 converted, 8 not): removal effects paid 0.625, email 0.125, webinar 0.5, organic 0
    const markov = a.comparison.find((r: any) => r.model === "markov")
    expect(markov.conversionProbability).toBeCloseTo(0.2, 9)
    const re = Object.fromEntries(markov.removalEffects.map((r: any) => [r.channel, r.removalEffect]))
    expect(re.paid_search).toBeCloseTo(0.625, 9)
    expect(re.email).toBeCloseTo(0.125, 9)
    expect(re.webinar).toBeCloseTo(0.5, 9)
    expect(re.organic).toBeCloseTo(0, 9)
    expect(credit("markov", "paid_search").value).toBeCloseTo(7_500, 6)
    expect(credit("markov", "webinar").conversions).toBeCloseTo(0.8, 9)
  })

  it("reports under the model asked for", async () => {
    const a = await get("/v1/reports/attribution?model=first_touch")
    expect(a.model).toBe("first_touch")
    expect(a.modelSource).toBe("query")
    expect(a.result.byChannel.filter((c: any) => c.value > 0)).toEqual([{ channel: "paid_search", conversions: 2, value: 15_000 }])
  })
})

describe("GET /v1/reports/sla", () => {
  it("measures speed-to-lead and SLA compliance of the hot handoffs", async () => {
    const s = await get("/v1/reports/sla")
    const hotTier = s.byTier.find((g: any) => g.key === "hot")
    expect(hotTier.handoffs).toBe(5)
    // first touches 3, 8 and 4 minutes after T0: median 4, p90 4 + 0.8 × (8 − 4) = 7.2 minutes
    expect(hotTier.timeToFirstTouch).toEqual({ count: 3, medianMs: 4 * minute, p90Ms: 7.2 * minute })
    // accepted in time: H1–H4; H5 still has its 2 minutes
    expect(hotTier.accept).toEqual({ met: 4, breached: 0, pending: 1, notApplicable: 0, compliance: 1 })
    // touched in time: H1, H3; late: H2 (8 min), H5 (never, 5 minutes passed); H4 rejected before its deadline
    expect(hotTier.firstTouch).toEqual({ met: 2, breached: 2, pending: 0, notApplicable: 1, compliance: 0.5 })
    expect(hotTier.breaches).toBe(2)
    expect(hotTier.timeToAccept.count).toBe(4)
    expect(hotTier.timeToAccept.p90Ms).toBeLessThan(minute)
  })

  it("breaks down by source and rep and puts the slow reps on the wall of shame", async () => {
    const s = await get("/v1/reports/sla")
    expect(s.overall.handoffs).toBe(8)
    expect(s.overall.leads).toBe(8)
    expect(s.overall.breaches).toBe(2)
    // warm-plus leads are routed the moment they arrive (T0 = now): 0 ms to route
    expect(s.byTier.find((g: any) => g.key === "warm-plus").timeToRoute.medianMs).toBe(0)
    expect(s.bySource.map((g: any) => [g.key, g.handoffs])).toEqual([["organic", 3], ["paid_search", 2], ["webinar", 3]])
    const paid = s.bySource.find((g: any) => g.key === "paid_search")
    expect(paid.timeToFirstTouch).toMatchObject({ count: 2, medianMs: 5.5 * minute })
    expect(paid.firstTouch).toMatchObject({ met: 1, breached: 1, compliance: 0.5 })
    expect(s.byRep.find((g: any) => g.key === "sdr-us")).toMatchObject({ name: "SDR-US", handoffs: 2, breaches: 0 })

    // by hand, per AE: first-touch minutes and breaches
    const perRep = new Map<string, { touches: Array<number>; breaches: number }>()
    const add = (lead: string, minutes: number | null, breached: boolean) => {
      const r = perRep.get(owners[lead]!) ?? { touches: [], breaches: 0 }
      if (minutes !== null) r.touches.push(minutes)
      if (breached) r.breaches++
      perRep.set(owners[lead]!, r)
    }
    add("H1", 3, false)
    add("H2", 8, true)
    add("H3", 4, false)
    add("H4", null, false)
    add("H5", null, true)
    const median = (xs: Array<number>) => {
      const s = [...xs].sort((a, b) => a - b)
      return s.length === 0 ? null : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
    }
    const expected = [...perRep.entries()]
      .filter(([, r]) => r.breaches > 0)
      .map(([repId, r]) => ({ repId, median: median(r.touches), breaches: r.breaches }))
      .sort((a, b) => (b.median ?? Infinity) - (a.median ?? Infinity))
    expect(s.wallOfShame.map((w: any) => ({ repId: w.repId, median: w.medianFirstTouchMs === null ? null : w.medianFirstTouchMs / minute, breaches: w.breaches })))
      .toEqual(expected)
    expect(s.wallOfShame[0].rank).toBe(1)
    for (const [repId, r] of perRep) {
      expect(s.byRep.find((g: any) => g.key === repId).breaches).toBe(r.breaches)
    }
  })
})

describe("GET /v1/reports/rejections", () => {
  it("counts rejections by reason, rep and source against the leads routed, and raises the calibration alarm", async () => {
    const r = await get("/v1/reports/rejections")
    expect(r).toMatchObject({ routed: 8, rejected: 3, rate: 3 / 8 })
    expect(r.byReason.map((x: any) => [x.reason, x.count])).toEqual([["wrong_icp", 2], ["premature", 1], ["duplicate", 0], ["unreachable", 0], ["other", 0]])
    expect(r.byRep.find((g: any) => g.key === "sdr-us")).toMatchObject({ name: "SDR-US", routed: 2, rejected: 2, rate: 1 })
    expect(r.byRep.find((g: any) => g.key === owners.H4).byReason.find((x: any) => x.reason === "premature").count).toBe(1)
    expect(r.byRep.find((g: any) => g.key === "sdr-de")).toMatchObject({ routed: 1, rejected: 0, rate: 0 })
    expect(r.bySource.map((g: any) => [g.key, g.routed, g.rejected])).toEqual([["organic", 3, 1], ["paid_search", 2, 0], ["webinar", 3, 2]])
    expect(r.calibration).toMatchObject({ routed: 8, rejected: 3, rate: 0.375, limit: 0.2 })
    expect(r.calibration.alarm).toMatchObject({ kind: "reject_rate", value: 0.375 })
    expect(r.calibration.alarm.message).toContain("calibration session")
  })

  it("counts what went back to marketing, by reason, and none returned yet", async () => {
    const r = await get("/v1/reports/rejections")
    // the three rejected leads go to nurture with their rejection reason; H2's lost deal goes back as closed_lost
    expect(r.recycling.byReason.map((x: any) => [x.reason, x.count]).sort()).toEqual([["closed_lost", 1], ["premature", 1], ["wrong_icp", 2]])
    expect(r.recycling.recycled).toBe(4)
    expect(r.recycling.returned).toBe(0)
  })
})

describe("GET /v1/reports/calibration", () => {
  it("converts by score band and finds the first band at the healthy MQL→SQL rate", async () => {
    const c = await get("/v1/reports/calibration")
    expect(c).toMatchObject({ threshold: 50, bandWidth: 10, healthyBand: [0.4, 0.7], scoreBasis: "current_score" })
    expect(c.bands.map((b: any) => [b.from, b.leads, b.mql, b.sal, b.sql, b.opportunity, b.won, b.aboveThreshold])).toEqual([
      [10, 2, 0, 0, 0, 0, 0, false],
      [70, 3, 3, 1, 1, 0, 0, true],
      [80, 5, 5, 4, 3, 2, 1, true]
    ])
    expect(c.bands[1].rates.leadToSql).toBeCloseTo(1 / 3, 9)
    expect(c.bands[2].rates).toMatchObject({ leadToSql: 0.6, mqlToSql: 0.6, leadToWon: 0.2 })
    expect(c.firstHealthyBand).toEqual({ from: 80, to: 90, rate: 0.6 })
    expect(c.unscored.leads).toBe(0)
    expect(c.note).toContain("raising")
  })
})

describe("GET /v1/reports/calibration: the scorecard from outcomes", () => {
  it("is null, with the reason, while the period has too few known outcomes", async () => {
    const c = await get("/v1/reports/calibration")
    expect(c.outcome).toBe("sql")
    expect(c.scorecard).toBeNull()
    expect(c.scorecardReason).toMatch(/Too few known outcomes.*need at least 50/)
    expect((await get("/v1/reports/calibration?outcome=won")).outcome).toBe("won")
    const bad = await api.call("GET", "/v1/reports/calibration?outcome=mql", { key: api.keys.read })
    expect(bad.status).toBe(422)
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain("query.outcome")
  })

  it("fits an integer points table on the form answer that predicts SQL, with the threshold and the diff", async () => {
    // 60 leads alike but for the plan they chose on the form: 25 of 30 "enterprise" and 5 of
    // 30 "starter" leads reach SQL; sales rejects the rest (a known "no").
    const other = await startTestApi()
    try {
      const lead = async (i: number, plan: string, converts: boolean) => {
        const res = await other.call("POST", "/v1/leads", {
          key: other.keys.admin,
          body: { ...warmPlus(`c${i}@co${i}.com`, "organic", "US"), fields: { plan } }
        })
        expect(res.status).toBe(201)
        const body = { repId: res.body.owner.repId }
        const act = (action: string, extra: object) => other.call("POST", `/v1/leads/${res.body.id}/${action}`, { key: other.keys.sales, body: { ...body, ...extra } })
        if (converts) {
          expect((await act("accept", {})).status).toBe(200)
          expect((await act("qualify", { framework: "BANT", fields: {} })).status).toBe(200)
        } else expect((await act("reject", { reason: "premature" })).status).toBe(200)
      }
      for (let i = 0; i < 30; i++) await lead(i, "enterprise", i < 25)
      for (let i = 30; i < 60; i++) await lead(i, "starter", i < 35)
      const c = (await other.call("GET", "/v1/reports/calibration", { key: other.keys.read })).body
      expect(c.scorecardReason).toBeNull()
      const s = c.scorecard
      expect(s).toMatchObject({ outcome: "sql", leads: 60, converted: 30, crossValidated: null, fields: ["fields.plan"] })
      const points = (bin: string) => s.table.find((t: any) => t.field === "fields.plan" && t.bin === bin).points
      expect(points("enterprise")).toBeGreaterThan(points("starter"))
      expect(s.table.find((t: any) => t.bin === "starter").rate).toBeCloseTo(5 / 30, 9)
      // one field, two levels: the AUC is worked out by hand — 625 wins and 250 ties of 900 pairs
      expect(s.auc.scorecard).toBeCloseTo(750 / 900, 9)
      // every lead has the same score under the default agreement: it cannot rank them
      expect(s.auc.currentScore).toBe(0.5)
      // the line that separates: enterprise is an MQL, starter is not
      expect(s.threshold).toMatchObject({ method: "youden_j", points: Math.max(points("enterprise"), points("starter")) })
      expect(s.threshold.youdenJ).toBeCloseTo(25 / 30 - 5 / 30, 9)
      const nonZero = s.table.filter((t: any) => t.points !== 0)
      expect(s.rules).toEqual(nonZero.map((t: any) => expect.objectContaining({ id: t.id, when: { "fields.plan": { eq: t.bin } }, points: t.points })))
      expect(s.diff.removed).toEqual(["title-exec", "size-target", "industry-match"])
      expect(s.diff.kept).toEqual(["too-small"])
      expect(s.diff.mqlThreshold).toEqual({ before: 50, after: s.threshold.points })
      expect(s.diff.text).toContain(`scoring.mqlThreshold: 50 → ${s.threshold.points}`)
      expect(s.diff.yaml).toContain("fields.plan: { eq:")
      expect(s.bands.reduce((n: number, b: any) => n + b.leads, 0)).toBe(60)
    } finally {
      await other.close()
    }
  })
})

describe("GET /v1/reports/limbo", () => {
  it("is 0 for the funnel; H5's passed first-touch deadline is overdue", async () => {
    const l = await get("/v1/reports/limbo")
    expect(l.limbo).toBe(0)
    expect(l.invariantHolds).toBe(true)
    expect(l.unowned).toEqual({ count: 0, leads: [] })
    expect(l.queued.count).toBe(0)
    expect(l.overdue.count).toBe(1)
    expect(l.overdue.leads[0]).toMatchObject({ id: ids.H5, stage: "mql", tier: "hot", ownerId: owners.H5 })
    expect(Date.parse(l.overdue.leads[0].deadlineAt)).toBeLessThan(api.now())
  })

  it("lists a queued MQL, and a lead with neither owner nor queue as limbo", async () => {
    const other = await startTestApi()
    try {
      await other.runtime.runPromise(Effect.gen(function*() {
        const admin = yield* StoreAdmin
        for (const id of ["sdr-us", "sdr-de", "sdr-b"]) yield* admin.upsertRep(rep(id, [id === "sdr-b" ? "sdr-backup" : "sdr"], { active: false }), new Date())
      }))
      const queued = await other.call("POST", "/v1/leads", { body: warmPlus("q@agency.com", "organic", "US") })
      expect(queued.body.decision.outcome).toBe("queued")
      const stray = await other.call("POST", "/v1/leads", { key: other.keys.ingest, body: warmPlus("stray@agency.com", "organic", "US") })
      // a lead that fell through the cracks (simulated: its queue lost)
      await other.runtime.runPromise(Effect.flatMap(SqlRunner, ({ q }) => q((db) => db.updateTable("leads").set({ queue: null }).where("id", "=", stray.body.id).execute())))
      const l = (await other.call("GET", "/v1/reports/limbo", { key: other.keys.read })).body
      expect(l.limbo).toBe(1)
      expect(l.invariantHolds).toBe(false)
      expect(l.unowned.leads.map((x: any) => x.id)).toEqual([stray.body.id])
      expect(l.queued).toMatchObject({ count: 1, leads: [{ id: queued.body.id, queue: "sdr", ownerId: null }] })
    } finally {
      await other.close()
    }
  })
})

describe("report queries and roles", () => {
  it("a date alone as `to` covers that whole day", async () => {
    const w = await get("/v1/reports/waterfall?from=2026-01-05&to=2026-01-11")
    expect(w.period).toEqual({ from: "2026-01-05T00:00:00.000Z", to: "2026-01-12T00:00:00.000Z" })
    const s = await get("/v1/reports/sla?from=2026-01-05T09:00:00%2B01:00&to=2026-01-05T18:00:00Z")
    expect(s.period).toEqual({ from: "2026-01-05T08:00:00.000Z", to: "2026-01-05T18:00:00.000Z" })
  })

  it.each([
    ["/v1/reports/waterfall?from=yesterday", "query.from"],
    ["/v1/reports/waterfall?from=2026-02-30", "query.from"],
    ["/v1/reports/sla?to=2026-01-05T10:00:00", "query.to"],
    ["/v1/reports/rejections?from=2026-03-10&to=2026-03-01", "query.from"],
    ["/v1/reports/calibration?from=2020-01-01&to=2026-01-01", "query.from"],
    ["/v1/reports/waterfall?groupBy=region", "query.groupBy"],
    ["/v1/reports/attribution?model=magic", "query.model"],
    ["/v1/reports/attribution?model=custom", "query.model"],
    ["/v1/reports/limbo?from=2026-01-01", "query.from"]
  ])("%s → 422 at %s", async (path, at) => {
    const res = await api.call("GET", path, { key: api.keys.read })
    expect(res.status).toBe(422)
    expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/)
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(at)
  })

  it("read and admin keys may read reports; ingest and sales keys may not", async () => {
    for (const name of ["waterfall", "attribution", "sla", "rejections", "calibration", "limbo"]) {
      expect((await api.call("GET", `/v1/reports/${name}`, { key: api.keys.read })).status).toBe(200)
      expect((await api.call("GET", `/v1/reports/${name}`, { key: api.keys.admin })).status).toBe(200)
      expect((await api.call("GET", `/v1/reports/${name}`, { key: api.keys.ingest })).status).toBe(403)
      expect((await api.call("GET", `/v1/reports/${name}`, { key: api.keys.sales })).status).toBe(403)
      expect((await api.call("GET", `/v1/reports/${name}`, { key: null })).status).toBe(401)
    }
  })
})

describe("the SLA rules per handoff (pure)", () => {
  const t0 = new Date("2026-01-06T15:00:00Z")
  const at = (min: number) => new Date(t0.getTime() + min * minute)
  const handoffRow = (extra: Partial<HandoffRow>): HandoffRow => ({
    leadId: "lead_1", repId: "ae-1", repName: "AE-1", pod: "ae-direct", tier: "hot", source: "organic",
    t0, routedAt: at(0), acceptBy: at(2), firstTouchBy: at(5), acceptedAt: null, firstTouchAt: null, rejectedAt: null, endedAt: null,
    ...extra
  })

  it("an owner reassigned away after missing the accept window breached it; one reassigned before it did not", () => {
    const missed = handoffRow({ endedAt: at(2.5) })
    expect(acceptOutcome(missed, at(10))).toBe("breached")
    expect(firstTouchOutcome(missed, at(10))).toBe("n/a")
    const early = handoffRow({ endedAt: at(1) })
    expect(acceptOutcome(early, at(10))).toBe("n/a")
  })

  it("a rejection inside the accept window answers it; done exactly at the deadline is met", () => {
    expect(acceptOutcome(handoffRow({ rejectedAt: at(1), endedAt: at(1) }), at(10))).toBe("met")
    expect(acceptOutcome(handoffRow({ rejectedAt: at(3), endedAt: at(3) }), at(10))).toBe("breached")
    expect(firstTouchOutcome(handoffRow({ firstTouchAt: at(5) }), at(10))).toBe("met")
    expect(firstTouchOutcome(handoffRow({}), at(4))).toBe("pending")
    expect(firstTouchOutcome(handoffRow({ firstTouchBy: null }), at(10))).toBe("n/a")
  })

  it("score bands: negative scores band downwards, unscored leads apart, no healthy band → null", () => {
    const reached = { inquiry: t0 }
    const c = calibrationFigures(
      [{ score: -5, reachedAt: reached }, { score: 0, reachedAt: reached }, { score: null, reachedAt: reached }],
      { width: 10, threshold: 50, healthyBand: [0.4, 0.7], now: at(1) }
    )
    expect(c.bands.map((b) => [b.from, b.to, b.leads])).toEqual([[-10, 0, 1], [0, 10, 1]])
    expect(c.unscored.leads).toBe(1)
    expect(c.firstHealthyBand).toBeNull()
  })
})

describe("after the SLA sweep", () => {
  it("counts the reassignments by cause and the escalations of the week", async () => {
    const before = await get("/v1/reports/sla")
    expect(before.escalation).toEqual({ reassignments: 0, reassignmentsByCause: [], escalations: 0 })
    // H5's first touch is past due: the sweep acts on it as the agreement says
    const swept = await handoff((h) => h.sweepSla(100))
    expect(swept.breaches.length).toBeGreaterThan(0)
    const reassigned = swept.breaches.filter((b) => b.action.startsWith("reassigned")).length
    const after = await get("/v1/reports/sla")
    expect(after.escalation.reassignments).toBe(reassigned)
    expect(after.escalation.escalations).toBe(swept.breaches.length - reassigned)
    if (reassigned > 0) expect(after.escalation.reassignmentsByCause).toEqual([{ cause: "first_touch_sla_missed", count: reassigned }])
  })
})
