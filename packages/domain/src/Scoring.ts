/**
 * Lead scoring: the one shared definition of "ready" that marketing and sales signed.
 *
 * A score is a pure function of (agreement, lead, events, now). Nothing is added or
 * subtracted over time: the worker's decay sweep simply re-runs `score` with a later
 * `now` and materializes the result, so decay never compounds and a re-score after
 * enrichment (the second stage of two-stage scoring) is the same call with a richer
 * profile.
 *
 * Two axes (seed 000, after Jon Miller): **fit** (firmographics: title, company size,
 * industry, disqualifiers) gets a lead in the door; **intent** (behaviour: pricing page,
 * case studies, demo requests, email and site engagement, negative signals) decides the
 * hour. A lead becomes an **MQL**
 * - *instantly* on a hand-raise (demo / pricing request, contact sales, a PQL in an ICP
 *   account) or an `instantMql` rule — a hand-raise always reaches sales, whatever the
 *   score; or
 * - *by threshold* when fit + intent reaches `mqlThreshold` and the lead passes the fit
 *   gate (`minFit`, no disqualifier) and is not blocked by an earlier `wrong_icp` rejection.
 *
 * Every point is explained: each rule that contributed leaves one *driver* with a reason
 * written for the sales rep who will make the first call.
 */
import { Schema } from "effect"
import type { Agreement, Decay, FitRule, IntentRule } from "./Agreement.ts"
import { type Condition, describePredicate, type FieldPredicate, testPredicate } from "./Condition.ts"
import { durationMillis, formatMillis } from "./IsoDuration.ts"
import { fitSignature, type LeadEvent, type LeadProfile } from "./Lead.ts"
import { eventsAsOf } from "./Receipt.ts"

// ---------------------------------------------------------------------------
// The score, as stored and served
// ---------------------------------------------------------------------------

/** One rule's contribution to a score, with the reason a rep can read. */
export const ScoreDriver = Schema.Struct({
  /** The agreement rule id (`title-exec`, `pricing`, ...). */
  rule: Schema.String,
  kind: Schema.Literal("fit", "intent"),
  /** Points this rule contributed, rounded to 2 decimals (negative for penalties). */
  points: Schema.Number,
  /** e.g. `title "VP Sales" matches /vp|chief/ (+15)`, `2 × pricing page views × 20 = 40, capped at 20`. */
  reason: Schema.String
})
export type ScoreDriver = typeof ScoreDriver.Type

/**
 * A lead's score under one agreement at one instant. Dates encode as ISO strings, so the
 * score can be stored as JSON and served over HTTP as is.
 */
export const Score = Schema.Struct({
  /** Sum of the fit drivers. */
  fit: Schema.Number,
  /** Sum of the intent drivers (after decay and caps). */
  intent: Schema.Number,
  /** fit + intent: exactly the sum of every driver's points (computed in cents). */
  total: Schema.Number,
  /** The agreement's MQL threshold. */
  threshold: Schema.Number,
  /** The agreement's fit gate. */
  minFit: Schema.Number,
  /** Scored on form data only; a re-score follows when enrichment lands. */
  provisional: Schema.Boolean,
  drivers: Schema.Array(ScoreDriver),
  mql: Schema.Boolean,
  /** `instant`: a hand-raise or an instant-MQL rule; `threshold`: accumulated points. */
  mqlBy: Schema.NullOr(Schema.Literal("instant", "threshold")),
  /** The most recent instant-MQL event still live (within `handRaise.within`). */
  instantMql: Schema.NullOr(Schema.Struct({ rule: Schema.String, at: Schema.Date })),
  /** The most recent live hand-raise (explicit request, or a PQL that counts). */
  handRaise: Schema.NullOr(Schema.Struct({ type: Schema.String, at: Schema.Date, pql: Schema.Boolean })),
  /** fit ≥ minFit and no disqualifier matched. */
  icpFit: Schema.Boolean,
  /** The first matching fit rule with `disqualify`: its id and the reason code (e.g. wrong_icp). */
  disqualified: Schema.NullOr(Schema.Struct({ rule: Schema.String, reason: Schema.String })),
  /** Sales rejected the lead as wrong ICP and its fit data has not changed since. */
  blocked: Schema.NullOr(Schema.Literal("wrong_icp")),
  /** The latest positive engagement (positive intent rule, hand-raise or PQL event). */
  lastEngagementAt: Schema.NullOr(Schema.Date)
}).pipe(Schema.annotations({ identifier: "Score" }))
export type Score = typeof Score.Type

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

