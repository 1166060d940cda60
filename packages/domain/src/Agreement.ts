/**
 * The agreement: the whole marketing ↔ sales handoff policy as one versioned document.
 *
 * Scoring (fit, intent, decay, MQL threshold, the fit gate, two-stage provisional
 * scoring), hand-raises and PQLs, the hot / warm-plus / warm / nurture tiers, cadences,
 * routing pods, the business calendar, recycling, escalation, attribution, waterfall
 * targets and alarms, who signed it, and its own test fixtures. Every decision Handoff
 * makes records the version of this document that made it.
 *
 * Key names follow SPEC §1; everything the spec leaves open (predicate syntax, cadence
 * steps, defaults) is documented on the field.
 */
import { Schema } from "effect"
import { validateCalendar } from "./BusinessTime.ts"
import { DateOrDateTimeText } from "./CalendarDate.ts"
import { Condition, FieldPredicate } from "./Condition.ts"
import { durationMillis as durationOf, IsoDuration } from "./IsoDuration.ts"
import { EventType } from "./Lead.ts"
import { WaterfallStage, waterfallStages } from "./Waterfall.ts"

const optionalDefault = <S extends Schema.Schema.Any>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: value as never, exact: true })

// ---------------------------------------------------------------------------
// Small vocabulary
// ---------------------------------------------------------------------------

/** Rule, tier, pod and cadence ids: lower kebab or snake case (`title-exec`, `ae-direct`). */
export const Id = Schema.String.pipe(
  Schema.pattern(/^[a-z0-9][a-z0-9_-]*$/, { message: () => "ids are lower case letters, digits, - and _ (e.g. title-exec)" }),
  Schema.annotations({ identifier: "Id" })
)

/** Lead fields a fit rule, tier or segment can test. `fields.<name>` reads a form answer. */
export const leadFieldNames = [
  "email", "firstName", "lastName", "title", "seniority", "company", "domain", "country", "region",
  "employees", "industry", "estimatedAcv", "phone", "source.channel", "source.campaign", "source.form"
] as const

const leadFieldProblem = (s: string): string | undefined =>
  (leadFieldNames as ReadonlyArray<string>).includes(s) || /^fields\.[A-Za-z0-9_.-]+$/.test(s)
    ? undefined
    : `unknown lead field "${s}": use one of ${leadFieldNames.join(", ")} or fields.<form answer>`

export const LeadField = Schema.String.pipe(
  Schema.filter((s) => leadFieldProblem(s) ?? true),
  Schema.annotations({ identifier: "LeadField" })
)

/** Lead-field conditions; an unknown field name is reported at its own path. */
export const LeadPredicate = FieldPredicate(Schema.String).pipe(
  Schema.filter((p) =>
    Object.keys(p).flatMap((k) => {
      const problem = leadFieldProblem(k)
      return problem === undefined ? [] : [{ path: [k], message: problem }]
    })
  ),
  Schema.annotations({ identifier: "LeadPredicate" })
)
/** Event predicates test `properties.<name>` by name, plus `channel` and `campaign`. */
export const EventPredicate = FieldPredicate(Schema.String.pipe(Schema.minLength(1)))

const Fraction = Schema.Number.pipe(Schema.between(0, 1, { message: () => "must be a fraction between 0 and 1" }))

// ---------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------

export const DecayStep = Schema.Struct({
  after: IsoDuration,
  factor: Fraction
})

/**
 * Intent from old events counts less. `steps` multiply by `factor` once `after` has
 * passed; `halfLife` halves every period. `basis: inactivity` (default) measures the time
 * since the lead's last positive engagement and applies one factor to all intent;
 * `basis: event_age` measures each event's own age. Negative points never decay (a
 * decaying penalty would raise a score as time passes).
 */
