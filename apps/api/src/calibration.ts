/**
 * What `handoff calibrate` needs besides the store: reading leads with known outcomes from
 * a CSV export (one row per lead, a label column), and printing the scorecard section —
 * the points table, the threshold, conversion by band and the suggested diff.
 */
import type { ScorecardSection } from "@handoff/db"
import { leadFieldNames } from "@handoff/domain"
import type { CalibrationExample } from "@handoff/domain/Calibration"

/** RFC 4180 CSV: quoted fields (with "" for a quote), commas and line breaks inside quotes, CRLF or LF. */
export const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let quoted = false
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  for (; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === "\"") {
        if (text[i + 1] === "\"") {
          field += "\""
          i++
        } else quoted = false
      } else field += ch
    } else if (ch === "\"") quoted = true
    else if (ch === ",") {
      row.push(field)
      field = ""
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++
      row.push(field)
      field = ""
      if (row.length > 1 || row[0] !== "") rows.push(row)
      row = []
    } else field += ch
  }
  if (field !== "" || row.length > 0) {
    row.push(field)
    if (row.length > 1 || row[0] !== "") rows.push(row)
  }
  return rows
}

/** A column as the field the agreement reads: a lead field by its own name, else `fields.<snake_case>`. */
export const csvFieldName = (column: string): string =>
  (leadFieldNames as ReadonlyArray<string>).includes(column)
    ? column
    : `fields.${column.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "column"}`

const yes = new Set(["1", "true", "yes", "y", "won", "converted", "sql"])
const no = new Set(["0", "false", "no", "n", "lost", "not converted", ""])

/**
 * Leads with known outcomes from CSV text: `label` is the outcome column (1/0, true/false,
 * yes/no, won/lost); `drop` the columns to leave out (ids, what sales fills in after
 * contact). Rows whose label is none of these are skipped.
 */
export const examplesFromCsv = (
  text: string,
  label: string,
  drop: ReadonlyArray<string>
): { readonly examples: Array<CalibrationExample>; readonly fields: Array<string>; readonly skipped: number } | { readonly error: string } => {
  const rows = parseCsv(text)
  const header = rows[0]
  if (header === undefined) return { error: "the file is empty" }
  const at = header.indexOf(label)
  if (at < 0) return { error: `no column "${label}" (columns: ${header.join(", ")})` }
  const unknown = drop.filter((d) => !header.includes(d))
  if (unknown.length > 0) return { error: `--drop names no column: ${unknown.join(", ")}` }
  const used = header.flatMap((c, i) => (i === at || drop.includes(c) ? [] : [{ i, name: csvFieldName(c) }]))
  const examples: Array<CalibrationExample> = []
  let skipped = 0
  for (const r of rows.slice(1)) {
    const y = (r[at] ?? "").trim().toLowerCase()
    if (!yes.has(y) && !no.has(y)) {
      skipped++
      continue
    }
    const values: Record<string, string> = {}
    for (const u of used) values[u.name] = r[u.i] ?? ""
    examples.push({ values, converted: yes.has(y) })
  }
  return { examples, fields: used.map((u) => u.name), skipped }
}

const pct = (x: number | null) => (x === null ? "-" : `${(Math.round(x * 1000) / 10).toFixed(1)}%`)
const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

/** The scorecard section as the lines `handoff calibrate` prints. */
export const scorecardLines = (s: ScorecardSection): Array<string> => {
  const idWidth = Math.max(7, ...s.table.map((t) => t.id.length))
  const condWidth = Math.min(72, Math.max(9, ...s.table.map((t) => t.condition.length)))
  const cut = (x: string) => (x.length > condWidth ? `${x.slice(0, condWidth - 1)}…` : x)
  return [
    `${s.leads} lead(s) with a known outcome, ${s.converted} converted (${pct(s.converted / s.leads)}); outcome: ${s.outcome}`,
    `AUC: points table ${s.auc.scorecard.toFixed(3)}, float model ${s.auc.model.toFixed(3)}` +
    `${s.auc.currentScore === null ? "" : `, current scores ${s.auc.currentScore.toFixed(3)}`}` +
    `${s.crossValidated === null ? " (too few outcomes to cross-validate)" : `; ${s.crossValidated.folds}-fold cross-validated: points ${s.crossValidated.scorecard.toFixed(3)}, binned ${s.crossValidated.binned.toFixed(3)}, plain logistic ${s.crossValidated.raw.toFixed(3)}`}`,
    "",
    `Points table (every ${s.pointsToDoubleOdds} points double the odds of converting):`,
    `  ${"rule id".padEnd(idWidth)}  ${"condition".padEnd(condWidth)}   points   leads  converted`,
    ...s.table.map((t) =>
      `  ${t.id.padEnd(idWidth)}  ${cut(t.condition).padEnd(condWidth)}  ${(t.reference ? "0 (ref)" : signed(t.points)).padStart(7)}  ${String(t.leads).padStart(6)}  ${pct(t.rate).padStart(9)}`
    ),
    "",
    `MQL threshold: ${s.threshold.points} points (max Youden's J ${s.threshold.youdenJ.toFixed(3)}: ${pct(s.threshold.truePositiveRate)} of converters and ` +
    `${pct(s.threshold.falsePositiveRate)} of the rest reach it; ${pct(s.threshold.mqlRate)} of leads would be MQLs, ${pct(s.threshold.precision)} of them convert)`,
    "",
    "Conversion by score band:",
    ...s.bands.map((b) => `  ${`${b.from} to ${b.to - 1}`.padEnd(14)} ${String(b.leads).padStart(6)} lead(s)  ${pct(b.rate).padStart(6)} converted${b.aboveThreshold ? "  (MQL)" : ""}`),
    "",
    "Suggested change to the agreement:",
    s.diff.text,
    "",
    "As YAML (paste into the agreement, then: handoff agreement test <file>):",
    s.diff.yaml
  ]
}
