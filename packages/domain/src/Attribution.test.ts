import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import { existsSync, readFileSync } from "node:fs"
import {
  type AttributionModel,
  type AttributionResult,
  type AttributionSettings,
  type ConversionPath,
  type Touch,
  type TouchMilestone,
  attribute,
  attributeAll,
  attributionModels,
  creditFractions,
  markovRemovalEffects
} from "./Attribution.ts"

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const touches = (...channels: ReadonlyArray<string>): ReadonlyArray<Touch> => channels.map((channel) => ({ channel }))

const path = (channels: string, conversions: number, nulls: number, value = conversions): ConversionPath => ({
  touches: touches(...channels.split(" > ")),
  conversions,
  value,
  nulls
})

const customWeights = { first: 0.3, lead: 0.3, opportunity: 0.3, last: 0, middle: 0.1 }

const run = (paths: ReadonlyArray<ConversionPath>, settings: AttributionSettings): AttributionResult => {
  const result = attribute(paths, settings)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

const credits = (result: AttributionResult): Record<string, number> =>
  Object.fromEntries(result.byChannel.map((c) => [c.channel, c.conversions]))

const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)

// eeghor/mta's example: direct (2 conv, 1 null), search > email (3, 2), search > social > email (5, 4).
const fixture: ReadonlyArray<ConversionPath> = [
  path("direct", 2, 1),
  path("search > email", 3, 2),
  path("search > social > email", 5, 4)
]

// ---------------------------------------------------------------------------
// 1. The eeghor/mta fixture
// ---------------------------------------------------------------------------

describe("attribution on the eeghor/mta fixture", () => {
  const expected: ReadonlyArray<[AttributionModel, Record<string, number>]> = [
    ["first_touch", { direct: 2, email: 0, search: 8, social: 0 }],
    ["last_touch", { direct: 2, email: 8, search: 0, social: 0 }],
    // search > email: 3 conversions, 1.5 each; search > social > email: 5, 5/3 each.
    ["linear", { direct: 2, search: 1.5 + 5 / 3, email: 1.5 + 5 / 3, social: 5 / 3 }],
    // 2 touches → 50/50; 3 touches → 40/20/40.
    ["u_shaped", { direct: 2, search: 1.5 + 2, email: 1.5 + 2, social: 1 }]
  ]

  it.each(expected)("%s gives the published split (every channel listed, uncredited ones at 0)", (model, split) => {
    const result = run(fixture, { model })
    const got = credits(result)
    expect(Object.keys(got).sort()).toEqual(Object.keys(split).sort())
    for (const [channel, conversions] of Object.entries(split)) expect(got[channel]).toBeCloseTo(conversions, 10)
  })

  it("linear and u_shaped match the statement's literal numbers", () => {
    const linear = credits(run(fixture, { model: "linear" }))
    expect(linear.search).toBeCloseTo(19 / 6, 10)
    expect(linear.email).toBeCloseTo(19 / 6, 10)
    expect(linear.social).toBeCloseTo(5 / 3, 10)
    const u = credits(run(fixture, { model: "u_shaped" }))
    expect(u.search).toBeCloseTo(3.5, 10)
    expect(u.email).toBeCloseTo(3.5, 10)
    expect(u.social).toBeCloseTo(1, 10)
  })

  it("markov: removal effects worked out by hand from the absorbing chain", () => {
    // P(direct→conv) = 2/3; email → conv 8/14 = 4/7; social and search reach conversion only via email.
    // P = 3/17 · 2/3 + 14/17 · 4/7 = 10/17.
    // Without direct: 8/17 → RE 1/5. Without search or email: 2/17 → RE 4/5.
    // Without social: search → email 5/14 → P = 2/17 + 14/17 · 5/14 · 4/7 = 238/833 → RE 18/35.
    const analysis = Either.getOrThrow(markovRemovalEffects(fixture))
    expect(analysis.conversionProbability).toBeCloseTo(10 / 17, 12)
    const re = Object.fromEntries(analysis.removalEffects.map((r) => [r.channel, r.removalEffect]))
    expect(re.direct).toBeCloseTo(1 / 5, 12)
    expect(re.search).toBeCloseTo(4 / 5, 12)
    expect(re.email).toBeCloseTo(4 / 5, 12)
    expect(re.social).toBeCloseTo(18 / 35, 12)
    for (const r of analysis.removalEffects) expect(r.removalEffect).toBeGreaterThan(0)

    const result = run(fixture, { model: "markov" })
    expect(sum(result.byChannel.map((c) => c.conversions))).toBeCloseTo(10, 10)
    const totalRe = 1 / 5 + 4 / 5 + 4 / 5 + 18 / 35
    expect(credits(result).social).toBeCloseTo((10 * (18 / 35)) / totalRe, 10)
    expect(result.removalEffects).toEqual(analysis.removalEffects)
  })

  it("results are sorted by channel name", () => {
    for (const model of attributionModels.filter((m) => m !== "custom")) {
      const names = run(fixture, { model }).byChannel.map((c) => c.channel)
      expect(names).toEqual([...names].sort())
    }
  })
})

