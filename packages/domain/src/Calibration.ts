/**
 * Calibration from outcomes: fit the scoring to what sales actually converted.
 *
 * Seed 000 asks for the agreement to be recalibrated when sales rejects too much or
 * MQL→SQL drifts. This module does the arithmetic, from leads whose outcome is known
 * (reached SQL — or won — vs not):
 *
 * 1. **Binning.** Each profile field becomes a few bins a RevOps person can read:
 *    categorical fields keep their common levels (rare ones pooled into "other"; empty
 *    values and form placeholders such as `Select` are "unknown"); numeric fields are cut
 *    into quantile bins, or supervised bins (ChiMerge: adjacent bins whose conversion
 *    does not differ significantly are merged).
 * 2. **Model.** An L2-regularised logistic regression on the bins (Newton / IRLS with
 *    step halving; deterministic).
 * 3. **Scorecard.** Each bin's weight, relative to its field's reference bin (its most
 *    common answer; values too rare for a bin of their own score like it), becomes integer points on a points-to-double-odds scale ("every PDO points double
 *    the odds of converting"), rounded and kept within a range (default −30..+40). Each
 *    non-zero bin is a fit rule in the agreement's format:
 *    `{ id, when: { <field>: <condition> }, points }`.
 * 4. **Evaluation.** AUC (Mann–Whitney, ties counted half), deterministic stratified
 *    k-fold cross-validation, the MQL threshold that best separates converters (Youden's
 *    J), conversion by score band, and the suggested change to the agreement.
 *
 * Pure: no clock, no randomness except a seeded generator, no I/O.
 */
import type { Agreement, FitRule } from "./Agreement.ts"
import { type Condition, describeCondition, testPredicate } from "./Condition.ts"

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

/** A field value as the profile or a CSV row holds it. */
export type CalibrationValue = string | number | boolean | null | undefined

/**
 * One lead with a known outcome. `values` are keyed by the agreement's field names
 * (`employees`, `industry`, `source.channel`, `fields.lead_origin`), so the scorecard's
 * rules read the very same values when they score a live lead.
 */
export interface CalibrationExample {
  readonly values: Readonly<Record<string, CalibrationValue>>
  /** Reached the outcome (SQL, or won). */
  readonly converted: boolean
}

/** How one field is binned: by its levels, or as a number cut into ranges. */
export interface FeatureSpec {
  readonly field: string
  readonly kind: "categorical" | "numeric"
}

export interface BinningOptions {
  /** Levels seen fewer times than this are pooled into "other". Default: max(10, 0.5% of the leads). */
  readonly minLevelCount?: number
  /** Share of the leads below which a level is pooled. Default 0.005. */
  readonly minLevelShare?: number
  /** Values that mean "not answered" (case-insensitive), besides empty. Default `["Select"]`, the usual form placeholder. */
  readonly missingTokens?: ReadonlyArray<string>
  /** `supervised` (default): ChiMerge from fine quantile bins; `quantile`: equal-frequency bins. */
  readonly numericBinning?: "quantile" | "supervised"
  /** Quantile bins (default 10); for supervised binning, the most bins kept (default 8). */
  readonly numericBins?: number
}

