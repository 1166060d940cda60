/** A table as CSV: a header of column labels, then raw values (fractions stay fractions, durations in ms). */
import { stringify } from "csv-stringify/sync"
import { raw } from "./format.ts"
import type { Table } from "./model.ts"

const unit: Record<string, string> = { pct: " (fraction)", ms: " (ms)", money: " ($)", points: " (pts)", date: " (ISO 8601)" }

export const tableCsv = (t: Table): string =>
  stringify([
    t.columns.map((c) => `${c.label === "" ? c.key : c.label}${unit[c.format] ?? ""}`),
    ...t.rows.map((r) => t.columns.map((c) => raw(r[c.key])))
  ])