export const Decay = Schema.Struct({
  basis: optionalDefault(Schema.Literal("inactivity", "event_age"), () => "inactivity" as const),
  steps: Schema.optional(Schema.Array(DecayStep)),
  halfLife: Schema.optional(IsoDuration.pipe(Schema.filter((d) => durationOf(d) > 0 || "a half-life must be longer than zero")))
}).pipe(
  Schema.filter((d) => {
    if ((d.steps === undefined) === (d.halfLife === undefined)) return "decay needs exactly one of steps or halfLife"
    const issues: Array<Schema.FilterIssue> = []
    const steps = d.steps ?? []
    for (let i = 1; i < steps.length; i++) {
      const prev = steps[i - 1]!
      const cur = steps[i]!
      if (durationOf(cur.after) <= durationOf(prev.after)) issues.push({ path: ["steps", i, "after"], message: "decay steps must be in increasing order of `after`" })
      if (cur.factor > prev.factor) issues.push({ path: ["steps", i, "factor"], message: "a later decay step cannot raise the factor" })
    }
    return issues
  }),
  Schema.annotations({ identifier: "Decay" })
)
export type Decay = typeof Decay.Type

/** A firmographic (fit) rule: `when` the lead matches, add `points` (may be negative). */
export const FitRule = Schema.Struct({
  id: Id,
  description: Schema.optional(Schema.String),
  when: LeadPredicate,
  /** Optional alternatives: the rule also needs one of these to hold. */
  anyOf: Schema.optional(Schema.NonEmptyArray(LeadPredicate)),
  points: Schema.Number,
  /** A disqualifier: the lead fails the ICP gate with this reason (e.g. `wrong_icp`). */
  disqualify: Schema.optional(Id)
})
export type FitRule = typeof FitRule.Type

/** A behavioral (intent) rule over events. */
export const IntentRule = Schema.Struct({
  id: Id,
  description: Schema.optional(Schema.String),
  /** The event type this rule counts (`page_view`, `content_download`, `demo_request`). */
  event: EventType,
  /** Conditions on the event's properties (`category`, `kind`, ...), `channel`, `campaign`. */
  where: Schema.optional(EventPredicate),
  /** Points per matching event; with `count`, points once the count is reached. */
  points: Schema.Number,
  /** Cap on the points this rule can contribute in total ("+15 each", "max 20"). */
  max: Schema.optional(Schema.Number.pipe(Schema.positive())),
  /** Fires once when at least `atLeast` matching events fall in the last `within`. */
  count: Schema.optional(Schema.Struct({
    atLeast: Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1)),
    within: IsoDuration
  })),
  /** The lead is an MQL as soon as this happens, regardless of its total. */
  instantMql: Schema.optional(Schema.Boolean),
  /** This rule's own decay, instead of the scoring-wide one. */
  decay: Schema.optional(Decay)
}).pipe(
  Schema.filter((r) => {
    if (r.max !== undefined && r.points < 0) return { path: ["max"], message: "max caps positive rules; a negative rule cannot have one" }
    // A penalty that expires with its window would raise scores as time passes; a score
    // only ever rises through new events.
    if (r.count !== undefined && r.points < 0) return { path: ["count"], message: "a count rule must add points; write a penalty as a per-event negative rule" }
    return undefined
  })
)
export type IntentRule = typeof IntentRule.Type

export const Scoring = Schema.Struct({
  /** Total (fit + intent) at which a lead becomes an MQL. Seed default 50. */
  mqlThreshold: optionalDefault(Schema.Number, () => 50),
  /** The demographic gate: below this fit, intent does not make an MQL. */
  minFit: optionalDefault(Schema.Number, () => 0),
  fit: Schema.Array(FitRule),
  intent: Schema.Array(IntentRule),
  decay: Schema.optional(Decay),
  /** Two-stage scoring: score form data at once, re-score when enrichment lands. */
  provisional: optionalDefault(
    Schema.Struct({
      enabled: optionalDefault(Schema.Boolean, () => true),
      enrichWithin: optionalDefault(IsoDuration, () => "PT15M" as IsoDuration)
    }),
    () => ({ enabled: true, enrichWithin: "PT15M" as IsoDuration })
  )
})
export type Scoring = typeof Scoring.Type

// ---------------------------------------------------------------------------
// Hand-raise and PQL
// ---------------------------------------------------------------------------

export const PqlSignal = Schema.Struct({
  event: EventType,
  where: Schema.optional(EventPredicate)
})
export type PqlSignal = typeof PqlSignal.Type

