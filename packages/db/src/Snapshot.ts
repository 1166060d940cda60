/**
 * The weekly report snapshot: the figures of the week just ended — the same ones the
 * `/v1/reports/*` endpoints give for that period — plus the trailing 13 weeks' waterfall
 * counts, stored once per week in `report_snapshots` for the funnel site to read. Weeks
 * start on Monday at 00:00 in the agreement calendar's time zone. Writing is idempotent: a
 * week already stored is left as it is.
 */
import { AgreementStore, type AgreementVersion, agreementToYaml, encodeAgreement, instantFromWallClock, wallClock, type Weekday } from "@handoff/domain"
import { Clock, Effect, Option, Schema } from "effect"
import diff from "microdiff"
import {
  AttributionReportSchema, CalibrationReportSchema, LimboReportSchema, ReportPeriod, ReportQueries, RejectionsReportSchema, SlaReportSchema,
  WaterfallReportSchema
} from "./Reports.ts"
import { SqlRunner } from "./Store.ts"

const WeekCounts = Schema.Struct({
  weekStart: Schema.String,
  inquiry: Schema.Number,
  mql: Schema.Number,
  sal: Schema.Number,
  sql: Schema.Number,
  opportunity: Schema.Number,
  won: Schema.Number
})

const AgreementChange = Schema.Struct({
  /** Where in the document, as a dotted path (`scoring.mqlThreshold`, `tiers.0.sla.accept`). */
  path: Schema.String,
  kind: Schema.Literal("added", "removed", "changed"),
  before: Schema.optional(Schema.Unknown),
  after: Schema.optional(Schema.Unknown)
})

const AgreementDocumentSchema = Schema.Struct({
  version: Schema.Number,
  createdAt: Schema.Date,
  createdBy: Schema.String,
  /** The document as stored (JSON form of the YAML). */
  document: Schema.Unknown,
  /** The same document as YAML, for printing. */
  yaml: Schema.String,
  previous: Schema.NullOr(Schema.Struct({ version: Schema.Number, createdAt: Schema.Date, createdBy: Schema.String })),
  /** Every value that differs from the previous version (empty for the first version). */
  changes: Schema.Array(AgreementChange)
})

/** The agreement page's data: the active version, and its differences from the one before it. */
export const agreementDocumentOf = (active: AgreementVersion, previous: AgreementVersion | undefined): typeof AgreementDocumentSchema.Type => {
  const document = encodeAgreement(active.agreement)
  const changes = previous === undefined
    ? []
    : diff(encodeAgreement(previous.agreement) as unknown as Record<string, unknown>, document as unknown as Record<string, unknown>).map((d) => ({
      path: d.path.join("."),
      kind: d.type === "CREATE" ? "added" as const : d.type === "REMOVE" ? "removed" as const : "changed" as const,
      ...(d.type === "CREATE" ? {} : { before: d.oldValue }),
      ...(d.type === "REMOVE" ? {} : { after: d.value })
    }))
  return {
    version: active.version,
    createdAt: active.createdAt,
    createdBy: active.createdBy,
    document,
    yaml: agreementToYaml(active.agreement),
    previous: previous === undefined ? null : { version: previous.version, createdAt: previous.createdAt, createdBy: previous.createdBy },
    changes
  }
}

/** One week's report data, as stored and as the site reads it. */
export const WeeklySnapshotSchema = Schema.Struct({
  /** The Monday the week starts on (YYYY-MM-DD, agreement calendar). */
  weekStart: Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/)),
  period: ReportPeriod,
  generatedAt: Schema.Date,
  timezone: Schema.String,
  agreement: Schema.Struct({ version: Schema.Number, name: Schema.String }),
  waterfall: WaterfallReportSchema,
  waterfallBySource: WaterfallReportSchema,
  waterfallByTier: WaterfallReportSchema,
  sla: SlaReportSchema,
  rejections: RejectionsReportSchema,
  attribution: AttributionReportSchema,
  calibration: CalibrationReportSchema,
  limbo: LimboReportSchema,
  /** The waterfall counts of this week and the 12 before it, oldest first. */
  trend: Schema.Array(WeekCounts),
  /** The active agreement as signed, and what changed since the version before it. */
  agreementDocument: AgreementDocumentSchema
}).annotations({ identifier: "WeeklySnapshot" })
export type WeeklySnapshot = typeof WeeklySnapshotSchema.Type

const weekdays: ReadonlyArray<Weekday> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
const pad = (n: number) => String(n).padStart(2, "0")

/** The week that ended most recently before `now`: [Monday 00:00, next Monday 00:00) in `timezone`. */
export const weekJustEnded = (timezone: string, now: Date): { readonly weekStart: string; readonly from: Date; readonly to: Date } => {
  const w = wallClock(timezone, now)
  const sinceMonday = weekdays.indexOf(w.weekday)
  const thisMonday = { year: w.year, month: w.month, day: w.day - sinceMonday }
  const to = instantFromWallClock(timezone, thisMonday)
  const from = instantFromWallClock(timezone, { ...thisMonday, day: thisMonday.day - 7 })
  const start = wallClock(timezone, from)
  return { weekStart: `${start.year}-${pad(start.month)}-${pad(start.day)}`, from, to }
}