export interface ScoringLead {
  readonly profile: LeadProfile
  /** undefined → the score is provisional (form data only) when agreement.scoring.provisional.enabled */
  readonly enrichedAt?: Date
  /** set by a wrong_icp rejection: the lead's fitSignature(profile) at that time */
  readonly wrongIcpBlock?: { readonly fitSignature: string; readonly at: Date }
  /**
   * When the lead last left sales (rejected or recycled): a hand-raise or instant-MQL event
   * at or before it was already handed off once and does not hand the lead over again — a
   * new one must come (its points still count toward the score).
   */
  readonly signalsAfter?: Date
}

// ---------------------------------------------------------------------------
// Field lookup
// ---------------------------------------------------------------------------

/**
 * The value of a lead field as the agreement names it: `title`, `employees`,
 * `source.channel` (nested source), `fields.budget` (a form answer). Unknown names read
 * as missing.
 */
export const leadFieldValue = (profile: LeadProfile, name: string): unknown => {
  if (name.startsWith("fields.")) {
    const fields = profile.fields
    const key = name.slice("fields.".length)
    return fields !== undefined && Object.hasOwn(fields, key) ? fields[key] : undefined
  }
  if (name.startsWith("source.")) {
    const source: Record<string, unknown> | undefined = profile.source
    const key = name.slice("source.".length)
    return source !== undefined && Object.hasOwn(source, key) ? source[key] : undefined
  }
  const record: Record<string, unknown> = profile
  return Object.hasOwn(record, name) ? record[name] : undefined
}

/**
 * The value an event predicate reads: `channel` and `campaign` are the event's own
 * fields (falling back to a property of that name); every other name is a property.
 */
export const eventFieldValue = (event: LeadEvent, name: string): unknown => {
  if (name === "channel" && event.channel !== undefined) return event.channel
  if (name === "campaign" && event.campaign !== undefined) return event.campaign
  const props: Record<string, unknown> = event.properties
  return Object.hasOwn(props, name) ? props[name] : undefined
}

/** Does the event match an event type and optional `where` predicate? */
export const eventMatches = (event: LeadEvent, type: string, where: FieldPredicate | undefined): boolean =>
  event.type === type && (where === undefined || testPredicate(where, (n) => eventFieldValue(event, n)))

// ---------------------------------------------------------------------------
// Explanations
// ---------------------------------------------------------------------------

const showValue = (v: unknown): string =>
  v === undefined || v === null || v === "" ? "(unknown)" : typeof v === "string" ? JSON.stringify(v) : String(v)

/** The tests of a condition without its subject: `matches /vp/`, `in [50, 5000]`, `< 50`. */
export const conditionPhrase = (c: Condition): string => {
  const parts: Array<string> = []
  if (c.eq !== undefined) parts.push(`= ${c.eq}`)
  if (c.ne !== undefined) parts.push(`≠ ${c.ne}`)
  if (c.in !== undefined) parts.push(`in {${c.in.join(", ")}}`)
  if (c.notIn !== undefined) parts.push(`not in {${c.notIn.join(", ")}}`)
  if (c.matches !== undefined) parts.push(`matches /${c.matches}/`)
  if (c.lt !== undefined) parts.push(`< ${c.lt}`)
  if (c.lte !== undefined) parts.push(`≤ ${c.lte}`)
  if (c.gt !== undefined) parts.push(`> ${c.gt}`)
  if (c.gte !== undefined) parts.push(`≥ ${c.gte}`)
  if (c.between !== undefined) parts.push(`in [${c.between[0]}, ${c.between[1]}]`)
  if (c.exists !== undefined) parts.push(c.exists ? "is known" : "is unknown")
  return parts.join(" and ")
}

/** `title "VP Sales" matches /vp/, employees 800 in [50, 5000]`: the facts behind a predicate. */
export const explainLeadPredicate = (p: FieldPredicate, profile: LeadProfile): string =>
  Object.entries(p)
    .map(([name, c]) => `${name} ${showValue(leadFieldValue(profile, name))} ${conditionPhrase(c)}`)
    .join(", ")

const num = (x: number): string => String(Math.round(x * 100) / 100)
const signed = (x: number): string => (x >= 0 ? `+${num(x)}` : num(x))

const DAY = 86_400_000
const elapsedText = (ms: number): string => {
  if (ms >= DAY) {
    const days = Math.floor(ms / DAY)
    return `${days} day${days === 1 ? "" : "s"}`
  }
  return formatMillis(Math.round(ms / 60_000) * 60_000)
}