// ---------------------------------------------------------------------------
// 2. Conservation: every model hands out exactly the conversions and value it got
// ---------------------------------------------------------------------------

const allModels = (paths: ReadonlyArray<ConversionPath>, settings: Partial<AttributionSettings> = {}) =>
  Either.getOrThrow(attributeAll(paths, { custom: customWeights, ...settings }))

const expectConserved = (results: ReadonlyArray<AttributionResult>, conversions: number, value: number, digits: number) => {
  for (const r of results) {
    expect(sum(r.byChannel.map((c) => c.conversions)), r.model).toBeCloseTo(conversions, digits)
    expect(sum(r.byChannel.map((c) => c.value)), r.model).toBeCloseTo(value, digits)
    expect(r.totals.conversions).toBeCloseTo(conversions, digits)
    expect(r.totals.value).toBeCloseTo(value, digits)
    for (const c of r.byChannel) {
      expect(c.conversions).toBeGreaterThanOrEqual(0)
      expect(c.value).toBeGreaterThanOrEqual(0)
    }
    if (r.byCampaign) {
      expect(sum(r.byCampaign.map((c) => c.conversions)), r.model).toBeCloseTo(conversions, digits)
      expect(sum(r.byCampaign.map((c) => c.value)), r.model).toBeCloseTo(value, digits)
    }
  }
}

const touchArb = FastCheck.record(
  {
    channel: FastCheck.constantFrom("ads", "email", "events", "search", "social"),
    campaign: FastCheck.constantFrom("q1", "q2"),
    offsetHours: FastCheck.integer({ min: 0, max: 24 * 60 }),
    milestone: FastCheck.constantFrom<TouchMilestone>("lead", "opportunity")
  },
  { requiredKeys: ["channel", "offsetHours"] }
)

const pathArb = FastCheck.record({
  touches: FastCheck.array(touchArb, { minLength: 1, maxLength: 8 }),
  dated: FastCheck.boolean(),
  conversions: FastCheck.integer({ min: 0, max: 50 }),
  nulls: FastCheck.integer({ min: 0, max: 50 }),
  value: FastCheck.double({ min: 0, max: 100_000, noNaN: true })
})

const t0 = Date.UTC(2025, 0, 1)

const toPath = (p: typeof pathArb extends FastCheck.Arbitrary<infer T> ? T : never): ConversionPath => ({
  touches: p.touches.map((t) => ({
    channel: t.channel,
    ...(t.campaign === undefined ? {} : { campaign: t.campaign }),
    ...(t.milestone === undefined ? {} : { milestone: t.milestone }),
    ...(p.dated ? { at: new Date(t0 + t.offsetHours * 3_600_000) } : {})
  })),
  conversions: p.conversions,
  nulls: p.nulls,
  value: p.value
})

