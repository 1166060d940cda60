/**
 * Tiering: the hot-vs-warm rule (seed 000's flowchart) that decides who gets a lead.
 *
 * The agreement lists tiers in order and the first whose `when` tests all hold wins; the
 * last tier is a catch-all. With the default tiers:
 * - **hot** — hand-raise AND estimated ACV > $50K AND ICP fit → AE-direct, accept in
 *   2 min, first call within 5 min of T0;
 * - **warm-plus** — any other hand-raise → SDR, same-business-day first touch, 3-touch
 *   cadence over 3 business days;
 * - **warm** — an MQL without a hand-raise → SDR qualify queue, first touch within 24
 *   business hours, 8 touches over 10 business days;
 * - **nurture** — everything else: marketing keeps it, no owner, no timer.
 *
 * A hand-raise is always handed to sales, whatever the score; fit only decides AE vs SDR.
 * The decision carries a reason for every tier it looked at, so a rep (or ops tuning the
 * agreement) can see why a lead went hot, warm-plus, warm or stayed in nurture.
 */
import type { Agreement, RejectionReason, Tier, TierWhen } from "./Agreement.ts"
import { type Condition, testCondition } from "./Condition.ts"
import type { Account, LeadProfile } from "./Lead.ts"
import { conditionPhrase, explainMql, leadFieldValue, type Score } from "./Scoring.ts"

/** What tiering needs to know besides the score. */
export interface TierContext {
  readonly profile: LeadProfile
  /** The lead's account is on sales' named (target) list. */
  readonly namedAccount: boolean
}

/** The tier a lead lands in, and why. */
export interface TierDecision {
  /** The agreement's tier (route, SLA, cadence). */
  readonly tier: Tier
  readonly name: string
  /** Position of the tier in `agreement.tiers`. */
  readonly index: number
  /** One line per tier looked at: why each earlier tier did not match, then why this one did. */
  readonly reasons: ReadonlyArray<string>
  /** `sales` when the tier routes to a pod; `marketing` keeps the lead in nurture otherwise. */
  readonly handedTo: "sales" | "marketing"
}

interface Check {
  readonly ok: boolean
  readonly text: string
}

const num = (x: number): string => String(Math.round(x * 100) / 100)

/**
 * A yes/no test. A failed "needs yes" test just states the fact ("no hand-raise"); a
 * failed "needs no" test says the tier excludes it.
 */
const flagCheck = (want: boolean, actual: boolean, text: string): Check => ({
  ok: want === actual,
  text: want === actual || want ? text : `${text} — this tier excludes it`
})

const conditionCheck = (label: string, value: unknown, c: Condition): Check => {
  const ok = testCondition(c, value)
  const shown = value === undefined || value === null || value === "" ? "unknown" : typeof value === "number" ? num(value) : JSON.stringify(value)
  return { ok, text: `${label} ${shown} ${ok ? "" : "— needs "}${conditionPhrase(c)}` }
}

const handRaiseText = (s: Score): string =>
  s.handRaise === null ? "no hand-raise" : `hand-raise (${s.handRaise.pql ? "PQL " : ""}${s.handRaise.type} at ${s.handRaise.at.toISOString()})`

const icpText = (s: Score): string => {
  if (s.icpFit) return `ICP fit (fit ${num(s.fit)} ≥ minFit ${num(s.minFit)})`
  const why: Array<string> = []
  if (s.fit < s.minFit) why.push(`fit ${num(s.fit)} < minFit ${num(s.minFit)}`)
  if (s.disqualified !== null) why.push(`disqualified: ${s.disqualified.reason} by rule ${s.disqualified.rule}`)
  return `not ICP fit (${why.join("; ")})`
}

/** Evaluate each test of a tier's `when`, in a fixed order. */
const checksOf = (when: TierWhen, s: Score, ctx: TierContext): ReadonlyArray<Check> => {
  const checks: Array<Check> = []
  if (when.handRaise !== undefined) checks.push(flagCheck(when.handRaise, s.handRaise !== null, handRaiseText(s)))
  if (when.pql !== undefined) {
    const pql = s.handRaise?.pql === true
    checks.push(flagCheck(when.pql, pql, pql ? `PQL (${s.handRaise?.type})` : "no PQL"))
  }
  if (when.mql !== undefined) checks.push(flagCheck(when.mql, s.mql, explainMql(s)))
  if (when.icpFit !== undefined) checks.push(flagCheck(when.icpFit, s.icpFit, icpText(s)))
  if (when.namedAccount !== undefined) {
    checks.push(flagCheck(when.namedAccount, ctx.namedAccount, ctx.namedAccount ? "named account" : "not a named account"))
  }
  if (when.estimatedAcv !== undefined) checks.push(conditionCheck("estimated ACV", ctx.profile.estimatedAcv, when.estimatedAcv))
  if (when.fit !== undefined) checks.push(conditionCheck("fit", s.fit, when.fit))
  if (when.intent !== undefined) checks.push(conditionCheck("intent", s.intent, when.intent))
  if (when.total !== undefined) checks.push(conditionCheck("total", s.total, when.total))
  if (when.lead !== undefined) {
    for (const [name, c] of Object.entries(when.lead)) checks.push(conditionCheck(name, leadFieldValue(ctx.profile, name), c))
  }
  return checks
}