const ruleLabel = (r: IntentRule): string =>
  r.description ?? `${r.event}${r.where === undefined || Object.keys(r.where).length === 0 ? "" : ` (${describePredicate(r.where)})`}`

// ---------------------------------------------------------------------------
// Decay
// ---------------------------------------------------------------------------

/**
 * The multiplier a decay policy gives after `elapsed` milliseconds: with steps, the
 * factor of the last step whose `after` has passed (1 before the first step); with a
 * half-life, 0.5^(elapsed / halfLife).
 */
export const decayFactor = (decay: Decay, elapsed: number): number => {
  if (decay.halfLife !== undefined) {
    const half = durationMillis(decay.halfLife)
    if (half <= 0) return elapsed > 0 ? 0 : 1
    return Math.pow(0.5, Math.max(0, elapsed) / half)
  }
  let factor = 1
  for (const step of decay.steps ?? []) {
    if (durationMillis(step.after) <= elapsed) factor = step.factor
  }
  return factor
}

const decayKind = (decay: Decay): string =>
  decay.halfLife === undefined ? "decay" : `decay (half-life ${formatMillis(durationMillis(decay.halfLife))})`

// ---------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------

interface RawDriver {
  readonly rule: string
  readonly kind: "fit" | "intent"
  readonly points: number
  readonly reason: string
}

const toCents = (points: number): number => Math.round(points * 100) || 0

/**
 * Score one lead under the agreement at `now`.
 *
 * **Fit.** Each fit rule whose `when` holds (every condition) — and, when `anyOf` is
 * given and non-empty, at least one of its alternatives — adds its points. Field names
 * read the profile (`source.channel` the nested source, `fields.x` a form answer). The
 * first matching rule with `disqualify` sets `disqualified` (e.g. seed 002's "fewer than
 * 50 employees" → `wrong_icp`); its points still count. `icpFit` = fit ≥ minFit and not
 * disqualified.
 *
 * **Intent.** Events after `now` are ignored, except those within the clock-skew
 * tolerance ahead of it (`eventsAsOf`), which count as happening at `now`. An intent rule matches events of its
 * `event` type whose `where` holds (property names, plus the event's `channel` and
 * `campaign`). Without `count`, each matching event earns the points, summed, then
 * capped at `max` (the cap applies after decay: "+20, max 20" stays 20 until decay
 * brings it below). With `count: { atLeast, within }` the rule fires once, with its
 * points, when at least `atLeast` matching events fall in (now − within, now].
 *
 * **Decay** (the rule's own `decay`, else `scoring.decay`, else none) applies to
 * positive intent points only; penalties never decay (a decaying penalty would raise a
 * score as time passes).
 * - `basis: inactivity`: one factor from the time since `lastEngagementAt` — the latest
 *   event matching a positive-points intent rule, a hand-raise type or a PQL signal —
 *   for every positive rule: a lead that re-engages gets its history back.
 * - `basis: event_age`: each event's own age gives its factor; a count rule uses the age
 *   of its newest matching event.
 *
 * **Hand-raise.** The most recent event in (now − handRaise.within, now] whose type is a
 * hand-raise type, or that matches a PQL signal (type + where) — a PQL counts only when
 * `pqlRequiresIcpFit` is off or the lead is ICP fit. An explicit request wins a tie.
 *
 * **MQL.** `instant` when a hand-raise is live (always handed to sales, whatever the
 * score or a wrong-ICP block) or an `instantMql` rule matched an event within
 * `handRaise.within` of now (for a count rule: the count is reached and its newest event
 * is within that window) — the same freshness as a hand-raise, and independent of
 * decay. Otherwise `threshold` when total ≥ mqlThreshold, the lead is ICP fit and it is
 * not blocked.
 *
 * **Blocked.** `wrong_icp` when the lead carries a wrong-ICP rejection and
 * `fitSignature(profile)` is unchanged since; new fit data lifts the block. It stops
 * threshold MQLs only, never a hand-raise.
 *
 * **Provisional** when two-stage scoring is on and the lead has not been enriched yet.
 *
 * Driver points are rounded to 2 decimals and fit, intent and total are their exact sums
 * (computed in cents). Drivers that round to 0 points are left out.
 */
