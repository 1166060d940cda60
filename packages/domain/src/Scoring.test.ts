import { describe, expect, it } from "@effect/vitest"
import { FastCheck, Schema } from "effect"
import { Agreement } from "./Agreement.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import { applyEnrichment, fitSignature, type LeadEvent, type LeadProfile } from "./Lead.ts"
import { Score, score, type ScoringLead } from "./Scoring.ts"

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const now = new Date("2026-03-02T15:00:00Z")
const MINUTE = 60_000
const DAY = 86_400_000
const ago = (days: number): Date => new Date(now.getTime() - days * DAY)

const ev = (type: string, daysAgo: number, properties: LeadEvent["properties"] = {}): LeadEvent => ({
  type,
  occurredAt: ago(daysAgo),
  properties
})
const pricing = (d: number) => ev("page_view", d, { category: "pricing" })
const careers = (d: number) => ev("page_view", d, { category: "careers" })
const caseStudy = (d: number) => ev("content_download", d, { kind: "case_study" })
const emailOpen = (d: number) => ev("email_open", d)
const siteVisit = (d: number) => ev("site_visit", d)
const demo = (d: number) => ev("demo_request", d)

/** VP, 800 employees, software: 15 + 10 + 10 = 35 fit points under the seed defaults. */
const ideal: LeadProfile = { email: "vp@acme.com", title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90_000 }

const run = (profile: LeadProfile, events: ReadonlyArray<LeadEvent>, agreement: Agreement = defaultAgreement, at: Date = now) =>
  score(agreement, { profile, enrichedAt: ago(1) }, events, at)

const driver = (s: Score, rule: string) => s.drivers.find((d) => d.rule === rule)
const pointsOf = (s: Score, rule: string): number => driver(s, rule)?.points ?? 0
const cents = (x: number) => Math.round(x * 100)

/** The default agreement with parts of its scoring section replaced (decoded, so validated). */
const encodedDefault = Schema.encodeSync(Agreement)(defaultAgreement)
const withScoring = (patch: Record<string, unknown>, drop: ReadonlyArray<string> = []): Agreement => {
  const scoring: Record<string, unknown> = { ...encodedDefault.scoring, ...patch }
  for (const k of drop) delete scoring[k]
  return Schema.decodeUnknownSync(Agreement)({ ...encodedDefault, scoring })
}
const defaultIntent = encodedDefault.scoring.intent

// ---------------------------------------------------------------------------
// Seed defaults, one by one
// ---------------------------------------------------------------------------

describe("fit rules (seed 002 defaults)", () => {
  it("a VP or C-suite title adds 15, with a reason naming the title", () => {
    for (const title of ["VP Sales", "Vice President, Marketing", "CEO", "Chief Revenue Officer", "Head of Growth"]) {
      const s = run({ email: "x@acme.com", title }, [])
      expect(pointsOf(s, "title-exec"), title).toBe(15)
      expect(driver(s, "title-exec")?.reason).toContain(`"${title}"`)
      expect(driver(s, "title-exec")?.reason).toContain("(+15)")
    }
    for (const title of ["Sales Manager", "Analyst", "Developer"]) {
      expect(driver(run({ email: "x@acme.com", title }, []), "title-exec"), title).toBeUndefined()
    }
  })

  it("a company size in 50–5000 adds 10 (bounds included)", () => {
    for (const employees of [50, 800, 5000]) expect(pointsOf(run({ email: "x@acme.com", employees }, []), "size-target")).toBe(10)
    for (const employees of [49, 5001, 20_000]) expect(pointsOf(run({ email: "x@acme.com", employees }, []), "size-target")).toBe(0)
    expect(driver(run({ email: "x@acme.com", employees: 800 }, []), "size-target")?.reason).toContain("800")
  })

  it("an industry match adds 10", () => {
    expect(pointsOf(run({ email: "x@acme.com", industry: "SaaS" }, []), "industry-match")).toBe(10)
    expect(pointsOf(run({ email: "x@acme.com", industry: "retail" }, []), "industry-match")).toBe(0)
  })

  it("under 50 employees is −30 and disqualifies as wrong_icp; the points still count", () => {
    const s = run({ email: "ceo@tiny.io", title: "CEO", employees: 20, industry: "software" }, [])
    expect(pointsOf(s, "too-small")).toBe(-30)
    expect(s.disqualified).toEqual({ rule: "too-small", reason: "wrong_icp" })
    expect(s.fit).toBe(15 + 10 - 30)
    expect(s.icpFit).toBe(false)
    expect(driver(s, "too-small")?.reason).toContain("wrong_icp")
  })

  it("an unknown company size is neither in the target range nor too small", () => {
    const s = run({ email: "x@acme.com", title: "VP Sales" }, [])
    expect(s.fit).toBe(15)
    expect(s.disqualified).toBeNull()
  })

  it("the ideal profile is ICP fit with 35 fit points", () => {
    const s = run(ideal, [])
    expect(s.fit).toBe(35)
    expect(s.icpFit).toBe(true)
    expect(s.intent).toBe(0)
    expect(s.mql).toBe(false)
  })
})

