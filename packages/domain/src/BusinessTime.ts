/**
 * Business-time arithmetic: the SLA clock.
 *
 * Speed-to-lead targets in the agreement ("first touch within 2 business hours of the
 * hand-raise", "same-business-day first touch for an MQL", "3rd attempt + LinkedIn by EOD",
 * "8 touches over 10 business days" in a cadence) count time in the calendar's working
 * hours, in the calendar's own time zone, skipping weekends and holidays. A rep's own
 * hours (their timezone and workingHours, no holidays) use the same shape, so the same
 * functions answer "is this rep on shift now" when routing picks the next rep in a pod's
 * rotation.
 *
 * Conventions used throughout:
 * - Instants are JS `Date`s, durations are milliseconds. Every function is pure; nothing
 *   reads the clock (`now` is always a parameter).
 * - A business day is one local date in the calendar's zone that has working hours and is
 *   not a holiday; its working time is the half-open interval [open, close). The opening
 *   is working time, the closing instant is not (`isWorkingTime(cal, close) === false`).
 * - Hours are local wall-clock times. On a DST-change day `09:00`–`18:00` is still 9 business
 *   hours even though the day is 23 or 25 hours long. A wall-clock time that does not exist
 *   (spring-forward gap) resolves to the instant just after the gap; an ambiguous one
 *   (fall-back) to the earlier instant.
 * - Deadlines computed by `addBusinessTime` may land exactly on a closing instant (a 9-hour
 *   SLA started at 09:00 is due at 18:00 the same day, not at 09:00 the next day).
 *
 * Calendars are compiled once (parsed hours, holiday set, cached `Intl` formatter and a
 * per-day cache of open/close instants). Every function accepts either a raw calendar —
 * compiled on first use and cached in a `WeakMap` keyed by the object, so pass the same
 * decoded agreement/rep object, not a fresh copy — or the result of `compileCalendar`.
 */
import { Data, Either } from "effect"
import { calendarDayNumber, isCalendarDay } from "./CalendarDate.ts"

// ---------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------

/**
 * The agreement's `calendar` section (and a rep's own hours, which have no holidays).
 *
 * - `timezone`: an IANA zone, e.g. `"America/New_York"`.
 * - `workingHours`: keys are a day (`"mon"`..`"sun"`) or a range (`"mon-fri"`; ranges may wrap,
 *   `"sun-thu"`, `"fri-mon"`); values are `["HH:MM", "HH:MM"]` local start and end on the same
 *   day, end after start. `"24:00"` is accepted as an end (open until midnight).
 * - `holidays`: local dates `"YYYY-MM-DD"` with no working time. Optional so a rep
 *   (timezone + workingHours) can be passed as is.
 */
export interface BusinessCalendar {
  readonly timezone: string
  readonly workingHours: Readonly<Record<string, readonly [string, string]>>
  readonly holidays?: ReadonlyArray<string>
}

/** A day key as written in `workingHours`. */
export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun"

/** Indexed like `Date#getUTCDay`: 0 = Sunday. */
const WEEKDAYS: ReadonlyArray<Weekday> = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

/** What kind of fault `validateCalendar` found. */
export type CalendarIssueReason =
  | "UnknownTimeZone"
  | "BadDayKey"
  | "BadHours"
  | "BadTime"
  | "EndNotAfterStart"
  | "DuplicateDay"
  | "BadHoliday"
  | "NoWorkingTime"

/** One fault in a calendar, with the path to it (e.g. `["workingHours", "mon-fri", 1]`). */
export interface CalendarIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
  readonly reason: CalendarIssueReason
}

/** The calendar given to `compileCalendar` (or to a function taking a raw calendar) is invalid. */
export class InvalidCalendarError extends Data.TaggedError("InvalidCalendarError")<{
  readonly issues: ReadonlyArray<CalendarIssue>
  readonly message: string
}> {}

// ---------------------------------------------------------------------------
// Time-zone primitives (Intl)
// ---------------------------------------------------------------------------

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const formatters = new Map<string, Intl.DateTimeFormat>()

/** A cached formatter giving the wall clock in `timezone`; throws RangeError for an unknown zone. */
const formatterFor = (timezone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timezone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric"
    })
    formatters.set(timezone, f)
  }
  return f
}

