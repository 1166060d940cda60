/**
 * Dates as people write them: a calendar day `"2026-01-05"` or an ISO 8601 date-time
 * `"2026-01-05T09:00:00Z"`.
 *
 * JavaScript's `Date` quietly rolls an impossible day over: `new Date("2026-02-30")` is
 * March 2nd. A holiday, a signature or an event dated that way is a typo, and storing the
 * rolled-over day hides it, so every date read from outside goes through these schemas,
 * which refuse a day the calendar does not have.
 */
import { Schema } from "effect"

const DAY_MS = 24 * 60 * 60 * 1000
const dayPrefix = /^(\d{4})-(\d{2})-(\d{2})/

/**
 * The day number (days since 1970-01-01) of the calendar day a text starts with
 * (`"2026-01-05"`, `"2026-01-05T09:00:00Z"`), or undefined when it does not start with one
 * or the day does not exist (`2026-02-30`, `2026-13-01`).
 */
export const calendarDayNumber = (text: string): number | undefined => {
  const m = dayPrefix.exec(text)
  if (m === null) return undefined
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3])
  const t = Date.UTC(y, mo - 1, d)
  const check = new Date(t)
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not
  check.setUTCFullYear(y)
  if (check.getUTCFullYear() !== y || check.getUTCMonth() + 1 !== mo || check.getUTCDate() !== d) return undefined
  return Math.round(check.getTime() / DAY_MS)
}

/** Is `text` exactly a calendar day `YYYY-MM-DD` that exists? */
export const isCalendarDay = (text: string): boolean => text.length === 10 && calendarDayNumber(text) !== undefined

/** A calendar day, `"2026-01-05"`, kept as text (holidays, signatures). */
export const CalendarDay = Schema.String.pipe(
  Schema.filter((s) => isCalendarDay(s) || `must be a calendar date YYYY-MM-DD that exists, got ${JSON.stringify(s)}`),
  Schema.annotations({ jsonSchema: { type: "string", format: "date" } })
)

/**
 * Is `text` a calendar day or a date-time on a day that exists, which `Date` can read?
 * (`Date` alone takes `2026-02-30T10:00:00Z` as March 2nd, and `"1"` as the year 2001.)
 */
export const isDateText = (text: string): boolean =>
  calendarDayNumber(text) !== undefined && !Number.isNaN(Date.parse(text))

const DateText = Schema.String.pipe(
  Schema.filter((s) =>
    isDateText(s) || `must be an ISO 8601 date or date-time on a day that exists (e.g. 2026-01-06T15:00:00Z), got ${JSON.stringify(s.slice(0, 100))}`
  )
)

/** An ISO 8601 date-time (or calendar day) on the wire, a `Date` once decoded. */
export const IsoDateTime = Schema.compose(DateText, Schema.Date).annotations({
  description: "ISO 8601 date-time, e.g. 2026-01-06T15:00:00Z",
  jsonSchema: { type: "string", format: "date-time" }
})

/** A calendar day or a date-time, kept as text (when a signature was made). */
export const DateOrDateTimeText = DateText.annotations({ jsonSchema: { type: "string" } })