describe("intent rules (seed 002 defaults)", () => {
  it("a pricing page visit adds 20, at most 20 in total", () => {
    expect(pointsOf(run(ideal, [pricing(1)]), "pricing")).toBe(20)
    const twice = run(ideal, [pricing(1), pricing(2)])
    expect(pointsOf(twice, "pricing")).toBe(20)
    expect(driver(twice, "pricing")?.reason).toContain("2 × ")
    expect(driver(twice, "pricing")?.reason).toContain("= 40")
    expect(driver(twice, "pricing")?.reason).toContain("capped at 20")
  })

  it("a case-study download adds 15 each", () => {
    expect(pointsOf(run(ideal, [caseStudy(1)]), "case-study")).toBe(15)
    expect(pointsOf(run(ideal, [caseStudy(1), caseStudy(2), caseStudy(3)]), "case-study")).toBe(45)
    // a download of something else is not a case study
    expect(pointsOf(run(ideal, [ev("content_download", 1, { kind: "ebook" })]), "case-study")).toBe(0)
  })

  it("a demo request adds 50 and makes an instant MQL regardless of total", () => {
    const nobody: LeadProfile = { email: "someone@example.com", title: "Student", employees: 10 }
    const s = run(nobody, [demo(0)])
    expect(pointsOf(s, "demo")).toBe(50)
    expect(s.total).toBeLessThan(s.threshold)
    expect(s.mql).toBe(true)
    expect(s.mqlBy).toBe("instant")
    expect(s.instantMql).toEqual({ rule: "demo", at: ago(0) })
    expect(s.handRaise).toEqual({ type: "demo_request", at: ago(0), pql: false })
  })

  it("3 email opens in the last 30 days add 10 once; 2, or one outside the window, add nothing", () => {
    expect(pointsOf(run(ideal, [emailOpen(1), emailOpen(10), emailOpen(29)]), "email-engaged")).toBe(10)
    expect(pointsOf(run(ideal, [emailOpen(1), emailOpen(2), emailOpen(3), emailOpen(4), emailOpen(5)]), "email-engaged")).toBe(10)
    expect(pointsOf(run(ideal, [emailOpen(1), emailOpen(10)]), "email-engaged")).toBe(0)
    expect(pointsOf(run(ideal, [emailOpen(1), emailOpen(10), emailOpen(31)]), "email-engaged")).toBe(0)
    // the window is (now − 30 days, now]: an open exactly 30 days ago has left it
    expect(pointsOf(run(ideal, [emailOpen(1), emailOpen(10), emailOpen(30)]), "email-engaged")).toBe(0)
  })

  it("3+ site visits in one week add 15", () => {
    expect(pointsOf(run(ideal, [siteVisit(1), siteVisit(3), siteVisit(6)]), "return-visits")).toBe(15)
    expect(pointsOf(run(ideal, [siteVisit(0), siteVisit(1), siteVisit(3), siteVisit(6)]), "return-visits")).toBe(15)
    expect(pointsOf(run(ideal, [siteVisit(1), siteVisit(3), siteVisit(8)]), "return-visits")).toBe(0)
  })

  it("careers page visits subtract 10 each, unsubscribing subtracts", () => {
    expect(pointsOf(run(ideal, [careers(1), careers(2)]), "careers")).toBe(-20)
    const unsub = run(ideal, [ev("unsubscribe", 1)])
    expect(pointsOf(unsub, "unsubscribed")).toBeLessThan(0)
    expect(unsub.intent).toBe(pointsOf(unsub, "unsubscribed"))
  })

  it("events after now (beyond the clock-skew tolerance) are ignored", () => {
    const future = { type: "demo_request", occurredAt: new Date(now.getTime() + 6 * MINUTE), properties: {} }
    const s = run(ideal, [future, pricing(-1)])
    expect(s.intent).toBe(0)
    expect(s.handRaise).toBeNull()
    expect(s.mql).toBe(false)
    expect(s.lastEngagementAt).toBeNull()
  })

  it("an event a minute ahead of now (a sender's clock a little fast) counts as happening now", () => {
    const skewed = { type: "demo_request", occurredAt: new Date(now.getTime() + MINUTE), properties: {} }
    const s = run(ideal, [skewed])
    expect(s.handRaise).toEqual({ type: "demo_request", at: now, pql: false })
    expect(s.mql).toBe(true)
  })

  it("event predicates read properties, and the event's own channel", () => {
    const a = withScoring({
      intent: [...defaultIntent, { id: "linkedin-webinar", event: "webinar_attended", where: { channel: { eq: "linkedin" } }, points: 5 }]
    })
    const viaLinkedIn = { ...ev("webinar_attended", 1), channel: "LinkedIn" }
    const viaEmail = { ...ev("webinar_attended", 1), channel: "email" }
    expect(pointsOf(run(ideal, [viaLinkedIn], a), "linkedin-webinar")).toBe(5)
    expect(pointsOf(run(ideal, [viaEmail], a), "linkedin-webinar")).toBe(0)
  })
})