const isKnownTimeZone = (timezone: unknown): boolean => {
  if (typeof timezone !== "string" || timezone.trim() === "") return false
  try {
    formatterFor(timezone)
    return true
  } catch {
    return false
  }
}

/** `Date.UTC` without its 0..99 → 1900..1999 year mapping. */
const utcMillis = (year: number, month: number, day: number, msOfDay: number): number => {
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  return d.getTime() + msOfDay
}

const floorDiv = (a: number, b: number): number => Math.floor(a / b)
const mod = (a: number, b: number): number => ((a % b) + b) % b

/**
 * The instant's wall clock in the formatter's zone, as "local milliseconds": the UTC
 * timestamp that shows the same wall clock in UTC.
 */
const localMillisAt = (fmt: Intl.DateTimeFormat, t: number): number => {
  let year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, bc = false
  for (const p of fmt.formatToParts(t)) {
    switch (p.type) {
      case "year": year = Number(p.value); break
      case "month": month = Number(p.value); break
      case "day": day = Number(p.value); break
      case "hour": hour = Number(p.value) % 24; break
      case "minute": minute = Number(p.value); break
      case "second": second = Number(p.value); break
      case "era": bc = /^B/i.test(p.value); break
    }
  }
  if (bc) year = 1 - year
  return utcMillis(year, month, day, ((hour * 60 + minute) * 60 + second) * SECOND) + mod(t, SECOND)
}

/** UTC offset (ms, east positive) of the zone at instant `t`. */
const offsetAt = (fmt: Intl.DateTimeFormat, t: number): number => localMillisAt(fmt, t) - t

/**
 * The instant showing local wall clock `local` (local milliseconds) in the zone.
 * Gap (spring forward): the instant just after the gap. Overlap (fall back): the earlier one.
 */
const instantOfLocal = (fmt: Intl.DateTimeFormat, local: number): number => {
  // Any transition affecting `local` lies within ±14 h of it; the offsets one day either
  // side are the offsets before and after it (zones do not change offset twice in 2 days).
  const before = offsetAt(fmt, local - DAY)
  const after = offsetAt(fmt, local + DAY)
  let best = Number.NaN
  for (const o of before === after ? [before] : [before, after]) {
    const t = local - o
    if (offsetAt(fmt, t) === o && !(t >= best)) best = t
  }
  if (!Number.isNaN(best)) return best
  // In the gap: the clock jumps from `before` to `after` (after > before) somewhere in
  // (local - after, local - before]; find the first instant with the new offset.
  let lo = local - after
  let hi = local - before
  while (hi - lo > 1) {
    const mid = lo + floorDiv(hi - lo, 2)
    if (offsetAt(fmt, mid) === before) lo = mid
    else hi = mid
  }
  return hi
}

/** Wall-clock reading of an instant in a time zone. `month` is 1..12. */
export interface WallClock {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly millisecond: number
  readonly weekday: Weekday
}

/** A local wall-clock time to resolve into an instant; omitted time fields are 0. */
export interface WallClockInput {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour?: number
  readonly minute?: number
  readonly second?: number
  readonly millisecond?: number
}

const wallClockOfLocal = (local: number): WallClock => {
  const d = new Date(local)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
    weekday: WEEKDAYS[d.getUTCDay()]!
  }
}

/**
 * The wall clock an instant shows in `timezone` (e.g. the lead's local time for a
 * speed-to-lead report, or a rep's local time). Throws RangeError for an unknown zone.
 */
export const wallClock = (timezone: string, at: Date): WallClock =>
  wallClockOfLocal(localMillisAt(formatterFor(timezone), at.getTime()))

/**
 * The instant at which `timezone` shows the given wall-clock time. A time in the
 * spring-forward gap (e.g. 02:30 on 8 Mar 2026 in New York) resolves to the instant just
 * after the gap (03:00 EDT); an ambiguous fall-back time (01:30 on 1 Nov 2026 in New York)
 * to the earlier instant (01:30 EDT). Out-of-range fields roll over like `Date.UTC`.
 * Throws RangeError for an unknown zone.
 */
