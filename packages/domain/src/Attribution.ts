/**
 * Multi-touch attribution: who gets credit for the conversions (MQLs, opportunities,
 * closed-won deals) that a set of marketing touches produced.
 *
 * The agreement writes the credit split once (first touch, last touch, linear,
 * U-shaped 40/20/40, W-shaped 30/30/30 + 10, time decay with a half-life, or custom
 * position weights); the weekly report shows it beside the other models and beside a
 * data-driven first-order Markov-chain model (removal effect), the definition used by
 * the R/Python package ChannelAttribution and by eeghor/mta.
 *
 * Input is a list of conversion paths: an ordered sequence of touches (oldest first,
 * the touch just before the conversion last), how many journeys along that path
 * converted, their total value, and how many did not convert (`nulls`, only used by the
 * Markov model). Everything here is pure: no clock, no I/O.
 *
 * Invariant of every model: each path's conversions and value are split over the
 * channels without loss, so the credits of a result always add up to the paths'
 * total conversions and total value.
 */
import { Data, Either, Schema } from "effect"

// ---------------------------------------------------------------------------
// Input shapes
// ---------------------------------------------------------------------------

const NonNegative = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())

/** A funnel milestone a touch created: the lead (W-shaped "lead creation") or the opportunity. */
export const TouchMilestone = Schema.Literal("lead", "opportunity")
export type TouchMilestone = typeof TouchMilestone.Type

/** One marketing touch on a buyer's journey (a channel, optionally a campaign within it). */
export const Touch = Schema.Struct({
  channel: Schema.String,
  campaign: Schema.optional(Schema.String),
  /** When the touch happened; used by the time-decay model. */
  at: Schema.optional(Schema.DateFromSelf),
  /** The touch that created the lead or the opportunity (W-shaped and custom models). */
  milestone: Schema.optional(TouchMilestone)
})
export type Touch = typeof Touch.Type

/**
 * A path of touches, oldest first, with the journeys that followed it: `conversions`
 * converted (bringing `value` in total), `nulls` did not convert (Markov model only).
 * Conversions may be fractional (weighted journeys).
 */
export const ConversionPath = Schema.Struct({
  touches: Schema.Array(Touch),
  conversions: NonNegative,
  value: NonNegative,
  nulls: Schema.optional(NonNegative)
})
export type ConversionPath = typeof ConversionPath.Type

/** Every attribution model Handoff computes. `markov` is the data-driven comparison model. */
export const AttributionModel = Schema.Literal(
  "first_touch",
  "last_touch",
  "linear",
  "u_shaped",
  "w_shaped",
  "time_decay",
  "custom",
  "markov"
)
export type AttributionModel = typeof AttributionModel.Type

/** The models in report order (the comparison table's columns). */
export const attributionModels: ReadonlyArray<AttributionModel> = AttributionModel.literals

/** Weights of the custom position-based model (relative; normalized per path). */
export const CustomWeights = Schema.Struct({
  first: NonNegative,
  lead: NonNegative,
  opportunity: NonNegative,
  last: NonNegative,
  middle: NonNegative
})
export type CustomWeights = typeof CustomWeights.Type

/**
 * How to split the credit. `halfLife` (milliseconds, default 7 days) drives the
 * time-decay model when every touch of a path has an `at`; paths with an undated touch
 * fall back to counting steps back from the conversion, with `halfLifeTouches` (default
 * 1) as the half-life in touches. `custom` is required by the custom model.
 */
export const AttributionSettings = Schema.Struct({
  model: AttributionModel,
  halfLife: Schema.optional(Schema.Number.pipe(Schema.finite(), Schema.positive())),
  halfLifeTouches: Schema.optional(Schema.Number.pipe(Schema.finite(), Schema.positive())),
  custom: Schema.optional(CustomWeights)
})
export type AttributionSettings = typeof AttributionSettings.Type