describe("fit predicates on nested and form fields", () => {
  const a = withScoring({
    fit: [
      { id: "budget", when: { "fields.budget": { eq: "yes" } }, points: 5 },
      { id: "partner", when: { "source.channel": { eq: "partner" } }, points: 7 },
      { id: "na-exec-or-big", when: { country: { in: ["US", "CA"] } }, anyOf: [{ title: { matches: "vp" } }, { employees: { gte: 1000 } }], points: 4 }
    ]
  })
  it("fields.x reads a form answer, source.channel the nested source", () => {
    const s = run({ email: "x@acme.com", fields: { budget: "Yes" }, source: { channel: "partner" } }, [], a)
    expect(pointsOf(s, "budget")).toBe(5)
    expect(pointsOf(s, "partner")).toBe(7)
    expect(s.fit).toBe(12)
  })
  it("anyOf needs `when` and at least one alternative", () => {
    expect(pointsOf(run({ email: "x@acme.com", country: "US", title: "VP Ops" }, [], a), "na-exec-or-big")).toBe(4)
    expect(pointsOf(run({ email: "x@acme.com", country: "CA", employees: 2000 }, [], a), "na-exec-or-big")).toBe(4)
    expect(pointsOf(run({ email: "x@acme.com", country: "US", employees: 20 }, [], a), "na-exec-or-big")).toBe(0)
    expect(pointsOf(run({ email: "x@acme.com", country: "FR", title: "VP Ops" }, [], a), "na-exec-or-big")).toBe(0)
  })
})

// ---------------------------------------------------------------------------
// MQL
// ---------------------------------------------------------------------------