const HandRaiseObject = Schema.Struct({
  /** Event types meaning "the prospect asked for sales". */
  events: Schema.Array(EventType),
  /** Product-qualified signals; a hand-raise when the lead is in an ICP account. */
  pql: optionalDefault(Schema.Array(PqlSignal), () => []),
  /** PQL counts only for ICP-fit leads (seed 000: "in ICP accounts"). */
  pqlRequiresIcpFit: optionalDefault(Schema.Boolean, () => true),
  /** How long a hand-raise stays live for tiering. */
  within: optionalDefault(IsoDuration, () => "P30D" as IsoDuration)
})

/** `handRaise: [demo_request, ...]` or the long form with PQL signals. */
export const HandRaise = Schema.transform(
  Schema.Union(Schema.Array(EventType), HandRaiseObject),
  Schema.typeSchema(HandRaiseObject),
  {
    strict: true,
    decode: (x) => ("events" in x ? x : { events: x, pql: [], pqlRequiresIcpFit: true, within: "P30D" as IsoDuration }),
    encode: (x) => x
  }
).pipe(Schema.annotations({ identifier: "HandRaise" }))
export type HandRaise = typeof HandRaise.Type

// ---------------------------------------------------------------------------
// Tiers, SLAs, cadences
// ---------------------------------------------------------------------------

/** `same-business-day` / `end-of-business-day`: by the close of the business day of T0. */
export const BusinessDeadline = Schema.Literal("same-business-day", "end-of-business-day")
export const Deadline = Schema.Union(IsoDuration, BusinessDeadline)
export type Deadline = typeof Deadline.Type

export const TierWhen = Schema.Struct({
  handRaise: Schema.optional(Schema.Boolean),
  pql: Schema.optional(Schema.Boolean),
  mql: Schema.optional(Schema.Boolean),
  icpFit: Schema.optional(Schema.Boolean),
  namedAccount: Schema.optional(Schema.Boolean),
  estimatedAcv: Schema.optional(Condition),
  fit: Schema.optional(Condition),
  intent: Schema.optional(Condition),
  total: Schema.optional(Condition),
  /** Conditions on lead fields, e.g. `{ country: { in: [US, CA] } }`. */
  lead: Schema.optional(LeadPredicate)
})
export type TierWhen = typeof TierWhen.Type

export const TierSla = Schema.Struct({
  /** The owner must accept within this (wall-clock unless businessHours). */
  accept: Schema.optional(IsoDuration),
  /** First touch (call, email, ...) due by this after T0. */
  firstTouch: Schema.optional(Deadline),
  /** Count durations in the calendar's business hours instead of wall-clock time. */
  businessHours: optionalDefault(Schema.Boolean, () => false),
  /** Stricter first-touch targets by inquiry type (seed 004: trial signup < 1 h). */
  byIntent: Schema.optional(Schema.Record({ key: EventType, value: Deadline }))
})
export type TierSla = typeof TierSla.Type

export const Tier = Schema.Struct({
  name: Id,
  description: Schema.optional(Schema.String),
  /** Every given test must hold; no `when` matches every lead (the catch-all). */
  when: Schema.optional(TierWhen),
  route: Schema.optional(Schema.Struct({
    pod: Id,
    /** Only reps on shift right now (their own hours and time zone) may get it. */
    onShiftOnly: optionalDefault(Schema.Boolean, () => false)
  })),
  sla: Schema.optional(TierSla),
  cadence: Schema.optional(Id)
})
export type Tier = typeof Tier.Type

export const ActivityKind = Schema.Literal("call", "email", "voicemail", "linkedin", "meeting")
export type ActivityKind = typeof ActivityKind.Type

export const CadenceStep = Schema.Struct({
  id: Id,
  /** Activity kinds that complete this step. */
  kinds: Schema.NonEmptyArray(ActivityKind),
  /** `all`: every kind must be logged (voicemail + email); `any`: one is enough. */
  match: optionalDefault(Schema.Literal("all", "any"), () => "any" as const),
  /** What the deadline counts from: `t0`, or the id of an earlier step (its completion). Default: the previous step, or t0. */
  after: Schema.optional(Schema.String),
  within: Deadline,
  /** `missed_connect`: only when the step it follows ended without a live conversation. */
  when: Schema.optional(Schema.Literal("missed_connect"))
})
export type CadenceStep = typeof CadenceStep.Type