export const score = (agreement: Agreement, lead: ScoringLead, events: ReadonlyArray<LeadEvent>, now: Date): Score => {
  const scoring = agreement.scoring
  const nowMs = now.getTime()
  const profile = lead.profile
  const past = eventsAsOf(events, now)

  // --- fit -----------------------------------------------------------------
  const drivers: Array<RawDriver> = []
  let disqualified: { rule: string; reason: string } | null = null
  for (const rule of scoring.fit) {
    const explained = explainFitRule(rule, profile)
    if (explained === undefined) continue
    if (rule.disqualify !== undefined && disqualified === null) disqualified = { rule: rule.id, reason: rule.disqualify }
    const suffix = rule.disqualify === undefined ? "" : `, disqualifies: ${rule.disqualify}`
    drivers.push({
      rule: rule.id,
      kind: "fit",
      points: rule.points,
      reason: `${rule.description === undefined ? "" : `${rule.description}: `}${explained} (${signed(rule.points)}${suffix})`
    })
  }

  // --- engagement and hand-raise ---------------------------------------------
  const hr = agreement.handRaise
  const isPqlEvent = (e: LeadEvent) => hr.pql.some((s) => eventMatches(e, s.event, s.where))
  const isHandRaiseType = (e: LeadEvent) => hr.events.includes(e.type)
  const positiveRules = scoring.intent.filter((r) => r.points > 0)
  let lastEngagementMs: number | null = null
  for (const e of past) {
    const t = e.occurredAt.getTime()
    if (lastEngagementMs !== null && t <= lastEngagementMs) continue
    if (isHandRaiseType(e) || isPqlEvent(e) || positiveRules.some((r) => eventMatches(e, r.event, r.where))) lastEngagementMs = t
  }
  const inactivity = lastEngagementMs === null ? 0 : nowMs - lastEngagementMs

  // --- intent --------------------------------------------------------------
  const hrWindowStart = nowMs - durationMillis(hr.within)
  const signalsAfterMs = lead.signalsAfter?.getTime() ?? Number.NEGATIVE_INFINITY
  let instantMql: { rule: string; at: Date } | null = null
  /** Record a live instant-MQL event; true when the rule makes the lead an MQL right now. */
  const noteInstant = (rule: IntentRule, atMs: number): boolean => {
    if (rule.instantMql !== true || atMs <= hrWindowStart || atMs <= signalsAfterMs) return false
    if (instantMql === null || atMs > instantMql.at.getTime()) instantMql = { rule: rule.id, at: new Date(atMs) }
    return true
  }

  for (const rule of scoring.intent) {
    const matched = past
      .filter((e) => eventMatches(e, rule.event, rule.where))
      .map((e) => e.occurredAt.getTime())
      .sort((a, b) => a - b)
    if (matched.length === 0) continue
    const decay = rule.points > 0 ? rule.decay ?? scoring.decay : undefined
    const factorAt = (atMs: number): number =>
      decay === undefined ? 1 : decay.basis === "inactivity" ? decayFactor(decay, inactivity) : decayFactor(decay, nowMs - atMs)
    const label = ruleLabel(rule)
    const parts: Array<string> = []
    let value: number
    let instant: boolean

    if (rule.count !== undefined) {
      const within = durationMillis(rule.count.within)
      const inWindow = matched.filter((t) => t > nowMs - within)
      if (inWindow.length < rule.count.atLeast) continue
      const newest = inWindow[inWindow.length - 1]!
      instant = noteInstant(rule, newest)
      parts.push(`${inWindow.length} × ${label} in the last ${formatMillis(within)} (at least ${rule.count.atLeast}) → ${signed(rule.points)}`)
      const factor = factorAt(newest)
      value = rule.points * factor
      if (decay !== undefined && factor !== 1) {
        parts.push(decay.basis === "inactivity"
          ? `×${num(factor)} ${decayKind(decay)}: ${elapsedText(inactivity)} since last engagement → ${num(value)}`
          : `×${num(factor)} ${decayKind(decay)}: newest ${elapsedText(nowMs - newest)} old → ${num(value)}`)
      }
    } else {
      instant = noteInstant(rule, matched[matched.length - 1]!)
      const raw = matched.length * rule.points
      parts.push(`${matched.length} × ${label} × ${num(rule.points)} = ${num(raw)}`)
      if (decay === undefined) {
        value = raw
      } else if (decay.basis === "inactivity") {
        const factor = decayFactor(decay, inactivity)
        value = raw * factor
        if (factor !== 1) parts.push(`×${num(factor)} ${decayKind(decay)}: ${elapsedText(inactivity)} since last engagement → ${num(value)}`)
      } else {
        const factors = matched.map(factorAt)
        value = factors.reduce((sum, f) => sum + rule.points * f, 0)
        if (factors.some((f) => f !== 1)) {
          const oldest = matched[0]!
          parts.push(`${decayKind(decay)} by event age (oldest ${elapsedText(nowMs - oldest)}) → ${num(value)}`)
        }
      }
    }
    if (rule.max !== undefined && value > rule.max) {
      value = rule.max
      parts.push(`capped at ${num(rule.max)}`)
    }
    if (instant) parts.push("instant MQL")
    drivers.push({ rule: rule.id, kind: "intent", points: value, reason: parts.join(", ") })
  }

  // --- totals (exact, in cents) ---------------------------------------------
  let fitCents = 0
  let intentCents = 0
  const finalDrivers: Array<ScoreDriver> = []
  for (const d of drivers) {
    const cents = toCents(d.points)
    if (cents === 0) continue
    if (d.kind === "fit") fitCents += cents
    else intentCents += cents
    finalDrivers.push({ rule: d.rule, kind: d.kind, points: cents / 100, reason: d.reason })
  }
  const fit = fitCents / 100
  const intent = intentCents / 100
  const total = (fitCents + intentCents) / 100
  const icpFit = fit >= scoring.minFit && disqualified === null

  // --- hand-raise ------------------------------------------------------------
  let handRaise: { type: string; at: Date; pql: boolean } | null = null
  for (const e of past) {
    const t = e.occurredAt.getTime()
    if (t <= hrWindowStart || t <= signalsAfterMs) continue
    const explicit = isHandRaiseType(e)
    const pql = !explicit && isPqlEvent(e) && (!hr.pqlRequiresIcpFit || icpFit)
    if (!explicit && !pql) continue
    const better = handRaise === null || t > handRaise.at.getTime() ||
      (t === handRaise.at.getTime() && ((handRaise.pql && explicit) || (handRaise.pql === pql && e.type < handRaise.type)))
    if (better) handRaise = { type: e.type, at: new Date(t), pql }
  }

  // --- MQL ---------------------------------------------------------------------
  const blocked = lead.wrongIcpBlock !== undefined && lead.wrongIcpBlock.fitSignature === fitSignature(profile) ? "wrong_icp" as const : null
  const mqlBy = handRaise !== null || instantMql !== null
    ? "instant" as const
    : total >= scoring.mqlThreshold && icpFit && blocked === null
    ? "threshold" as const
    : null

  return {
    fit,
    intent,
    total,
    threshold: scoring.mqlThreshold,
    minFit: scoring.minFit,
    provisional: scoring.provisional.enabled && lead.enrichedAt === undefined,
    drivers: finalDrivers,
    mql: mqlBy !== null,
    mqlBy,
    instantMql,
    handRaise,
    icpFit,
    disqualified,
    blocked,
    lastEngagementAt: lastEngagementMs === null ? null : new Date(lastEngagementMs)
  }
}