export interface ScorecardOptions extends BinningOptions {
  /** L2 penalty on the bin weights (not the intercept). Default 1. */
  readonly l2?: number
  /** Points that double the odds of converting. Default: the largest that keeps every bin within `pointsRange` (at most 20). */
  readonly pointsToDoubleOdds?: number
  /** The range bin points are kept in. Default [-30, 40]. */
  readonly pointsRange?: readonly [number, number]
  /**
   * Which bin of each field gets 0 points: `most_common` (default) — the typical answer,
   * so rules add or subtract and a typical lead scores about 0; `weakest` — the bin with
   * the lowest weight, so every rule adds points (totals ≥ 0, with a higher threshold).
   */
  readonly reference?: "weakest" | "most_common"
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

const defaultMissing = ["Select"]

const missingSet = (opts: BinningOptions): ReadonlySet<string> =>
  new Set((opts.missingTokens ?? defaultMissing).map((t) => t.toLowerCase()))

const isMissing = (v: CalibrationValue, missing: ReadonlySet<string>): boolean =>
  v === undefined || v === null || v === "" || (typeof v === "string" && missing.has(v.toLowerCase()))

/** The number a condition's `lt`/`gte` reads from a value (the same parsing as `testCondition`). */
const numberOf = (v: CalibrationValue): number | undefined => {
  if (typeof v === "number" && Number.isFinite(v)) return v
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

/** Levels compare as `eq` does: text case-insensitively, other values exactly. */
const levelKey = (v: string | number | boolean): string =>
  typeof v === "string" ? `s:${v.toLowerCase()}` : `${typeof v}:${String(v)}`

/**
 * Decide how each field is binned: numeric when every known value is a number (or
 * numeric text) and there are at least 6 distinct values; categorical otherwise. Fields
 * with fewer than two distinct known values carry no information and are left out.
 */
export const inferFeatures = (
  examples: ReadonlyArray<CalibrationExample>,
  fields?: ReadonlyArray<string>,
  opts: BinningOptions = {}
): Array<FeatureSpec> => {
  const missing = missingSet(opts)
  const names = fields ?? [...new Set(examples.flatMap((e) => Object.keys(e.values)))].sort()
  const out: Array<FeatureSpec> = []
  for (const field of names) {
    const distinct = new Set<string>()
    let allNumeric = true
    for (const e of examples) {
      const v = e.values[field]
      if (isMissing(v, missing)) continue
      distinct.add(levelKey(v as string | number | boolean))
      if (numberOf(v) === undefined) allNumeric = false
    }
    if (distinct.size < 2) continue
    out.push({ field, kind: allNumeric && distinct.size >= 6 ? "numeric" : "categorical" })
  }
  return out
}

// ---------------------------------------------------------------------------
// Binning
// ---------------------------------------------------------------------------

/** One bin of a field: a level, the pooled rare levels, "unknown", or a numeric range. */
export interface Bin {
  readonly kind: "level" | "other" | "missing" | "range"
  /** `Lead Add Form`, `other (12 levels)`, `unknown`, `≥ 3 and < 6`. */
  readonly label: string
  /**
   * The conditions on the field that select this bin, any one of them: one condition,
   * except for "unknown", which is "no value" or a placeholder (`exists: false` or `in: [Select]`).
   */
  readonly when: ReadonlyArray<Condition>
  /** Training leads in the bin and how many converted. */
  readonly leads: number
  readonly converted: number
}

/** A field cut into bins, with what is needed to put a value in its bin. */
export interface BinnedFeature {
  readonly field: string
  readonly kind: "categorical" | "numeric"
  readonly bins: ReadonlyArray<Bin>
  /** The most common bin (the model's own reference; the scorecard's 0-point bin is chosen by `ScorecardOptions.reference`). */
  readonly reference: number
  /** The "unknown" bin, or -1 when unknowns are too few for a bin of their own (they go to the reference). */
  readonly missing: number
  /** Categorical: level key → bin. */
  readonly levels: ReadonlyMap<string, number>
  /** Categorical: the "other" bin, or -1. */
  readonly other: number
  /** Numeric: the lower bound of every range after the first, ascending. */
  readonly cuts: ReadonlyArray<number>
  /** Numeric: the bin of the first range (0). */
  readonly firstRange: number
  readonly missingTokens: ReadonlyArray<string>
}

/**
 * The bin whose rule matches a value when the lead is scored, or -1 when none does: a
 * value too rare for a bin of its own (a rare level with no "other" bin, unknown when
 * unknowns were too few, text in a numeric field). Such values earn 0 points — like the
 * agreement's conditions, a lead we know nothing about earns nothing.
 */
export const ruleBinOf = (f: BinnedFeature, v: CalibrationValue): number => matchBin(f, v, missingOf(f))

/** The bin the model puts a value in: its rule's bin, or the most common bin for the rest. */
export const binOf = (f: BinnedFeature, v: CalibrationValue): number => binOfWith(f, v, missingOf(f))

const missingCache = new WeakMap<BinnedFeature, ReadonlySet<string>>()
const missingOf = (f: BinnedFeature): ReadonlySet<string> => {
  let s = missingCache.get(f)
  if (s === undefined) {
    s = new Set(f.missingTokens.map((t) => t.toLowerCase()))
    missingCache.set(f, s)
  }
  return s
}

const binOfWith = (f: BinnedFeature, v: CalibrationValue, missing: ReadonlySet<string>): number => {
  const b = matchBin(f, v, missing)
  return b < 0 ? f.reference : b
}

const matchBin = (f: BinnedFeature, v: CalibrationValue, missing: ReadonlySet<string>): number => {
  if (isMissing(v, missing)) return f.missing
  if (f.kind === "categorical") {
    const b = f.levels.get(levelKey(v as string | number | boolean))
    if (b !== undefined) return b
    return f.other
  }
  const n = numberOf(v)
  if (n === undefined) return -1
  let i = 0
  while (i < f.cuts.length && n >= f.cuts[i]!) i++
  return f.firstRange + i
}

const fmt = (x: number): string => {
  const r = Math.round(x * 1e6) / 1e6
  return String(r)
}

interface RawLevel {
  readonly value: string | number | boolean
  count: number
  converted: number
  spellings: Map<string | number | boolean, number>
}

const binCategorical = (field: string, examples: ReadonlyArray<CalibrationExample>, opts: BinningOptions, missing: ReadonlySet<string>): BinnedFeature | undefined => {
  const levels = new Map<string, RawLevel>()
  let missingCount = 0
  let missingConverted = 0
  for (const e of examples) {
    const v = e.values[field]
    if (isMissing(v, missing)) {
      missingCount++
      if (e.converted) missingConverted++
      continue
    }
    const value = v as string | number | boolean
    const key = levelKey(value)
    let l = levels.get(key)
    if (l === undefined) {
      l = { value, count: 0, converted: 0, spellings: new Map() }
      levels.set(key, l)
    }
    l.count++
    if (e.converted) l.converted++
    l.spellings.set(value, (l.spellings.get(value) ?? 0) + 1)
  }
  const minCount = Math.max(opts.minLevelCount ?? 10, Math.ceil((opts.minLevelShare ?? 0.005) * examples.length))
  // the most common spelling names the level (eq compares text case-insensitively anyway)
  const named = [...levels.entries()].map(([key, l]) => {
    let best = l.value
    let bestCount = -1
    for (const [s, c] of l.spellings) {
      if (c > bestCount || (c === bestCount && String(s) < String(best))) {
        best = s
        bestCount = c
      }
    }
    return { key, value: best, count: l.count, converted: l.converted }
  })
  named.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const kept = named.filter((l) => l.count >= minCount)
  const pooled = named.filter((l) => l.count < minCount)
  const pooledCount = pooled.reduce((s, l) => s + l.count, 0)
  const tokens = opts.missingTokens ?? defaultMissing
  const bins: Array<Bin> = []
  const index = new Map<string, number>()
  for (const l of kept) {
    index.set(l.key, bins.length)
    bins.push({ kind: "level", label: String(l.value), when: [{ eq: l.value }], leads: l.count, converted: l.converted })
  }
  let other = -1
  if (pooledCount >= minCount) {
    other = bins.length
    for (const l of pooled) index.set(l.key, other)
    bins.push({
      kind: "other",
      label: kept.length === 0 ? `any known value (${pooled.length} levels)` : `other (${pooled.length} level${pooled.length === 1 ? "" : "s"})`,
      when: [kept.length === 0 && tokens.length === 0 ? { exists: true } : { exists: true, notIn: [...kept.map((l) => l.value), ...tokens] }],
      leads: pooledCount,
      converted: pooled.reduce((s, l) => s + l.converted, 0)
    })
  }
  const missingBin = missingCount >= minCount ? bins.length : -1
  if (missingBin >= 0) bins.push(missingBinOf(missingCount, missingConverted, tokens))
  if (bins.length < 2) return undefined
  return { field, kind: "categorical", bins, reference: mostCommon(bins), missing: missingBin, levels: index, other, cuts: [], firstRange: -1, missingTokens: tokens }
}

/** The "unknown" bin: no value, or a placeholder such as `Select`. */
const missingBinOf = (leads: number, converted: number, tokens: ReadonlyArray<string>): Bin => ({
  kind: "missing",
  label: "unknown",
  when: tokens.length === 0 ? [{ exists: false }] : [{ exists: false }, { in: [...tokens] }],
  leads,
  converted
})

const mostCommon = (bins: ReadonlyArray<Bin>): number => bins.reduce((best, b, i) => (b.leads > bins[best]!.leads ? i : best), 0)

/** Equal-frequency cut points (lower bounds of every range after the first) of sorted values. */
const quantileCuts = (sorted: ReadonlyArray<number>, bins: number): Array<number> => {
  const cuts: Array<number> = []
  const n = sorted.length
  for (let q = 1; q < bins; q++) {
    const v = sorted[Math.floor((q * n) / bins)]
    if (v === undefined || v === sorted[0]) continue
    if (cuts.length === 0 || v > cuts[cuts.length - 1]!) cuts.push(v)
  }
  return cuts
}

const chiSquare = (a: { n: number; pos: number }, b: { n: number; pos: number }): number => {
  const n = a.n + b.n
  const pos = a.pos + b.pos
  const neg = n - pos
  if (n === 0 || pos === 0 || neg === 0) return 0
  let chi = 0
  for (const [cnt, p] of [[a.n, a.pos], [b.n, b.pos]] as const) {
    const ePos = (cnt * pos) / n
    const eNeg = (cnt * neg) / n
    if (ePos > 0) chi += (p - ePos) ** 2 / ePos
    if (eNeg > 0) chi += (cnt - p - eNeg) ** 2 / eNeg
  }
  return chi
}

/**
 * ChiMerge: start from fine quantile ranges and merge the adjacent pair whose conversion
 * differs least, while that difference is not significant (χ² < 3.84, p = 0.05), a range
 * holds fewer than `minCount` leads, or there are more than `maxBins` ranges.
 */
const supervisedCuts = (pairs: ReadonlyArray<{ x: number; y: boolean }>, maxBins: number, minCount: number): Array<number> => {
  const sorted = pairs.map((p) => p.x).sort((a, b) => a - b)
  const cuts = quantileCuts(sorted, 20)
  const ranges = [{ lo: Number.NEGATIVE_INFINITY, n: 0, pos: 0 }, ...cuts.map((c) => ({ lo: c, n: 0, pos: 0 }))]
  for (const p of pairs) {
    let i = 0
    while (i < cuts.length && p.x >= cuts[i]!) i++
    ranges[i]!.n++
    if (p.y) ranges[i]!.pos++
  }
  while (ranges.length > 1) {
    let best = -1
    let bestChi = Number.POSITIVE_INFINITY
    for (let i = 0; i + 1 < ranges.length; i++) {
      const chi = chiSquare(ranges[i]!, ranges[i + 1]!)
      if (chi < bestChi) {
        bestChi = chi
        best = i
      }
    }
    const smallest = ranges.reduce((s, r, i) => (r.n < ranges[s]!.n ? i : s), 0)
    let merge: number
    if (bestChi < 3.841) merge = best
    else if (ranges[smallest]!.n < minCount) {
      // merge the small range with the neighbour it differs least from
      const left = smallest > 0 ? chiSquare(ranges[smallest - 1]!, ranges[smallest]!) : Number.POSITIVE_INFINITY
      const right = smallest + 1 < ranges.length ? chiSquare(ranges[smallest]!, ranges[smallest + 1]!) : Number.POSITIVE_INFINITY
      merge = left <= right ? smallest - 1 : smallest
    } else if (ranges.length > maxBins) merge = best
    else break
    const a = ranges[merge]!
    const b = ranges[merge + 1]!
    ranges.splice(merge, 2, { lo: a.lo, n: a.n + b.n, pos: a.pos + b.pos })
  }
  return ranges.slice(1).map((r) => r.lo)
}

const binNumeric = (field: string, examples: ReadonlyArray<CalibrationExample>, opts: BinningOptions, missing: ReadonlySet<string>): BinnedFeature | undefined => {
  const pairs: Array<{ x: number; y: boolean }> = []
  let missingCount = 0
  let missingConverted = 0
  for (const e of examples) {
    const v = e.values[field]
    const n = isMissing(v, missing) ? undefined : numberOf(v)
    if (n === undefined) {
      missingCount++
      if (e.converted) missingConverted++
    } else pairs.push({ x: n, y: e.converted })
  }
  if (pairs.length === 0) return undefined
  const minCount = Math.max(opts.minLevelCount ?? 10, Math.ceil((opts.minLevelShare ?? 0.005) * examples.length))
  const cuts = (opts.numericBinning ?? "supervised") === "quantile"
    ? quantileCuts(pairs.map((p) => p.x).sort((a, b) => a - b), opts.numericBins ?? 10)
    : supervisedCuts(pairs, opts.numericBins ?? 8, minCount)
  const bins: Array<Bin> = []
  const tokens = opts.missingTokens ?? defaultMissing
  const bounds = [Number.NEGATIVE_INFINITY, ...cuts, Number.POSITIVE_INFINITY]
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i]!
    const hi = bounds[i + 1]!
    const inRange = pairs.filter((p) => p.x >= lo && p.x < hi)
    const when: Condition = lo === Number.NEGATIVE_INFINITY
      ? hi === Number.POSITIVE_INFINITY ? { lte: Number.MAX_VALUE } : { lt: hi }
      : hi === Number.POSITIVE_INFINITY ? { gte: lo } : { gte: lo, lt: hi }
    const label = lo === Number.NEGATIVE_INFINITY
      ? hi === Number.POSITIVE_INFINITY ? "any number" : `< ${fmt(hi)}`
      : hi === Number.POSITIVE_INFINITY ? `≥ ${fmt(lo)}` : `≥ ${fmt(lo)} and < ${fmt(hi)}`
    bins.push({ kind: "range", label, when: [when], leads: inRange.length, converted: inRange.filter((p) => p.y).length })
  }
  const missingBin = missingCount >= minCount ? bins.length : -1
  if (missingBin >= 0) bins.push(missingBinOf(missingCount, missingConverted, tokens))
  if (bins.length < 2) return undefined
  return {
    field,
    kind: "numeric",
    bins,
    reference: mostCommon(bins),
    missing: missingBin,
    levels: new Map(),
    other: -1,
    cuts,
    firstRange: 0,
    missingTokens: tokens
  }
}

