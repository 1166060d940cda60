/**
 * Calibration from outcomes on the store (issue #7, part 3): the leads whose outcome is
 * known — reached SQL (or won) vs not — with their profile fields and current score, and
 * the scorecard the domain fits on them (`fitScorecard`, `crossValidate`, `suggestDiff`
 * in @handoff/domain/Calibration): an integer points table in the agreement's fit-rule
 * format, the MQL threshold that best separates converters (Youden's J), AUC, conversion
 * by score band and the suggested change to the agreement. Served as the `scorecard`
 * section of `GET /v1/reports/calibration` and printed by `handoff calibrate`.
 *
 * Known outcomes (leads created in the period, merged duplicates left out):
 * - `sql`: converted = reached SQL (qualified, an opportunity, won); not converted = never
 *   reached SQL and rejected by sales, recycled, or created at least 30 days before now.
 * - `won`: converted = won; not converted = not won and lost, rejected, recycled, or
 *   created at least 90 days before now.
 * Younger leads still in play are left out: their outcome is not known yet.
 */
import { type Agreement, FitRule } from "@handoff/domain"
import {
  auc, type CalibrationExample, type CalibrationValue, crossValidate, fitScorecard, inferFeatures, type Scorecard, suggestDiff
} from "@handoff/domain/Calibration"
import { Context, Effect, Layer, Schema } from "effect"
import { sql } from "kysely"
import { CalibrationReportSchema, type ReportInput } from "./Reports.ts"
import { SqlRunner } from "./Store.ts"

// ---------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------

export const CalibrationOutcome = Schema.Literal("sql", "won")
export type CalibrationOutcome = typeof CalibrationOutcome.Type

const Rate = Schema.NullOr(Schema.Number).annotations({ description: "A fraction (0.25 = 25%); null when the denominator is 0." })

export const ScorecardSectionSchema = Schema.Struct({
  outcome: CalibrationOutcome,
  /** How outcomes were decided, in words. */
  definition: Schema.String,
  /** Leads with a known outcome, and how many converted. */
  leads: Schema.Number,
  converted: Schema.Number,
  /** Fields the scorecard reads (profile fields; `fields.<name>` for form answers). */
  fields: Schema.Array(Schema.String),
  auc: Schema.Struct({
    scorecard: Schema.Number.annotations({ description: "AUC of the integer points on the leads it was fitted on." }),
    model: Schema.Number.annotations({ description: "AUC of the float model (before rounding to points)." }),
    currentScore: Schema.NullOr(Schema.Number).annotations({ description: "AUC of the leads' current scores under the agreement in force (null when too few are scored)." })
  }),
  /** Stratified 5-fold cross-validated AUC (seed 1); null under 200 known outcomes or 25 of either class. */
  crossValidated: Schema.NullOr(Schema.Struct({
    folds: Schema.Number,
    seed: Schema.Number,
    scorecard: Schema.Number,
    binned: Schema.Number,
    raw: Schema.Number
  })),
  pointsToDoubleOdds: Schema.Number.annotations({ description: "Every this many points double the odds of converting." }),
  /** Every bin of every field, 0 points for the field's reference bin. */
  table: Schema.Array(Schema.Struct({
    id: Schema.String,
    field: Schema.String,
    bin: Schema.String,
    condition: Schema.String,
    points: Schema.Number,
    reference: Schema.Boolean,
    leads: Schema.Number,
    converted: Schema.Number,
    rate: Rate
  })),
  /** The non-zero bins as fit rules, in the agreement's format. */
  rules: Schema.Array(FitRule),
  threshold: Schema.Struct({
    points: Schema.Number,
    method: Schema.Literal("youden_j"),
    youdenJ: Schema.Number,
    truePositiveRate: Schema.Number,
    falsePositiveRate: Schema.Number,
    precision: Rate,
    f1: Rate,
    mqlRate: Schema.Number
  }),
  /** Conversion by band of the scorecard's points. */
  bands: Schema.Array(Schema.Struct({
    from: Schema.Number,
    to: Schema.Number,
    leads: Schema.Number,
    converted: Schema.Number,
    rate: Rate,
    aboveThreshold: Schema.Boolean
  })),
  /** The suggested change to the active agreement. */
  diff: Schema.Struct({
    mqlThreshold: Schema.Struct({ before: Schema.Number, after: Schema.Number }),
    minFit: Schema.Struct({ before: Schema.Number, after: Schema.Number }),
    added: Schema.Array(Schema.String),
    removed: Schema.Array(Schema.String),
    changed: Schema.Array(Schema.String),
    kept: Schema.Array(Schema.String),
    text: Schema.String,
    yaml: Schema.String
  })
}).annotations({ identifier: "CalibrationScorecard" })
export type ScorecardSection = typeof ScorecardSectionSchema.Type

