/**
 * Report data for a period: the demand waterfall, attribution, speed-to-lead and SLA
 * compliance, rejections, score-band calibration, and the limbo figure that must be 0.
 * What the weekly funnel report (apps/reports) and dashboards read.
 *
 * Query: `from`, `to` — an ISO 8601 date (`2026-01-05`) or date-time with a zone
 * (`2026-01-05T00:00:00Z`). The period is half-open, `from` ≤ t < `to`; a date alone as
 * `from` means the start of that day (UTC), as `to` the end of it, so
 * `from=2026-01-05&to=2026-01-11` is the whole week. Default: the 7 days ending now.
 * `groupBy` (waterfall): `source` | `rep` | `tier`. `model` (attribution): the model to
 * report; default the agreement's.
 *
 * The figures are computed by `ReportQueries` (@handoff/db) with the domain's pure
 * functions, under the active agreement.
 */
import {
  AttributionReportSchema, LimboReportSchema, type ReportInput, ReportGroupBy, ReportQueries,
  RejectionsReportSchema, SlaReportSchema, WaterfallReportSchema
} from "@handoff/db"
import { CalibrationOutcome, CalibrationWithScorecardSchema, ScorecardQueries } from "@handoff/db"
import { AgreementStore, AttributionModel, calendarDayNumber } from "@handoff/domain"
import { Clock, Effect, ParseResult, Schema } from "effect"
import { route } from "../http.ts"
import { HeavyJobs, heavyWorkNote } from "../offload/index.ts"
import { InvalidInput } from "../problem.ts"

const day = 24 * 60 * 60 * 1000
const defaultSpan = 7 * day
/** The longest period a report covers (two years): longer ones are refused rather than left to time out. */
const maxSpan = 731 * day

const isoDay = /^(\d{4})-(\d{2})-(\d{2})$/
const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i

/** A real calendar day (not 2026-02-30, which `Date` would roll over into March). */
const realDay = (s: string): boolean => calendarDayNumber(s) !== undefined

/**
 * A query date: a day (`2026-01-05`, UTC) or a date-time with a zone. A day alone means
 * its start for `from`, its end (the next day's start) for `to`.
 */
const QueryDate = (dayMeans: "start" | "end") =>
  Schema.transformOrFail(Schema.String, Schema.DateFromSelf, {
    strict: true,
    decode: (s, _, ast) => {
      if (isoDay.test(s) && realDay(s)) {
        const start = new Date(`${s}T00:00:00Z`)
        return ParseResult.succeed(dayMeans === "start" ? start : new Date(start.getTime() + day))
      }
      if (isoDateTime.test(s) && realDay(s)) {
        const d = new Date(s)
        if (!Number.isNaN(d.getTime())) return ParseResult.succeed(d)
      }
      return ParseResult.fail(new ParseResult.Type(ast, s, `must be an ISO 8601 date (2026-01-05) or date-time with a zone (2026-01-05T09:00:00Z), got "${s}"`))
    },
    encode: (d) => ParseResult.succeed(d.toISOString())
  }).annotations({
    jsonSchema: {
      type: "string",
      description: dayMeans === "start"
        ? "Start of the period (inclusive): an ISO 8601 date (its start, UTC) or date-time with a zone. Default: 7 days before `to`."
        : "End of the period (exclusive): an ISO 8601 date (through the end of that day, UTC) or date-time with a zone. Default: now.",
      examples: ["2026-01-05", "2026-01-05T00:00:00Z"]
    }
  })

const PeriodQuery = {
  from: Schema.optional(QueryDate("start")),
  to: Schema.optional(QueryDate("end"))
}