/**
 * Bin every field on these (training) leads. Fields that end with a single bin (one
 * level, nothing known) are left out.
 */
export const binFeatures = (
  examples: ReadonlyArray<CalibrationExample>,
  specs: ReadonlyArray<FeatureSpec>,
  opts: BinningOptions = {}
): Array<BinnedFeature> => {
  const missing = missingSet(opts)
  return specs.flatMap((s) => {
    const f = s.kind === "numeric" ? binNumeric(s.field, examples, opts, missing) : binCategorical(s.field, examples, opts, missing)
    return f === undefined ? [] : [f]
  })
}

// ---------------------------------------------------------------------------
// Logistic regression
// ---------------------------------------------------------------------------

/** A row of the design matrix: the columns that are not zero and their values. */
export interface SparseRow {
  readonly idx: ReadonlyArray<number>
  readonly val: ReadonlyArray<number>
}

export interface LogisticFit {
  /** Weights by column; column 0 is the intercept. */
  readonly weights: ReadonlyArray<number>
  readonly iterations: number
  readonly converged: boolean
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)))

/** Solve A x = b for a symmetric positive definite A (row-major, p × p) by Cholesky. */
const choleskySolve = (a: Float64Array, b: Float64Array, p: number): Float64Array => {
  const l = new Float64Array(p * p)
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!
      if (i === j) l[i * p + i] = Math.sqrt(Math.max(s, 1e-12))
      else l[i * p + j] = s / l[j * p + j]!
    }
  }
  const y = new Float64Array(p)
  for (let i = 0; i < p; i++) {
    let s = b[i]!
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * y[k]!
    y[i] = s / l[i * p + i]!
  }
  const x = new Float64Array(p)
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!
    x[i] = s / l[i * p + i]!
  }
  return x
}

