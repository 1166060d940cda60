/**
 * How figures read on the pages. The model keeps raw values (counts, fractions, milliseconds,
 * dollars); these turn them into text, and the CSV downloads keep the raw values.
 */

/** What a value is, so a page and a CSV can each write it their own way. */
export type Format = "text" | "int" | "pct" | "points" | "ms" | "money" | "date" | "decimal"

const intFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })
const decimalFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 })

/** 1234 → "1,234". */
export const int = (n: number): string => intFormat.format(Math.round(n))

/** 0.4234 → "42.3%"; null (no denominator) → "—". */
export const pct = (r: number | null | undefined): string => (r === null || r === undefined || !Number.isFinite(r) ? "—" : `${(Math.round(r * 1000) / 10).toFixed(1)}%`)

/** Percentage points with a sign: 3.2 → "+3.2 pts". */
export const points = (p: number | null | undefined): string =>
  p === null || p === undefined || !Number.isFinite(p) ? "—" : `${p > 0 ? "+" : p < 0 ? "−" : ""}${Math.abs(Math.round(p * 10) / 10).toFixed(1)} pts`

/** A duration as people say it: 180 ms, 4.2 s, 45 s, 3 min 20 s, 2 h 5 min, 3.4 d. */
export const duration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return s % 60 === 0 || min >= 10 ? `${min} min` : `${min} min ${s % 60} s`
  const h = Math.floor(min / 60)
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`
  return `${(Math.round((ms / 86_400_000) * 10) / 10).toFixed(1)} d`
}

/** 1_250_000 → "$1.25M", 92_000 → "$92K", 950 → "$950". */
export const money = (n: number): string => {
  const a = Math.abs(n)
  const sign = n < 0 ? "−" : ""
  if (a >= 1e6) return `${sign}$${decimalFormat.format(Math.round(a / 1e4) / 100)}M`
  if (a >= 1e4) return `${sign}$${intFormat.format(Math.round(a / 1e3))}K`
  return `${sign}$${intFormat.format(Math.round(a))}`
}

/** An instant as a date in the report's time zone: "Mon 23 Nov 2026". */
export const day = (iso: string | Date, timezone: string): string => {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: timezone, weekday: "short", day: "numeric", month: "numeric", year: "numeric" }).formatToParts(new Date(iso)).map((p) => [p.type, p.value])
  )
  return `${parts.weekday} ${parts.day} ${months[Number(parts.month) - 1]} ${parts.year}`
}
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** An instant with its time, in the report's time zone. */
export const dateTime = (iso: string | Date, timezone: string): string =>
  new Intl.DateTimeFormat("en-GB", { timeZone: timezone, day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" }).format(new Date(iso))

/** A value as the page shows it. */
export const display = (value: unknown, format: Format, timezone = "UTC"): string => {
  if (value === null || value === undefined || value === "") return "—"
  switch (format) {
    case "int":
      return typeof value === "number" ? int(value) : String(value)
    case "pct":
      return typeof value === "number" ? pct(value) : String(value)
    case "points":
      return typeof value === "number" ? points(value) : String(value)
    case "ms":
      return typeof value === "number" ? duration(value) : String(value)
    case "money":
      return typeof value === "number" ? money(value) : String(value)
    case "decimal":
      return typeof value === "number" ? decimalFormat.format(value) : String(value)
    case "date":
      return typeof value === "string" || value instanceof Date ? dateTime(value, timezone) : String(value)
    case "text":
      return String(value)
  }
}

/** A value as the CSV download carries it: raw numbers (fractions stay fractions), dates in ISO 8601. */
export const raw = (value: unknown): string | number => {
  if (value === null || value === undefined) return ""
  if (typeof value === "number") return Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : ""
  if (value instanceof Date) return value.toISOString()
  return String(value)
}

/** A stage's name as people write it. */
export const stageName: Record<string, string> = {
  inquiry: "Inquiry",
  mql: "MQL",
  sal: "SAL",
  sql: "SQL",
  opportunity: "Opportunity",
  won: "Won"
}

/** An attribution model's name as people write it. */
export const modelName: Record<string, string> = {
  first_touch: "First touch",
  last_touch: "Last touch",
  linear: "Linear",
  u_shaped: "U-shaped",
  w_shaped: "W-shaped",
  time_decay: "Time decay",
  custom: "Custom",
  markov: "Markov"
}

/** `paid_search` → "paid search". */
export const label = (key: string | null | undefined, none = "(none)"): string => (key === null || key === undefined || key === "" ? none : key.replace(/_/g, " "))