export const instantFromWallClock = (timezone: string, wall: WallClockInput): Date => {
  const msOfDay = (((wall.hour ?? 0) * 60 + (wall.minute ?? 0)) * 60 + (wall.second ?? 0)) * SECOND +
    (wall.millisecond ?? 0)
  return new Date(instantOfLocal(formatterFor(timezone), utcMillis(wall.year, wall.month, wall.day, msOfDay)))
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

const DAY_INDEX: Readonly<Record<string, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 }

/** Weekday indexes (0 = Sunday) covered by a `workingHours` key, or undefined if malformed. */
const parseDayKey = (key: string): ReadonlyArray<number> | undefined => {
  const single = DAY_INDEX[key]
  if (single !== undefined) return [single]
  const m = /^([a-z]{3})-([a-z]{3})$/.exec(key)
  if (m === null) return undefined
  const from = DAY_INDEX[m[1]!]
  const to = DAY_INDEX[m[2]!]
  if (from === undefined || to === undefined || from === to) return undefined
  const days: Array<number> = []
  for (let d = from; ; d = (d + 1) % 7) {
    days.push(d)
    if (d === to) return days
  }
}

/** Minutes since local midnight of `"HH:MM"`; `"24:00"` only when `allowMidnightEnd`. */
const parseClock = (text: unknown, allowMidnightEnd: boolean): number | undefined => {
  if (typeof text !== "string") return undefined
  const m = /^(\d{2}):(\d{2})$/.exec(text)
  if (m === null) return undefined
  const h = Number(m[1])
  const min = Number(m[2])
  if (h === 24 && min === 0 && allowMidnightEnd) return 24 * 60
  if (h > 23 || min > 59) return undefined
  return h * 60 + min
}

/** Day number (days since 1970-01-01) of a `"YYYY-MM-DD"` date, or undefined. */
const parseDate = (text: unknown): number | undefined =>
  typeof text === "string" && isCalendarDay(text) ? calendarDayNumber(text) : undefined

/**
 * Every fault in a business calendar (the agreement's `calendar` section, or a rep's hours),
 * each with its path: unknown time zone (`["timezone"]`), malformed day key
 * (`["workingHours", "mon-fry"]`), malformed hours value (`["workingHours", key]`), bad
 * `"HH:MM"` (`["workingHours", key, 0 | 1]`), end not after start (`["workingHours", key]`),
 * a day listed twice (`["workingHours", laterKey]`), bad holiday date (`["holidays", i]`),
 * and no working hours at all (`["workingHours"]`). Empty when the calendar is usable.
 */
export const validateCalendar = (cal: BusinessCalendar): ReadonlyArray<CalendarIssue> => {
  const issues: Array<CalendarIssue> = []
  if (!isKnownTimeZone(cal.timezone)) {
    issues.push({
      path: ["timezone"],
      reason: "UnknownTimeZone",
      message: `unknown time zone ${JSON.stringify(cal.timezone)}; use an IANA zone such as "America/New_York"`
    })
  }
  const hours: unknown = cal.workingHours
  if (typeof hours !== "object" || hours === null || Array.isArray(hours)) {
    issues.push({ path: ["workingHours"], reason: "BadHours", message: "workingHours must map days to [start, end]" })
  } else {
    const entries = Object.entries(hours as Record<string, unknown>)
    if (entries.length === 0) {
      issues.push({
        path: ["workingHours"],
        reason: "NoWorkingTime",
        message: "no working hours: add at least one day, e.g. \"mon-fri\": [\"09:00\", \"18:00\"]"
      })
    }
    const coveredBy = new Map<number, string>()
    for (const [key, value] of entries) {
      const days = parseDayKey(key)
      if (days === undefined) {
        issues.push({
          path: ["workingHours", key],
          reason: "BadDayKey",
          message: `"${key}" is not a day or day range; use mon..sun or a range like "mon-fri" (lower case)`
        })
      } else {
        const clashes: Array<string> = []
        for (const d of days) {
          const earlier = coveredBy.get(d)
          if (earlier !== undefined) clashes.push(`${WEEKDAYS[d]} is already covered by "${earlier}"`)
          else coveredBy.set(d, key)
        }
        if (clashes.length > 0) {
          issues.push({ path: ["workingHours", key], reason: "DuplicateDay", message: `a day is listed twice: ${clashes.join(", ")}` })
        }
      }
      if (!Array.isArray(value) || value.length !== 2) {
        issues.push({
          path: ["workingHours", key],
          reason: "BadHours",
          message: "hours must be a pair [start, end], e.g. [\"09:00\", \"18:00\"]"
        })
        continue
      }
      const start = parseClock(value[0], false)
      const end = parseClock(value[1], true)
      if (start === undefined) {
        issues.push({
          path: ["workingHours", key, 0],
          reason: "BadTime",
          message: `start ${JSON.stringify(value[0])} is not a time "HH:MM" (00:00-23:59)`
        })
      }
      if (end === undefined) {
        issues.push({
          path: ["workingHours", key, 1],
          reason: "BadTime",
          message: `end ${JSON.stringify(value[1])} is not a time "HH:MM" (00:00-24:00)`
        })
      }
      if (start !== undefined && end !== undefined && end <= start) {
        issues.push({
          path: ["workingHours", key],
          reason: "EndNotAfterStart",
          message: `end ${value[1]} must be after start ${value[0]} on the same day`
        })
      }
    }
  }
  const holidays: unknown = cal.holidays ?? []
  if (!Array.isArray(holidays)) {
    issues.push({ path: ["holidays"], reason: "BadHoliday", message: "holidays must be a list of dates \"YYYY-MM-DD\"" })
  } else {
    holidays.forEach((h: unknown, i: number) => {
      if (parseDate(h) === undefined) {
        issues.push({
          path: ["holidays", i],
          reason: "BadHoliday",
          message: `${JSON.stringify(h)} is not a calendar date "YYYY-MM-DD"`
        })
      }
    })
  }
  return issues
}