describe("every model preserves total conversions and total value", () => {
  it("on the fixture", () => {
    const results = allModels(fixture)
    expect(results.map((r) => r.model)).toEqual(attributionModels)
    expectConserved(results, 10, 10, 10)
  })

  it.prop(
    "on random paths",
    { paths: FastCheck.array(pathArb, { minLength: 1, maxLength: 20 }), halfLifeHours: FastCheck.integer({ min: 1, max: 24 * 30 }) },
    ({ halfLifeHours, paths }) => {
      const input = paths.map(toPath)
      const conversions = sum(input.map((p) => p.conversions))
      const value = sum(input.map((p) => p.value))
      const results = allModels(input, { halfLife: halfLifeHours * 3_600_000, halfLifeTouches: 2 })
      expectConserved(results, conversions, value, 6)
    },
    { fastCheck: { numRuns: 150 } }
  )

  it.prop(
    "each path's fractions sum to 1 for every position-based model",
    { p: pathArb },
    ({ p }) => {
      const { touches } = toPath(p)
      for (const model of attributionModels.filter((m) => m !== "markov")) {
        const f = creditFractions(touches, { model, custom: customWeights })
        expect(f).toHaveLength(touches.length)
        expect(sum(f)).toBeCloseTo(1, 12)
        for (const x of f) expect(x).toBeGreaterThanOrEqual(0)
      }
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("paths that never convert carry no credit but still feed the Markov chain", () => {
    const withLosers = [...fixture, path("social", 0, 20)]
    const linear = credits(run(withLosers, { model: "linear" }))
    expect(linear.social).toBeCloseTo(5 / 3, 10)
    const before = Either.getOrThrow(markovRemovalEffects(fixture))
    const after = Either.getOrThrow(markovRemovalEffects(withLosers))
    expect(after.conversionProbability).toBeLessThan(before.conversionProbability)
    expect(sum(run(withLosers, { model: "markov" }).byChannel.map((c) => c.conversions))).toBeCloseTo(10, 10)
  })

  it("nothing converts → every credit is zero (no NaN)", () => {
    for (const r of allModels([path("search > email", 0, 5, 0)])) {
      for (const c of r.byChannel) {
        expect(c.conversions).toBe(0)
        expect(c.value).toBe(0)
      }
    }
  })
})

// ---------------------------------------------------------------------------
// 3. The ChannelAttribution sample dataset (10,000 paths)
// ---------------------------------------------------------------------------

const dataUrl = new URL("../../../../shared/data/channelattribution-pathdata/Data.csv", import.meta.url)
const dataExists = existsSync(dataUrl)

const loadData = (): ReadonlyArray<ConversionPath> => {
  const [header, ...lines] = readFileSync(dataUrl, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "")
  expect(header).toBe("path;total_conversions;total_conversion_value;total_null")
  return lines.map((line) => {
    const [p, conversions, value, nulls] = line.split(";")
    return {
      touches: touches(...p!.split(" > ").map((c) => c.trim())),
      conversions: Number(conversions),
      value: Number(value),
      nulls: Number(nulls)
    }
  })
}

describe("ChannelAttribution's Data.csv", () => {
  const references: ReadonlyArray<[AttributionModel, Record<string, number>]> = [
    ["first_touch", { alpha: 6308, beta: 2831, delta: 1, epsilon: 99, eta: 3164, gamma: 165, iota: 4606, kappa: 74, lambda: 902, mi: 2, theta: 1606, zeta: 27 }],
    ["last_touch", { alpha: 8447, beta: 989, delta: 5, epsilon: 531, eta: 4167, gamma: 92, iota: 3355, kappa: 230, lambda: 1207, mi: 2, theta: 653, zeta: 107 }],
    ["linear", {
      alpha: 7574.719, beta: 2083.5, delta: 1.725, epsilon: 272.17, eta: 3539.951, gamma: 121.042,
      iota: 3857.096, kappa: 137.964, lambda: 1035.258, mi: 2.222, theta: 1022.801, zeta: 136.552
    }]
  ]

  it.skipIf(!dataExists)("every model allocates all 19,785 conversions and 74,802.972 of value; first/last/linear match the references", () => {
    const paths = loadData()
    expect(paths).toHaveLength(10_000)
    const fileConversions = sum(paths.map((p) => p.conversions))
    const fileValue = sum(paths.map((p) => p.value))
    expect(fileConversions).toBe(19_785)
    expect(fileValue).toBeCloseTo(74_802.972, 3) // the file's sum is 74802.97158…

    const results = allModels(paths)
    expect(results.map((r) => r.model)).toEqual(attributionModels)
    expectConserved(results, 19_785, fileValue, 6)

    for (const [model, reference] of references) {
      const got = credits(results.find((r) => r.model === model)!)
      expect(Object.keys(got).sort(), model).toEqual(Object.keys(reference).sort())
      for (const [channel, conversions] of Object.entries(reference)) {
        expect(Math.abs(got[channel]! - conversions), `${model} ${channel}`).toBeLessThanOrEqual(0.0005 + 1e-9)
      }
    }

    const markov = results.find((r) => r.model === "markov")!
    expect(markov.removalEffects).toHaveLength(12)
    for (const r of markov.removalEffects!) expect(r.removalEffect).toBeGreaterThan(0)
    // The chain reproduces the observed conversion rate: 19,785 of 19,785 + 68,602 journeys.
    expect(markov.conversionProbability).toBeCloseTo(19_785 / (19_785 + 68_602), 9)
  })
})

// ---------------------------------------------------------------------------
// 4. Model details
// ---------------------------------------------------------------------------

const fractions = (model: AttributionModel, ts: ReadonlyArray<Touch>, extra: Partial<AttributionSettings> = {}) =>
  creditFractions(ts, { model, ...extra })

const expectFractions = (got: ReadonlyArray<number>, want: ReadonlyArray<number>) => {
  expect(got).toHaveLength(want.length)
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 12))
}