describe("MQL", () => {
  it("crosses the threshold by accumulation with fit", () => {
    const s = run(ideal, [caseStudy(2)]) // 35 + 15 = 50
    expect(s.total).toBe(50)
    expect(s.mql).toBe(true)
    expect(s.mqlBy).toBe("threshold")
    expect(s.handRaise).toBeNull()
  })

  it("one point short of the threshold is not an MQL", () => {
    const a = withScoring({ mqlThreshold: 51 })
    const s = run(ideal, [caseStudy(2)], a)
    expect(s.threshold).toBe(51)
    expect(s.mql).toBe(false)
    expect(s.mqlBy).toBeNull()
  })

  it("the minFit gate: high intent does not make an MQL out of a lead that fails fit", () => {
    const events = [pricing(1), caseStudy(1), caseStudy(2), caseStudy(3)] // 20 + 45 = 65
    const offTarget: LeadProfile = { email: "a@bigcorp.com", title: "Analyst", employees: 20_000, industry: "retail" }
    const s = run(offTarget, events)
    expect(s.fit).toBe(0)
    expect(s.total).toBe(65)
    expect(s.icpFit).toBe(false)
    expect(s.mql).toBe(false)
    // the same behaviour from a lead that reaches minFit (industry match: 10) is an MQL
    const s2 = run({ ...offTarget, industry: "software" }, events)
    expect(s2.fit).toBe(10)
    expect(s2.mql).toBe(true)
    expect(s2.mqlBy).toBe("threshold")
  })

  it("a disqualified lead does not become an MQL by accumulation", () => {
    const tiny: LeadProfile = { email: "ceo@tiny.io", title: "CEO", employees: 20, industry: "software" }
    const a = withScoring({ minFit: -100 }) // even with no fit gate, the disqualifier holds
    const s = run(tiny, [pricing(1), caseStudy(1), caseStudy(2), caseStudy(3), caseStudy(4)], a)
    expect(s.total).toBeGreaterThanOrEqual(s.threshold)
    expect(s.disqualified?.reason).toBe("wrong_icp")
    expect(s.mql).toBe(false)
  })

  it("a pricing request or contact-sales hand-raise is an instant MQL even with no points", () => {
    for (const type of ["pricing_request", "contact_sales"]) {
      const s = run({ email: "x@tiny.io", employees: 5 }, [ev(type, 0)])
      expect(s.handRaise).toEqual({ type, at: ago(0), pql: false })
      expect(s.mqlBy).toBe("instant")
      expect(s.instantMql).toBeNull()
    }
  })

  it("a hand-raise and an instant MQL stay live for handRaise.within (30 days); an older demo only counts as points", () => {
    const fresh = run(ideal, [demo(29)])
    expect(fresh.mqlBy).toBe("instant")
    const old = run(ideal, [demo(31)])
    expect(old.handRaise).toBeNull()
    expect(old.instantMql).toBeNull()
    // 31 days of inactivity: the 50 demo points are halved, 35 + 25 = 60 still crosses 50
    expect(pointsOf(old, "demo")).toBe(25)
    expect(old.mqlBy).toBe("threshold")
    expect(driver(fresh, "demo")?.reason).toContain("instant MQL")
    expect(driver(old, "demo")?.reason).not.toContain("instant MQL")
  })

  it("the most recent hand-raise is reported", () => {
    const s = run(ideal, [demo(10), ev("contact_sales", 2), ev("pricing_request", 5)])
    expect(s.handRaise).toEqual({ type: "contact_sales", at: ago(2), pql: false })
    expect(s.instantMql).toEqual({ rule: "demo", at: ago(10) })
  })
})

