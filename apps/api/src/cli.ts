/**
 * `handoff`: the operator's command line (`npx handoff ...`, or `npm run handoff -- ...` at the repo root).
 *
 *   handoff migrate                                   bring the store to the latest schema
 *   handoff keys create --name <n> --role <role>      a new API key, shown once (`--rep <id>`: a sales key bound to that rep)
 *   handoff keys list                                 every key with its prefix, never the secret
 *   handoff keys revoke <id>                          the key stops working at once
 *   handoff agreement validate <file>                 every fault with its path and line
 *   handoff agreement test <file>                     run the agreement's own fixtures
 *   handoff agreement apply <file>                    validate, run the fixtures, make it the active version
 *   handoff agreement simulate <file> --from --to     replay the period's leads under the draft, writing nothing
 *   handoff serve                                     the service (what `npm start` runs)
 *   handoff report snapshot [--out f.json]            store the week just ended's report snapshot (also npm run report:snapshot)
 *   handoff report build [--snapshot f.json] [--week] [--out dir]   build the weekly funnel site (also npm run report)
 *   handoff worker                                    the worker against DATABASE_URL (what `npm run worker` runs)
 *   handoff calibrate [--from --to --outcome sql|won]   fit a points table to the leads' outcomes: table, threshold, diff
 *   handoff calibrate --file <csv> --label <column>   ... to the leads of a CSV export instead
 *
 * The store is the one `npm start` uses: PostgreSQL at `DATABASE_URL`, or the embedded
 * database in `HANDOFF_DATA_DIR` (default `.handoff/data`). An embedded folder opens in one
 * process at a time: while the service runs on it, use the API (`POST /v1/keys`,
 * `POST /v1/agreement`) instead of the commands that write.
 *
 * Exit codes: 0 done, 1 refused or failed (invalid agreement, failing fixture, unknown key, ...),
 * 2 the command line itself was wrong.
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { ApiKeyStore, type ApiKeyRecord, type ApiRole, migrations, runMigrations, SimulationQueries, readSnapshot, type WeeklySnapshot, WeeklySnapshotSchema, writeWeeklySnapshot } from "@handoff/db"
import {
  type Agreement, type AgreementInvalid, AgreementStore, parseAgreement, RepDirectory, runAgreementTests, sameAgreement, simulate, SimulationResult
} from "@handoff/domain"
import { Cause, Clock, Console, Context, Data, Effect, Either, Exit, Option, Schema } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { format } from "node:util"
import { apiRoles, createApiKey } from "./auth.ts"
import { type ApiServices, makeRuntime } from "./runtime.ts"
import { serveHandoff, serveOptionsFromEnv, startFailureMessage, storeOptionsFromEnv } from "./serve.ts"
import { examplesFromCsv, scorecardLines } from "./calibration.ts"
import { CalibrationOutcome, outcomeDefinition, ScorecardQueries, scorecardSection, ScorecardSectionSchema } from "@handoff/db"

/** A refusal or failure the command has explained; the process exits with `exitCode`. */
class CliFailure extends Data.TaggedError("CliFailure")<{ readonly message: string; readonly exitCode: number }> {}

/** The environment the commands read their store (and the service its settings) from. */
class CliEnvironment extends Context.Tag("handoff/CliEnvironment")<CliEnvironment, NodeJS.ProcessEnv>() {}

const fail = (message: string, exitCode = 1) => Effect.fail(new CliFailure({ message, exitCode }))

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

/**
 * Run `effect` on the store `npm start` uses (opened, migrated, an agreement ensured),
 * then close it — releasing the embedded data folder for the next process.
 */
const withStore = <A, E>(effect: Effect.Effect<A, E, ApiServices>): Effect.Effect<A, E | CliFailure, CliEnvironment> =>
  Effect.acquireUseRelease(
    Effect.flatMap(CliEnvironment, (env) => Effect.tryPromise({
      try: () => makeRuntime(storeOptionsFromEnv(env)),
      catch: (e) => {
        const message = startFailureMessage(e)
        return new CliFailure({
          exitCode: 1,
          message: message.includes("already open")
            ? `${message}\nWhile the service runs, use its API instead (POST /v1/keys, DELETE /v1/keys/{id}, POST /v1/agreement).`
            : message
        })
      }
    })),
    (runtime) => Effect.flatten(Effect.promise(() => runtime.runPromiseExit(effect))),
    (runtime) => Effect.promise(() => runtime.dispose())
  )

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