describe("u_shaped (40/20/40)", () => {
  it.each([
    [1, [1]],
    [2, [0.5, 0.5]],
    [3, [0.4, 0.2, 0.4]],
    [4, [0.4, 0.1, 0.1, 0.4]],
    [6, [0.4, 0.05, 0.05, 0.05, 0.05, 0.4]]
  ] as const)("%i touch(es)", (n, want) => {
    expectFractions(fractions("u_shaped", touches(...Array.from({ length: n }, (_, i) => `c${i}`))), want)
  })
})

describe("w_shaped (30/30/30 + 10)", () => {
  it("first, lead-creation and opportunity-creation touches get 30% each, the rest share 10%", () => {
    const ts: ReadonlyArray<Touch> = [
      { channel: "ads" },
      { channel: "webinar" },
      { channel: "content", milestone: "lead" },
      { channel: "email" },
      { channel: "demo", milestone: "opportunity" },
      { channel: "sales-email" }
    ]
    expectFractions(fractions("w_shaped", ts), [0.3, 0.1 / 3, 0.3, 0.1 / 3, 0.3, 0.1 / 3])
  })

  it("without milestones the lead is the first touch and the opportunity the last", () => {
    // first + lead = 60% on touch 0, opportunity 30% on the last, 10% over the two middle touches.
    expectFractions(fractions("w_shaped", touches("a", "b", "c", "d")), [0.6, 0.05, 0.05, 0.3])
  })

  it("no other touches: the 10% is spread over the three milestone slots", () => {
    // 2 touches: slots first, lead (both touch 0) and opportunity (touch 1) → 0.6 + 2·(0.1/3), 0.3 + 0.1/3.
    expectFractions(fractions("w_shaped", touches("a", "b")), [0.6 + 0.2 / 3, 0.3 + 0.1 / 3])
    // 3 touches, lead on the middle one: each touch one slot → equal thirds.
    expectFractions(fractions("w_shaped", [{ channel: "a" }, { channel: "b", milestone: "lead" }, { channel: "c" }]), [1 / 3, 1 / 3, 1 / 3])
    expectFractions(fractions("w_shaped", touches("a")), [1])
  })

  it("milestones may sit anywhere; the touches outside them share the 10%", () => {
    const ts: ReadonlyArray<Touch> = [{ channel: "a" }, { channel: "b" }, { channel: "c", milestone: "lead" }, { channel: "d", milestone: "opportunity" }]
    // touch 0: 30; touch 2: 30; touch 3: 30; touch 1 is the only other touch: 10.
    expectFractions(fractions("w_shaped", ts), [0.3, 0.1, 0.3, 0.3])
    const early: ReadonlyArray<Touch> = [{ channel: "a" }, { channel: "b", milestone: "lead" }, { channel: "c", milestone: "opportunity" }, { channel: "d" }]
    // the last touch is neither first, lead nor opportunity: it gets the 10.
    expectFractions(fractions("w_shaped", early), [0.3, 0.3, 0.3, 0.1])
  })

  it("coinciding milestones add up on one touch", () => {
    // opportunity created on the first touch, lead defaults to the first touch: 90% there.
    const opportunityFirst: ReadonlyArray<Touch> = [{ channel: "a", milestone: "opportunity" }, { channel: "b" }, { channel: "c" }]
    expectFractions(fractions("w_shaped", opportunityFirst), [0.9, 0.05, 0.05])
    const sameTouch: ReadonlyArray<Touch> = [{ channel: "a", milestone: "lead" }, { channel: "b" }, { channel: "c" }]
    // first + lead on touch 0 (60), opportunity defaults to the last touch (30), touch 1 gets the 10.
    expectFractions(fractions("w_shaped", sameTouch), [0.6, 0.1, 0.3])
  })

  it("credits campaigns as well as channels", () => {
    const result = run(
      [{
        touches: [
          { channel: "ads", campaign: "q1-launch" },
          { channel: "content", campaign: "ebook", milestone: "lead" },
          { channel: "ads", campaign: "retarget" },
          { channel: "demo", milestone: "opportunity" }
        ],
        conversions: 10,
        value: 1000
      }],
      { model: "w_shaped" }
    )
    expect(result.byCampaign).toEqual([
      { channel: "ads", campaign: "q1-launch", conversions: 3, value: 300 },
      { channel: "ads", campaign: "retarget", conversions: expect.closeTo(1, 12), value: expect.closeTo(100, 10) },
      { channel: "content", campaign: "ebook", conversions: 3, value: 300 },
      { channel: "demo", conversions: 3, value: 300 }
    ])
    expect(credits(result).ads).toBeCloseTo(4, 12)
  })
})