/**
 * L2-regularised logistic regression by Newton's method (IRLS) with step halving:
 * maximises Σ log-likelihood − (l2 / 2) Σ w² over every column but the intercept
 * (column 0, which every row should include). Deterministic: the same rows give the same
 * weights.
 */
export const fitLogistic = (
  rows: ReadonlyArray<SparseRow>,
  y: ReadonlyArray<boolean>,
  columns: number,
  opts: { readonly l2?: number; readonly maxIterations?: number; readonly tolerance?: number } = {}
): LogisticFit => {
  const p = columns
  const l2 = opts.l2 ?? 1
  const maxIterations = opts.maxIterations ?? 50
  const tolerance = opts.tolerance ?? 1e-8
  let w = new Float64Array(p)
  const objective = (weights: Float64Array): number => {
    let ll = 0
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!
      let z = 0
      for (let k = 0; k < r.idx.length; k++) z += weights[r.idx[k]!]! * r.val[k]!
      // log(1 + e^z) computed stably
      const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))
      ll += (y[i] ? z : 0) - softplus
    }
    let pen = 0
    for (let j = 1; j < p; j++) pen += weights[j]! * weights[j]!
    return ll - (l2 / 2) * pen
  }
  let current = objective(w)
  let iterations = 0
  let converged = false
  while (iterations < maxIterations) {
    iterations++
    const g = new Float64Array(p)
    const h = new Float64Array(p * p)
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!
      let z = 0
      for (let k = 0; k < r.idx.length; k++) z += w[r.idx[k]!]! * r.val[k]!
      const mu = sigmoid(z)
      const resid = (y[i] ? 1 : 0) - mu
      const wt = Math.max(mu * (1 - mu), 1e-12)
      for (let a = 0; a < r.idx.length; a++) {
        const ia = r.idx[a]!
        const va = r.val[a]!
        g[ia] = g[ia]! + resid * va
        for (let b = 0; b <= a; b++) {
          const ib = r.idx[b]!
          const v = wt * va * r.val[b]!
          h[ia * p + ib] = h[ia * p + ib]! + v
          if (ia !== ib) h[ib * p + ia] = h[ib * p + ia]! + v
        }
      }
    }
    for (let j = 1; j < p; j++) {
      g[j] = g[j]! - l2 * w[j]!
      h[j * p + j] = h[j * p + j]! + l2
    }
    h[0] = h[0]! + 1e-9
    const step = choleskySolve(h, g, p)
    let scale = 1
    let next = w
    let value = current
    for (let halving = 0; halving < 30; halving++) {
      const cand = new Float64Array(p)
      for (let j = 0; j < p; j++) cand[j] = w[j]! + scale * step[j]!
      const v = objective(cand)
      if (v >= current - 1e-12) {
        next = cand
        value = v
        break
      }
      scale /= 2
    }
    let maxStep = 0
    for (let j = 0; j < p; j++) maxStep = Math.max(maxStep, Math.abs(next[j]! - w[j]!))
    w = next
    const improvement = value - current
    current = value
    if (maxStep < tolerance || Math.abs(improvement) < tolerance * (1 + Math.abs(current))) {
      converged = true
      break
    }
  }
  return { weights: [...w], iterations, converged }
}

/** The linear predictor (log-odds) of a row. */
export const linearPredictor = (weights: ReadonlyArray<number>, row: SparseRow): number => {
  let z = 0
  for (let k = 0; k < row.idx.length; k++) z += (weights[row.idx[k]!] ?? 0) * row.val[k]!
  return z
}

// ---------------------------------------------------------------------------
// AUC, folds, threshold, bands
// ---------------------------------------------------------------------------

/**
 * The area under the ROC curve: the chance that a converter scores above a
 * non-converter, ties counting half (Mann–Whitney U ÷ n₊n₋). NaN without both classes.
 */
export const auc = (scores: ReadonlyArray<number>, converted: ReadonlyArray<boolean>): number => {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  let rankSumPos = 0
  let pos = 0
  let i = 0
  while (i < order.length) {
    let j = i
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++
    const avgRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (converted[order[k]!]) {
        rankSumPos += avgRank
        pos++
      }
    }
    i = j + 1
  }
  const neg = order.length - pos
  if (pos === 0 || neg === 0) return Number.NaN
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg)
}

/** A small seeded generator (mulberry32): the same seed, the same sequence. */
const seeded = (seed: number): (() => number) => {
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
 * Stratified k-fold assignment: converters and non-converters are each shuffled (seeded)
 * and dealt round-robin, so every fold has the overall conversion rate. Returns the fold
 * (0..k−1) of each lead. The same labels and seed always give the same folds.
 */
export const stratifiedFolds = (converted: ReadonlyArray<boolean>, k: number, seed: number): Array<number> => {
  const rand = seeded(seed)
  const fold = new Array<number>(converted.length).fill(0)
  let next = 0
  for (const cls of [true, false]) {
    const idx = converted.flatMap((c, i) => (c === cls ? [i] : []))
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      const t = idx[i]!
      idx[i] = idx[j]!
      idx[j] = t
    }
    for (const i of idx) {
      fold[i] = next
      next = (next + 1) % k
    }
  }
  return fold
}

/** The MQL line chosen on scores: leads at or above `points` are MQLs. */
export interface ThresholdChoice {
  readonly points: number
  /** How it was chosen: Youden's J = sensitivity + specificity − 1, maximised. */
  readonly method: "youden_j"
  readonly youdenJ: number
  /** Share of converters at or above the line (sensitivity, recall). */
  readonly truePositiveRate: number
  /** Share of non-converters at or above the line. */
  readonly falsePositiveRate: number
  /** Share of the leads at or above the line that converted. */
  readonly precision: number | null
  readonly f1: number | null
  /** Share of all leads at or above the line (how many MQLs it makes). */
  readonly mqlRate: number
}