/** Default time-decay half-life: 7 days, in milliseconds. */
export const defaultHalfLifeMs = 7 * 24 * 60 * 60 * 1000
/** Default half-life, in touches, when a path's touches carry no timestamps. */
export const defaultHalfLifeTouches = 1

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/** Credit of one channel: a share of the conversions and the same share of the value. */
export const ChannelCredit = Schema.Struct({
  channel: Schema.String,
  conversions: Schema.Number,
  value: Schema.Number
})
export type ChannelCredit = typeof ChannelCredit.Type

/** Credit of one campaign within a channel (touches without a campaign omit `campaign`). */
export const CampaignCredit = Schema.Struct({
  channel: Schema.String,
  campaign: Schema.optional(Schema.String),
  conversions: Schema.Number,
  value: Schema.Number
})
export type CampaignCredit = typeof CampaignCredit.Type

/** Markov removal effect of a channel: the share of conversions lost if it disappeared. */
export const RemovalEffect = Schema.Struct({
  channel: Schema.String,
  removalEffect: Schema.Number
})
export type RemovalEffect = typeof RemovalEffect.Type

/**
 * The credit split under one model. `byChannel` and `byCampaign` are sorted by channel
 * (then campaign) name. Position-based models fill `byCampaign`; the Markov model works
 * at channel level and fills `removalEffects` and `conversionProbability` instead.
 */
export const AttributionResult = Schema.Struct({
  model: AttributionModel,
  byChannel: Schema.Array(ChannelCredit),
  byCampaign: Schema.optional(Schema.Array(CampaignCredit)),
  removalEffects: Schema.optional(Schema.Array(RemovalEffect)),
  conversionProbability: Schema.optional(Schema.Number),
  totals: Schema.Struct({ conversions: Schema.Number, value: Schema.Number })
})
export type AttributionResult = typeof AttributionResult.Type

/** Why the attribution input was refused. `pathIndex` points at the offending path. */
export class AttributionInputError extends Data.TaggedError("AttributionInputError")<{
  readonly reason:
    | "negative_count"
    | "not_finite"
    | "invalid_date"
    | "empty_path"
    | "invalid_half_life"
    | "missing_custom_weights"
    | "invalid_custom_weights"
  readonly message: string
  readonly pathIndex?: number
}> {}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

const checkCount = (name: string, x: number, pathIndex: number): AttributionInputError | undefined => {
  if (!Number.isFinite(x)) {
    return new AttributionInputError({ reason: "not_finite", message: `path ${pathIndex}: ${name} must be a finite number, got ${x}`, pathIndex })
  }
  if (x < 0) {
    return new AttributionInputError({ reason: "negative_count", message: `path ${pathIndex}: ${name} must not be negative, got ${x}`, pathIndex })
  }
  return undefined
}

const validatePaths = (paths: ReadonlyArray<ConversionPath>): AttributionInputError | undefined => {
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i]!
    const bad = checkCount("conversions", p.conversions, i) ?? checkCount("value", p.value, i) ??
      (p.nulls === undefined ? undefined : checkCount("nulls", p.nulls, i))
    if (bad) return bad
    if (p.touches.length === 0 && (p.conversions > 0 || p.value > 0)) {
      return new AttributionInputError({
        reason: "empty_path",
        message: `path ${i}: ${p.conversions} conversion(s) worth ${p.value} have no touch to credit`,
        pathIndex: i
      })
    }
    for (const t of p.touches) {
      if (t.at !== undefined && Number.isNaN(t.at.getTime())) {
        return new AttributionInputError({ reason: "invalid_date", message: `path ${i}: a "${t.channel}" touch has an invalid date`, pathIndex: i })
      }
    }
  }
  return undefined
}