const resolve = (query: { readonly from?: Date | undefined; readonly to?: Date | undefined }) =>
  Effect.gen(function*() {
    const now = new Date(yield* Clock.currentTimeMillis)
    const to = query.to ?? now
    const from = query.from ?? new Date(to.getTime() - defaultSpan)
    if (from.getTime() > to.getTime()) {
      return yield* Effect.fail(new InvalidInput({
        status: 422,
        message: "The period is empty: `from` is after `to`.",
        errors: [{ path: "query.from", message: `must not be after \`to\` (${from.toISOString()} > ${to.toISOString()})` }]
      }))
    }
    if (to.getTime() - from.getTime() > maxSpan) {
      return yield* Effect.fail(new InvalidInput({
        status: 422,
        message: "The period is too long: a report covers at most 731 days.",
        errors: [{ path: "query.from", message: "the period from `from` to `to` is longer than 731 days" }]
      }))
    }
    const active = yield* (yield* AgreementStore).active()
    const input: ReportInput = { period: { from, to }, now, agreement: active.agreement }
    return input
  })

/** No parameters at all (an empty `Schema.Struct` would accept any). */
const NoQuery = Schema.Record({ key: Schema.String, value: Schema.Unknown }).pipe(
  Schema.filter((q) => Object.keys(q).map((k) => ({ path: [k], message: "this report takes no parameters: it reports the state now" })))
)

const roles = ["read"] as const
const tag = "Reports"