/**
 * The threshold that best separates converters: the score maximising Youden's J
 * (true-positive rate − false-positive rate), MQL = score ≥ threshold. On a tie the
 * higher threshold wins (fewer MQLs for the same separation).
 */
export const bestThreshold = (scores: ReadonlyArray<number>, converted: ReadonlyArray<boolean>): ThresholdChoice => {
  const pos = converted.filter((c) => c).length
  const neg = converted.length - pos
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!)
  let tp = 0
  let fp = 0
  let best = { points: order.length === 0 ? 0 : scores[order[0]!]! + 1, j: 0, tp: 0, fp: 0 }
  let i = 0
  while (i < order.length) {
    const s = scores[order[i]!]!
    while (i < order.length && scores[order[i]!] === s) {
      if (converted[order[i]!]) tp++
      else fp++
      i++
    }
    const j = (pos === 0 ? 0 : tp / pos) - (neg === 0 ? 0 : fp / neg)
    if (j > best.j + 1e-12) best = { points: s, j, tp, fp }
  }
  const tpr = pos === 0 ? 0 : best.tp / pos
  const fpr = neg === 0 ? 0 : best.fp / neg
  const precision = best.tp + best.fp === 0 ? null : best.tp / (best.tp + best.fp)
  const f1 = precision === null || precision + tpr === 0 ? null : (2 * precision * tpr) / (precision + tpr)
  return {
    points: best.points,
    method: "youden_j",
    youdenJ: best.j,
    truePositiveRate: tpr,
    falsePositiveRate: fpr,
    precision,
    f1,
    mqlRate: converted.length === 0 ? 0 : (best.tp + best.fp) / converted.length
  }
}

/** Conversion of the leads scoring `from` ≤ score < `to`. */
export interface ScoreBand {
  readonly from: number
  readonly to: number
  readonly leads: number
  readonly converted: number
  readonly rate: number | null
  /** The whole band is at or above the threshold. */
  readonly aboveThreshold: boolean
}

/**
 * Conversion by score band. The width (unless given) is the smallest of 1, 2, 5, 10, 20,
 * 25, 50, 100 that gives at most 12 bands.
 */
export const scoreBands = (
  scores: ReadonlyArray<number>,
  converted: ReadonlyArray<boolean>,
  opts: { readonly threshold: number; readonly width?: number }
): Array<ScoreBand> => {
  if (scores.length === 0) return []
  const lo = Math.min(...scores)
  const hi = Math.max(...scores)
  const width = opts.width ??
    [1, 2, 5, 10, 20, 25, 50, 100].find((w) => Math.floor(hi / w) - Math.floor(lo / w) + 1 <= 12) ??
    Math.ceil((hi - lo + 1) / 12)
  const bands = new Map<number, { leads: number; converted: number }>()
  scores.forEach((s, i) => {
    const from = Math.floor(s / width) * width
    const b = bands.get(from) ?? { leads: 0, converted: 0 }
    b.leads++
    if (converted[i]) b.converted++
    bands.set(from, b)
  })
  return [...bands.entries()].sort(([a], [b]) => a - b).map(([from, b]) => ({
    from,
    to: from + width,
    leads: b.leads,
    converted: b.converted,
    rate: b.leads === 0 ? null : b.converted / b.leads,
    aboveThreshold: from >= opts.threshold
  }))
}

// ---------------------------------------------------------------------------
// Design matrices
// ---------------------------------------------------------------------------

/** Column offsets of the binned design: column 0 the intercept, then one per bin of each field. */
const binnedLayout = (features: ReadonlyArray<BinnedFeature>) => {
  const offsets: Array<number> = []
  let next = 1
  for (const f of features) {
    offsets.push(next)
    next += f.bins.length
  }
  return { offsets, columns: next }
}

const binnedRows = (features: ReadonlyArray<BinnedFeature>, examples: ReadonlyArray<CalibrationExample>): { rows: Array<SparseRow>; columns: number } => {
  const { columns, offsets } = binnedLayout(features)
  const missing = features.map((f) => new Set(f.missingTokens.map((t) => t.toLowerCase())))
  const rows = examples.map((e) => {
    const idx = [0]
    features.forEach((f, k) => idx.push(offsets[k]! + binOfWith(f, e.values[f.field], missing[k]!)))
    return { idx, val: idx.map(() => 1) }
  })
  return { rows, columns }
}

/**
 * The "plain" design, for comparison: categorical fields as their levels (rare pooled,
 * unknown its own level), numeric fields as one standardized column (unknown: the mean,
 * plus an unknown indicator).
 */
const rawDesign = (specs: ReadonlyArray<FeatureSpec>, train: ReadonlyArray<CalibrationExample>, opts: BinningOptions) => {
  const missing = missingSet(opts)
  const cats = binFeatures(train, specs.filter((s) => s.kind === "categorical"), opts)
  const nums = specs.filter((s) => s.kind === "numeric").flatMap((s) => {
    const xs = train.flatMap((e) => {
      const v = e.values[s.field]
      const n = isMissing(v, missing) ? undefined : numberOf(v)
      return n === undefined ? [] : [n]
    })
    if (xs.length === 0) return []
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) || 1
    return [{ field: s.field, mean, sd, hasMissing: xs.length < train.length }]
  })
  const { columns: catColumns, offsets } = binnedLayout(cats)
  let next = catColumns
  const numCols = nums.map((n) => {
    const value = next++
    const unknown = n.hasMissing ? next++ : -1
    return { ...n, value, unknown }
  })
  const rowOf = (e: CalibrationExample): SparseRow => {
    const idx = [0]
    const val = [1]
    cats.forEach((f, k) => {
      idx.push(offsets[k]! + binOfWith(f, e.values[f.field], missing))
      val.push(1)
    })
    for (const n of numCols) {
      const v = e.values[n.field]
      const x = isMissing(v, missing) ? undefined : numberOf(v)
      if (x === undefined) {
        if (n.unknown >= 0) {
          idx.push(n.unknown)
          val.push(1)
        }
      } else {
        idx.push(n.value)
        val.push((x - n.mean) / n.sd)
      }
    }
    return { idx, val }
  }
  return { columns: next, rowOf }
}

// ---------------------------------------------------------------------------
// The scorecard
// ---------------------------------------------------------------------------

