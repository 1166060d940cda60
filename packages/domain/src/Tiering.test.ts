import { describe, expect, it } from "@effect/vitest"
import { FastCheck, Schema } from "effect"
import { Agreement, type RejectionReason } from "./Agreement.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import { type Account, fitSignature, type LeadEvent, type LeadProfile, type RepId } from "./Lead.ts"
import { type Score, score, type ScoringLead } from "./Scoring.ts"
import { assignTier, enrichmentTierChange, handoffFlags, notifications, type TierContext } from "./Tiering.ts"

const now = new Date("2026-01-06T15:00:00Z")
const DAY = 86_400_000
const ago = (days: number): Date => new Date(now.getTime() - days * DAY)
const ev = (type: string, daysAgo = 0, properties: LeadEvent["properties"] = {}): LeadEvent => ({ type, occurredAt: ago(daysAgo), properties })

/** VP, 800 employees, software: ICP fit (35 fit points). */
const icp: LeadProfile = { email: "vp@acme.com", title: "VP Sales", employees: 800, industry: "software" }
/** 20 employees: disqualified as wrong_icp. */
const tiny: LeadProfile = { email: "ceo@tiny.io", title: "CEO", employees: 20, industry: "software" }
/** Fits nothing, fails nothing. */
const plain: LeadProfile = { email: "sam@corp.com", title: "Analyst", employees: 20_000 }

const decide = (lead: ScoringLead, events: ReadonlyArray<LeadEvent>, namedAccount = false) => {
  const s = score(defaultAgreement, lead, events, now)
  return { s, decision: assignTier(defaultAgreement, s, { profile: lead.profile, namedAccount }) }
}

// ---------------------------------------------------------------------------
// The seed 000 flowchart with the default tiers
// ---------------------------------------------------------------------------

interface Case {
  readonly name: string
  readonly lead: ScoringLead
  readonly events: ReadonlyArray<LeadEvent>
  readonly tier: string
  readonly pod: string | null
}

const cases: ReadonlyArray<Case> = [
  { name: "demo request, ACV 90k, ICP fit → hot (AE-direct)", lead: { profile: { ...icp, estimatedAcv: 90_000 } }, events: [ev("demo_request")], tier: "hot", pod: "ae-direct" },
  { name: "pricing request, ACV 50,001, ICP fit → hot", lead: { profile: { ...icp, estimatedAcv: 50_001 } }, events: [ev("pricing_request")], tier: "hot", pod: "ae-direct" },
  { name: "demo request, ACV missing → warm-plus", lead: { profile: icp }, events: [ev("demo_request")], tier: "warm-plus", pod: "sdr" },
  { name: "demo request, ACV exactly 50,000 → warm-plus", lead: { profile: { ...icp, estimatedAcv: 50_000 } }, events: [ev("demo_request")], tier: "warm-plus", pod: "sdr" },
  { name: "demo request, not ICP (20 employees), ACV 90k → warm-plus", lead: { profile: { ...tiny, estimatedAcv: 90_000 } }, events: [ev("demo_request")], tier: "warm-plus", pod: "sdr" },
  { name: "contact sales below minFit, ACV 90k → warm-plus", lead: { profile: { ...plain, estimatedAcv: 90_000 } }, events: [ev("contact_sales")], tier: "warm-plus", pod: "sdr" },
  { name: "PQL (workspace created) in an ICP account, ACV 90k → hot", lead: { profile: { ...icp, estimatedAcv: 90_000 } }, events: [ev("workspace_created")], tier: "hot", pod: "ae-direct" },
  { name: "PQL in an ICP account, ACV 30k → warm-plus", lead: { profile: { ...icp, estimatedAcv: 30_000 } }, events: [ev("integration_connected")], tier: "warm-plus", pod: "sdr" },
  { name: "PQL outside the ICP is not a hand-raise → nurture", lead: { profile: { ...tiny, estimatedAcv: 90_000 } }, events: [ev("workspace_created")], tier: "nurture", pod: null },
  { name: "MQL by threshold (35 fit + pricing 20) → warm", lead: { profile: { ...icp, estimatedAcv: 90_000 } }, events: [ev("page_view", 1, { category: "pricing" })], tier: "warm", pod: "sdr" },
  { name: "below threshold (35 fit + 1 email open) → nurture", lead: { profile: icp }, events: [ev("email_open", 1)], tier: "nurture", pod: null },
  { name: "high intent failing fit → nurture", lead: { profile: plain }, events: [ev("page_view", 1, { category: "pricing" }), ev("content_download", 1, { kind: "case_study" }), ev("content_download", 2, { kind: "case_study" })], tier: "nurture", pod: null },
  {
    name: "wrong_icp-blocked lead past the threshold → nurture",
    lead: { profile: icp, wrongIcpBlock: { fitSignature: fitSignature(icp), at: ago(3) } },
    events: [ev("page_view", 1, { category: "pricing" })],
    tier: "nurture",
    pod: null
  },
  {
    name: "wrong_icp-blocked lead that requests a demo → warm-plus",
    lead: { profile: icp, wrongIcpBlock: { fitSignature: fitSignature(icp), at: ago(3) } },
    events: [ev("demo_request")],
    tier: "warm-plus",
    pod: "sdr"
  },
  { name: "demo request 31 days ago is no longer a live hand-raise (35 + 25 → warm)", lead: { profile: { ...icp, estimatedAcv: 90_000 } }, events: [ev("demo_request", 31)], tier: "warm", pod: "sdr" }
]