/**
 * A follow-up cadence: explicit `steps` (the hot speed-to-lead ladder) or `touches`
 * spread evenly over `overBusinessDays` (the SDR 3×3 and 8×10 cadences).
 */
export const Cadence = Schema.Struct({
  description: Schema.optional(Schema.String),
  businessHours: optionalDefault(Schema.Boolean, () => true),
  steps: Schema.optional(Schema.Array(CadenceStep)),
  touches: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1))),
  overBusinessDays: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1))),
  kinds: optionalDefault(Schema.Array(ActivityKind), () => ["call", "email", "voicemail", "linkedin"] as const)
}).pipe(
  Schema.filter((c) => {
    const explicit = c.steps !== undefined
    const spread = c.touches !== undefined || c.overBusinessDays !== undefined
    if (explicit === spread) return "a cadence has either steps, or touches with overBusinessDays"
    if (spread && (c.touches === undefined || c.overBusinessDays === undefined)) return "touches and overBusinessDays go together"
    const issues: Array<Schema.FilterIssue> = []
    const seen = new Set<string>()
    for (const [i, s] of (c.steps ?? []).entries()) {
      if (s.after !== undefined && s.after !== "t0" && !seen.has(s.after)) {
        issues.push({ path: ["steps", i, "after"], message: `"${s.after}" is not an earlier step of this cadence (or t0)` })
      }
      if (seen.has(s.id)) issues.push({ path: ["steps", i, "id"], message: `step id "${s.id}" is used twice` })
      seen.add(s.id)
    }
    return issues
  })
)
export type Cadence = typeof Cadence.Type

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

export const RoutingStrategy = Schema.Literal("round_robin", "weighted", "territory", "segment", "named_account")
export type RoutingStrategy = typeof RoutingStrategy.Type

export const Pod = Schema.Struct({
  id: Id,
  name: Schema.optional(Schema.String),
  strategy: RoutingStrategy,
  /** Where leads go when nobody here can take them (and on an accept-SLA miss). */
  backup: Schema.optional(Id),
  /** Explicit members; by default the reps whose `pods` list this pod. */
  members: Schema.optional(Schema.Array(Schema.String))
})
export type Pod = typeof Pod.Type

export const Segment = Schema.Struct({ id: Id, when: LeadPredicate })

export const Routing = Schema.Struct({
  pods: Schema.NonEmptyArray(Pod),
  /** Leads from accounts in an active outbound play go to the account owner, tagged abm_suppressed. */
  abmSuppression: optionalDefault(Schema.Boolean, () => true),
  /** Any inbound from a named account notifies its owner at once. */
  namedAccountNotify: optionalDefault(Schema.Boolean, () => true),
  /** The lead field territory pods match against reps' `territories`. */
  territoryField: optionalDefault(LeadField, () => "country"),
  /** Segments for `segment` pods, first match wins; an account's own segment takes precedence. */
  segments: optionalDefault(Schema.Array(Segment), () => [])
})
export type Routing = typeof Routing.Type

// ---------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------

export const Calendar = Schema.Struct({
  timezone: Schema.String,
  workingHours: Schema.Record({ key: Schema.String, value: Schema.Tuple(Schema.String, Schema.String) }),
  holidays: optionalDefault(Schema.Array(Schema.String), () => [])
}).pipe(
  Schema.filter((cal) => validateCalendar(cal).map((i) => ({ path: i.path, message: i.message }))),
  Schema.annotations({ identifier: "Calendar" })
)
export type Calendar = typeof Calendar.Type

// ---------------------------------------------------------------------------
// Recycle and escalation
// ---------------------------------------------------------------------------

export const RejectionReason = Schema.Literal("wrong_icp", "premature", "duplicate", "unreachable", "other")
export type RejectionReason = typeof RejectionReason.Type

const RecycleRule = Schema.Struct({
  /** Re-evaluate (score, tier, route) after this long in nurture. */
  reevaluateAfter: Schema.optional(IsoDuration),
  /** The nurture track the lead enters (`education`, `low_frequency`, ...). */
  track: Schema.optional(Schema.String)
})