describe("time_decay", () => {
  const day = 86_400_000
  const dated = (...agesInDays: ReadonlyArray<number>): ReadonlyArray<Touch> =>
    agesInDays.map((age, i) => ({ channel: `c${i}`, at: new Date(t0 - age * day) }))

  it("a more recent touch gets more credit; one half-life older gets half", () => {
    const f = fractions("time_decay", dated(14, 7, 0), { halfLife: 7 * day })
    // weights 1/4, 1/2, 1 → /1.75
    expectFractions(f, [0.25 / 1.75, 0.5 / 1.75, 1 / 1.75])
    expect(f[0]!).toBeLessThan(f[1]!)
    expect(f[1]!).toBeLessThan(f[2]!)
  })

  it("defaults to a 7-day half-life", () => {
    expectFractions(fractions("time_decay", dated(7, 0)), [1 / 3, 2 / 3])
  })

  it("without dates each step back is one unit and the half-life is counted in touches", () => {
    expectFractions(fractions("time_decay", touches("a", "b", "c")), [1 / 7, 2 / 7, 4 / 7])
    expectFractions(fractions("time_decay", touches("a", "b", "c"), { halfLifeTouches: 2 }), [0.5, Math.SQRT1_2, 1].map((w) => w / (1.5 + Math.SQRT1_2)))
  })

  it.prop(
    "credit never decreases toward the conversion",
    { ages: FastCheck.array(FastCheck.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 10 }) },
    ({ ages }) => {
      const sorted = [...ages].sort((a, b) => b - a) // oldest first
      const f = fractions("time_decay", dated(...sorted), { halfLife: 7 * day })
      for (let i = 1; i < f.length; i++) expect(f[i]!).toBeGreaterThanOrEqual(f[i - 1]! - 1e-15)
    },
    { fastCheck: { numRuns: 200 } }
  )
})