describe("PQL (product-qualified hand-raise)", () => {
  it("an in-product event in an ICP account is a hand-raise", () => {
    const s = run(ideal, [ev("workspace_created", 1)])
    expect(s.handRaise).toEqual({ type: "workspace_created", at: ago(1), pql: true })
    expect(s.mqlBy).toBe("instant")
  })

  it("outside the ICP it is not a hand-raise", () => {
    const s = run({ email: "x@tiny.io", title: "Founder", employees: 5 }, [ev("integration_connected", 1)])
    expect(s.icpFit).toBe(false)
    expect(s.handRaise).toBeNull()
    expect(s.mql).toBe(false)
  })

  it("counts outside the ICP when pqlRequiresIcpFit is off", () => {
    const a = Schema.decodeUnknownSync(Agreement)({ ...encodedDefault, handRaise: { ...encodedDefault.handRaise, pqlRequiresIcpFit: false } })
    const s = run({ email: "x@tiny.io", employees: 5 }, [ev("integration_connected", 1)], a)
    expect(s.handRaise?.pql).toBe(true)
  })

  it("a PQL signal's `where` must hold: a second seat counts, the first does not", () => {
    expect(run(ideal, [ev("seat_invited", 1, { seats: 2 })]).handRaise?.type).toBe("seat_invited")
    expect(run(ideal, [ev("seat_invited", 1, { seats: 1 })]).handRaise).toBeNull()
  })

  it("an explicit request wins over a PQL at the same instant", () => {
    const s = run(ideal, [ev("workspace_created", 1), ev("contact_sales", 1)])
    expect(s.handRaise).toEqual({ type: "contact_sales", at: ago(1), pql: false })
  })
})

// ---------------------------------------------------------------------------
// Decay
// ---------------------------------------------------------------------------

describe("decay", () => {
  // pricing + case study = 35 intent points, both `d` days ago
  const intentAfter = (d: number, a: Agreement = defaultAgreement) => run(ideal, [pricing(d), caseStudy(d)], a).intent

  it("steps at 30 / 60 / 90 days of inactivity: 50% / 25% / 0%", () => {
    expect(intentAfter(0)).toBe(35)
    expect(intentAfter(29)).toBe(35)
    expect(intentAfter(30)).toBe(17.5)
    expect(intentAfter(59)).toBe(17.5)
    expect(intentAfter(60)).toBe(8.75)
    expect(intentAfter(89)).toBe(8.75)
    expect(intentAfter(90)).toBe(0)
    expect(intentAfter(400)).toBe(0)
  })

  it("explains the decay to the rep", () => {
    const s = run(ideal, [caseStudy(45)])
    expect(driver(s, "case-study")?.reason).toContain("×0.5")
    expect(driver(s, "case-study")?.reason).toContain("45 days since last engagement")
    expect(s.lastEngagementAt).toEqual(ago(45))
  })

  it("a stale lead drops below the MQL line as it decays", () => {
    const events = [pricing(0), caseStudy(0)] // 35 + 35 = 70
    expect(run(ideal, events).mql).toBe(true)
    const later = new Date(now.getTime() + 31 * DAY) // 35 + 17.5 = 52.5
    expect(run(ideal, events, defaultAgreement, later).total).toBe(52.5)
    const muchLater = new Date(now.getTime() + 61 * DAY) // 35 + 8.75
    expect(run(ideal, events, defaultAgreement, muchLater).mql).toBe(false)
  })

  it("inactivity decay is measured from the last engagement: a fresh engagement restores old intent", () => {
    const s = run(ideal, [pricing(45), caseStudy(45), emailOpen(1)])
    expect(s.lastEngagementAt).toEqual(ago(1))
    expect(s.intent).toBe(35)
  })

  it("negative points never decay", () => {
    expect(pointsOf(run(ideal, [careers(100)]), "careers")).toBe(-10)
    expect(pointsOf(run(ideal, [careers(40), caseStudy(40)]), "careers")).toBe(-10)
  })

  it("half-life on event age: each event counts 0.5^(age / half-life)", () => {
    const a = withScoring({ decay: { basis: "event_age", halfLife: "P14D" } })
    expect(pointsOf(run(ideal, [caseStudy(14)], a), "case-study")).toBe(7.5)
    expect(pointsOf(run(ideal, [caseStudy(28)], a), "case-study")).toBe(3.75)
    expect(pointsOf(run(ideal, [caseStudy(0), caseStudy(14), caseStudy(28)], a), "case-study")).toBe(26.25)
    // the cap applies after decay: 20 + 10 = 30 → 20; 10 + 5 = 15 stays
    expect(pointsOf(run(ideal, [pricing(0), pricing(14)], a), "pricing")).toBe(20)
    expect(pointsOf(run(ideal, [pricing(14), pricing(28)], a), "pricing")).toBe(15)
    // driver points are rounded to 2 decimals
    const odd = pointsOf(run(ideal, [caseStudy(3)], a), "case-study")
    expect(odd).toBe(Math.round(15 * 0.5 ** (3 / 14) * 100) / 100)
  })

  it("half-life on inactivity applies one factor to all positive intent", () => {
    const a = withScoring({ decay: { halfLife: "P30D" } })
    const s = run(ideal, [caseStudy(60), pricing(30)], a) // last engagement 30 days ago: ×0.5
    expect(pointsOf(s, "case-study")).toBe(7.5)
    expect(pointsOf(s, "pricing")).toBe(10)
  })

  it("a count rule on event age decays with the age of its newest matching event", () => {
    const a = withScoring({ decay: { basis: "event_age", steps: [{ after: "P7D", factor: 0.5 }] } })
    expect(pointsOf(run(ideal, [emailOpen(20), emailOpen(15), emailOpen(8)], a), "email-engaged")).toBe(5)
    expect(pointsOf(run(ideal, [emailOpen(20), emailOpen(15), emailOpen(2)], a), "email-engaged")).toBe(10)
  })

  it("a rule's own decay replaces the scoring-wide one", () => {
    const intent = defaultIntent.map((r) =>
      r.id === "pricing" ? { ...r, decay: { basis: "event_age", steps: [{ after: "P7D", factor: 0 }] } } : r
    )
    const a = withScoring({ intent }, ["decay"]) // no scoring-wide decay at all
    const s = run(ideal, [pricing(8), caseStudy(200)], a)
    expect(pointsOf(s, "pricing")).toBe(0)
    expect(driver(s, "pricing")).toBeUndefined()
    expect(pointsOf(s, "case-study")).toBe(15)
    // with the default decay kept, the case study decays (inactivity) while pricing follows its own steps
    const b = withScoring({ intent })
    const s2 = run(ideal, [pricing(3), caseStudy(40)], b)
    expect(pointsOf(s2, "pricing")).toBe(20)
    expect(pointsOf(s2, "case-study")).toBe(15) // last engagement 3 days ago → no inactivity decay
  })
})