export const reportRoutes = [
  route({
    method: "get",
    path: "/v1/reports/waterfall",
    long: true,
    roles: [...roles],
    tag,
    summary: "Report the demand waterfall",
    description: "Inquiry → MQL → SAL → SQL → Opportunity → Closed-Won for the period: leads entering each stage (flow), " +
      "stage-to-stage conversion (flow and cohort rates, median and p90 time between stages) against the agreement's targets " +
      "and owners, MQL→SQL against the healthy band, and the alarms (MQL→SQL drift; sales rejecting more than the limit of " +
      "leads routed in the 30 days ending at `to`). Stage times come from the timeline: inquiry = lead created, MQL = first " +
      "MarkMql, SAL = first Accept, SQL = first Qualify, opportunity = first OpenOpportunity (or the CRM's earlier opening date), " +
      "won = first CloseWon (or the CRM's earlier close date); a lead that reached a later stage passed the earlier ones. `groupBy=source|rep|tier` adds one waterfall per source channel, first " +
      "rep routed to, or tier (key null: leads without one).",
    query: Schema.Struct({ ...PeriodQuery, groupBy: Schema.optional(ReportGroupBy) }),
    response: WaterfallReportSchema,
    status: 200,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const input = yield* resolve(query)
        return { body: yield* (yield* ReportQueries).waterfall({ ...input, groupBy: query.groupBy }) }
      })
  }),

  route({
    method: "get",
    path: "/v1/reports/attribution",
    long: true,
    roles: [...roles],
    tag,
    summary: "Report multi-touch attribution",
    description: "Credit for the opportunities opened in the period (value: their amount) split over the channels and campaigns " +
      "that touched their leads (events with a channel, oldest first, up to the opening) under `model` — default the " +
      "agreement's — beside every other model and the data-driven Markov (removal effect) model. The lead-creation milestone " +
      "is the last touch at or before the MQL, the opportunity milestone the last touch. Leads created in the period with no " +
      "opportunity by `to` are the Markov model's non-converting journeys. Opportunities with no touch are reported as " +
      "`unattributed`.",
    query: Schema.Struct({ ...PeriodQuery, model: Schema.optional(AttributionModel) }),
    response: AttributionReportSchema,
    status: 200,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const input = yield* resolve(query)
        if (query.model === "custom" && input.agreement.attribution.custom === undefined) {
          return yield* Effect.fail(new InvalidInput({
            status: 422,
            message: "The active agreement sets no custom attribution weights.",
            errors: [{ path: "query.model", message: "custom needs `attribution.custom` weights in the agreement" }]
          }))
        }
        const report = yield* (yield* ReportQueries).attribution({ ...input, model: query.model }).pipe(Effect.orDie)
        return { body: report }
      })
  }),

  route({
    method: "get",
    path: "/v1/reports/sla",
    long: true,
    roles: [...roles],
    tag,
    summary: "Report speed-to-lead and SLA compliance",
    description: "For the handoffs routed to a rep in the period, overall and by source, rep and tier: median and p90 time to " +
      "route (routed − T0), to accept (accepted − routed) and to first touch (first touch − T0); accept and first-touch SLA " +
      "compliance (met ÷ met + breached; a handoff rejected or reassigned before a deadline does not count), breaches; and " +
      "the wall of shame: reps with breaches, slowest median first touch first.",
    query: Schema.Struct(PeriodQuery),
    response: SlaReportSchema,
    status: 200,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const input = yield* resolve(query)
        return { body: yield* (yield* ReportQueries).sla(input) }
      })
  }),

  route({
    method: "get",
    path: "/v1/reports/rejections",
    long: true,
    roles: [...roles],
    tag,
    summary: "Report sales' rejections",
    description: "Rejections by sales in the period by reason (wrong_icp, premature, duplicate, unreachable, other), and by rep, " +
      "source and tier against the leads routed there; the rejection rate over routed leads; and the calibration alarm " +
      "(sales rejecting more than the agreement's limit, default 20%, of the leads routed in the 30 days ending at `to`).",
    query: Schema.Struct(PeriodQuery),
    response: RejectionsReportSchema,
    status: 200,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const input = yield* resolve(query)
        return { body: yield* (yield* ReportQueries).rejections(input) }
      })
  }),

  route({
    method: "get",
    path: "/v1/reports/calibration",
    long: true,
    roles: [...roles],
    tag,
    summary: "Report conversion by score band, and calibrate a scorecard from outcomes",
    description: "The leads created in the period in bands of 10 points of their current score: how many reached MQL, SAL, " +
      "SQL, opportunity and closed-won, and the rates; where the MQL line is (the agreement's threshold) and the lowest band " +
      "that converts to SQL at or above the healthy MQL→SQL band's low end. `scorecard`: from the period's leads with a known " +
      "`outcome` (`sql`, default: reached SQL vs rejected, recycled or 30+ days old without; `won`: won vs lost, rejected, " +
      "recycled or 90+ days old), an integer points table fitted to it (binned profile fields, L2 logistic regression, points " +
      "on a points-to-double-odds scale) as fit rules in the agreement's format, the MQL threshold that best separates " +
      "converters (Youden's J), AUC (and 5-fold cross-validated AUC from 200 outcomes), conversion by score band and the " +
      "suggested change to the agreement; null with `scorecardReason` under 50 known outcomes or 5 of either class. " +
      "Fitting the scorecard runs as one heavy job. " + heavyWorkNote,
    query: Schema.Struct({ ...PeriodQuery, outcome: Schema.optional(CalibrationOutcome) }),
    response: CalibrationWithScorecardSchema,
    status: 200,
    heavy: true,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const input = yield* resolve(query)
        const outcome = query.outcome ?? "sql"
        const report = yield* (yield* ReportQueries).calibration(input)
        // the outcomes are read here; the fit (logistic regression, cross-validation) takes CPU time: off the loop
        const rows = yield* (yield* ScorecardQueries).outcomes({ period: input.period, now: input.now, outcome })
        const { reason, scorecard } = yield* (yield* HeavyJobs).run("scorecard", {
          examples: rows.map((r) => ({ values: r.values, converted: r.converted })),
          currentScores: rows.map((r) => r.score),
          agreement: input.agreement,
          outcome
        })
        return { body: { ...report, outcome, scorecard, scorecardReason: reason } }
      })
  }),

  route({
    method: "get",
    path: "/v1/reports/limbo",
    long: true,
    roles: [...roles],
    tag,
    summary: "Report leads in limbo",
    description: "The invariant figure that must be 0, as of now: MQLs with neither an owner nor a named queue. Beside it, MQLs " +
      "waiting in a queue and leads whose SLA deadline passed without being acted on. Counts, and the first 100 leads of each " +
      "(oldest first). Takes no period: it is the state now.",
    query: NoQuery,
    response: LimboReportSchema,
    status: 200,
    handler: () =>
      Effect.gen(function*() {
        const now = new Date(yield* Clock.currentTimeMillis)
        return { body: yield* (yield* ReportQueries).limbo(now) }
      })
  })
]
