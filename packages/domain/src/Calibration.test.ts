import { describe, expect, it } from "@effect/vitest"
import { FastCheck, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { Agreement, FitRule } from "./Agreement.ts"
import { agreementToYaml, parseAgreement } from "./AgreementDocument.ts"
import {
  auc, bestThreshold, binFeatures, binOf, type CalibrationExample, conversionChance, crossValidate, fitLogistic, fitScorecard,
  inferFeatures, ruleBinOf, rulesPoints, scoreBands, scorecardPoints, stratifiedFolds, suggestDiff
} from "./Calibration.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import type { LeadProfile } from "./Lead.ts"
import { score } from "./Scoring.ts"

// ---------------------------------------------------------------------------
// A synthetic funnel with known structure
// ---------------------------------------------------------------------------

/** A tiny seeded generator for the fixtures (mulberry32). */
const rng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Leads whose log-odds of reaching SQL are known: the plan asked on the form (enterprise
 * +2, team +0.5, starter −1; "Select" = not answered, −0.5), company size (a step: ≥ 200
 * employees +1.5, unknown −0.3), the channel (paid −0.7) and a field of pure noise.
 */
const synthetic = (n: number, seed: number): Array<CalibrationExample> => {
  const r = rng(seed)
  const plans = ["enterprise", "team", "starter", "Select"] as const
  const effect: Record<string, number> = { enterprise: 2, team: 0.5, starter: -1, Select: -0.5 }
  return Array.from({ length: n }, () => {
    const plan = plans[Math.floor(r() * plans.length)]!
    const employees = r() < 0.1 ? undefined : Math.round(Math.exp(1 + r() * 7))
    const channel = r() < 0.4 ? "paid" : r() < 0.7 ? "organic" : "Referral"
    const noise = ["a", "b", "c"][Math.floor(r() * 3)]!
    const z = -0.8 + effect[plan]! + (employees === undefined ? -0.3 : employees >= 200 ? 1.5 : 0) + (channel === "paid" ? -0.7 : 0)
    const converted = r() < 1 / (1 + Math.exp(-z))
    return {
      values: { "fields.plan": plan, employees, "source.channel": channel, "fields.noise": noise },
      converted
    }
  })
}

const data = synthetic(3000, 7)
const card = fitScorecard(data)

// ---------------------------------------------------------------------------
// AUC
// ---------------------------------------------------------------------------

describe("auc", () => {
  const labelled = FastCheck.array(FastCheck.tuple(FastCheck.integer({ min: -1_000_000, max: 1_000_000 }), FastCheck.boolean()), { minLength: 2, maxLength: 60 })
    .filter((xs) => xs.some(([, y]) => y) && xs.some(([, y]) => !y))

  it.prop("a perfect ranking is 1, a reversed one 0", { n: FastCheck.integer({ min: 1, max: 50 }), m: FastCheck.integer({ min: 1, max: 50 }) }, ({ m, n }) => {
    const scores = [...Array.from({ length: n }, (_, i) => 100 + i), ...Array.from({ length: m }, (_, i) => i)]
    const converted = [...Array.from({ length: n }, () => true), ...Array.from({ length: m }, () => false)]
    expect(auc(scores, converted)).toBe(1)
    expect(auc(scores.map((s) => -s), converted)).toBe(0)
  }, { fastCheck: { numRuns: 100 } })

  it.prop("is unchanged by a strictly increasing transform of the scores", { xs: labelled }, ({ xs }) => {
    const scores = xs.map(([s]) => s)
    const converted = xs.map(([, y]) => y)
    const base = auc(scores, converted)
    expect(auc(scores.map((s) => Math.sign(s) * Math.log1p(Math.abs(s)) * 7 + 3), converted)).toBeCloseTo(base, 12)
    expect(auc(scores.map((s) => s ** 3 / 1e12), converted)).toBeCloseTo(base, 12)
    expect(auc(scores.map((s) => -s), converted)).toBeCloseTo(1 - base, 12)
  }, { fastCheck: { numRuns: 200 } })

  it("counts ties as half: equal scores give 0.5, and agrees with counting pairs", () => {
    expect(auc([3, 3, 3, 3], [true, false, true, false])).toBe(0.5)
    const scores = [1, 2, 2, 3, 5, 5, 8]
    const converted = [false, true, false, true, false, true, true]
    let wins = 0
    let pairs = 0
    scores.forEach((p, i) =>
      scores.forEach((q, j) => {
        if (converted[i] && !converted[j]) {
          pairs++
          wins += p > q ? 1 : p === q ? 0.5 : 0
        }
      }))
    expect(auc(scores, converted)).toBeCloseTo(wins / pairs, 12)
    expect(auc([1, 2], [true, true])).toBeNaN()
  })
})

// ---------------------------------------------------------------------------
// Folds, threshold, bands
// ---------------------------------------------------------------------------

describe("stratified folds", () => {
  it.prop("are the same for the same seed, cover every lead, and keep the conversion rate per fold", {
    ys: FastCheck.array(FastCheck.boolean(), { minLength: 10, maxLength: 300 }),
    seed: FastCheck.integer({ min: 0, max: 1_000_000 })
  }, ({ seed, ys }) => {
    const folds = stratifiedFolds(ys, 5, seed)
    expect(stratifiedFolds(ys, 5, seed)).toEqual(folds)
    expect(folds).toHaveLength(ys.length)
    const pos = ys.filter((y) => y).length
    for (let f = 0; f < 5; f++) {
      const inFold = ys.filter((_, i) => folds[i] === f)
      const p = inFold.filter((y) => y).length
      expect(Math.abs(p - pos / 5)).toBeLessThanOrEqual(1)
      expect(Math.abs(inFold.length - ys.length / 5)).toBeLessThanOrEqual(1)
    }
  }, { fastCheck: { numRuns: 100 } })

  it("a different seed deals the leads differently", () => {
    const ys = data.map((e) => e.converted)
    expect(stratifiedFolds(ys, 5, 1)).not.toEqual(stratifiedFolds(ys, 5, 2))
  })
})

describe("bestThreshold (Youden's J)", () => {
  it("finds the line that separates separable leads completely", () => {
    const t = bestThreshold([5, 10, 15, 40, 45, 60], [false, false, false, true, true, true])
    expect(t.points).toBe(40)
    expect(t).toMatchObject({ method: "youden_j", youdenJ: 1, truePositiveRate: 1, falsePositiveRate: 0, precision: 1, f1: 1, mqlRate: 0.5 })
  })

  it.prop("is the score with the largest TPR − FPR among every possible line", {
    xs: FastCheck.array(FastCheck.tuple(FastCheck.integer({ min: -20, max: 20 }), FastCheck.boolean()), { minLength: 2, maxLength: 80 })
      .filter((xs) => xs.some(([, y]) => y) && xs.some(([, y]) => !y))
  }, ({ xs }) => {
    const scores = xs.map(([s]) => s)
    const ys = xs.map(([, y]) => y)
    const t = bestThreshold(scores, ys)
    const pos = ys.filter((y) => y).length
    const j = (line: number) =>
      scores.filter((s, i) => s >= line && ys[i]).length / pos - scores.filter((s, i) => s >= line && !ys[i]).length / (ys.length - pos)
    for (const line of scores) expect(j(line)).toBeLessThanOrEqual(t.youdenJ + 1e-12)
    expect(j(t.points)).toBeCloseTo(t.youdenJ, 12)
  }, { fastCheck: { numRuns: 150 } })
})

describe("scoreBands", () => {
  it("puts every lead in one band, with its conversion, and marks the bands above the line", () => {
    const scores = [-7, -1, 0, 3, 9, 10, 25]
    const ys = [false, false, true, false, true, true, true]
    const bands = scoreBands(scores, ys, { threshold: 10, width: 10 })
    expect(bands.map((b) => [b.from, b.to, b.leads, b.converted, b.aboveThreshold])).toEqual([
      [-10, 0, 2, 0, false], [0, 10, 3, 2, false], [10, 20, 1, 1, true], [20, 30, 1, 1, true]
    ])
    expect(scoreBands(scores, ys, { threshold: 0 }).reduce((s, b) => s + b.leads, 0)).toBe(scores.length)
  })
})

// ---------------------------------------------------------------------------
// Binning and the model
// ---------------------------------------------------------------------------

describe("binning", () => {
  it("reads Select and empty as unknown, pools rare levels into other, compares levels case-insensitively", () => {
    const ex = (v: string | undefined, converted = false): CalibrationExample => ({ values: { "fields.source": v }, converted })
    const rows = [
      ...Array.from({ length: 30 }, (_, i) => ex(i % 2 === 0 ? "Google" : "google", i % 3 === 0)),
      ...Array.from({ length: 20 }, () => ex("Direct")),
      ...Array.from({ length: 15 }, (_, i) => ex(i < 5 ? "Select" : i < 10 ? "" : undefined)),
      ex("Bing"), ex("Yahoo", true), ex("Ask")
    ]
    const [f] = binFeatures(rows, [{ field: "fields.source", kind: "categorical" }], { minLevelCount: 10 })
    expect(f!.bins.map((b) => [b.kind, b.label, b.leads])).toEqual([
      ["level", "Google", 30], ["level", "Direct", 20], ["missing", "unknown", 15]
    ])
    // 3 rare levels (3 leads) are too few for an "other" bin of their own: they score like the typical answer
    expect(ruleBinOf(f!, "Bing")).toBe(-1)
    expect(binOf(f!, "Bing")).toBe(f!.reference)
    expect(binOf(f!, "GOOGLE")).toBe(0)
    expect(binOf(f!, "select")).toBe(2)
    // with 13 leads in rare levels, they get an "other" bin, which an unseen level falls in too
    const more = [...rows, ...Array.from({ length: 5 }, () => ex("Ask")), ...Array.from({ length: 5 }, () => ex("Yahoo"))]
    const [g] = binFeatures(more, [{ field: "fields.source", kind: "categorical" }], { minLevelCount: 10 })
    expect(g!.bins.map((b) => [b.label, b.leads])).toEqual([["Google", 30], ["Direct", 20], ["other (3 levels)", 13], ["unknown", 15]])
    expect(ruleBinOf(g!, "Lycos")).toBe(2)
    expect(g!.bins[2]!.when).toEqual([{ exists: true, notIn: ["Google", "Direct", "Select"] }])
  })

  it("infers numbers and categories, and leaves out fields with one value", () => {
    const specs = inferFeatures([
      ...Array.from({ length: 20 }, (_, i) => ({ values: { a: String(i * 3), b: i % 2 === 0 ? "x" : "y", c: "same", d: i % 2 }, converted: i % 2 === 0 }))
    ])
    expect(specs).toEqual([{ field: "a", kind: "numeric" }, { field: "b", kind: "categorical" }, { field: "d", kind: "categorical" }])
  })

  it("cuts a numeric field with a step where the step is (supervised bins)", () => {
    const employees = card.features.find((f) => f.field === "employees")!
    const cuts = employees.cuts
    // the true step is at 200: one cut lands close to it
    expect(cuts.some((c) => c >= 150 && c <= 260)).toBe(true)
    expect(employees.bins.length).toBeLessThanOrEqual(9)
  })

  it("logistic regression recovers known weights on a large sample", () => {
    const r = rng(3)
    const rows: Array<{ idx: Array<number>; val: Array<number> }> = []
    const ys: Array<boolean> = []
    for (let i = 0; i < 20_000; i++) {
      const x1 = r() < 0.5 ? 1 : 0
      const x2 = r() * 2 - 1
      const z = -0.5 + 1.2 * x1 - 2 * x2
      rows.push({ idx: [0, 1, 2], val: [1, x1, x2] })
      ys.push(r() < 1 / (1 + Math.exp(-z)))
    }
    const fit = fitLogistic(rows, ys, 3, { l2: 1e-6 })
    expect(fit.converged).toBe(true)
    expect(fit.weights[0]).toBeCloseTo(-0.5, 1)
    expect(fit.weights[1]).toBeCloseTo(1.2, 1)
    expect(fit.weights[2]).toBeCloseTo(-2, 1)
  })
})

// ---------------------------------------------------------------------------
// The scorecard
// ---------------------------------------------------------------------------

describe("fitScorecard", () => {
  it("ranks the synthetic leads in the known order: enterprise > team > unknown plan > starter", () => {
    const pts = (bin: string) => card.table.find((t) => t.field === "fields.plan" && t.bin === bin)!.points
    expect(pts("enterprise")).toBeGreaterThan(pts("team"))
    expect(pts("team")).toBeGreaterThan(pts("unknown"))
    expect(pts("unknown")).toBeGreaterThan(pts("starter"))
    const channel = (bin: string) => card.table.find((t) => t.field === "source.channel" && t.bin === bin)!.points
    expect(channel("paid")).toBeLessThan(channel("organic"))
  })

  it("the integer table ranks within 0.01 AUC of the float model it came from", () => {
    expect(card.auc.model).toBeGreaterThan(0.7)
    expect(Math.abs(card.auc.model - card.auc.points)).toBeLessThan(0.01)
  })

  it("points follow the weights: within a field, a larger weight never gets fewer points; the reference gets 0; points stay in range", () => {
    for (const f of card.features) {
      const rows = card.table.filter((t) => t.field === f.field)
      expect(rows.filter((r) => r.reference)).toHaveLength(1)
      expect(rows.find((r) => r.reference)!.points).toBe(0)
      for (const a of rows) {
        expect(a.points).toBeGreaterThanOrEqual(-30)
        expect(a.points).toBeLessThanOrEqual(40)
        for (const b of rows) if (a.weight < b.weight) expect(a.points).toBeLessThanOrEqual(b.points)
      }
    }
    // a doubling of the odds is worth PDO points
    expect(conversionChance(card, card.pointsToDoubleOdds) / (1 - conversionChance(card, card.pointsToDoubleOdds)))
      .toBeCloseTo(2 * conversionChance(card, 0) / (1 - conversionChance(card, 0)), 9)
  })

  it.prop("points are monotone in the weights on any dataset", { seed: FastCheck.integer({ min: 1, max: 10_000 }) }, ({ seed }) => {
    const c = fitScorecard(synthetic(300, seed), undefined, { minLevelCount: 5 })
    for (const a of c.table) {
      for (const b of c.table) if (a.field === b.field && a.weight < b.weight) expect(a.points).toBeLessThanOrEqual(b.points)
    }
  }, { fastCheck: { numRuns: 15 } })

  it("its rules are fit rules of the agreement, and the agreement's scoring gives exactly the table's points", () => {
    for (const rule of card.rules) expect(Schema.decodeUnknownSync(FitRule)(Schema.encodeSync(FitRule)(rule))).toEqual(rule)
    const proposed = suggestDiff(defaultAgreement, card).agreement
    const reparsed = parseAgreement(agreementToYaml(proposed))
    expect(reparsed._tag).toBe("Right")
    for (const e of data.slice(0, 400)) {
      const v = e.values
      const profile = {
        email: "lead@example.com",
        ...(v.employees === undefined ? {} : { employees: v.employees as number }),
        source: { channel: v["source.channel"] as string },
        fields: { plan: v["fields.plan"] as string, noise: v["fields.noise"] as string }
      } as LeadProfile
      const s = score(proposed, { profile, enrichedAt: new Date(0) }, [], new Date("2026-03-02T00:00:00Z"))
      // the default agreement's disqualifier (fewer than 50 employees, −30) is kept
      const disqualifier = typeof v.employees === "number" && v.employees < 50 ? -30 : 0
      expect(s.fit).toBe(scorecardPoints(card, v) + disqualifier)
      expect(rulesPoints(card.rules, v)).toBe(scorecardPoints(card, v))
    }
  })

  it("suggests the threshold and bands on its own points", () => {
    const pts = data.map((e) => scorecardPoints(card, e.values))
    expect(card.threshold).toEqual(bestThreshold(pts, data.map((e) => e.converted)))
    expect(card.bands.reduce((s, b) => s + b.leads, 0)).toBe(data.length)
    const above = card.bands.filter((b) => b.aboveThreshold)
    const below = card.bands.filter((b) => !b.aboveThreshold)
    const rate = (bs: typeof card.bands) => bs.reduce((s, b) => s + b.converted, 0) / bs.reduce((s, b) => s + b.leads, 0)
    expect(rate(above)).toBeGreaterThan(rate(below))
  })
})

describe("crossValidate", () => {
  const small = synthetic(800, 11)

  it("is the same for the same seed, and the integer table holds up out of sample", () => {
    const a = crossValidate(small, undefined, { folds: 5, seed: 42 })
    const b = crossValidate(small, undefined, { folds: 5, seed: 42 })
    expect(b).toEqual(a)
    expect(a.scorecard.byFold).toHaveLength(5)
    expect(a.scorecard.mean).toBeGreaterThan(0.7)
    expect(Math.abs(a.scorecard.mean - a.binned.mean)).toBeLessThan(0.02)
    expect(crossValidate(small, undefined, { folds: 5, seed: 43 }).scorecard.byFold).not.toEqual(a.scorecard.byFold)
  })
})

// ---------------------------------------------------------------------------
// The suggested change
// ---------------------------------------------------------------------------

describe("suggestDiff", () => {
  const diff = suggestDiff(defaultAgreement, card)

  it("replaces the fitted rules, keeps the disqualifiers, and moves the MQL line", () => {
    const ids = (rs: ReadonlyArray<{ id: string }>) => rs.map((r) => r.id)
    expect(ids(diff.kept)).toEqual(ids(defaultAgreement.scoring.fit.filter((r) => r.disqualify !== undefined)))
    expect(ids(diff.removed)).toEqual(ids(defaultAgreement.scoring.fit.filter((r) => r.disqualify === undefined)))
    expect(ids(diff.added)).toEqual(ids(card.rules))
    expect(diff.mqlThreshold).toEqual({ before: defaultAgreement.scoring.mqlThreshold, after: card.threshold.points })
    expect(diff.agreement.scoring.fit).toEqual([...diff.kept, ...card.rules])
    expect(diff.agreement.scoring.minFit).toBeLessThanOrEqual(card.threshold.points)
    expect(diff.agreement.scoring.intent).toEqual(defaultAgreement.scoring.intent)
    expect(diff.text).toContain(`scoring.mqlThreshold: ${defaultAgreement.scoring.mqlThreshold} → ${card.threshold.points}`)
    for (const r of diff.removed) expect(diff.text).toContain(`- ${r.id}:`)
    for (const r of diff.added) expect(diff.text).toContain(`+ ${r.id}:`)
  })

  it("applied again, changes nothing but reports every rule as unchanged", () => {
    const again = suggestDiff(diff.agreement, card)
    expect(again.added).toEqual([])
    expect(again.removed).toEqual([])
    expect(again.changed).toEqual([])
    expect(again.mqlThreshold.before).toBe(again.mqlThreshold.after)
  })

  it("the YAML fragment is valid YAML whose rules decode as the agreement's fit rules", () => {
    const doc = parseYaml(diff.yaml) as { scoring: { mqlThreshold: number; fit: Array<unknown> } }
    expect(doc.scoring.mqlThreshold).toBe(card.threshold.points)
    const rules = doc.scoring.fit.map((r) => Schema.decodeUnknownSync(FitRule)(r))
    expect(rules).toEqual(Schema.decodeUnknownSync(Agreement)(Schema.encodeSync(Agreement)(diff.agreement)).scoring.fit)
  })
})