// ---------------------------------------------------------------------------
// Two-stage scoring and wrong-ICP blocks
// ---------------------------------------------------------------------------

describe("two-stage (provisional) scoring", () => {
  const form: LeadProfile = { email: "jane@startup.io", title: "VP Sales" }
  const events = [pricing(0), caseStudy(0)]

  it("scores on form data at once, marked provisional; enrichment re-scores it", () => {
    const first = score(defaultAgreement, { profile: form }, events, now)
    expect(first.provisional).toBe(true)
    expect(first.fit).toBe(15)
    expect(first.mqlBy).toBe("threshold") // 15 + 35 = 50

    const enrichedProfile = applyEnrichment(form, { employees: 20, industry: "retail" })
    const second = score(defaultAgreement, { profile: enrichedProfile, enrichedAt: now }, events, now)
    expect(second.provisional).toBe(false)
    expect(second.fit).toBe(15 - 30)
    expect(second.disqualified?.reason).toBe("wrong_icp")
    expect(second.mql).toBe(false)
  })

  it("enrichment can also lift a lead over the line", () => {
    const analyst: LeadProfile = { email: "sam@corp.com", title: "Analyst" }
    const first = score(defaultAgreement, { profile: analyst }, events, now)
    expect(first.mql).toBe(false)
    const second = score(defaultAgreement, { profile: applyEnrichment(analyst, { employees: 900, industry: "saas" }), enrichedAt: now }, events, now)
    expect(second.fit).toBe(20)
    expect(second.mqlBy).toBe("threshold")
  })

  it("is never provisional when two-stage scoring is off", () => {
    const a = withScoring({ provisional: { enabled: false } })
    expect(score(a, { profile: form }, events, now).provisional).toBe(false)
  })
})