/** One bin of the scorecard table, with its points (0 for the reference). */
export interface ScorecardRow {
  /** The fit rule id (`lead-origin-lead-add-form`); also given for 0-point rows, which need no rule. */
  readonly id: string
  readonly field: string
  readonly bin: string
  readonly kind: Bin["kind"]
  /** The bin's conditions (any one), as in `Bin.when`. */
  readonly when: ReadonlyArray<Condition>
  /** `fields.lead_origin = Lead Add Form`. */
  readonly condition: string
  readonly points: number
  /** The model's log-odds weight relative to the reference bin. */
  readonly weight: number
  readonly reference: boolean
  readonly leads: number
  readonly converted: number
  readonly rate: number | null
}

export interface Scorecard {
  readonly features: ReadonlyArray<BinnedFeature>
  /** Every bin of every field, field by field. */
  readonly table: ReadonlyArray<ScorecardRow>
  /** The bins with non-zero points, as fit rules in the agreement's format. */
  readonly rules: ReadonlyArray<FitRule>
  /** Every this many points double the odds of converting. */
  readonly pointsToDoubleOdds: number
  /** The model's log-odds of converting for a lead at 0 points (every field at its reference). */
  readonly logOddsAtZero: number
  /** The suggested MQL line on these points (Youden's J on the leads it was fitted on). */
  readonly threshold: ThresholdChoice
  /** In-sample AUC of the float model and of the integer points. */
  readonly auc: { readonly model: number; readonly points: number }
  /** Conversion by band of points, on the leads it was fitted on. */
  readonly bands: ReadonlyArray<ScoreBand>
  readonly leads: number
  readonly converted: number
  readonly model: { readonly iterations: number; readonly converged: boolean; readonly l2: number }
}

const slug = (s: string): string =>
  s.toLowerCase().replace(/(\d)\.(\d)/g, "$1p$2").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "")

/** A field's part of a rule id: at most 24 characters, cut at a word. */
const shortSlug = (field: string): string => {
  const full = slug(field) || "field"
  if (full.length <= 24) return full
  const cut = full.slice(0, 25)
  const at = cut.lastIndexOf("-")
  return at > 8 ? cut.slice(0, at) : full.slice(0, 24)
}

const binSlug = (b: Bin): string => {
  if (b.kind === "missing") return "unknown"
  if (b.kind === "other") return "other"
  if (b.kind === "level") return slug(String(b.when[0]?.eq ?? b.label)) || "level"
  const c = b.when[0] ?? {}
  const n = (x: number) => slug(fmt(x).replace(/^-/, "minus-"))
  if (c.gte !== undefined && c.lt !== undefined) return `${n(c.gte)}-to-${n(c.lt)}`
  if (c.gte !== undefined) return `${n(c.gte)}-plus`
  if (c.lt !== undefined) return `under-${n(c.lt)}`
  return "any"
}

const conditionText = (field: string, b: Bin): string => {
  if (b.kind === "missing") {
    const tokens = b.when.flatMap((c) => c.in ?? [])
    return `${field} unknown${tokens.length === 0 ? "" : ` (or ${tokens.join(", ")})`}`
  }
  return b.when.map((c) => conditionLine(field, c)).join(" or ")
}

/** `describeCondition`, with a range written low bound first: `visits ≥ 3 and < 6`. */
const conditionLine = (field: string, c: Condition): string =>
  c.gte !== undefined && c.lt !== undefined && Object.keys(c).length === 2 ? `${field} ≥ ${fmt(c.gte)} and < ${fmt(c.lt)}` : describeCondition(field, c)

/** A bin as a fit rule's conditions: `when` for one condition, `anyOf` for alternatives. */
const ruleConditions = (field: string, b: Bin): Pick<FitRule, "when" | "anyOf"> => {
  const [first, ...more] = b.when
  if (first === undefined) return { when: {} }
  if (more.length === 0) return { when: { [field]: first } }
  return { when: {}, anyOf: [{ [field]: first }, ...more.map((c) => ({ [field]: c }))] }
}

/**
 * The points a lead gets from the scorecard: the sum of the points of the bins whose
 * rules match it — exactly what the agreement's fit rules give (`rulesPoints`).
 */
export const scorecardPoints = (card: Pick<Scorecard, "features" | "table">, values: Readonly<Record<string, CalibrationValue>>): number => {
  let total = 0
  let row = 0
  for (const f of card.features) {
    const b = ruleBinOf(f, values[f.field])
    if (b >= 0) total += card.table[row + b]!.points
    row += f.bins.length
  }
  return total
}

interface FittedModel {
  readonly features: ReadonlyArray<BinnedFeature>
  readonly fit: LogisticFit
  /** Log-odds weight of each bin relative to its field's reference, field by field. */
  readonly relative: ReadonlyArray<ReadonlyArray<number>>
  readonly logOddsAtZero: number
}

const fitBinned = (examples: ReadonlyArray<CalibrationExample>, specs: ReadonlyArray<FeatureSpec>, opts: ScorecardOptions): FittedModel => {
  const features = binFeatures(examples, specs, opts)
  const { columns, rows } = binnedRows(features, examples)
  const fit = fitLogistic(rows, examples.map((e) => e.converted), columns, { l2: opts.l2 ?? 1 })
  const { offsets } = binnedLayout(features)
  let logOddsAtZero = fit.weights[0]!
  const relative = features.map((f, k) => {
    const ref = fit.weights[offsets[k]! + f.reference]!
    logOddsAtZero += ref
    return f.bins.map((_, b) => fit.weights[offsets[k]! + b]! - ref)
  })
  return { features, fit, relative, logOddsAtZero }
}

/** Float model score (log-odds relative to 0 points) of a lead. */
const modelScore = (m: FittedModel, values: Readonly<Record<string, CalibrationValue>>): number => {
  let z = 0
  m.features.forEach((f, k) => {
    z += m.relative[k]![binOf(f, values[f.field])]!
  })
  return z
}

const pointsScale = (relative: ReadonlyArray<ReadonlyArray<number>>, opts: ScorecardOptions): number => {
  const [lo, hi] = opts.pointsRange ?? [-30, 40]
  if (opts.pointsToDoubleOdds !== undefined) return opts.pointsToDoubleOdds
  let maxPos = 0
  let maxNeg = 0
  for (const ws of relative) {
    for (const w of ws) {
      maxPos = Math.max(maxPos, w)
      maxNeg = Math.min(maxNeg, w)
    }
  }
  let factor = Number.POSITIVE_INFINITY
  if (maxPos > 0) factor = Math.min(factor, hi / maxPos)
  if (maxNeg < 0) factor = Math.min(factor, lo / maxNeg)
  const pdo = Math.floor(factor * Math.LN2 * 10) / 10
  return Math.min(20, Math.max(1, Number.isFinite(pdo) ? pdo : 20))
}