export const Recycle = Schema.Struct({
  /** Blocked from score-based MQL until fit data changes; a hand-raise still reaches sales, flagged. */
  wrong_icp: optionalDefault(Schema.Struct({ track: Schema.optional(Schema.String) }), () => ({})),
  premature: optionalDefault(RecycleRule, () => ({ reevaluateAfter: "P30D" as IsoDuration, track: "education" })),
  duplicate: optionalDefault(Schema.Struct({}), () => ({})),
  unreachable: optionalDefault(RecycleRule, () => ({ reevaluateAfter: "P90D" as IsoDuration, track: "low_frequency" })),
  other: optionalDefault(RecycleRule, () => ({ track: "education" })),
  /** No sales activity for this long after assignment → back to marketing nurture. */
  inactivity: optionalDefault(Schema.Struct({ after: IsoDuration }), () => ({ after: "P14D" as IsoDuration })),
  closed_lost: optionalDefault(RecycleRule, () => ({ reevaluateAfter: "P90D" as IsoDuration, track: "closed_lost" })),
  cadence_exhausted: optionalDefault(RecycleRule, () => ({ reevaluateAfter: "P60D" as IsoDuration, track: "low_frequency" }))
})
export type Recycle = typeof Recycle.Type

export const Escalation = Schema.Struct({
  /** Accept SLA missed: reassign to the pod's backup (once per breach). */
  acceptMissed: optionalDefault(Schema.Literal("reassign_backup", "notify_manager"), () => "reassign_backup" as const),
  /** First-touch SLA missed: notify the rep's manager and flag the lead. */
  firstTouchMissed: optionalDefault(Schema.Literal("notify_manager", "reassign_backup"), () => "notify_manager" as const),
  /** After this many reassignments a lead stays put and the manager is notified. */
  maxReassignments: optionalDefault(Schema.Number.pipe(Schema.int(), Schema.nonNegative()), () => 2)
})
export type Escalation = typeof Escalation.Type

// ---------------------------------------------------------------------------
// Attribution and waterfall
// ---------------------------------------------------------------------------

export const HeuristicModel = Schema.Literal("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "custom")

export const AttributionPolicy = Schema.Struct({
  /** The credit split written once. A Markov removal-effect model is reported beside it. */
  model: optionalDefault(HeuristicModel, () => "w_shaped" as const),
  halfLife: optionalDefault(IsoDuration, () => "P7D" as IsoDuration),
  custom: Schema.optional(Schema.Struct({
    first: Schema.Number.pipe(Schema.nonNegative()),
    lead: Schema.Number.pipe(Schema.nonNegative()),
    opportunity: Schema.Number.pipe(Schema.nonNegative()),
    last: Schema.Number.pipe(Schema.nonNegative()),
    middle: Schema.Number.pipe(Schema.nonNegative())
  }))
}).pipe(
  Schema.filter((a) => a.model !== "custom" || a.custom !== undefined || { path: ["custom"], message: "model custom needs custom weights" })
)

export const WaterfallSection = Schema.Struct({
  targets: optionalDefault(
    Schema.Array(Schema.Struct({
      from: WaterfallStage,
      to: WaterfallStage,
      rate: Schema.optional(Fraction),
      owner: Schema.String
    }).pipe(Schema.filter((t) => stageIndex(t.to) > stageIndex(t.from) || { path: ["to"], message: `"${t.to}" does not come after "${t.from}" in the waterfall` }))),
    () => []
  ),
  /** Healthy MQL→SQL band (seed 002: 40–70%). */
  mqlToSqlBand: optionalDefault(
    Schema.Tuple(Fraction, Fraction).pipe(Schema.filter(([lo, hi]) => lo <= hi || "the band's low end is above its high end")),
    () => [0.4, 0.7] as const
  ),
  alarms: optionalDefault(
    Schema.Struct({
      /** Sales rejects above this share of routed leads in a month → calibration session. */
      rejectRate: optionalDefault(Fraction, () => 0.2),
      /** MQL→SQL drifting more than this (fraction; 0.05 = 5 points) off target → recalibrate. */
      mqlToSqlDrift: optionalDefault(Fraction, () => 0.05)
    }),
    () => ({ rejectRate: 0.2, mqlToSqlDrift: 0.05 })
  )
})
const stageIndex = (s: WaterfallStage) => waterfallStages.indexOf(s)

// ---------------------------------------------------------------------------
// Signatures and fixtures
// ---------------------------------------------------------------------------

export const Signature = Schema.Struct({
  role: Schema.NonEmptyTrimmedString,
  name: Schema.NonEmptyTrimmedString,
  signedAt: DateOrDateTimeText
})

/** A fixture event: its type, properties, and how long before the test's `at` it happened. */
export const FixtureEvent = Schema.Struct({
  type: EventType,
  ago: optionalDefault(IsoDuration, () => "PT0S" as IsoDuration),
  properties: optionalDefault(Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean) }), () => ({})),
  channel: Schema.optional(Schema.String)
})