describe("wrong_icp block", () => {
  const events = [pricing(1), caseStudy(1), caseStudy(2)] // 35 + 50 = 85
  const blockedLead = (profile: LeadProfile): ScoringLead => ({
    profile,
    enrichedAt: ago(10),
    wrongIcpBlock: { fitSignature: fitSignature(ideal), at: ago(5) }
  })

  it("blocks score-based MQL while fit data is unchanged", () => {
    const s = score(defaultAgreement, blockedLead(ideal), events, now)
    expect(s.blocked).toBe("wrong_icp")
    expect(s.total).toBe(85)
    expect(s.mql).toBe(false)
  })

  it("never blocks a hand-raise", () => {
    const s = score(defaultAgreement, blockedLead(ideal), [...events, demo(0)], now)
    expect(s.blocked).toBe("wrong_icp")
    expect(s.mql).toBe(true)
    expect(s.mqlBy).toBe("instant")
  })

  it("is lifted when fit data changes", () => {
    const s = score(defaultAgreement, blockedLead({ ...ideal, employees: 1200 }), events, now)
    expect(s.blocked).toBeNull()
    expect(s.mqlBy).toBe("threshold")
    // a change to a field that is not fit data (the phone number) does not lift it
    expect(score(defaultAgreement, blockedLead({ ...ideal, phone: "+1 555 0100" }), events, now).blocked).toBe("wrong_icp")
  })
})

describe("the Score schema", () => {
  it("round-trips through JSON (stored and served over HTTP)", () => {
    const s = run(ideal, [demo(0), pricing(3), careers(1)])
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Score)(s)))
    expect(typeof json.lastEngagementAt).toBe("string")
    expect(Schema.decodeUnknownSync(Score)(json)).toEqual(s)
  })
})

// ---------------------------------------------------------------------------
// Properties over random leads and event histories
// ---------------------------------------------------------------------------

const halfLifeEventAge = withScoring({ decay: { basis: "event_age", halfLife: "P14D" } })
const halfLifeInactivity = withScoring({ decay: { halfLife: "P20D" } })
const stepsEventAge = withScoring({ decay: { basis: "event_age", steps: [{ after: "P30D", factor: 0.5 }, { after: "P60D", factor: 0.25 }, { after: "P90D", factor: 0 }] } })
const agreementArb = FastCheck.constantFrom(defaultAgreement, halfLifeEventAge, halfLifeInactivity, stepsEventAge)

const profileArb = FastCheck.record(
  {
    title: FastCheck.constantFrom("VP Sales", "CEO", "Head of Growth", "Analyst", "Marketing Manager", "Engineer"),
    employees: FastCheck.integer({ min: 1, max: 20_000 }),
    industry: FastCheck.constantFrom("software", "saas", "retail", "fintech", "education"),
    estimatedAcv: FastCheck.integer({ min: 0, max: 200_000 })
  },
  { requiredKeys: [] }
).map((p): LeadProfile => ({ email: "lead@example.com", ...p }))

type Kind = { readonly type: string; readonly properties: LeadEvent["properties"] }
/** Events that match only non-negative rules (or none). */
const positiveKinds: ReadonlyArray<Kind> = [
  { type: "page_view", properties: { category: "pricing" } },
  { type: "page_view", properties: { category: "blog" } },
  { type: "content_download", properties: { kind: "case_study" } },
  { type: "content_download", properties: { kind: "ebook" } },
  { type: "demo_request", properties: {} },
  { type: "pricing_request", properties: {} },
  { type: "email_open", properties: {} },
  { type: "site_visit", properties: {} },
  { type: "workspace_created", properties: {} },
  { type: "seat_invited", properties: { seats: 2 } },
  { type: "seat_invited", properties: { seats: 1 } }
]
const negativeKinds: ReadonlyArray<Kind> = [
  { type: "page_view", properties: { category: "careers" } },
  { type: "unsubscribe", properties: {} }
]
const eventAt = (kind: Kind, minutesAgo: number): LeadEvent => ({
  type: kind.type,
  properties: kind.properties,
  occurredAt: new Date(now.getTime() - minutesAgo * MINUTE)
})
/** An event up to 150 days before now (or, with `future`, up to 2 days after). */
const eventArb = (kinds: ReadonlyArray<Kind>, future = false) =>
  FastCheck.tuple(FastCheck.constantFrom(...kinds), FastCheck.integer({ min: future ? -2 * 1440 : 0, max: 150 * 1440 }))
    .map(([k, m]) => eventAt(k, m))