/**
 * Put a scored lead in the agreement's first tier whose `when` tests all hold.
 *
 * Tests: `handRaise` (a live hand-raise), `pql` (that hand-raise is product-qualified),
 * `mql`, `icpFit`, `namedAccount`, `estimatedAcv` (a condition on the profile's
 * estimated ACV; unknown fails every numeric test, so a hand-raise with no ACV is
 * warm-plus, never hot), `fit` / `intent` / `total` (conditions on the score) and `lead`
 * (conditions on profile fields). A tier without `when` matches every lead; the
 * agreement schema guarantees the last tier is such a catch-all.
 */
export const assignTier = (agreement: Agreement, score: Score, ctx: TierContext): TierDecision => {
  const reasons: Array<string> = []
  for (const [index, tier] of agreement.tiers.entries()) {
    const checks = tier.when === undefined ? [] : checksOf(tier.when, score, ctx)
    const failed = checks.filter((c) => !c.ok)
    if (failed.length > 0) {
      reasons.push(`${tier.name}: not matched — ${failed.map((c) => c.text).join("; ")}`)
      continue
    }
    const handedTo = tier.route === undefined ? "marketing" as const : "sales" as const
    const why = tier.when === undefined ? "catch-all" : checks.length === 0 ? "no tests" : checks.map((c) => c.text).join("; ")
    const to = tier.route === undefined ? "marketing keeps it (nurture)" : `handed to sales, pod ${tier.route.pod}`
    reasons.push(`${tier.name}: matched — ${why} → ${to}`)
    return { tier, name: tier.name, index, reasons, handedTo }
  }
  // Unreachable for a decoded agreement (the last tier is a catch-all); stay total anyway.
  const index = agreement.tiers.length - 1
  const tier = agreement.tiers[index]!
  reasons.push(`${tier.name}: no tier matched; the last tier applies`)
  return { tier, name: tier.name, index, reasons, handedTo: tier.route === undefined ? "marketing" : "sales" }
}

// ---------------------------------------------------------------------------
// The second scoring stage: what enrichment does to a handoff already made
// ---------------------------------------------------------------------------

/**
 * What enrichment does to a lead's handoff when the enriched score puts it in another tier:
 * - `none`: nothing to decide — marketing holds the lead (the enriched decision applies as
 *   to any inquiry), it has no handoff tier, or the tier did not change;
 * - `reroute`: the lead was handed off on its provisional score, nobody has accepted it yet
 *   (still an MQL), and on the enriched data it ranks in a higher tier that routes (with
 *   the default tiers: warm-plus → hot). Hot leads are routed on the provisional score
 *   without waiting; one that only enrichment shows to be hot must not wait either: it goes
 *   to that tier's pod on that tier's SLA, counted from the original T0;
 * - `record`: any other change — a lower tier (hot → warm-plus), or a lead its owner
 *   already accepted — is recorded for calibration; the handoff keeps its tier, owner and SLA.
 *
 * Tiers rank by their place in the agreement (first match wins, so the first tier is the
 * most urgent); a handoff tier the agreement no longer has is only recorded.
 */
export type EnrichmentTierChange =
  | { readonly action: "none"; readonly reason: string }
  | { readonly action: "record"; readonly from: string; readonly to: string; readonly reason: string }
  | { readonly action: "reroute"; readonly from: string; readonly to: string; readonly tier: Tier; readonly reason: string }

const marketingStages: ReadonlyArray<string> = ["inquiry", "nurture", "rejected", "merged", "won"]