export const AgreementTest = Schema.Struct({
  name: Schema.optional(Schema.String),
  /** When the fixture lead arrives (ISO date-time); default 2026-01-06T15:00:00Z, a Tuesday. */
  at: Schema.optional(Schema.String.pipe(Schema.filter((s) => !Number.isNaN(Date.parse(s)) || "at must be an ISO date-time"))),
  lead: Schema.Struct({
    email: Schema.optional(Schema.String),
    title: Schema.optional(Schema.String),
    seniority: Schema.optional(Schema.String),
    company: Schema.optional(Schema.String),
    domain: Schema.optional(Schema.String),
    country: Schema.optional(Schema.String),
    region: Schema.optional(Schema.String),
    employees: Schema.optional(Schema.Number),
    industry: Schema.optional(Schema.String),
    estimatedAcv: Schema.optional(Schema.Number),
    /** The inquiry's event type (form intent), happening at `at`. */
    intent: Schema.optional(EventType),
    events: optionalDefault(Schema.Array(FixtureEvent), () => []),
    enriched: optionalDefault(Schema.Boolean, () => true),
    account: Schema.optional(Schema.Struct({
      named: optionalDefault(Schema.Boolean, () => false),
      activeOutbound: optionalDefault(Schema.Boolean, () => false),
      ownerRepId: Schema.optional(Schema.String)
    }))
  }),
  expect: Schema.Struct({
    tier: Schema.optional(Schema.String),
    /** The pod the tier routes to; `null` for tiers marketing keeps. */
    pod: Schema.optional(Schema.NullOr(Schema.String)),
    mql: Schema.optional(Schema.Boolean),
    handRaise: Schema.optional(Schema.Boolean),
    disqualified: Schema.optional(Schema.Boolean),
    flags: Schema.optional(Schema.Array(Schema.String)),
    sla: Schema.optional(Schema.Struct({ accept: Schema.optional(Deadline), firstTouch: Schema.optional(Deadline) }))
  })
})
export type AgreementTest = typeof AgreementTest.Type

// ---------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------

const AgreementFields = Schema.Struct({
  name: Schema.NonEmptyTrimmedString,
  description: Schema.optional(Schema.String),
  scoring: Scoring,
  handRaise: HandRaise,
  tiers: Schema.NonEmptyArray(Tier),
  cadences: optionalDefault(Schema.Record({ key: Id, value: Cadence }), () => ({})),
  routing: Routing,
  calendar: Calendar,
  recycle: optionalDefault(Recycle, () => Schema.decodeSync(Recycle)({})),
  escalation: optionalDefault(Escalation, () => Schema.decodeSync(Escalation)({})),
  attribution: optionalDefault(AttributionPolicy, () => ({ model: "w_shaped" as const, halfLife: "P7D" as IsoDuration })),
  waterfall: optionalDefault(WaterfallSection, () => Schema.decodeSync(WaterfallSection)({})),
  signatures: optionalDefault(Schema.Array(Signature), () => []),
  tests: optionalDefault(Schema.Array(AgreementTest), () => [])
})