const validateSettings = (settings: AttributionSettings): AttributionInputError | undefined => {
  for (const [name, hl] of [["halfLife", settings.halfLife], ["halfLifeTouches", settings.halfLifeTouches]] as const) {
    if (hl !== undefined && !(Number.isFinite(hl) && hl > 0)) {
      return new AttributionInputError({ reason: "invalid_half_life", message: `${name} must be a positive number, got ${hl}` })
    }
  }
  if (settings.model === "custom") {
    const w = settings.custom
    if (w === undefined) {
      return new AttributionInputError({ reason: "missing_custom_weights", message: "the custom model needs weights for first, lead, opportunity, last and middle touches" })
    }
    const values = [w.first, w.lead, w.opportunity, w.last, w.middle]
    if (values.some((x) => !Number.isFinite(x) || x < 0) || values.every((x) => x === 0)) {
      return new AttributionInputError({ reason: "invalid_custom_weights", message: "custom weights must be finite, non-negative and not all zero" })
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------
// Position-based models: credit fraction per touch of one path
// ---------------------------------------------------------------------------

const normalize = (w: Array<number>): Array<number> => {
  const sum = w.reduce((a, b) => a + b, 0)
  return sum > 0 ? w.map((x) => x / sum) : w.map(() => 1 / w.length)
}

/** Index of the lead-creation touch (first touch marked "lead"; default: the first touch). */
const leadIndex = (touches: ReadonlyArray<Touch>): number => {
  const i = touches.findIndex((t) => t.milestone === "lead")
  return i >= 0 ? i : 0
}

/** Index of the opportunity-creation touch (first touch marked "opportunity"; default: the last touch). */
const opportunityIndex = (touches: ReadonlyArray<Touch>): number => {
  const i = touches.findIndex((t) => t.milestone === "opportunity")
  return i >= 0 ? i : touches.length - 1
}

const wShaped = (touches: ReadonlyArray<Touch>): Array<number> => {
  const n = touches.length
  const w = new Array<number>(n).fill(0)
  const milestones = [0, leadIndex(touches), opportunityIndex(touches)]
  for (const i of milestones) w[i] = w[i]! + 0.3
  const others = w.map((_, i) => i).filter((i) => !milestones.includes(i))
  if (others.length > 0) for (const i of others) w[i] = w[i]! + 0.1 / others.length
  else for (const i of milestones) w[i] = w[i]! + 0.1 / 3
  return w
}

const uShaped = (n: number): Array<number> => {
  if (n === 1) return [1]
  if (n === 2) return [0.5, 0.5]
  return Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 0.4 : 0.2 / (n - 2)))
}

const timeDecay = (touches: ReadonlyArray<Touch>, settings: AttributionSettings): Array<number> => {
  const n = touches.length
  const times = touches.map((t) => t.at?.getTime())
  if (times.every((t): t is number => t !== undefined)) {
    const conversionAt = Math.max(...times)
    const halfLife = settings.halfLife ?? defaultHalfLifeMs
    return times.map((t) => Math.pow(2, -(conversionAt - t) / halfLife))
  }
  const halfLife = settings.halfLifeTouches ?? defaultHalfLifeTouches
  return touches.map((_, i) => Math.pow(2, -(n - 1 - i) / halfLife))
}

const custom = (touches: ReadonlyArray<Touch>, weights: CustomWeights): Array<number> => {
  const n = touches.length
  const w = new Array<number>(n).fill(0)
  const lead = leadIndex(touches)
  const opportunity = opportunityIndex(touches)
  w[0] = w[0]! + weights.first
  w[lead] = w[lead]! + weights.lead
  w[opportunity] = w[opportunity]! + weights.opportunity
  w[n - 1] = w[n - 1]! + weights.last
  const named = [0, lead, opportunity, n - 1]
  const middle = w.map((_, i) => i).filter((i) => !named.includes(i))
  for (const i of middle) w[i] = w[i]! + weights.middle / middle.length
  return w
}

/**
 * The share of one path's credit that each of its touches receives under a
 * position-based model (every model but `markov`). The shares are ≥ 0 and sum to 1
 * for a non-empty path; an empty path gets an empty array.
 *
 * - `first_touch` / `last_touch`: everything to the first / last touch.
 * - `linear`: an equal share per touch; a channel touched twice gets two shares.
 * - `u_shaped` (40/20/40): one touch 100%, two touches 50/50, otherwise 40% first,
 *   40% last and 20% split evenly over the touches in between.
 * - `w_shaped` (30/30/30 + 10): 30% first touch, 30% the lead-creation touch
 *   (`milestone: "lead"`, default the first touch), 30% the opportunity-creation touch
 *   (`milestone: "opportunity"`, default the last touch), 10% split evenly over all
 *   other touches, or, when there are none, over the three milestone slots. Milestones
 *   on one touch add up. When several touches carry the same milestone the first wins.
 * - `time_decay`: weight 2^(−age / halfLife), age measured back from the conversion
 *   (the latest touch); normalized. See {@link AttributionSettings} for undated touches.
 * - `custom`: the weights of the first, lead-creation, opportunity-creation and last
 *   touches (coinciding positions add up; milestones default as in W-shaped), `middle`
 *   split evenly over the remaining touches; normalized. If every weight that applies
 *   to a path is zero (say only `middle` is set and the path has two touches), the path
 *   is split linearly rather than dropped.
 *
 * `markov` credits channels, not touches: asked for it, this returns the linear split.
 * Assumes validated settings (the custom model needs `settings.custom`).
 */
export const creditFractions = (touches: ReadonlyArray<Touch>, settings: AttributionSettings): ReadonlyArray<number> => {
  const n = touches.length
  if (n === 0) return []
  switch (settings.model) {
    case "first_touch":
      return touches.map((_, i) => (i === 0 ? 1 : 0))
    case "last_touch":
      return touches.map((_, i) => (i === n - 1 ? 1 : 0))
    case "linear":
    case "markov":
      return touches.map(() => 1 / n)
    case "u_shaped":
      return uShaped(n)
    case "w_shaped":
      return normalize(wShaped(touches))
    case "time_decay":
      return normalize(timeDecay(touches, settings))
    case "custom":
      return normalize(custom(touches, settings.custom ?? { first: 0, lead: 0, opportunity: 0, last: 0, middle: 0 }))
  }
}

// ---------------------------------------------------------------------------
// Markov chain (removal effect)
// ---------------------------------------------------------------------------

/** The Markov model's view of a set of paths. */
export interface MarkovAnalysis {
  /** Probability that a journey leaving (start) ends in (conversion). */
  readonly conversionProbability: number
  /** Per channel (sorted by name): 1 − P(conversion without the channel) / P(conversion). */
  readonly removalEffects: ReadonlyArray<RemovalEffect>
}

/**
 * Solves (I − Q) x = b by Gaussian elimination with partial pivoting. Q is
 * channel→channel transition probabilities, b channel→conversion probabilities; x is
 * the probability of ending in (conversion) from each channel.
 */
const solve = (a: Array<Array<number>>, b: Array<number>): Array<number> => {
  const m = b.length
  for (let col = 0; col < m; col++) {
    let pivot = col
    for (let r = col + 1; r < m; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r
    if (pivot !== col) {
      const tmpRow = a[col]!
      a[col] = a[pivot]!
      a[pivot] = tmpRow
      const tmpB = b[col]!
      b[col] = b[pivot]!
      b[pivot] = tmpB
    }
    const p = a[col]![col]!
    if (p === 0) continue // cannot happen for an absorbing chain; leaves x = 0
    for (let r = col + 1; r < m; r++) {
      const f = a[r]![col]! / p
      if (f === 0) continue
      const row = a[r]!
      const pivotRow = a[col]!
      for (let c = col; c < m; c++) row[c] = row[c]! - f * pivotRow[c]!
      b[r] = b[r]! - f * b[col]!
    }
  }
  const x = new Array<number>(m).fill(0)
  for (let r = m - 1; r >= 0; r--) {
    const row = a[r]!
    let s = b[r]!
    for (let c = r + 1; c < m; c++) s -= row[c]! * x[c]!
    x[r] = row[r]! === 0 ? 0 : s / row[r]!
  }
  return x
}

interface MarkovCounts {
  readonly channels: ReadonlyArray<string>
  readonly start: ReadonlyArray<number>
  readonly startTotal: number
  readonly transitions: ReadonlyArray<ReadonlyArray<number>>
  readonly toConversion: ReadonlyArray<number>
  readonly outTotal: ReadonlyArray<number>
}

const countTransitions = (paths: ReadonlyArray<ConversionPath>): MarkovCounts => {
  const channels = [...new Set(paths.flatMap((p) => p.touches.map((t) => t.channel)))].sort(byName)
  const index = new Map(channels.map((c, i) => [c, i] as const))
  const m = channels.length
  const start = new Array<number>(m).fill(0)
  const transitions = channels.map(() => new Array<number>(m).fill(0))
  const toConversion = new Array<number>(m).fill(0)
  const outTotal = new Array<number>(m).fill(0)
  let startTotal = 0
  for (const p of paths) {
    const journeys = p.conversions + (p.nulls ?? 0)
    if (journeys === 0) continue
    startTotal += journeys // an empty path is (start) → (null)
    const ids = p.touches.map((t) => index.get(t.channel)!)
    const first = ids[0]
    if (first === undefined) continue
    start[first] = start[first]! + journeys
    for (let k = 0; k + 1 < ids.length; k++) {
      const from = ids[k]!
      const row = transitions[from]!
      row[ids[k + 1]!] = row[ids[k + 1]!]! + journeys
      outTotal[from] = outTotal[from]! + journeys
    }
    const last = ids[ids.length - 1]!
    toConversion[last] = toConversion[last]! + p.conversions
    outTotal[last] = outTotal[last]! + journeys
  }
  return { channels, start, startTotal, transitions, toConversion, outTotal }
}

/** P(conversion) from (start), with the channels in `removed` turned into (null). */
const conversionProbability = (counts: MarkovCounts, removed: number | undefined): number => {
  if (counts.startTotal === 0) return 0
  const active = counts.channels.map((_, i) => i).filter((i) => i !== removed)
  const a = active.map((i) =>
    active.map((j) => {
      const out = counts.outTotal[i]!
      const q = out > 0 ? counts.transitions[i]![j]! / out : 0
      return (i === j ? 1 : 0) - q
    })
  )
  const b = active.map((i) => {
    const out = counts.outTotal[i]!
    return out > 0 ? counts.toConversion[i]! / out : 0
  })
  const x = solve(a, b)
  let p = 0
  active.forEach((i, k) => {
    p += (counts.start[i]! / counts.startTotal) * x[k]!
  })
  return p
}

/**
 * The first-order Markov chain of the paths, as in ChannelAttribution / eeghor/mta:
 * states (start), one per channel, (conversion) and (null). A path with `c`
 * conversions and `n` nulls contributes `c + n` transitions for (start) → first touch
 * and for every consecutive pair of touches (a repeated channel is a self-loop, which
 * does not change absorption probabilities), `c` from its last touch to (conversion)
 * and `n` to (null); a path without touches goes straight from (start) to (null).
 * P(conversion) is solved exactly from the absorbing chain. The removal effect of a
 * channel is 1 − P(conversion with the channel's inbound transitions sent to (null)) /
 * P(conversion); 0 for every channel when nothing converts.
 */
export const markovRemovalEffects = (paths: ReadonlyArray<ConversionPath>): Either.Either<MarkovAnalysis, AttributionInputError> => {
  const invalid = validatePaths(paths)
  if (invalid) return Either.left(invalid)
  return Either.right(markovAnalysis(countTransitions(paths)))
}

const markovAnalysis = (counts: MarkovCounts): MarkovAnalysis => {
  const p = conversionProbability(counts, undefined)
  const removalEffects = counts.channels.map((channel, k) => {
    const re = p > 0 ? 1 - conversionProbability(counts, k) / p : 0
    return { channel, removalEffect: Math.max(0, re) }
  })
  return { conversionProbability: p, removalEffects }
}

// ---------------------------------------------------------------------------
// attribute / attributeAll
// ---------------------------------------------------------------------------

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const totalsOf = (paths: ReadonlyArray<ConversionPath>) => {
  let conversions = 0
  let value = 0
  for (const p of paths) {
    conversions += p.conversions
    value += p.value
  }
  return { conversions, value }
}

const positionBased = (paths: ReadonlyArray<ConversionPath>, settings: AttributionSettings): AttributionResult => {
  const channels = new Map<string, { conversions: number; value: number }>()
  const campaigns = new Map<string, { channel: string; campaign: string | undefined; conversions: number; value: number }>()
  for (const p of paths) {
    if (p.touches.length === 0 || (p.conversions === 0 && p.value === 0)) continue
    const fractions = creditFractions(p.touches, settings)
    p.touches.forEach((t, i) => {
      const f = fractions[i]!
      const ch = channels.get(t.channel) ?? { conversions: 0, value: 0 }
      ch.conversions += f * p.conversions
      ch.value += f * p.value
      channels.set(t.channel, ch)
      const key = JSON.stringify([t.channel, t.campaign ?? null])
      const ca = campaigns.get(key) ?? { channel: t.channel, campaign: t.campaign, conversions: 0, value: 0 }
      ca.conversions += f * p.conversions
      ca.value += f * p.value
      campaigns.set(key, ca)
    })
  }
  const byChannel = [...channels.entries()]
    .sort(([a], [b]) => byName(a, b))
    .map(([channel, c]) => ({ channel, conversions: c.conversions, value: c.value }))
  const byCampaign = [...campaigns.values()]
    .sort((a, b) => byName(a.channel, b.channel) || byName(a.campaign ?? "", b.campaign ?? "") || (a.campaign === undefined ? -1 : 1))
    .map(({ campaign, channel, conversions, value }) =>
      campaign === undefined ? { channel, conversions, value } : { channel, campaign, conversions, value }
    )
  return { model: settings.model, byChannel, byCampaign, totals: totalsOf(paths) }
}

const markov = (paths: ReadonlyArray<ConversionPath>): AttributionResult => {
  const counts = countTransitions(paths)
  const analysis = markovAnalysis(counts)
  const totals = totalsOf(paths)
  const sum = analysis.removalEffects.reduce((s, r) => s + r.removalEffect, 0)
  const byChannel = analysis.removalEffects.map(({ channel, removalEffect }) => ({
    channel,
    conversions: sum > 0 ? (totals.conversions * removalEffect) / sum : 0,
    value: sum > 0 ? (totals.value * removalEffect) / sum : 0
  }))
  return {
    model: "markov",
    byChannel,
    removalEffects: analysis.removalEffects,
    conversionProbability: analysis.conversionProbability,
    totals
  }
}

/**
 * Splits the credit for the paths' conversions and value over channels (and, for the
 * position-based models, campaigns) under `settings.model`.
 *
 * Position-based models credit each touch `fraction × conversions` and the same
 * `fraction × value` (see {@link creditFractions}). The Markov model credits each
 * channel `total conversions × RE_k / Σ RE` (value likewise), RE being the removal
 * effects of {@link markovRemovalEffects}; when nothing converts every credit is 0.
 *
 * Fails with `AttributionInputError` for negative or non-finite counts, an invalid
 * touch date, a path with no touch but conversions or value to credit, a non-positive
 * half-life, or missing / all-zero / negative custom weights. Paths with no touches and
 * nothing to credit are accepted (they only add (start) → (null) journeys to Markov).
 */
export const attribute = (
  paths: ReadonlyArray<ConversionPath>,
  settings: AttributionSettings
): Either.Either<AttributionResult, AttributionInputError> => {
  const invalid = validateSettings(settings) ?? validatePaths(paths)
  if (invalid) return Either.left(invalid)
  return Either.right(settings.model === "markov" ? markov(paths) : positionBased(paths, settings))
}

/**
 * The same paths under every model, in {@link attributionModels} order, for the
 * report's comparison table (`settings.model` is ignored; its half-life settings are
 * used for time decay). The custom model is included only when `settings.custom` is set.
 */
export const attributeAll = (
  paths: ReadonlyArray<ConversionPath>,
  settings: Omit<AttributionSettings, "model"> & { readonly model?: AttributionModel }
): Either.Either<ReadonlyArray<AttributionResult>, AttributionInputError> => {
  const results: Array<AttributionResult> = []
  for (const model of attributionModels) {
    if (model === "custom" && settings.custom === undefined) continue
    const result = attribute(paths, { ...settings, model })
    if (Either.isLeft(result)) return Either.left(result.left)
    results.push(result.right)
  }
  return Either.right(results)
}