/** The calibration report with the scorecard section (`GET /v1/reports/calibration`). */
export const CalibrationWithScorecardSchema = Schema.Struct({
  ...CalibrationReportSchema.fields,
  /** The outcome the scorecard was fitted to. */
  outcome: CalibrationOutcome,
  scorecard: Schema.NullOr(ScorecardSectionSchema),
  /** Why there is no scorecard (too few outcomes, one class only); null when there is one. */
  scorecardReason: Schema.NullOr(Schema.String)
}).annotations({ identifier: "CalibrationReportWithScorecard" })
export type CalibrationWithScorecardData = typeof CalibrationWithScorecardSchema.Type

// ---------------------------------------------------------------------------
// The pure part
// ---------------------------------------------------------------------------

/** Known outcomes needed before a scorecard is fitted, and before it is cross-validated. */
export const scorecardMinimum = { leads: 50, perClass: 5, crossValidate: 200, crossValidatePerClass: 25 } as const

/** Profile keys that identify a person or company rather than describe fit: never scored. */
const identifying = new Set(["email", "firstName", "lastName", "phone", "company", "domain"])

/**
 * A stored profile as the values the agreement's fit rules read: `title`, `employees`,
 * `source.channel`, `fields.<answer>`, ... (identifying fields left out).
 */
export const profileValues = (profile: unknown): Record<string, CalibrationValue> => {
  const out: Record<string, CalibrationValue> = {}
  if (profile === null || typeof profile !== "object") return out
  for (const [k, v] of Object.entries(profile as Record<string, unknown>)) {
    if (identifying.has(k)) continue
    if ((k === "source" || k === "fields") && v !== null && typeof v === "object") {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) {
        if (typeof sv === "string" || typeof sv === "number" || typeof sv === "boolean") out[`${k}.${sk}`] = sv
      }
    } else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v
  }
  return out
}

/**
 * Fit the scorecard section on leads with known outcomes, or say why not: at least 50
 * known outcomes with 5 of each class; cross-validated from 200 with 25 of each.
 * `currentScores` (one per lead, null when unscored) gives the AUC of today's scoring.
 */
export const scorecardSection = (
  examples: ReadonlyArray<CalibrationExample>,
  opts: {
    readonly agreement: Agreement
    readonly outcome: CalibrationOutcome
    readonly definition: string
    readonly currentScores?: ReadonlyArray<number | null>
  }
): { readonly scorecard: ScorecardSection | null; readonly reason: string | null; readonly card: Scorecard | null } => {
  const converted = examples.filter((e) => e.converted).length
  const notConverted = examples.length - converted
  const what = opts.outcome === "sql" ? "reached SQL" : "won"
  if (examples.length < scorecardMinimum.leads || converted < scorecardMinimum.perClass || notConverted < scorecardMinimum.perClass) {
    return {
      scorecard: null,
      card: null,
      reason: `Too few known outcomes to fit a scorecard: ${examples.length} lead(s) with a known outcome (${converted} ${what}, ${notConverted} did not); ` +
        `need at least ${scorecardMinimum.leads} with ${scorecardMinimum.perClass} of each. Widen the period (from, to) or wait for outcomes.`
    }
  }
  const features = inferFeatures(examples)
  if (features.length === 0) {
    return { scorecard: null, card: null, reason: "No profile field varies across these leads: there is nothing to score on." }
  }
  const card = fitScorecard(examples, features)
  const cv = examples.length >= scorecardMinimum.crossValidate && Math.min(converted, notConverted) >= scorecardMinimum.crossValidatePerClass
    ? crossValidate(examples, features, { folds: 5, seed: 1 })
    : null
  const scored = (opts.currentScores ?? []).flatMap((s, i) => (s === null || !Number.isFinite(s) ? [] : [{ s, y: examples[i]!.converted }]))
  const currentAuc = scored.length >= scorecardMinimum.leads && scored.some((x) => x.y) && scored.some((x) => !x.y)
    ? auc(scored.map((x) => x.s), scored.map((x) => x.y))
    : null
  const diff = suggestDiff(opts.agreement, card)
  return {
    card,
    reason: null,
    scorecard: {
      outcome: opts.outcome,
      definition: opts.definition,
      leads: examples.length,
      converted,
      fields: card.features.map((f) => f.field),
      auc: { scorecard: card.auc.points, model: card.auc.model, currentScore: currentAuc },
      crossValidated: cv === null ? null : { folds: cv.folds, seed: cv.seed, scorecard: cv.scorecard.mean, binned: cv.binned.mean, raw: cv.raw.mean },
      pointsToDoubleOdds: card.pointsToDoubleOdds,
      table: card.table.map((t) => ({
        id: t.id, field: t.field, bin: t.bin, condition: t.condition, points: t.points, reference: t.reference,
        leads: t.leads, converted: t.converted, rate: t.rate
      })),
      rules: card.rules,
      threshold: card.threshold,
      bands: card.bands,
      diff: {
        mqlThreshold: diff.mqlThreshold,
        minFit: diff.minFit,
        added: diff.added.map((r) => r.id),
        removed: diff.removed.map((r) => r.id),
        changed: diff.changed.map((c) => c.after.id),
        kept: diff.kept.map((r) => r.id),
        text: diff.text,
        yaml: diff.yaml
      }
    }
  }
}