/** Cross-references the structure alone cannot check; every one is reported with its path. */
const crossCheck = (a: typeof AgreementFields.Type): Array<Schema.FilterIssue> => {
  const issues: Array<Schema.FilterIssue> = []
  const ruleIds = new Map<string, string>()
  a.scoring.fit.forEach((r, i) => {
    if (ruleIds.has(r.id)) issues.push({ path: ["scoring", "fit", i, "id"], message: `rule id "${r.id}" is already used by ${ruleIds.get(r.id)}` })
    else ruleIds.set(r.id, `scoring.fit[${i}]`)
  })
  a.scoring.intent.forEach((r, i) => {
    if (ruleIds.has(r.id)) issues.push({ path: ["scoring", "intent", i, "id"], message: `rule id "${r.id}" is already used by ${ruleIds.get(r.id)}` })
    else ruleIds.set(r.id, `scoring.intent[${i}]`)
  })
  const pods = new Set<string>()
  a.routing.pods.forEach((p, i) => {
    if (pods.has(p.id)) issues.push({ path: ["routing", "pods", i, "id"], message: `pod id "${p.id}" is used twice` })
    pods.add(p.id)
  })
  a.routing.pods.forEach((p, i) => {
    if (p.backup === undefined) return
    if (!pods.has(p.backup)) issues.push({ path: ["routing", "pods", i, "backup"], message: `backup pod "${p.backup}" is not defined in routing.pods` })
    else {
      // follow the backup chain: it must end, not come back to this pod
      const seen = new Set([p.id])
      let next: string | undefined = p.backup
      while (next !== undefined) {
        if (seen.has(next)) {
          issues.push({ path: ["routing", "pods", i, "backup"], message: `backup chain from "${p.id}" loops back to "${next}"` })
          break
        }
        seen.add(next)
        next = a.routing.pods.find((q) => q.id === next)?.backup
      }
    }
  })
  const tierNames = new Set<string>()
  a.tiers.forEach((t, i) => {
    if (tierNames.has(t.name)) issues.push({ path: ["tiers", i, "name"], message: `tier "${t.name}" is defined twice` })
    tierNames.add(t.name)
    if (t.route !== undefined && !pods.has(t.route.pod)) issues.push({ path: ["tiers", i, "route", "pod"], message: `pod "${t.route.pod}" is not defined in routing.pods` })
    if (t.cadence !== undefined && a.cadences[t.cadence] === undefined) issues.push({ path: ["tiers", i, "cadence"], message: `cadence "${t.cadence}" is not defined in cadences` })
    if (t.route === undefined && (t.sla !== undefined || t.cadence !== undefined)) issues.push({ path: ["tiers", i], message: `tier "${t.name}" has an SLA or cadence but no route: a timer needs an owner` })
    if (t.when === undefined && i < a.tiers.length - 1) issues.push({ path: ["tiers", i, "when"], message: `tier "${t.name}" matches every lead, so the tiers after it can never apply` })
  })
  const last = a.tiers[a.tiers.length - 1]!
  if (last.when !== undefined) issues.push({ path: ["tiers", a.tiers.length - 1], message: "the last tier must be a catch-all (no `when`) so every lead gets a tier" })
  a.tests.forEach((t, i) => {
    if (t.expect.tier !== undefined && !tierNames.has(t.expect.tier)) issues.push({ path: ["tests", i, "expect", "tier"], message: `tier "${t.expect.tier}" is not defined in tiers` })
    if (t.expect.pod != null && !pods.has(t.expect.pod)) issues.push({ path: ["tests", i, "expect", "pod"], message: `pod "${t.expect.pod}" is not defined in routing.pods` })
  })
  return issues
}

export const Agreement = AgreementFields.pipe(
  Schema.filter(crossCheck),
  Schema.annotations({
    identifier: "Agreement",
    title: "Handoff agreement",
    description: "The marketing ↔ sales handoff policy: scoring, tiers, routing, SLAs, recycling, attribution and waterfall targets."
  })
)
export type Agreement = typeof Agreement.Type
export type AgreementEncoded = typeof Agreement.Encoded

/** A stored agreement: the document plus the version number every decision records. */
export interface AgreementVersion {
  readonly version: number
  readonly agreement: Agreement
  readonly createdAt: Date
  readonly createdBy: string
}