export const enrichmentTierChange = (
  agreement: Agreement,
  lead: { readonly stage: string; readonly handoffTier: string | undefined },
  enriched: TierDecision
): EnrichmentTierChange => {
  const from = lead.handoffTier
  const to = enriched.name
  if (marketingStages.includes(lead.stage)) return { action: "none", reason: `marketing holds the lead (stage ${lead.stage}): the enriched decision applies as to any inquiry` }
  if (from === undefined) return { action: "none", reason: "the lead has no handoff tier" }
  if (from === to) return { action: "none", reason: `on the enriched data the lead is still ${to}: the handoff keeps its tier, owner and SLA` }
  const keeps = "recorded; the handoff keeps its tier, owner and SLA"
  const rank = agreement.tiers.findIndex((t) => t.name === from)
  if (rank < 0) return { action: "record", from, to, reason: `on the enriched data the lead would be ${to}, not ${from} (a tier this agreement no longer has): ${keeps}` }
  if (enriched.index > rank || enriched.handedTo !== "sales") {
    return { action: "record", from, to, reason: `on the enriched data the lead would be ${to}, not ${from} (a lower tier): ${keeps}` }
  }
  if (lead.stage !== "mql") {
    return { action: "record", from, to, reason: `on the enriched data the lead would be ${to}, not ${from}, but its owner already accepted it (stage ${lead.stage}): ${keeps}` }
  }
  return {
    action: "reroute",
    from,
    to,
    tier: enriched.tier,
    reason: `on the enriched data the lead is ${to}, not ${from}, and nobody has accepted it yet: it moves to ${to}'s pod ${enriched.tier.route?.pod ?? "—"} on the ${to} SLA, counted from the original T0`
  }
}

// ---------------------------------------------------------------------------
// Handoff flags and notifications
// ---------------------------------------------------------------------------

/** Flags carried by a lead and its handoff notification (seed 002: the rep should know what they walk into). */
export type HandoffFlag =
  | "hand_raise"
  | "pql"
  | "provisional"
  | "named_account"
  | "abm_suppressed"
  | "accumulated"
  | `rejected_before:${RejectionReason}`
  | `disqualified:${string}`

export interface HandoffFlagContext extends TierContext {
  /** The account the lead was matched to by domain, if any. */
  readonly account?: Account
  /** The reason sales gave the last time it rejected this lead. */
  readonly previousRejection?: RejectionReason
}

/**
 * The flags a handoff carries, in a fixed order:
 * - `hand_raise`: a live hand-raise (explicit request or PQL), `pql` in addition when
 *   product-qualified;
 * - `accumulated`: an MQL by threshold without a hand-raise — the lead crossed the line by
 *   accumulated signals and never asked for sales (seed 002);
 * - `provisional`: scored on form data only, enrichment pending;
 * - `named_account`: from an account on sales' target list;
 * - `abm_suppressed`: the account is in an active outbound play and the agreement
 *   suppresses inbound routing for it (the AE owns the conversation, no SDR cadence);
 * - `rejected_before:<reason>`: sales rejected this lead before (e.g. a `wrong_icp` lead
 *   that now raised its hand);
 * - `disqualified:<reason>`: a fit disqualifier matched (e.g. `wrong_icp`).
 */
export const handoffFlags = (agreement: Agreement, score: Score, ctx: HandoffFlagContext): ReadonlyArray<HandoffFlag> => {
  const flags: Array<HandoffFlag> = []
  if (score.handRaise !== null) {
    flags.push("hand_raise")
    if (score.handRaise.pql) flags.push("pql")
  }
  if (score.mqlBy === "threshold" && score.handRaise === null) flags.push("accumulated")
  if (score.provisional) flags.push("provisional")
  if (ctx.namedAccount || ctx.account?.named === true) flags.push("named_account")
  if (ctx.account?.activeOutbound === true && agreement.routing.abmSuppression) flags.push("abm_suppressed")
  if (ctx.previousRejection !== undefined) flags.push(`rejected_before:${ctx.previousRejection}`)
  if (score.disqualified !== null) flags.push(`disqualified:${score.disqualified.reason}`)
  return flags
}

/** Someone to tell at once about an inbound, independently of its tier. */
export interface HandoffNotification {
  readonly kind: "named_account_inbound"
  readonly repId: string
}

/**
 * Notifications an inbound triggers whatever its tier: any inbound response from a
 * named (target) account notifies the account owner at once, when the agreement's
 * `routing.namedAccountNotify` is on and the account has an owner.
 */
export const notifications = (agreement: Agreement, ctx: { readonly account?: Account }): ReadonlyArray<HandoffNotification> => {
  const account = ctx.account
  if (!agreement.routing.namedAccountNotify || account === undefined || !account.named || account.ownerRepId === undefined) return []
  return [{ kind: "named_account_inbound", repId: account.ownerRepId }]
}