/**
 * Fit the scorecard on leads with known outcomes: bin the fields (`specs`, default
 * `inferFeatures`), fit the L2 logistic regression, and turn each bin's weight into
 * integer points: `round(weight × PDO / ln 2)`, relative to the field's 0-point bin (its
 * most common bin by default), kept within `pointsRange`. PDO (points to double the odds) is,
 * unless given, the largest that keeps every bin in the range (at most 20). Bins with
 * non-zero points become fit rules (`{ id, description, when: { <field>: <condition> },
 * points }`; "unknown" uses `anyOf` for "no value, or a placeholder"). The suggested MQL
 * threshold maximises Youden's J on these leads.
 */
export const fitScorecard = (
  examples: ReadonlyArray<CalibrationExample>,
  specs?: ReadonlyArray<FeatureSpec>,
  opts: ScorecardOptions = {}
): Scorecard => {
  const m = fitBinned(examples, specs ?? inferFeatures(examples, undefined, opts), opts)
  // the 0-point bin of each field, and every bin's weight relative to it
  const zero = m.features.map((f, k) =>
    opts.reference !== "weakest" ? f.reference : m.relative[k]!.reduce((best, w, i, ws) => (w < ws[best]! ? i : best), 0))
  const relative = m.relative.map((ws, k) => ws.map((w) => w - ws[zero[k]!]!))
  const logOddsAtZero = m.relative.reduce((sum, ws, k) => sum + ws[zero[k]!]!, m.logOddsAtZero)
  const pdo = pointsScale(relative, opts)
  const factor = pdo / Math.LN2
  const [lo, hi] = opts.pointsRange ?? [-30, 40]
  const usedIds = new Set<string>()
  const table: Array<ScorecardRow> = []
  const rules: Array<FitRule> = []
  m.features.forEach((f, k) => {
    const fieldSlug = shortSlug(f.field.replace(/^fields\./, ""))
    const ref = f.bins[zero[k]!]!
    f.bins.forEach((b, i) => {
      const weight = relative[k]![i]!
      const points = i === zero[k] ? 0 : Math.min(hi, Math.max(lo, Math.round(weight * factor))) || 0
      let id = `${fieldSlug}-${binSlug(b)}`
      for (let n = 2; usedIds.has(id); n++) id = `${fieldSlug}-${binSlug(b)}-${n}`
      usedIds.add(id)
      const rate = b.leads === 0 ? null : b.converted / b.leads
      const condition = conditionText(f.field, b)
      table.push({
        id, field: f.field, bin: b.label, kind: b.kind, when: b.when, condition, points, weight,
        reference: i === zero[k], leads: b.leads, converted: b.converted, rate
      })
      if (points !== 0 && b.when.length > 0) {
        const pct = rate === null ? "n/a" : `${Math.round(rate * 1000) / 10}%`
        rules.push({
          id,
          description: `calibrated: ${b.converted} of ${b.leads} converted (${pct}); 0 points: ${conditionText(f.field, ref)}`,
          ...ruleConditions(f.field, b),
          points
        })
      }
    })
  })
  const card = { features: m.features, table }
  const converted = examples.map((e) => e.converted)
  const points = examples.map((e) => scorecardPoints(card, e.values))
  const floats = examples.map((e) => modelScore(m, e.values))
  const threshold = bestThreshold(points, converted)
  return {
    features: m.features,
    table,
    rules,
    pointsToDoubleOdds: pdo,
    logOddsAtZero,
    threshold,
    auc: { model: auc(floats, converted), points: auc(points, converted) },
    bands: scoreBands(points, converted, { threshold: threshold.points }),
    leads: examples.length,
    converted: converted.filter((c) => c).length,
    model: { iterations: m.fit.iterations, converged: m.fit.converged, l2: opts.l2 ?? 1 }
  }
}

/** The chance of converting the scorecard gives a lead with these points. */
export const conversionChance = (card: Pick<Scorecard, "logOddsAtZero" | "pointsToDoubleOdds">, points: number): number =>
  sigmoid(card.logOddsAtZero + (points * Math.LN2) / card.pointsToDoubleOdds)

// ---------------------------------------------------------------------------
// Cross-validation
// ---------------------------------------------------------------------------

export interface FoldAucs {
  /** Mean of the folds' AUCs. */
  readonly mean: number
  readonly byFold: ReadonlyArray<number>
}

export interface CrossValidation {
  readonly folds: number
  readonly seed: number
  /** Plain logistic regression: levels for categories, numbers as they are (standardized). */
  readonly raw: FoldAucs
  /** The binned model with float weights. */
  readonly binned: FoldAucs
  /** The integer points table. */
  readonly scorecard: FoldAucs
}

/**
 * Stratified k-fold cross-validated AUC (default 5 folds, seed 1) of the plain logistic
 * regression, the binned model and the integer scorecard. Everything — levels, bins,
 * weights, points — is refitted on each training part and scored on the held-out fold,
 * so no held-out outcome leaks into what scores it.
 */
export const crossValidate = (
  examples: ReadonlyArray<CalibrationExample>,
  specs?: ReadonlyArray<FeatureSpec>,
  opts: ScorecardOptions & { readonly folds?: number; readonly seed?: number } = {}
): CrossValidation => {
  const k = opts.folds ?? 5
  const seed = opts.seed ?? 1
  const features = specs ?? inferFeatures(examples, undefined, opts)
  const converted = examples.map((e) => e.converted)
  const fold = stratifiedFolds(converted, k, seed)
  const raw: Array<number> = []
  const binned: Array<number> = []
  const points: Array<number> = []
  for (let f = 0; f < k; f++) {
    const train = examples.filter((_, i) => fold[i] !== f)
    const test = examples.filter((_, i) => fold[i] === f)
    const testY = test.map((e) => e.converted)
    const design = rawDesign(features, train, opts)
    const rawFit = fitLogistic(train.map(design.rowOf), train.map((e) => e.converted), design.columns, { l2: opts.l2 ?? 1 })
    raw.push(auc(test.map((e) => linearPredictor(rawFit.weights, design.rowOf(e))), testY))
    const m = fitBinned(train, features, opts)
    binned.push(auc(test.map((e) => modelScore(m, e.values)), testY))
    const card = fitScorecard(train, features, opts)
    points.push(auc(test.map((e) => scorecardPoints(card, e.values)), testY))
  }
  const summary = (xs: Array<number>): FoldAucs => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, byFold: xs })
  return { folds: k, seed, raw: summary(raw), binned: summary(binned), scorecard: summary(points) }
}

// ---------------------------------------------------------------------------
// The suggested change to the agreement
// ---------------------------------------------------------------------------