// ---------------------------------------------------------------------------
// Compiled calendars
// ---------------------------------------------------------------------------

/** Brand of a compiled calendar. */
export const CompiledCalendarTypeId: unique symbol = Symbol.for("@handoff/domain/BusinessTime/CompiledCalendar")
export type CompiledCalendarTypeId = typeof CompiledCalendarTypeId

/** A calendar prepared for the SLA clock's hot path; opaque, make it with `compileCalendar`. */
export interface CompiledCalendar {
  readonly [CompiledCalendarTypeId]: CompiledCalendarTypeId
  readonly calendar: BusinessCalendar
}

/** A raw calendar (compiled and cached on first use) or a compiled one. */
export type CalendarInput = BusinessCalendar | CompiledCalendar

/** One local date: its first instant and, on a business day, its working interval [open, close). */
interface DayInfo {
  readonly start: number
  readonly working: boolean
  readonly open: number
  readonly close: number
}

const MAX_CACHED_DAYS = 8192

class Compiled implements CompiledCalendar {
  readonly [CompiledCalendarTypeId]: CompiledCalendarTypeId = CompiledCalendarTypeId
  readonly fmt: Intl.DateTimeFormat
  /** By weekday (0 = Sunday): [startMinute, endMinute] or undefined when closed. */
  readonly hours: ReadonlyArray<readonly [number, number] | undefined>
  readonly holidays: ReadonlySet<number>
  private readonly days = new Map<number, DayInfo>()

  constructor(readonly calendar: BusinessCalendar) {
    this.fmt = formatterFor(calendar.timezone)
    const hours: Array<readonly [number, number] | undefined> = [undefined, undefined, undefined, undefined, undefined, undefined, undefined]
    for (const [key, [from, to]] of Object.entries(calendar.workingHours)) {
      const start = parseClock(from, false)!
      const end = parseClock(to, true)!
      for (const d of parseDayKey(key)!) hours[d] = [start, end]
    }
    this.hours = hours
    this.holidays = new Set((calendar.holidays ?? []).map((h) => parseDate(h)!))
  }

  /** Local date `n` (days since 1970-01-01 in the zone), cached. */
  day(n: number): DayInfo {
    const hit = this.days.get(n)
    if (hit !== undefined) return hit
    if (this.days.size >= MAX_CACHED_DAYS) this.days.clear()
    const base = n * DAY
    const start = instantOfLocal(this.fmt, base)
    const h = this.hours[mod(n + 4, 7)]
    let info: DayInfo = { start, working: false, open: Number.NaN, close: Number.NaN }
    if (h !== undefined && !this.holidays.has(n)) {
      const open = instantOfLocal(this.fmt, base + h[0] * MINUTE)
      const close = instantOfLocal(this.fmt, base + h[1] * MINUTE)
      // A window that lies entirely in a DST gap has no working time that day.
      if (close > open) info = { start, working: true, open, close }
    }
    this.days.set(n, info)
    return info
  }