// ---------------------------------------------------------------------------
// migrate
// ---------------------------------------------------------------------------

const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function*() {
    const env = yield* CliEnvironment
    const { applied, engine, location } = yield* Effect.tryPromise({
      try: () => runMigrations(storeOptionsFromEnv(env)),
      catch: (e) => new CliFailure({ message: startFailureMessage(e), exitCode: 1 })
    })
    yield* Console.log(
      `${engine} at ${location}: ${applied.length === 0 ? "already up to date" : `applied ${applied.join(", ")}`} (${Object.keys(migrations).length} migration(s) known)`
    )
  })).pipe(Command.withDescription("Bring the store (DATABASE_URL, or the embedded one in HANDOFF_DATA_DIR) to the latest schema. Safe to run from several processes at once."))

// ---------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

const keyJson = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  repId: k.repId ?? null,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null
})

const keysCreate = Command.make("create", {
  name: Options.text("name").pipe(Options.withDescription("What the key is for, e.g. \"website forms\" or \"salesforce sync\".")),
  role: Options.choice("role", apiRoles as ReadonlyArray<ApiRole>).pipe(
    Options.withDescription("ingest: forms, events, enrichment; sales: accept, reject, activities, qualify, opportunities; admin: everything; read: leads and reports.")
  ),
  rep: Options.text("rep").pipe(
    Options.withDescription("Bind a sales key to this rep (its id): the key then acts only as that rep. Without it a sales key acts for any rep (a CRM integration)."),
    Options.optional
  ),
  json
}, ({ json, name, rep, role }) =>
  Effect.gen(function*() {
    if (name.trim() === "") return yield* fail("--name must not be empty.", 2)
    const repId = Option.getOrUndefined(rep)
    const { key, record } = yield* withStore(createApiKey(name.trim(), role, repId === undefined ? {} : { repId }).pipe(
      Effect.catchTag("InvalidInput", (e) => fail(`--rep: ${e.errors[0]?.message ?? e.message}.`, 2))
    ))
    if (json) return yield* Console.log(JSON.stringify({ ...keyJson(record), key }))
    yield* Console.log(`Created ${role} key ${record.id} ("${record.name}")${record.repId === undefined ? "" : `, bound to rep ${record.repId}`}. The key is shown once — keep it:\n\n  ${key}\n`)
  })).pipe(Command.withDescription("Create an API key. The key is printed once; only its hash is stored."))

const pad = (rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "))
}

const shortTime = (d: Date | undefined) => (d === undefined ? "-" : d.toISOString().slice(0, 16).replace("T", " "))

const keysList = Command.make("list", { json }, ({ json }) =>
  Effect.gen(function*() {
    const keys = yield* withStore(Effect.flatMap(ApiKeyStore, (s) => s.list()))
    if (json) return yield* Console.log(JSON.stringify(keys.map(keyJson), null, 2))
    if (keys.length === 0) return yield* Console.log("No API keys yet. Create one: handoff keys create --name <name> --role <ingest|sales|admin|read>")
    const rows = [
      ["ID", "NAME", "ROLE", "REP", "PREFIX", "CREATED (UTC)", "LAST USED", "STATUS"],
      ...keys.map((k) => [
        k.id, k.name, k.role, k.repId ?? "-", `${k.prefix}…`, shortTime(k.createdAt), shortTime(k.lastUsedAt),
        k.revokedAt === undefined ? "live" : `revoked ${shortTime(k.revokedAt)}`
      ])
    ]
    for (const line of pad(rows)) yield* Console.log(line)
  })).pipe(Command.withDescription("List the API keys: id, name, role, bound rep and prefix — never the secret."))