describe("assignTier: the seed 000 flowchart with the default tiers", () => {
  for (const c of cases) {
    it(c.name, () => {
      const { decision } = decide(c.lead, c.events)
      expect(decision.name).toBe(c.tier)
      expect(decision.tier.route?.pod ?? null).toBe(c.pod)
      expect(decision.handedTo).toBe(c.pod === null ? "marketing" : "sales")
      expect(defaultAgreement.tiers[decision.index]?.name).toBe(c.tier)
      // one reason per tier looked at: every earlier tier, then this one
      expect(decision.reasons).toHaveLength(decision.index + 1)
      expect(decision.reasons[decision.index]).toContain(`${c.tier}: matched`)
    })
  }

  it("explains why hot did not apply when the ACV is unknown", () => {
    const { decision } = decide({ profile: icp }, [ev("demo_request")])
    expect(decision.reasons[0]).toContain("hot: not matched")
    expect(decision.reasons[0]).toContain("estimated ACV unknown")
    expect(decision.reasons[0]).not.toContain("hand-raise") // the hand-raise test held
  })

  it("explains why hot did not apply outside the ICP", () => {
    const { decision } = decide({ profile: { ...tiny, estimatedAcv: 90_000 } }, [ev("demo_request")])
    expect(decision.reasons[0]).toContain("not ICP fit")
    expect(decision.reasons[0]).toContain("wrong_icp")
    expect(decision.reasons[0]).not.toContain("estimated ACV")
  })

  it("explains a nurture decision tier by tier", () => {
    const { decision } = decide({ profile: plain }, [ev("email_open", 1)])
    expect(decision.reasons).toHaveLength(4)
    expect(decision.reasons[0]).toContain("no hand-raise")
    expect(decision.reasons[2]).toContain("not an MQL")
    expect(decision.reasons[3]).toContain("nurture: matched")
    expect(decision.reasons[3]).toContain("marketing")
  })
})

// ---------------------------------------------------------------------------
// Properties over random scores
// ---------------------------------------------------------------------------