  /** The local date containing instant `t`. Zone offsets are within ±14 h, so it is the UTC date ±1. */
  localDay(t: number): number {
    const n = floorDiv(t, DAY)
    if (t < this.day(n).start) return n - 1
    if (t >= this.day(n + 1).start) return n + 1
    return n
  }

  /** The first business day on or after local date `n`. Terminates: a valid calendar has a working weekday. */
  nextBusinessDay(n: number): number {
    let m = n
    while (!this.day(m).working) m++
    return m
  }

  /** Local milliseconds since midnight that instant `t` (on local date `n`) shows. */
  wallMsOfDay(n: number, t: number): number {
    const start = this.day(n).start
    // A 24-hour local day has no offset change: elapsed time is wall-clock time.
    if (this.day(n + 1).start - start === DAY) return t - start
    return localMillisAt(this.fmt, t) - n * DAY
  }
}

const compiledCache = new WeakMap<object, Compiled>()

const invalidCalendar = (issues: ReadonlyArray<CalendarIssue>): InvalidCalendarError =>
  new InvalidCalendarError({
    issues,
    message: `invalid business calendar: ${issues.map((i) => `${i.path.join(".") || "calendar"}: ${i.message}`).join("; ")}`
  })

/**
 * Compile a calendar for the hot path, or report every fault. The result is also cached
 * for the raw object, so later calls with the same object are free.
 */
export const compileCalendarEither = (cal: BusinessCalendar): Either.Either<CompiledCalendar, InvalidCalendarError> => {
  const cached = compiledCache.get(cal)
  if (cached !== undefined) return Either.right(cached)
  const issues = validateCalendar(cal)
  if (issues.length > 0) return Either.left(invalidCalendar(issues))
  const compiled = new Compiled(cal)
  compiledCache.set(cal, compiled)
  return Either.right(compiled)
}

/**
 * Compile a calendar that is known to be valid (the agreement and rep schemas run
 * `validateCalendar` on decode). Throws `InvalidCalendarError` otherwise — a defect, like
 * `Schema.decodeSync`. Optional: every function here also accepts the raw calendar.
 */
export const compileCalendar = (cal: BusinessCalendar): CompiledCalendar => {
  const result = compileCalendarEither(cal)
  if (Either.isLeft(result)) throw result.left
  return result.right
}

const compiled = (cal: CalendarInput): Compiled => {
  if (cal instanceof Compiled) return cal
  return compiledCache.get(cal) ?? (compileCalendar(cal as BusinessCalendar) as Compiled)
}

// ---------------------------------------------------------------------------
// The SLA clock
// ---------------------------------------------------------------------------

/**
 * True when `at` is inside working hours on a business day (not a holiday), in the
 * calendar's zone: opening inclusive, closing exclusive. With a rep's hours: "is this rep
 * on shift now", used by routing to skip off-shift reps in a pod's rotation.
 */
export const isWorkingTime = (cal: CalendarInput, at: Date): boolean => {
  const c = compiled(cal)
  const t = at.getTime()
  if (Number.isNaN(t)) return false
  const d = c.day(c.localDay(t))
  return d.working && t >= d.open && t < d.close
}

/**
 * `at` itself when it is working time, else the next opening (start of working hours on
 * the next business day). Where a speed-to-lead clock starts for a hand-raise that arrives
 * out of hours.
 */
export const nextOpening = (cal: CalendarInput, at: Date): Date => {
  const c = compiled(cal)
  const t = at.getTime()
  if (Number.isNaN(t)) return new Date(Number.NaN)
  const n = c.localDay(t)
  const d = c.day(n)
  if (d.working && t < d.close) return t >= d.open ? at : new Date(d.open)
  return new Date(c.day(c.nextBusinessDay(n + 1)).open)
}