const keysRevoke = Command.make("revoke", {
  id: Args.text({ name: "id" }).pipe(Args.withDescription("The key's id (key_…), from `handoff keys list`."))
}, ({ id }) =>
  Effect.gen(function*() {
    const outcome = yield* withStore(Effect.gen(function*() {
      const keys = yield* ApiKeyStore
      const key = (yield* keys.list()).find((k) => k.id === id)
      if (key === undefined) return { _tag: "Unknown" } as const
      if (key.revokedAt !== undefined) return { _tag: "AlreadyRevoked", key } as const
      // As the API does: never lock everyone out.
      if (key.role === "admin" && (yield* keys.countLive("admin")) <= 1) return { _tag: "LastAdmin", key } as const
      yield* keys.revoke(key.id, yield* now)
      return { _tag: "Revoked", key } as const
    }))
    switch (outcome._tag) {
      case "Unknown":
        return yield* fail(`No API key with id ${id} (see handoff keys list).`)
      case "AlreadyRevoked":
        return yield* fail(`Key ${id} ("${outcome.key.name}") was already revoked at ${outcome.key.revokedAt?.toISOString()}.`)
      case "LastAdmin":
        return yield* fail(`Key ${id} is the last live admin key: create another one first (handoff keys create --role admin --name ...).`)
      case "Revoked":
        return yield* Console.log(`Revoked ${outcome.key.role} key ${id} ("${outcome.key.name}"): it no longer authenticates.`)
    }
  })).pipe(Command.withDescription("Revoke an API key: requests with it get 401 from now on."))

const keys = Command.make("keys", {}, () => Console.log("usage: handoff keys <create --name <name> --role <ingest|sales|admin|read> | list | revoke <id>>")).pipe(
  Command.withDescription("Manage API keys (stored hashed, each with one role)."),
  Command.withSubcommands([keysCreate, keysList, keysRevoke])
)

// ---------------------------------------------------------------------------
// agreement
// ---------------------------------------------------------------------------

const agreementFile = Args.file({ name: "file", exists: "yes" }).pipe(Args.withDescription("The agreement, YAML or JSON."))

/** The faults, one line each, as `npm run agreement -- check` prints them: `file:line:col  path  message`. */
const faultLines = (label: string, invalid: AgreementInvalid): Array<string> => [
  `${label}: refused, ${invalid.errors.length} fault(s)`,
  ...invalid.errors.map((f) => `  ${label}${f.line === undefined ? "" : `:${f.line}:${f.column ?? 1}`}  ${f.path === "" ? "(document)" : f.path}  ${f.message}`)
]