export interface ScorecardDiff {
  readonly mqlThreshold: { readonly before: number; readonly after: number }
  /** Lowered to the new threshold when it was above it (else a lead the scorecard makes an MQL would fail the fit gate). */
  readonly minFit: { readonly before: number; readonly after: number }
  /** New rules (ids not in the current fit rules). */
  readonly added: ReadonlyArray<FitRule>
  /** Current rules the scorecard replaces. */
  readonly removed: ReadonlyArray<FitRule>
  /** Rules whose id stays but whose condition or points change. */
  readonly changed: ReadonlyArray<{ readonly before: FitRule; readonly after: FitRule }>
  /** Current disqualifiers (the ICP gate), kept as they are. */
  readonly kept: ReadonlyArray<FitRule>
  /** The diff, one line per rule: `- old`, `+ new`, `~ changed`, `= kept`. */
  readonly text: string
  /** The new `scoring.mqlThreshold` and `scoring.fit` as a YAML fragment to paste into the agreement. */
  readonly yaml: string
  /** The whole proposed agreement. */
  readonly agreement: Agreement
}

const ruleLine = (r: FitRule): string => {
  const all = Object.entries(r.when).map(([k, c]) => conditionLine(k, c)).join(" and ")
  const alt = r.anyOf === undefined ? "" : r.anyOf.map((p) => Object.entries(p).map(([k, c]) => conditionLine(k, c)).join(" and ")).join(" or ")
  const when = [all, alt === "" ? "" : r.anyOf!.length > 1 && all !== "" ? `(${alt})` : alt].filter((x) => x !== "").join(" and ")
  const pts = r.points > 0 ? `+${r.points}` : String(r.points)
  return `${r.id}: ${when === "" ? "every lead" : when} → ${pts}${r.disqualify === undefined ? "" : ` (disqualifies: ${r.disqualify})`}`
}

const plainYaml = /^[A-Za-z_][A-Za-z0-9 _.-]*$/
const yamlReserved = /^(y|n|yes|no|true|false|on|off|null|~)$/i
const yamlScalar = (v: unknown): string => {
  if (typeof v === "number" || typeof v === "boolean") return String(v)
  if (typeof v === "string") return plainYaml.test(v) && !yamlReserved.test(v) && v.trim() === v ? v : JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(yamlScalar).join(", ")}]`
  if (v !== null && typeof v === "object") {
    return `{ ${Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).map(([k, x]) => `${plainYaml.test(k) && !k.includes(" ") ? k : JSON.stringify(k)}: ${yamlScalar(x)}`).join(", ")} }`
  }
  return "null"
}

const sameRule = (a: FitRule, b: FitRule): boolean =>
  a.points === b.points && JSON.stringify(a.when) === JSON.stringify(b.when) && a.disqualify === b.disqualify &&
  JSON.stringify(a.anyOf ?? null) === JSON.stringify(b.anyOf ?? null)

/**
 * The change the scorecard suggests to the agreement: `scoring.fit` becomes the current
 * disqualifiers (kept: the ICP gate is policy, not a fitted weight) followed by the
 * scorecard's rules, `scoring.mqlThreshold` becomes its threshold, and `minFit` is
 * lowered to it when it was above. Intent rules and everything else stay; since the
 * threshold was fitted on fit points alone, intent points only add to it.
 */
export const suggestDiff = (current: Agreement, card: Pick<Scorecard, "rules" | "threshold" | "pointsToDoubleOdds">): ScorecardDiff => {
  const kept = current.scoring.fit.filter((r) => r.disqualify !== undefined)
  const keptIds = new Set(kept.map((r) => r.id))
  const proposedRules = card.rules.map((r) => (keptIds.has(r.id) ? { ...r, id: `${r.id}-calibrated` } : r))
  const byId = new Map(current.scoring.fit.map((r) => [r.id, r] as const))
  const newIds = new Set(proposedRules.map((r) => r.id))
  const added = proposedRules.filter((r) => !byId.has(r.id))
  const changed = proposedRules.flatMap((r) => {
    const before = byId.get(r.id)
    return before !== undefined && !sameRule(before, r) ? [{ before, after: r }] : []
  })
  const removed = current.scoring.fit.filter((r) => r.disqualify === undefined && !newIds.has(r.id))
  const before = current.scoring.mqlThreshold
  const after = card.threshold.points
  const minFit = { before: current.scoring.minFit, after: Math.min(current.scoring.minFit, after) }
  const fit = [...kept, ...proposedRules]
  const agreement: Agreement = { ...current, scoring: { ...current.scoring, fit, mqlThreshold: after, minFit: minFit.after } }
  const lines = [
    `scoring.mqlThreshold: ${before} → ${after}${before === after ? " (unchanged)" : ""}`,
    ...(minFit.after === minFit.before ? [] : [`scoring.minFit: ${minFit.before} → ${minFit.after} (the fit gate may not sit above the MQL line)`]),
    `scoring.fit: ${removed.length} removed, ${added.length} added, ${changed.length} changed, ${kept.length} disqualifier(s) kept (every ${card.pointsToDoubleOdds} points double the odds of converting)`,
    ...removed.map((r) => `  - ${ruleLine(r)}`),
    ...changed.map((c) => `  ~ ${ruleLine(c.before)}  ⇒  ${ruleLine(c.after)}`),
    ...added.map((r) => `  + ${ruleLine(r)}`),
    ...kept.map((r) => `  = ${ruleLine(r)}`),
    `  Intent rules are unchanged and add to the fitted points; the threshold was fitted on fit points alone.`
  ]
  const yaml = [
    "scoring:",
    `  mqlThreshold: ${after}`,
    ...(minFit.after === minFit.before ? [] : [`  minFit: ${minFit.after}`]),
    "  fit:",
    ...fit.map((r) => `    - ${yamlScalar({ id: r.id, description: r.description, when: r.when, anyOf: r.anyOf, points: r.points, disqualify: r.disqualify })}`)
  ].join("\n")
  return { mqlThreshold: { before, after }, minFit, added, removed, changed, kept, text: lines.join("\n"), yaml, agreement }
}

/** Do the scorecard's rules, read as the agreement reads them, give these values `points`? (For tests and checks.) */
export const rulesPoints = (rules: ReadonlyArray<FitRule>, values: Readonly<Record<string, CalibrationValue>>): number => {
  const lookup = (n: string) => values[n]
  return rules.reduce((sum, r) =>
    testPredicate(r.when, lookup) && (r.anyOf === undefined || r.anyOf.length === 0 || r.anyOf.some((p) => testPredicate(p, lookup))) ? sum + r.points : sum, 0)
}