/**
 * The instant at which `ms` of business time have elapsed from `start` — the due time of a
 * business-hours SLA ("first touch within 2 business hours"). If `start` is outside
 * working hours, counting begins at the next opening. A due time that uses up a day's
 * hours exactly is that day's close (Friday 18:00, not Monday 09:00), so for `ms > 0` the
 * result `r` always satisfies `isWorkingTime(cal, r - 1 ms)`. `ms <= 0` returns `start`;
 * a non-finite `ms` or an invalid `start` gives an invalid Date.
 */
export const addBusinessTime = (cal: CalendarInput, start: Date, ms: number): Date => {
  const c = compiled(cal)
  const t = start.getTime()
  if (Number.isNaN(t) || !Number.isFinite(ms)) return new Date(Number.NaN)
  if (ms <= 0) return start
  let remaining = ms
  let n = c.localDay(t)
  for (;;) {
    const d = c.day(n)
    if (d.working) {
      const from = t > d.open ? t : d.open
      if (from < d.close) {
        const available = d.close - from
        if (remaining <= available) return new Date(from + remaining)
        remaining -= available
      }
    }
    n++
  }
}

/**
 * Business milliseconds in [a, b): how much of a speed-to-lead interval fell in working
 * hours (e.g. MQL at Friday 17:30, first touch Monday 09:15 → 45 business minutes).
 * 0 when `b <= a`.
 */
export const businessTimeBetween = (cal: CalendarInput, a: Date, b: Date): number => {
  const c = compiled(cal)
  const from = a.getTime()
  const to = b.getTime()
  if (!(to > from)) return 0
  let total = 0
  for (let n = c.localDay(from); ; n++) {
    const d = c.day(n)
    if (d.start >= to) return total
    if (d.working) {
      const lo = from > d.open ? from : d.open
      const hi = to < d.close ? to : d.close
      if (hi > lo) total += hi - lo
    }
  }
}

/**
 * The close of the business day `at` belongs to: today's close when `at` is before it on a
 * business day (also before opening), otherwise (at or after close, weekend, holiday) the
 * close of the next business day. For "same-business-day first touch" and "3rd attempt +
 * LinkedIn by EOD".
 */
export const endOfBusinessDay = (cal: CalendarInput, at: Date): Date => {
  const c = compiled(cal)
  const t = at.getTime()
  if (Number.isNaN(t)) return new Date(Number.NaN)
  const n = c.localDay(t)
  const d = c.day(n)
  if (d.working && t < d.close) return new Date(d.close)
  return new Date(c.day(c.nextBusinessDay(n + 1)).close)
}

/**
 * `days` business days after `start`, at the same local wall-clock time — the step of a
 * business-day cadence ("8 touches over 10 business days").
 *
 * Precisely: the anchor is `nextOpening(cal, start)` (so a start outside hours counts from
 * the next opening: Saturday + 1 business day = Tuesday at opening; 07:00 on a business
 * day + 1 = the next business day at opening). The result is the anchor's local
 * wall-clock time on the `days`-th business day after the anchor's day, clamped into that
 * day's hours [open, close] (a 17:00 position onto a Friday open 09:00–15:00 gives 15:00).
 * `days = 0` returns the anchor. `days` is truncated to an integer; negative counts as 0.
 * Non-finite `days` or an invalid `start` gives an invalid Date.
 */
export const addBusinessDays = (cal: CalendarInput, start: Date, days: number): Date => {
  const c = compiled(cal)
  if (Number.isNaN(start.getTime()) || !Number.isFinite(days)) return new Date(Number.NaN)
  const anchor = nextOpening(c, start).getTime()
  const count = Math.max(0, Math.trunc(days))
  if (count === 0) return new Date(anchor)
  const n0 = c.localDay(anchor)
  const wall = c.wallMsOfDay(n0, anchor)
  let n = n0
  for (let i = 0; i < count; i++) n = c.nextBusinessDay(n + 1)
  const d = c.day(n)
  // On a 24-hour local day the wall clock runs with elapsed time; otherwise resolve it.
  const target = c.day(n + 1).start - d.start === DAY ? d.start + wall : instantOfLocal(c.fmt, n * DAY + wall)
  return new Date(target < d.open ? d.open : target > d.close ? d.close : target)
}