const dateArb = FastCheck.integer({ min: 0, max: 60 * DAY }).map((ms) => new Date(now.getTime() - ms))
const scoreArb = (handRaise: FastCheck.Arbitrary<Score["handRaise"]>): FastCheck.Arbitrary<Score> =>
  FastCheck.record({
    fit: FastCheck.integer({ min: -60, max: 60 }),
    intent: FastCheck.integer({ min: -40, max: 150 }),
    provisional: FastCheck.boolean(),
    instantMql: FastCheck.option(FastCheck.record({ rule: FastCheck.constant("demo"), at: dateArb }), { nil: null }),
    handRaise,
    disqualified: FastCheck.option(FastCheck.constant({ rule: "too-small", reason: "wrong_icp" }), { nil: null }),
    blocked: FastCheck.option(FastCheck.constant("wrong_icp" as const), { nil: null }),
    lastEngagementAt: FastCheck.option(dateArb, { nil: null })
  }).map((r): Score => {
    const total = r.fit + r.intent
    const threshold = defaultAgreement.scoring.mqlThreshold
    const minFit = defaultAgreement.scoring.minFit
    const icpFit = r.fit >= minFit && r.disqualified === null
    const mqlBy = r.handRaise !== null || r.instantMql !== null ? "instant" : total >= threshold && icpFit && r.blocked === null ? "threshold" : null
    return { ...r, total, threshold, minFit, drivers: [], icpFit, mql: mqlBy !== null, mqlBy }
  })
const liveHandRaiseArb = FastCheck.record({
  type: FastCheck.constantFrom("demo_request", "pricing_request", "contact_sales", "workspace_created"),
  at: dateArb,
  pql: FastCheck.boolean()
})
const ctxArb: FastCheck.Arbitrary<TierContext> = FastCheck.record({
  acv: FastCheck.option(FastCheck.integer({ min: 0, max: 300_000 }), { nil: undefined }),
  namedAccount: FastCheck.boolean()
}).map(({ acv, namedAccount }) => ({ profile: acv === undefined ? { email: "x@acme.com" } : { email: "x@acme.com", estimatedAcv: acv }, namedAccount }))