/** The outcome definitions, in words (the section's `definition`). */
export const outcomeDefinition: Record<CalibrationOutcome, string> = {
  sql: "converted: reached SQL (qualified, opportunity or won); not converted: never reached SQL and rejected by sales, recycled, or created 30+ days ago. Younger open leads and merged duplicates are left out.",
  won: "converted: won; not converted: not won and lost, rejected by sales, recycled, or created 90+ days ago. Younger open leads and merged duplicates are left out."
}

const maturityDays: Record<CalibrationOutcome, number> = { sql: 30, won: 90 }

// ---------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------

/** One lead with a known outcome, as read from the store. */
export interface OutcomeRow {
  readonly leadId: string
  readonly values: Readonly<Record<string, CalibrationValue>>
  readonly converted: boolean
  readonly score: number | null
}

export class ScorecardQueries extends Context.Tag("@handoff/db/ScorecardQueries")<ScorecardQueries, {
  /** Leads created in the period whose outcome is known (see the module doc), oldest first. */
  readonly outcomes: (input: { readonly period: ReportInput["period"]; readonly now: Date; readonly outcome: CalibrationOutcome }) => Effect.Effect<ReadonlyArray<OutcomeRow>>
  /** The scorecard fitted on them, against the input's agreement — or null and the reason. */
  readonly scorecard: (input: ReportInput & { readonly outcome: CalibrationOutcome }) => Effect.Effect<{ readonly scorecard: ScorecardSection | null; readonly reason: string | null }>
}>() {}

type Row = {
  id: string
  created_at: unknown
  score_total: number | string | null
  profile: unknown
  reached_sql: boolean
  won: boolean
  closed_out: boolean
  lost: boolean
}

export const makeScorecardQueries = Effect.gen(function*() {
  const { q } = yield* SqlRunner

  const outcomes: ScorecardQueries["Type"]["outcomes"] = ({ now, outcome, period }) =>
    q(async (db) => {
      const { rows } = await sql<Row>`
        select l.id, l.created_at, l.score_total, l.profile,
               (exists (select 1 from lead_timeline t where t.lead_id = l.id and t.cause in ('Qualify', 'OpenOpportunity', 'CloseWon') and t.at <= ${now}::timestamptz)
                or exists (select 1 from opportunities o where o.lead_id = l.id and o.opened_at <= ${now}::timestamptz)) as reached_sql,
               (exists (select 1 from lead_timeline t where t.lead_id = l.id and t.cause = 'CloseWon' and t.at <= ${now}::timestamptz)
                or exists (select 1 from opportunities o where o.lead_id = l.id and o.won and o.closed_at <= ${now}::timestamptz)) as won,
               exists (select 1 from lead_timeline t where t.lead_id = l.id and t.cause in ('Reject', 'Recycle') and t.at <= ${now}::timestamptz) as closed_out,
               (exists (select 1 from lead_timeline t where t.lead_id = l.id and t.cause = 'CloseLost' and t.at <= ${now}::timestamptz)
                or exists (select 1 from opportunities o where o.lead_id = l.id and o.won = false and o.closed_at <= ${now}::timestamptz)) as lost
          from leads l
         where l.created_at >= ${period.from}::timestamptz and l.created_at < ${period.to}::timestamptz and l.stage <> 'merged'
         order by l.created_at, l.id`.execute(db)
      const matureBefore = now.getTime() - maturityDays[outcome] * 86_400_000
      return rows.flatMap((r): Array<OutcomeRow> => {
        const created = (r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at))).getTime()
        const converted = outcome === "sql" ? r.reached_sql : r.won
        const known = converted || r.closed_out || (outcome === "won" && r.lost) || created <= matureBefore
        if (!known) return []
        const profile = typeof r.profile === "string" ? JSON.parse(r.profile) as unknown : r.profile
        return [{ leadId: r.id, values: profileValues(profile), converted, score: r.score_total === null ? null : Number(r.score_total) }]
      })
    })

  const scorecard: ScorecardQueries["Type"]["scorecard"] = (input) =>
    Effect.map(outcomes({ period: input.period, now: input.now, outcome: input.outcome }), (rows) => {
      const { reason, scorecard } = scorecardSection(rows.map((r) => ({ values: r.values, converted: r.converted })), {
        agreement: input.agreement,
        outcome: input.outcome,
        definition: outcomeDefinition[input.outcome],
        currentScores: rows.map((r) => r.score)
      })
      return { scorecard, reason }
    })

  return ScorecardQueries.of({ outcomes, scorecard })
})

/** The scorecard queries on the store. Needs `SqlRunner` (from `storeLayer`). */
export const ScorecardQueriesLive = Layer.effect(ScorecardQueries, makeScorecardQueries)