/** The facts that make a fit rule match the profile, or `undefined` when it does not. */
const explainFitRule = (rule: FitRule, profile: LeadProfile): string | undefined => {
  const lookup = (n: string) => leadFieldValue(profile, n)
  if (!testPredicate(rule.when, lookup)) return undefined
  const facts: Array<string> = []
  if (Object.keys(rule.when).length > 0) facts.push(explainLeadPredicate(rule.when, profile))
  if (rule.anyOf !== undefined && rule.anyOf.length > 0) {
    const alt = rule.anyOf.find((p) => testPredicate(p, lookup))
    if (alt === undefined) return undefined
    if (Object.keys(alt).length > 0) facts.push(explainLeadPredicate(alt, profile))
  }
  return facts.length === 0 ? "every lead" : facts.join(", ")
}

/** One line for the rep: why this lead is (not) an MQL. */
export const explainMql = (s: Score): string => {
  if (s.mqlBy === "instant") {
    if (s.handRaise !== null) return `MQL at once: ${s.handRaise.pql ? "product-qualified (PQL)" : "hand-raise"} ${s.handRaise.type}`
    return `MQL at once: instant-MQL rule ${s.instantMql?.rule ?? "?"}`
  }
  if (s.mqlBy === "threshold") return `MQL by accumulation: total ${num(s.total)} ≥ threshold ${num(s.threshold)}`
  const why: Array<string> = []
  if (s.total < s.threshold) why.push(`total ${num(s.total)} < threshold ${num(s.threshold)}`)
  if (s.fit < s.minFit) why.push(`fit ${num(s.fit)} < minFit ${num(s.minFit)}`)
  if (s.disqualified !== null) why.push(`disqualified: ${s.disqualified.reason} (rule ${s.disqualified.rule})`)
  if (s.blocked !== null) why.push("blocked: rejected earlier as wrong ICP and fit data unchanged")
  return `not an MQL: ${why.join("; ")}`
}