describe("assignTier properties", () => {
  it.prop(
    "a hand-raise is always handed to sales, whatever the score",
    { s: scoreArb(liveHandRaiseArb), ctx: ctxArb },
    ({ ctx, s }) => {
      const d = assignTier(defaultAgreement, s, ctx)
      expect(d.handedTo).toBe("sales")
      expect(d.tier.route).toBeDefined()
      // fit only decides AE vs SDR
      expect(d.name).toBe(s.icpFit && (ctx.profile.estimatedAcv ?? 0) > 50_000 ? "hot" : "warm-plus")
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "without a hand-raise: an MQL goes to the SDR qualify queue (warm), anything else stays with marketing",
    { s: scoreArb(FastCheck.constant(null)), ctx: ctxArb },
    ({ ctx, s }) => {
      const d = assignTier(defaultAgreement, s, ctx)
      expect(d.name).toBe(s.mql ? "warm" : "nurture")
      expect(d.handedTo).toBe(s.mql ? "sales" : "marketing")
    },
    { fastCheck: { numRuns: 300 } }
  )
})

// ---------------------------------------------------------------------------
// Other `when` tests
// ---------------------------------------------------------------------------

describe("assignTier with custom tiers", () => {
  const encoded = Schema.encodeSync(Agreement)(defaultAgreement)
  const agreement = Schema.decodeUnknownSync(Agreement)({
    ...encoded,
    tiers: [
      { name: "named", when: { namedAccount: true }, route: { pod: "ae-direct" } },
      { name: "plg", when: { pql: true }, route: { pod: "ae-direct" } },
      { name: "big-us", when: { total: { gte: 80 }, lead: { country: { in: ["US", "CA"] } } }, route: { pod: "sdr" } },
      { name: "fit-only", when: { fit: { gte: 30 }, intent: { lt: 10 }, mql: false }, route: { pod: "sdr" } },
      { name: "nurture" }
    ],
    tests: []
  })
  const tierOf = (profile: LeadProfile, events: ReadonlyArray<LeadEvent>, namedAccount = false) =>
    assignTier(agreement, score(agreement, { profile }, events, now), { profile, namedAccount })

  it("namedAccount", () => {
    expect(tierOf(plain, [], true).name).toBe("named")
    expect(tierOf(plain, [], false).name).toBe("nurture")
  })
  it("pql", () => {
    expect(tierOf(icp, [ev("workspace_created")]).name).toBe("plg")
    expect(tierOf(icp, [ev("demo_request")]).name).not.toBe("plg")
  })
  it("total and lead fields", () => {
    const hot = [ev("page_view", 1, { category: "pricing" }), ev("content_download", 1, { kind: "case_study" }), ev("content_download", 2, { kind: "case_study" })]
    expect(tierOf({ ...icp, country: "us" }, hot).name).toBe("big-us")
    const d = tierOf({ ...icp, country: "FR" }, hot)
    expect(d.name).not.toBe("big-us")
    expect(d.reasons[2]).toContain(`country "FR"`)
  })
  it("fit, intent and a negated mql test", () => {
    expect(tierOf(icp, []).name).toBe("fit-only")
    expect(tierOf(icp, [ev("page_view", 1, { category: "pricing" })]).name).toBe("nurture") // an MQL (55), intent 20
  })
})

// ---------------------------------------------------------------------------
// The second scoring stage
// ---------------------------------------------------------------------------

describe("enrichmentTierChange: what enrichment does to a handoff made on the provisional score", () => {
  // email + demo request: warm-plus on the form data; enrichment says VP, 800 employees, $90K
  const provisional = decide({ profile: { email: "dana@bigco.com" } }, [ev("demo_request")]).decision
  const enrichedHot = decide({ profile: { ...icp, estimatedAcv: 90_000 }, enrichedAt: now }, [ev("demo_request")]).decision
  const enrichedTiny = decide({ profile: { ...tiny, estimatedAcv: 90_000 }, enrichedAt: now }, [ev("demo_request")]).decision

  it("warm-plus, not accepted yet (mql), enriched to hot → reroute to the hot tier's pod", () => {
    expect(provisional.name).toBe("warm-plus")
    expect(enrichedHot.name).toBe("hot")
    const c = enrichmentTierChange(defaultAgreement, { stage: "mql", handoffTier: "warm-plus" }, enrichedHot)
    expect(c).toMatchObject({ action: "reroute", from: "warm-plus", to: "hot" })
    expect(c.action === "reroute" && c.tier.route?.pod).toBe("ae-direct")
    expect(c.reason).toContain("nobody has accepted it yet")
  })

  it("accepted (sal or later) → recorded; a lower tier (hot → warm-plus) → recorded; the same tier → nothing", () => {
    const accepted = enrichmentTierChange(defaultAgreement, { stage: "sal", handoffTier: "warm-plus" }, enrichedHot)
    expect(accepted).toMatchObject({ action: "record", from: "warm-plus", to: "hot" })
    expect(accepted.reason).toContain("already accepted")
    expect(enrichmentTierChange(defaultAgreement, { stage: "sql", handoffTier: "warm-plus" }, enrichedHot).action).toBe("record")
    const lower = enrichmentTierChange(defaultAgreement, { stage: "mql", handoffTier: "hot" }, enrichedTiny)
    expect(lower).toMatchObject({ action: "record", from: "hot", to: "warm-plus" })
    expect(lower.reason).toContain("a lower tier")
    expect(enrichmentTierChange(defaultAgreement, { stage: "mql", handoffTier: "warm-plus" }, enrichedTiny).action).toBe("none")
  })

  it("a lead marketing holds, one without a handoff tier, or a tier the agreement no longer has", () => {
    for (const stage of ["inquiry", "nurture", "rejected", "merged", "won"]) {
      expect(enrichmentTierChange(defaultAgreement, { stage, handoffTier: "warm-plus" }, enrichedHot).action).toBe("none")
    }
    expect(enrichmentTierChange(defaultAgreement, { stage: "mql", handoffTier: undefined }, enrichedHot).action).toBe("none")
    expect(enrichmentTierChange(defaultAgreement, { stage: "mql", handoffTier: "gold" }, enrichedHot)).toMatchObject({ action: "record", from: "gold", to: "hot" })
  })
})

// ---------------------------------------------------------------------------
// Flags and notifications
// ---------------------------------------------------------------------------

const account = (over: Partial<Account> = {}): Account => ({ domain: "acme.com", named: false, activeOutbound: false, ...over })

describe("handoffFlags", () => {
  const flagsFor = (
    lead: ScoringLead,
    events: ReadonlyArray<LeadEvent>,
    extra: { account?: Account; previousRejection?: RejectionReason; namedAccount?: boolean } = {},
    agreement: Agreement = defaultAgreement
  ) => {
    const s = score(agreement, lead, events, now)
    return handoffFlags(agreement, s, { profile: lead.profile, namedAccount: extra.namedAccount ?? false, ...extra })
  }
  const enriched = (profile: LeadProfile): ScoringLead => ({ profile, enrichedAt: ago(1) })

  it("a hand-raise vs crossing the threshold by accumulation (seed 002)", () => {
    const raised = flagsFor(enriched(icp), [ev("demo_request")])
    expect(raised).toContain("hand_raise")
    expect(raised).not.toContain("accumulated")
    const accumulated = flagsFor(enriched(icp), [ev("page_view", 1, { category: "pricing" })])
    expect(accumulated).toContain("accumulated")
    expect(accumulated).not.toContain("hand_raise")
    expect(flagsFor(enriched(icp), [])).toEqual([])
  })

  it("pql", () => {
    expect(flagsFor(enriched(icp), [ev("workspace_created")])).toEqual(["hand_raise", "pql"])
  })

  it("provisional until enrichment lands", () => {
    expect(flagsFor({ profile: icp }, [])).toEqual(["provisional"])
  })

  it("named_account, from the context or the account", () => {
    expect(flagsFor(enriched(icp), [], { namedAccount: true })).toContain("named_account")
    expect(flagsFor(enriched(icp), [], { account: account({ named: true }) })).toContain("named_account")
    expect(flagsFor(enriched(icp), [], { account: account() })).not.toContain("named_account")
  })

  it("abm_suppressed when the account is in active outbound and the agreement suppresses it", () => {
    expect(flagsFor(enriched(icp), [ev("demo_request")], { account: account({ activeOutbound: true }) })).toContain("abm_suppressed")
    expect(flagsFor(enriched(icp), [], { account: account({ activeOutbound: false }) })).not.toContain("abm_suppressed")
    const encoded = Schema.encodeSync(Agreement)(defaultAgreement)
    const off = Schema.decodeUnknownSync(Agreement)({ ...encoded, routing: { ...encoded.routing, abmSuppression: false } })
    expect(flagsFor(enriched(icp), [], { account: account({ activeOutbound: true }) }, off)).not.toContain("abm_suppressed")
  })

  it("rejected_before and disqualified: a wrong-ICP lead that now raises its hand", () => {
    const flags = flagsFor(
      { profile: tiny, enrichedAt: ago(9), wrongIcpBlock: { fitSignature: fitSignature(tiny), at: ago(5) } },
      [ev("contact_sales")],
      { previousRejection: "wrong_icp" }
    )
    expect(flags).toEqual(["hand_raise", "rejected_before:wrong_icp", "disqualified:wrong_icp"])
  })
})

describe("notifications", () => {
  const owner = "rep-42" as RepId
  it("a named account with an owner notifies the owner of any inbound", () => {
    expect(notifications(defaultAgreement, { account: account({ named: true, ownerRepId: owner }) })).toEqual([
      { kind: "named_account_inbound", repId: owner }
    ])
  })
  it("whatever the tier: a nurture lead from a named account still notifies", () => {
    const s = score(defaultAgreement, { profile: plain }, [], now)
    expect(assignTier(defaultAgreement, s, { profile: plain, namedAccount: true }).name).toBe("nurture")
    expect(notifications(defaultAgreement, { account: account({ named: true, ownerRepId: owner }) })).toHaveLength(1)
  })
  it("nothing without a named account, an owner, or the agreement's consent", () => {
    expect(notifications(defaultAgreement, {})).toEqual([])
    expect(notifications(defaultAgreement, { account: account({ ownerRepId: owner }) })).toEqual([])
    expect(notifications(defaultAgreement, { account: account({ named: true }) })).toEqual([])
    const encoded = Schema.encodeSync(Agreement)(defaultAgreement)
    const off = Schema.decodeUnknownSync(Agreement)({ ...encoded, routing: { ...encoded.routing, namedAccountNotify: false } })
    expect(notifications(off, { account: account({ named: true, ownerRepId: owner }) })).toEqual([])
  })
})