describe("custom weights", () => {
  const ts: ReadonlyArray<Touch> = [
    { channel: "a" },
    { channel: "b", milestone: "lead" },
    { channel: "c" },
    { channel: "d" },
    { channel: "e", milestone: "opportunity" },
    { channel: "f" }
  ]

  it("applies the weights by position and normalizes them", () => {
    // first 2, lead 2, opportunity 4, last 1, middle 1 (over c and d) → total 10.
    const f = fractions("custom", ts, { custom: { first: 2, lead: 2, opportunity: 4, last: 1, middle: 1 } })
    expectFractions(f, [0.2, 0.2, 0.05, 0.05, 0.4, 0.1])
  })

  it("coinciding positions add up (no milestones: lead = first, opportunity = last)", () => {
    const f = fractions("custom", touches("a", "b", "c"), { custom: { first: 1, lead: 1, opportunity: 1, last: 1, middle: 1 } })
    expectFractions(f, [0.4, 0.2, 0.4])
  })

  it("reproduces U-shaped and W-shaped with their weights", () => {
    const u = { first: 0.4, lead: 0, opportunity: 0, last: 0.4, middle: 0.2 }
    for (const n of [1, 2, 3, 5]) {
      const path = touches(...Array.from({ length: n }, (_, i) => `c${i}`))
      expectFractions(fractions("custom", path, { custom: u }), fractions("u_shaped", path))
    }
    // W-shaped when the opportunity is created on the last touch (custom's "last" is a position of its own).
    const toOpportunity = ts.slice(0, 5)
    expectFractions(fractions("custom", toOpportunity, { custom: customWeights }), fractions("w_shaped", toOpportunity))
    expectFractions(fractions("custom", touches("a", "b", "c", "d"), { custom: customWeights }), fractions("w_shaped", touches("a", "b", "c", "d")))
  })

  it("a path no weight applies to is split linearly", () => {
    expectFractions(fractions("custom", touches("a", "b"), { custom: { first: 0, lead: 0, opportunity: 0, last: 0, middle: 1 } }), [0.5, 0.5])
  })
})

// ---------------------------------------------------------------------------
// Invalid input
// ---------------------------------------------------------------------------

describe("invalid input is a typed AttributionInputError", () => {
  const reasonOf = (paths: ReadonlyArray<ConversionPath>, settings: AttributionSettings) => {
    const result = attribute(paths, settings)
    if (Either.isRight(result)) return "accepted"
    expect(result.left._tag).toBe("AttributionInputError")
    expect(result.left.message).not.toBe("")
    return result.left.reason
  }

  it.each([
    ["negative conversions", [path("a", -1, 0)], "negative_count"],
    ["negative nulls", [path("a", 1, -3)], "negative_count"],
    ["NaN value", [{ ...path("a", 1, 0), value: Number.NaN }], "not_finite"],
    ["conversions without touches", [{ touches: [], conversions: 2, value: 0 }], "empty_path"],
    ["invalid touch date", [{ touches: [{ channel: "a", at: new Date("nope") }], conversions: 1, value: 1 }], "invalid_date"]
  ] as const)("%s", (_, paths, reason) => {
    for (const model of attributionModels.filter((m) => m !== "custom")) expect(reasonOf(paths, { model })).toBe(reason)
  })

  it("points at the offending path", () => {
    const result = attribute([...fixture, path("a", -1, 0)], { model: "linear" })
    expect(Either.isLeft(result) && result.left.pathIndex).toBe(3)
  })

  it("settings", () => {
    expect(reasonOf(fixture, { model: "custom" })).toBe("missing_custom_weights")
    expect(reasonOf(fixture, { model: "custom", custom: { first: 0, lead: 0, opportunity: 0, last: 0, middle: 0 } })).toBe("invalid_custom_weights")
    expect(reasonOf(fixture, { model: "custom", custom: { ...customWeights, middle: -1 } })).toBe("invalid_custom_weights")
    expect(reasonOf(fixture, { model: "time_decay", halfLife: 0 })).toBe("invalid_half_life")
    expect(reasonOf(fixture, { model: "time_decay", halfLifeTouches: -2 })).toBe("invalid_half_life")
  })

  it("an empty path with nothing to credit is accepted (a journey that never converted)", () => {
    expect(reasonOf([...fixture, { touches: [], conversions: 0, value: 0, nulls: 7 }], { model: "markov" })).toBe("accepted")
    const before = Either.getOrThrow(markovRemovalEffects(fixture)).conversionProbability
    const after = Either.getOrThrow(markovRemovalEffects([...fixture, { touches: [], conversions: 0, value: 0, nulls: 7 }])).conversionProbability
    expect(after).toBeCloseTo((before * 17) / 24, 12)
  })

  it("attributeAll stops at the first error and skips custom when no weights are given", () => {
    expect(Either.isLeft(attributeAll([path("a", -1, 0)], {}))).toBe(true)
    const models = Either.getOrThrow(attributeAll(fixture, {})).map((r) => r.model)
    expect(models).toEqual(attributionModels.filter((m) => m !== "custom"))
  })
})