/** The week `weeksBack` weeks before the one given. */
const weekBefore = (timezone: string, week: { readonly from: Date }, weeksBack: number) => {
  const w = wallClock(timezone, week.from)
  const from = instantFromWallClock(timezone, { year: w.year, month: w.month, day: w.day - 7 * weeksBack })
  const to = instantFromWallClock(timezone, { year: w.year, month: w.month, day: w.day - 7 * weeksBack + 7 })
  const s = wallClock(timezone, from)
  return { weekStart: `${s.year}-${pad(s.month)}-${pad(s.day)}`, from, to }
}

/** Compute the snapshot of the week just ended before `now`, under the active agreement. */
export const computeSnapshot = (now: Date) =>
  Effect.gen(function*() {
    const reports = yield* ReportQueries
    const active = yield* (yield* AgreementStore).active()
    const agreement = active.agreement
    const timezone = agreement.calendar.timezone
    const week = weekJustEnded(timezone, now)
    const input = { period: { from: week.from, to: week.to }, now, agreement }
    const trend = yield* Effect.forEach([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], (back) => {
      const w = back === 0 ? week : weekBefore(timezone, week, back)
      return Effect.map(reports.waterfall({ period: { from: w.from, to: w.to }, now, agreement }), (r) => ({ weekStart: w.weekStart, ...r.counts }))
    })
    const store = yield* AgreementStore
    const previous = Option.getOrUndefined(active.version > 1 ? yield* store.version(active.version - 1) : Option.none())
    const snapshot: WeeklySnapshot = {
      weekStart: week.weekStart,
      period: input.period,
      generatedAt: now,
      timezone,
      agreement: { version: active.version, name: agreement.name },
      waterfall: yield* reports.waterfall(input),
      waterfallBySource: yield* reports.waterfall({ ...input, groupBy: "source" }),
      waterfallByTier: yield* reports.waterfall({ ...input, groupBy: "tier" }),
      sla: yield* reports.sla(input),
      rejections: yield* reports.rejections(input),
      attribution: yield* reports.attribution(input).pipe(Effect.orDie),
      calibration: yield* reports.calibration(input),
      limbo: yield* reports.limbo(now),
      trend,
      agreementDocument: agreementDocumentOf(active, previous)
    }
    return snapshot
  })

/**
 * Store the snapshot of the week just ended, once: `written: false` when that week is
 * stored already. What the worker's weekly job runs (and `npm run report:snapshot`).
 */
export const writeWeeklySnapshot = (now?: Date) =>
  Effect.gen(function*() {
    const at = now ?? new Date(yield* Clock.currentTimeMillis)
    const { q } = yield* SqlRunner
    const active = yield* (yield* AgreementStore).active()
    const week = weekJustEnded(active.agreement.calendar.timezone, at)
    const exists = yield* q(async (db) => (await db.selectFrom("report_snapshots").select("week_start").where("week_start", "=", week.weekStart).executeTakeFirst()) !== undefined)
    if (exists) return { weekStart: week.weekStart, written: false }
    const snapshot = yield* computeSnapshot(at)
    const data = JSON.stringify(Schema.encodeSync(WeeklySnapshotSchema)(snapshot))
    const inserted = yield* q(async (db) =>
      Number((await db.insertInto("report_snapshots").values({ week_start: week.weekStart, generated_at: at, data })
        .onConflict((oc) => oc.column("week_start").doNothing()).executeTakeFirst()).numInsertedOrUpdatedRows ?? 0n)
    )
    return { weekStart: week.weekStart, written: inserted > 0 }
  })

/** Which week the newest stored snapshot is of, and when it was made (undefined: none stored) — without reading it. */
export const newestSnapshotStamp = Effect.gen(function*() {
  const { q } = yield* SqlRunner
  const row = yield* q((db) => db.selectFrom("report_snapshots").select(["week_start", "generated_at"]).orderBy("week_start", "desc").limit(1).executeTakeFirst())
  return row === undefined ? undefined : { weekStart: row.week_start, generatedAt: new Date(row.generated_at as Date | string).toISOString() }
})

/**
 * The stored snapshot of a week (default: the newest) as stored: its encoded JSON, not
 * decoded — for a reader that decodes it elsewhere (the report site's build, in a child
 * process), so the ~1 MB decode does not run twice, once of them on the API's event loop.
 */
export const readSnapshotDocument = (weekStart?: string) =>
  Effect.gen(function*() {
    const { q } = yield* SqlRunner
    const row = yield* q(async (db) => {
      let query = db.selectFrom("report_snapshots").select(["week_start", "data"]).orderBy("week_start", "desc").limit(1)
      if (weekStart !== undefined) query = query.where("week_start", "=", weekStart)
      return query.executeTakeFirst()
    })
    if (row === undefined) return undefined
    return (typeof row.data === "string" ? JSON.parse(row.data) : row.data) as unknown
  })

/** The stored snapshot of a week (default: the newest), decoded. */
export const readSnapshot = (weekStart?: string) =>
  Effect.map(readSnapshotDocument(weekStart), (data) => (data === undefined ? undefined : Schema.decodeUnknownSync(WeeklySnapshotSchema)(data)))
