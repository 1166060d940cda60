/**
 * Calibrate a Handoff scorecard on the X Education leads (../shared/data/x-education-leads/Leads.csv,
 * 9,240 real leads, label `Converted`; see ../shared/data/SOURCES.md §1) and print how well it ranks.
 *
 *   npx tsx tooling/scripts/x-education.ts ../shared/data/x-education-leads/Leads.csv [--folds 5] [--seed 1]
 *
 * The columns sales fills in after contact (Tags, Lead Quality, Last Activity, Last Notable
 * Activity) and the ids (Prospect ID, Lead Number) are left out: a score must be known before
 * the first call. Every other column becomes a form answer, `fields.<snake_case name>`, which
 * is what the agreement's fit rules read. Printed: the 5-fold cross-validated AUC of a plain
 * logistic regression on the raw columns, of the binned model and of the integer points table;
 * the table itself (rule id, condition, points); the suggested MQL threshold; conversion by
 * score band; and the suggested change to the default agreement.
 *
 * The file is not in the repository (no licence to redistribute it); the test suite uses small
 * synthetic fixtures, and x-education.test.ts runs this only when the file is present.
 */
import {
  type CalibrationExample, type CrossValidation, crossValidate, fitScorecard, inferFeatures, type Scorecard, suggestDiff
} from "@handoff/domain/Calibration"
import { defaultAgreement } from "@handoff/domain/DefaultAgreement"
import { parse } from "csv-parse/sync"
import { readFileSync } from "node:fs"
import { pathToFileURL } from "node:url"

/** Filled in by sales after contact, or identifiers: never scoring inputs. */
export const leftOut = ["Prospect ID", "Lead Number", "Tags", "Lead Quality", "Last Activity", "Last Notable Activity"] as const
export const label = "Converted"

/** `Total Time Spent on Website` → `fields.total_time_spent_on_website`. */
export const fieldName = (column: string): string =>
  `fields.${column.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "")}`

/** Read Leads.csv into calibration examples (form answers keyed by field name, `Converted` as the outcome). */
export const loadLeads = (path: string, alsoDrop: ReadonlyArray<string> = []): { examples: Array<CalibrationExample>; columns: Array<string>; dropped: Array<string> } => {
  const records = parse(readFileSync(path), { columns: true, skip_empty_lines: true, bom: true }) as Array<Record<string, string>>
  if (records.length === 0) throw new Error(`${path}: no rows`)
  const header = Object.keys(records[0]!)
  if (!header.includes(label)) throw new Error(`${path}: no ${label} column`)
  const out = new Set<string>([...leftOut, ...alsoDrop])
  const columns = header.filter((c) => c !== label && !out.has(c))
  const examples = records.map((r) => {
    const values: Record<string, string> = {}
    for (const c of columns) values[fieldName(c)] = r[c] ?? ""
    return { values, converted: r[label] === "1" }
  })
  return { examples, columns, dropped: header.filter((c) => out.has(c)) }
}

export interface XEducationResult {
  readonly leads: number
  readonly converted: number
  readonly cv: CrossValidation
  readonly scorecard: Scorecard
}

/** Cross-validate the three models and fit the scorecard on every lead. */
export const evaluate = (examples: ReadonlyArray<CalibrationExample>, opts: { folds?: number; seed?: number } = {}): XEducationResult => {
  const features = inferFeatures(examples)
  const cv = crossValidate(examples, features, { folds: opts.folds ?? 5, seed: opts.seed ?? 1 })
  const scorecard = fitScorecard(examples, features)
  return { leads: examples.length, converted: examples.filter((e) => e.converted).length, cv, scorecard }
}

const pct = (x: number | null) => (x === null ? "-" : `${(Math.round(x * 1000) / 10).toFixed(1)}%`)
const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

/** The report as text lines. */
export const report = (r: XEducationResult): Array<string> => {
  const aucLine = (name: string, f: { mean: number; byFold: ReadonlyArray<number> }) =>
    `  ${name.padEnd(34)} ${f.mean.toFixed(4)}   (folds: ${f.byFold.map((x) => x.toFixed(3)).join(", ")})`
  const card = r.scorecard
  const idWidth = Math.max(...card.table.map((t) => t.id.length))
  const condWidth = Math.min(70, Math.max(...card.table.map((t) => t.condition.length)))
  return [
    `${r.leads} leads, ${r.converted} converted (${pct(r.converted / r.leads)})`,
    "",
    `${r.cv.folds}-fold cross-validated AUC (stratified, seed ${r.cv.seed}):`,
    aucLine("plain logistic regression (raw)", r.cv.raw),
    aucLine("binned logistic regression (float)", r.cv.binned),
    aucLine("integer points table", r.cv.scorecard),
    "",
    `Scorecard (every ${card.pointsToDoubleOdds} points double the odds of converting; in-sample AUC ${card.auc.points.toFixed(4)}, float ${card.auc.model.toFixed(4)}):`,
    `  ${"rule id".padEnd(idWidth)}  ${"condition".padEnd(condWidth)}  points   leads  converted`,
    ...card.table.map((t) =>
      `  ${t.id.padEnd(idWidth)}  ${t.condition.slice(0, 70).padEnd(condWidth)}  ${(t.reference ? "0 (ref)" : signed(t.points)).padStart(7)}  ${String(t.leads).padStart(6)}  ${pct(t.rate).padStart(9)}`
    ),
    "",
    `Suggested MQL threshold: ${card.threshold.points} points (max Youden's J = ${card.threshold.youdenJ.toFixed(3)}: ` +
    `catches ${pct(card.threshold.truePositiveRate)} of converters, ${pct(card.threshold.falsePositiveRate)} of the rest; ` +
    `${pct(card.threshold.mqlRate)} of leads become MQLs, ${pct(card.threshold.precision)} of them convert)`,
    "",
    "Conversion by score band:",
    ...card.bands.map((b) => `  ${`${b.from} to ${b.to - 1}`.padEnd(12)} ${String(b.leads).padStart(6)} leads  ${pct(b.rate).padStart(6)} converted${b.aboveThreshold ? "  MQL" : ""}`),
    "",
    "Suggested change to the default agreement:",
    suggestDiff(defaultAgreement, card).text
  ]
}

const main = () => {
  const args = process.argv.slice(2)
  const path = args.find((a, i) => !a.startsWith("--") && !(args[i - 1] ?? "").startsWith("--"))
  if (path === undefined) {
    console.error("usage: npx tsx tooling/scripts/x-education.ts <path-to-Leads.csv> [--folds 5] [--seed 1] [--also-drop \"Lead Profile,City\"]")
    process.exit(2)
  }
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : undefined
  }
  const alsoDrop = args.indexOf("--also-drop") >= 0 ? (args[args.indexOf("--also-drop") + 1] ?? "").split(",").map((c) => c.trim()).filter((c) => c !== "") : []
  const { columns, dropped, examples } = loadLeads(path, alsoDrop)
  console.log(`${path}: left out ${dropped.join(", ")}; using ${columns.length} columns`)
  const started = performance.now()
  const result = evaluate(examples, { ...(opt("folds") === undefined ? {} : { folds: opt("folds")! }), ...(opt("seed") === undefined ? {} : { seed: opt("seed")! }) })
  for (const line of report(result)) console.log(line)
  console.log(`\n(${Math.round(performance.now() - started)} ms)`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main()