/** Read and parse the file; an invalid document prints every fault and fails. */
const readAgreement = (file: string) =>
  Effect.gen(function*() {
    const text = yield* Effect.try({
      try: () => readFileSync(file, "utf8"),
      catch: (e) => new CliFailure({ message: `Cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, exitCode: 1 })
    })
    const parsed = parseAgreement(text)
    if (Either.isLeft(parsed)) {
      for (const line of faultLines(file, parsed.left)) yield* Console.error(line)
      return yield* fail("")
    }
    return parsed.right
  })

/** Run the fixtures and print each; fails when one does not hold. */
const testAgreement = (file: string, agreement: Agreement) =>
  Effect.gen(function*() {
    const results = runAgreementTests(agreement)
    for (const r of results) {
      yield* Console.log(`  ${r.passed ? "✓" : "✗"} ${r.name} → ${r.actual.tier}${r.actual.pod === null ? "" : ` (${r.actual.pod})`}, score ${r.actual.total}`)
      for (const f of r.failures) yield* Console.log(`      ${f}`)
    }
    const passed = results.filter((r) => r.passed).length
    if (results.length === 0) {
      yield* Console.log(`${file}: no fixtures — add examples under \`tests:\` so a change that breaks them is refused.`)
    } else {
      yield* Console.log(`${file}: ${passed} of ${results.length} fixture(s) pass`)
    }
    if (passed < results.length) return yield* fail("")
  })

const agreementValidate = Command.make("validate", { file: agreementFile }, ({ file }) =>
  Effect.gen(function*() {
    const agreement = yield* readAgreement(file)
    yield* Console.log(
      `${file}: valid — "${agreement.name}", ${agreement.tiers.length} tier(s), ${agreement.tests.length} fixture(s) (run them: handoff agreement test ${file})`
    )
  })).pipe(Command.withDescription("Check an agreement document: every fault with its path (tiers[0].route.pod) and line."))

const agreementTest = Command.make("test", { file: agreementFile }, ({ file }) =>
  Effect.flatMap(readAgreement(file), (agreement) => testAgreement(file, agreement))).pipe(
    Command.withDescription("Run the agreement's own fixtures (its `tests:` examples): each lead scored, tiered and timed, compared with what it expects.")
  )

const agreementApply = Command.make("apply", {
  file: agreementFile,
  by: Options.text("by").pipe(Options.withDefault("cli"), Options.withDescription("Recorded as the version's author."))
}, ({ by, file }) =>
  Effect.gen(function*() {
    const agreement = yield* readAgreement(file)
    yield* testAgreement(file, agreement)
    const outcome = yield* withStore(Effect.gen(function*() {
      const store = yield* AgreementStore
      const active = yield* store.active()
      if (sameAgreement(active.agreement, agreement)) {
        return { created: false, version: active.version } as const
      }
      const v = yield* store.activate(agreement, by, yield* now)
      return { created: true, version: v.version, previous: active.version } as const
    }))
    yield* Console.log(
      outcome.created
        ? `Agreement version ${outcome.version} is active (was version ${outcome.previous}). Leads decided before keep the version that decided them.`
        : `Unchanged: ${file} is the active agreement already (version ${outcome.version}).`
    )
  })).pipe(Command.withDescription("Validate the agreement, run its fixtures, and make it the active version."))

const isoDate = (name: string) =>
  Options.text(name).pipe(
    Options.mapEffect((text) => {
      const d = new Date(text)
      return Number.isNaN(d.getTime())
        ? Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name}: not a date or ISO 8601 instant: ${text}`)))
        : Effect.succeed(d)
    })
  )

const agreementSimulate = Command.make("simulate", {
  file: agreementFile,
  from: isoDate("from").pipe(Options.withDescription("Replay leads created from this date or instant (inclusive), e.g. 2026-10-01.")),
  to: isoDate("to").pipe(Options.withDescription("... to this one (exclusive).")),
  json
}, ({ file, from, json, to }) =>
  Effect.gen(function*() {
    const draft = yield* readAgreement(file)
    if (to.getTime() <= from.getTime()) return yield* fail("--to must be after --from", 2)
    const result = yield* withStore(Effect.gen(function*() {
      const history = yield* (yield* SimulationQueries).history({ from, to }, 200_000)
      if (history.total > 200_000) return yield* fail(`The period holds ${history.total} leads; replay at most 200,000 at once (shorten it).`)
      const reps = yield* (yield* RepDirectory).list()
      return simulate({ agreement: draft, period: { from, to }, leads: history.leads, reps, accounts: history.accounts, listLimit: json ? 1000 : 20 })
    }))
    if (json) return yield* Console.log(JSON.stringify(Schema.encodeSync(SimulationResult)(result), null, 2))
    const signed = (n: number) => (n > 0 ? `+${n}` : String(n))
    const lines = [
      `${file} replayed on ${result.leads} lead(s) created ${from.toISOString()} – ${to.toISOString()} (nothing written)`,
      `  MQLs: ${result.mql.actual} → ${result.mql.simulated} (${signed(result.mql.simulated - result.mql.actual)}: ${result.mql.gained} gained, ${result.mql.lost} lost; ${result.mql.viaHandRaise} by hand-raise, ${result.mql.viaScore} by score)`,
      `  tiers: ${Object.entries(result.tiers.simulated).map(([t, n]) => `${t} ${n} (${signed(n - (result.tiers.actual[t] ?? 0))})`).join(", ")}`,
      ...result.tiers.moves.map((m) => `    ${m.count} lead(s) ${m.from} → ${m.to}`),
      `  routing: ${result.routing.assigned} assigned, ${result.routing.queued} queued, ${result.routing.ownerChanged} lead(s) with another owner`,
      ...result.reps.map((r) => `    ${r.name.padEnd(16)} ${String(r.actual.assigned).padStart(5)} → ${String(r.simulated.assigned).padStart(5)}  peak ${r.simulated.peakDay}/day${r.capacity.maxPerDay === null ? "" : ` of ${r.capacity.maxPerDay}`}, ${r.simulated.peakOpen} open${r.capacity.maxOpen === null ? "" : ` of ${r.capacity.maxOpen}`}`),
      `  SLA exposure: ${result.sla.firstTouchDueOffShift} of ${result.sla.withFirstTouchSla} first-touch deadline(s) fall while the owner is off shift; ${result.sla.queued} handoff(s) nobody could take`,
      `  waterfall: ${result.waterfall.stages.map((s) => `${s.stage} ${s.actual}→${s.simulated}`).join(", ")}; ${result.waterfall.unobserved} handed off with no observed outcome; ${result.waterfall.wonNotHandedOff} won deal(s) (${result.waterfall.wonAmountNotHandedOff}) the draft would not have handed to sales`,
      ...(result.changed.total === 0 ? ["  no lead changes"] : [`  ${result.changed.total} lead(s) change, first ${result.changed.items.length}:`]),
      ...result.changed.items.map((c) => `    ${c.email}: ${c.changes.join("+")} — ${c.actual.tier ?? "—"}/${c.actual.repId ?? "no owner"} → ${c.simulated.tier}/${c.simulated.repId ?? "no owner"}`)
    ]
    for (const line of lines) yield* Console.log(line)
  })).pipe(Command.withDescription("What-if: replay the leads created in a period under a draft agreement and print the difference from what happened (MQLs, tiers, owners, rep load, SLA exposure, waterfall). Writes nothing."))

const agreement = Command.make("agreement", {}, () => Console.log("usage: handoff agreement <validate | test | apply | simulate> <file>")).pipe(
  Command.withDescription("Work with agreement documents: the whole handoff policy, versioned."),
  Command.withSubcommands([agreementValidate, agreementTest, agreementApply, agreementSimulate])
)

// ---------------------------------------------------------------------------
// calibrate
// ---------------------------------------------------------------------------

const calibrate = Command.make("calibrate", {
  from: isoDate("from").pipe(Options.optional, Options.withDescription("Leads created from this date or instant (default: a year before --to).")),
  to: isoDate("to").pipe(Options.optional, Options.withDescription("... to this one, exclusive (default: now).")),
  outcome: Options.choice("outcome", CalibrationOutcome.literals).pipe(Options.withDefault("sql" as const), Options.withDescription("sql: reached SQL vs not (default); won: won vs not.")),
  file: Options.file("file", { exists: "yes" }).pipe(Options.optional, Options.withDescription("Calibrate on a CSV export (one row per lead) instead of the store's leads.")),
  label: Options.text("label").pipe(Options.optional, Options.withDescription("With --file: the outcome column (1/0, true/false, yes/no, won/lost).")),
  drop: Options.text("drop").pipe(Options.optional, Options.withDescription("With --file: columns to leave out, comma-separated (ids, what sales fills in after contact).")),
  agreementFile: Options.file("agreement", { exists: "yes" }).pipe(Options.optional, Options.withDescription("Suggest the change to this agreement file instead of the store's active one.")),
  json
}, ({ agreementFile, drop, file, from, json, label, outcome, to }) =>
  Effect.gen(function*() {
    const agreementOf = Option.isSome(agreementFile)
      ? readAgreement(agreementFile.value)
      : withStore(Effect.map(Effect.flatMap(AgreementStore, (s) => s.active()), (v) => v.agreement))
    let result: { readonly scorecard: typeof ScorecardSectionSchema.Type | null; readonly reason: string | null }
    if (Option.isSome(file)) {
      if (Option.isNone(label)) return yield* fail("--file needs --label <the outcome column>.", 2)
      const text = yield* Effect.try({
        try: () => readFileSync(file.value, "utf8"),
        catch: (e) => new CliFailure({ message: `Cannot read ${file.value}: ${e instanceof Error ? e.message : String(e)}`, exitCode: 1 })
      })
      const dropped = Option.match(drop, { onNone: () => [], onSome: (d) => d.split(",").map((c) => c.trim()).filter((c) => c !== "") })
      const read = examplesFromCsv(text, label.value, dropped)
      if ("error" in read) return yield* fail(`${file.value}: ${read.error}`)
      if (!json) yield* Console.log(`${file.value}: ${read.examples.length} lead(s), outcome column "${label.value}"${read.skipped === 0 ? "" : `, ${read.skipped} row(s) without a 0/1 outcome skipped`}${dropped.length === 0 ? "" : `; left out ${dropped.join(", ")}`}`)
      result = scorecardSection(read.examples, { agreement: yield* agreementOf, outcome, definition: `converted: "${label.value}" is 1 (true, yes, won) in ${file.value}` })
    } else {
      if (Option.isSome(label) || Option.isSome(drop)) return yield* fail("--label and --drop go with --file.", 2)
      const end = Option.getOrElse(to, () => new Date())
      const start = Option.getOrElse(from, () => new Date(end.getTime() - 365 * 86_400_000))
      if (end.getTime() <= start.getTime()) return yield* fail("--to must be after --from", 2)
      result = yield* withStore(Effect.gen(function*() {
        const agreement = Option.isSome(agreementFile) ? yield* readAgreement(agreementFile.value) : (yield* (yield* AgreementStore).active()).agreement
        return yield* (yield* ScorecardQueries).scorecard({ period: { from: start, to: end }, now: yield* now, agreement, outcome })
      }))
      if (!json) yield* Console.log(`Leads created ${start.toISOString()} – ${end.toISOString()}; ${outcomeDefinition[outcome]}`)
    }
    if (json) return yield* Console.log(JSON.stringify({ scorecard: result.scorecard === null ? null : Schema.encodeSync(ScorecardSectionSchema)(result.scorecard), reason: result.reason }, null, 2))
    if (result.scorecard === null) return yield* fail(result.reason ?? "No scorecard.")
    for (const line of scorecardLines(result.scorecard)) yield* Console.log(line)
  })).pipe(Command.withDescription("Calibrate from outcomes: fit an integer points table (fit rules in the agreement's format) to leads whose outcome is known — the store's, or a CSV's — with the MQL threshold that best separates converters, AUC, conversion by score band and the suggested change to the agreement. Writes nothing."))

// ---------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------

const serveCommand = Command.make("serve", {
  port: Options.integer("port").pipe(Options.optional, Options.withDescription("Default PORT, or 3000.")),
  host: Options.text("host").pipe(Options.optional, Options.withDescription("Default HOST, or 127.0.0.1."))
}, ({ host, port }) =>
  Effect.gen(function*() {
    const env = serveOptionsFromEnv(yield* CliEnvironment)
    yield* Effect.tryPromise({
      try: () => serveHandoff({ ...env, port: Option.getOrElse(port, () => env.port), hostname: Option.getOrElse(host, () => env.hostname) }),
      catch: (e) => new CliFailure({ message: startFailureMessage(e), exitCode: 1 })
    })
    // Runs until SIGTERM/SIGINT, which stop it gracefully and exit.
    return yield* Effect.never
  })).pipe(Command.withDescription("Run the service: the API on http://localhost:3000 and, on the embedded store, the SLA sweep (what `npm start` runs)."))

// ---------------------------------------------------------------------------
// report
// ---------------------------------------------------------------------------

const reportSnapshot = Command.make("snapshot", {
  out: Options.text("out").pipe(Options.optional, Options.withDescription("Also write the snapshot as JSON to this file.")),
  at: isoDate("at").pipe(Options.optional, Options.withDescription("Take the week that ended before this instant (default now)."))
}, ({ at, out }) =>
  Effect.gen(function*() {
    const result = yield* withStore(Effect.gen(function*() {
      const written = yield* writeWeeklySnapshot(Option.getOrUndefined(at))
      const snapshot = yield* readSnapshot(written.weekStart)
      return { written, snapshot }
    }))
    const s = result.snapshot
    if (s === undefined) return yield* fail(`No snapshot stored for the week of ${result.written.weekStart}.`)
    yield* Console.log(`Week of ${s.weekStart} (${s.timezone}): ${result.written.written ? "stored" : "already stored"} — inquiries ${s.waterfall.counts.inquiry}, MQLs ${s.waterfall.counts.mql}, SALs ${s.waterfall.counts.sal}, SQLs ${s.waterfall.counts.sql}, opportunities ${s.waterfall.counts.opportunity}, won ${s.waterfall.counts.won}; limbo ${s.limbo.limbo}`)
    if (Option.isSome(out)) {
      yield* Effect.try({
        try: () => writeFileSync(out.value, JSON.stringify(Schema.encodeSync(WeeklySnapshotSchema)(s), null, 2) + "\n"),
        catch: (e) => new CliFailure({ message: `Cannot write ${out.value}: ${e instanceof Error ? e.message : String(e)}`, exitCode: 1 })
      })
      yield* Console.log(`Written to ${out.value}`)
    }
  })).pipe(Command.withDescription("Store the report snapshot of the week just ended (what the worker does weekly) and print its headline figures; --out writes it as JSON."))

const reportBuild = Command.make("build", {
  snapshot: Options.file("snapshot", { exists: "yes" }).pipe(Options.optional, Options.withDescription("Build from this exported snapshot (npm run report:snapshot -- --out) instead of the store's.")),
  week: Options.text("week").pipe(Options.optional, Options.withDescription("The stored week to build (its Monday, YYYY-MM-DD); default the newest.")),
  out: Options.directory("out").pipe(Options.optional, Options.withDescription("Where to write the site (default apps/reports/dist, what npm start serves at /reports)."))
}, ({ out, snapshot, week }) =>
  Effect.gen(function*() {
    const site = yield* Effect.promise(() => import("@handoff/reports"))
    let chosen: WeeklySnapshot
    if (Option.isSome(snapshot)) {
      chosen = yield* Effect.try({
        try: () => site.decodeSnapshot(JSON.parse(readFileSync(snapshot.value, "utf8"))),
        catch: (e) => new CliFailure({ message: `${snapshot.value} is not a report snapshot: ${e instanceof Error ? e.message : String(e)}`, exitCode: 1 })
      })
    } else {
      if (Option.isSome(week) && !/^\d{4}-\d{2}-\d{2}$/.test(week.value)) return yield* fail("--week takes the Monday the week starts on, as YYYY-MM-DD.", 2)
      const found = yield* withStore(Effect.gen(function*() {
        const stored = yield* readSnapshot(Option.getOrUndefined(week))
        if (stored !== undefined || Option.isSome(week)) return stored
        // nothing stored yet: store the week just ended, as the worker would
        yield* writeWeeklySnapshot()
        return yield* readSnapshot()
      }))
      if (found === undefined) return yield* fail(`No snapshot is stored for the week of ${Option.getOrElse(week, () => "?")}.`)
      chosen = found
    }
    const outDir = Option.getOrElse(out, () => site.defaultOutDir)
    const built = yield* Effect.tryPromise({
      try: () => site.buildSite(chosen, { outDir }),
      catch: (e) => new CliFailure({ message: `The site did not build: ${e instanceof Error ? e.message : String(e)}`, exitCode: 1 })
    })
    yield* Console.log(`Built the weekly report for the week of ${built.weekStart} in ${(built.ms / 1000).toFixed(1)} s: ${built.pages.length} pages (${built.pages.join(", ")}) and ${built.csv.length} CSV downloads in ${built.outDir}`)
  })).pipe(Command.withDescription("Build the weekly funnel site (apps/reports) from the newest stored snapshot, a given week, or an exported snapshot file."))

const report = Command.make("report", {}, () => Console.log("usage: handoff report snapshot [--out file.json] [--at instant] | handoff report build [--snapshot file.json] [--week YYYY-MM-DD] [--out dir]")).pipe(
  Command.withDescription("The weekly funnel report: its data, and the site built from it."),
  Command.withSubcommands([reportSnapshot, reportBuild])
)

// ---------------------------------------------------------------------------
// worker
// ---------------------------------------------------------------------------

const workerCommand = Command.make("worker", {}, () =>
  Effect.gen(function*() {
    // the worker's own entry point: checks DATABASE_URL and HANDOFF_WORKER_*, logs JSON,
    // and stops gracefully on SIGTERM/SIGINT (exiting the process)
    yield* Effect.promise(() => import("@handoff/worker/main"))
    return yield* Effect.never
  })).pipe(Command.withDescription("Run the worker against PostgreSQL at DATABASE_URL: the SLA, decay, re-evaluation and inactivity sweeps and outbox delivery, configured by HANDOFF_WORKER_* (what `npm run worker` runs). Run as many as you like."))

// ---------------------------------------------------------------------------
// the app
// ---------------------------------------------------------------------------

const handoff = Command.make("handoff", {}, () =>
  Console.log("Handoff — usage: handoff <migrate | keys | agreement | calibrate | serve | worker> ... (handoff --help for everything)")).pipe(
    Command.withDescription("Handoff: one signed agreement that scores, routes and times inbound leads."),
    Command.withSubcommands([migrate, keys, agreement, calibrate, report, serveCommand, workerCommand])
  )

const version = (() => {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version
  } catch {
    return "0.0.0"
  }
})()

const run = Command.run(handoff, { name: "handoff", version, executable: "handoff" })

/** Where a command's lines go: the process's stdout/stderr, or a caller's buffers. */
export interface CliOutput {
  readonly log: (line: string) => void
  readonly error: (line: string) => void
}

const outputConsole = (out: CliOutput): Console.Console => {
  // formatted as console.log formats its arguments
  const text = (args: ReadonlyArray<unknown>) => format(...args)
  const log = (...args: ReadonlyArray<unknown>) => Effect.sync(() => out.log(text(args)))
  const error = (...args: ReadonlyArray<unknown>) => Effect.sync(() => out.error(text(args)))
  const unsafe = { ...globalThis.console, log: (...a: Array<unknown>) => out.log(text(a)), info: (...a: Array<unknown>) => out.log(text(a)), error: (...a: Array<unknown>) => out.error(text(a)), warn: (...a: Array<unknown>) => out.error(text(a)) }
  return {
    [Console.TypeId]: Console.TypeId,
    assert: () => Effect.void, clear: Effect.void, count: () => Effect.void, countReset: () => Effect.void,
    debug: log, dir: (item) => log(item), dirxml: log, error, group: () => Effect.void, groupEnd: Effect.void,
    info: log, log, table: (data) => log(data), time: () => Effect.void, timeEnd: () => Effect.void,
    timeLog: () => Effect.void, trace: log, warn: error, unsafe
  }
}

/**
 * Run the command line `argv` (as `process.argv`: node, script, then the arguments) against the
 * store `env` names, printing to `out`; resolves to the exit code. The `handoff` process
 * (cliMain.ts) is this with its own environment and stdio; tests call it in-process.
 */
export const runHandoffCli = async (
  argv: ReadonlyArray<string>,
  options: { readonly env?: NodeJS.ProcessEnv; readonly out?: CliOutput } = {}
): Promise<number> => {
  const out = options.out ?? { log: (line) => console.log(line), error: (line) => console.error(line) }
  const program = run(argv).pipe(
    Effect.provideService(CliEnvironment, options.env ?? process.env),
    Effect.withConsole(outputConsole(out)),
    Effect.provide(NodeContext.layer)
  )
  const exit = await Effect.runPromiseExit(program)
  if (Exit.isSuccess(exit)) return 0
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure) && ValidationError.isValidationError(failure.value)) return 2 // @effect/cli has printed what was wrong
  if (Option.isSome(failure) && failure.value instanceof CliFailure) {
    if (failure.value.message !== "") out.error(failure.value.message)
    return failure.value.exitCode
  }
  out.error(Cause.pretty(exit.cause))
  return 1
}