const historyArb = FastCheck.array(eventArb([...positiveKinds, ...negativeKinds], true), { maxLength: 25 })
const pastHistoryArb = FastCheck.array(eventArb([...positiveKinds, ...negativeKinds]), { maxLength: 25 })

describe("scoring properties", () => {
  it.prop(
    "total is exactly fit + intent, and each is the sum of its drivers",
    { agreement: agreementArb, profile: profileArb, events: historyArb },
    ({ agreement, events, profile }) => {
      const s = score(agreement, { profile }, events, now)
      const sum = (kind?: "fit" | "intent") =>
        s.drivers.filter((d) => kind === undefined || d.kind === kind).reduce((acc, d) => acc + cents(d.points), 0)
      expect(cents(s.total)).toBe(sum())
      expect(cents(s.fit)).toBe(sum("fit"))
      expect(cents(s.intent)).toBe(sum("intent"))
      for (const d of s.drivers) {
        expect(d.points).not.toBe(0)
        expect(Math.abs(d.points * 100 - cents(d.points))).toBeLessThan(1e-6) // at most 2 decimals
        expect(d.reason.length).toBeGreaterThan(0)
      }
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "adding a positive event (at or before now) never lowers the total",
    { agreement: agreementArb, profile: profileArb, events: historyArb, extra: eventArb(positiveKinds) },
    ({ agreement, events, extra, profile }) => {
      const before = score(agreement, { profile }, events, now)
      const after = score(agreement, { profile }, [...events, extra], now)
      expect(after.total).toBeGreaterThanOrEqual(before.total)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "moving now forward with no new events never raises the total",
    { agreement: agreementArb, profile: profileArb, events: pastHistoryArb, minutes: FastCheck.integer({ min: 0, max: 200 * 1440 }) },
    ({ agreement, events, minutes, profile }) => {
      const earlier = score(agreement, { profile }, events, now)
      const later = score(agreement, { profile }, events, new Date(now.getTime() + minutes * MINUTE))
      expect(later.total).toBeLessThanOrEqual(earlier.total)
      expect(later.fit).toBe(earlier.fit)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "the same inputs give the same score",
    { agreement: agreementArb, profile: profileArb, events: historyArb, enriched: FastCheck.boolean() },
    ({ agreement, enriched, events, profile }) => {
      const lead: ScoringLead = enriched ? { profile, enrichedAt: ago(1) } : { profile }
      const copy = events.map((e) => ({ ...e, occurredAt: new Date(e.occurredAt.getTime()), properties: { ...e.properties } }))
      expect(score(agreement, lead, copy, new Date(now.getTime()))).toEqual(score(agreement, lead, events, now))
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "a live hand-raise is always an MQL; otherwise an MQL needs the threshold, ICP fit and no block",
    { agreement: agreementArb, profile: profileArb, events: historyArb },
    ({ agreement, events, profile }) => {
      const s = score(agreement, { profile }, events, now)
      if (s.handRaise !== null) expect(s.mqlBy).toBe("instant")
      if (s.mqlBy === "threshold") {
        expect(s.total).toBeGreaterThanOrEqual(s.threshold)
        expect(s.fit).toBeGreaterThanOrEqual(s.minFit)
        expect(s.disqualified).toBeNull()
      }
      expect(s.mql).toBe(s.mqlBy !== null)
    },
    { fastCheck: { numRuns: 200 } }
  )
})
