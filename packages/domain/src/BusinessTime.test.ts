import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import {
  addBusinessDays,
  addBusinessTime,
  type BusinessCalendar,
  businessTimeBetween,
  compileCalendar,
  compileCalendarEither,
  endOfBusinessDay,
  instantFromWallClock,
  InvalidCalendarError,
  isWorkingTime,
  nextOpening,
  validateCalendar,
  wallClock,
  type Weekday
} from "./BusinessTime.ts"

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const at = (iso: string): Date => new Date(iso)

// ---------------------------------------------------------------------------
// Fixtures: a calendar plus a hand-written table of its hours (minutes) for the oracle.
// ---------------------------------------------------------------------------

interface Fixture {
  readonly name: string
  readonly cal: BusinessCalendar
  readonly hours: Partial<Record<Weekday, readonly [number, number]>>
  readonly holidays: ReadonlyArray<string>
}

const weekdays = (from: number, to: number): Partial<Record<Weekday, readonly [number, number]>> => ({
  mon: [from, to], tue: [from, to], wed: [from, to], thu: [from, to], fri: [from, to]
})

const newYork: Fixture = {
  name: "New York sales floor",
  cal: {
    timezone: "America/New_York",
    workingHours: { "mon-fri": ["09:00", "18:00"] },
    holidays: ["2026-01-01", "2026-05-25", "2026-07-03", "2026-11-26", "2026-12-25"]
  },
  hours: weekdays(9 * 60, 18 * 60),
  holidays: ["2026-01-01", "2026-05-25", "2026-07-03", "2026-11-26", "2026-12-25"]
}

const berlin: Fixture = {
  name: "Berlin SDR pod, short Fridays",
  cal: {
    timezone: "Europe/Berlin",
    workingHours: { "mon-thu": ["09:00", "17:30"], fri: ["09:00", "15:00"] },
    holidays: ["2026-04-03", "2026-04-06", "2026-12-24", "2026-12-25"]
  },
  hours: { mon: [540, 1050], tue: [540, 1050], wed: [540, 1050], thu: [540, 1050], fri: [540, 900] },
  holidays: ["2026-04-03", "2026-04-06", "2026-12-24", "2026-12-25"]
}

const sydney: Fixture = {
  name: "Sydney pod",
  cal: {
    timezone: "Australia/Sydney",
    workingHours: { "mon-fri": ["08:30", "17:00"] },
    holidays: ["2026-01-26", "2026-04-03", "2026-04-06", "2026-12-25"]
  },
  hours: weekdays(510, 1020),
  holidays: ["2026-01-26", "2026-04-03", "2026-04-06", "2026-12-25"]
}

/** Hours that straddle the 02:00 DST changes every day (stress for gaps and overlaps). */
const nyNight: Fixture = {
  name: "New York night desk 01:00-04:00",
  cal: { timezone: "America/New_York", workingHours: { "sun-sat": ["01:00", "04:00"] }, holidays: [] },
  hours: { sun: [60, 240], mon: [60, 240], tue: [60, 240], wed: [60, 240], thu: [60, 240], fri: [60, 240], sat: [60, 240] },
  holidays: []
}

/** Weekend support desk open around the clock, with "24:00" ends. */
const berlinWeekend: Fixture = {
  name: "Berlin weekend desk 00:00-24:00",
  cal: { timezone: "Europe/Berlin", workingHours: { "sat-sun": ["00:00", "24:00"] }, holidays: ["2026-10-25"] },
  hours: { sat: [0, 1440], sun: [0, 1440] },
  holidays: ["2026-10-25"]
}

const fixtures: ReadonlyArray<Fixture> = [newYork, berlin, sydney, nyNight, berlinWeekend]

const pad = (n: number): string => String(n).padStart(2, "0")

/** Independent answer to "is this working time": read the wall clock and look at the table. */
const oracleIsWorking = (f: Fixture, t: Date): boolean => {
  const w = wallClock(f.cal.timezone, t)
  if (f.holidays.includes(`${w.year}-${pad(w.month)}-${pad(w.day)}`)) return false
  const h = f.hours[w.weekday]
  if (h === undefined) return false
  const minutes = w.hour * 60 + w.minute + (w.second * 1000 + w.millisecond) / MINUTE
  return minutes >= h[0] && minutes < h[1]
}

// Random instants in 2026, half of them in the weeks around the DST changes
// (US 8 Mar / 1 Nov, EU 29 Mar / 25 Oct, AU 5 Apr / 4 Oct).
const dstDates = ["2026-03-08", "2026-11-01", "2026-03-29", "2026-10-25", "2026-04-05", "2026-10-04"]
const instantArb = FastCheck.oneof(
  FastCheck.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }),
  ...dstDates.map((d) => {
    const c = Date.parse(`${d}T00:00:00Z`)
    return FastCheck.integer({ min: c - 4 * DAY, max: c + 4 * DAY })
  })
).map((t) => new Date(t))
const fixtureArb = FastCheck.constantFrom(...fixtures)
const durationArb = FastCheck.oneof(
  FastCheck.integer({ min: 1, max: 60 * HOUR }),
  FastCheck.integer({ min: 1, max: 40 * 4 }).map((q) => q * 15 * MINUTE)
)

// ---------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------

describe("isWorkingTime", () => {
  const cal = newYork.cal
  it("opening is inclusive, closing exclusive, in the calendar's zone", () => {
    expect(isWorkingTime(cal, at("2026-01-12T14:00:00.000Z"))).toBe(true) // Mon 09:00 EST
    expect(isWorkingTime(cal, at("2026-01-12T13:59:59.999Z"))).toBe(false)
    expect(isWorkingTime(cal, at("2026-01-12T22:59:59.999Z"))).toBe(true) // 17:59:59.999
    expect(isWorkingTime(cal, at("2026-01-12T23:00:00.000Z"))).toBe(false) // 18:00
  })
  it("weekends and holidays are not working time", () => {
    expect(isWorkingTime(cal, at("2026-01-10T16:00:00Z"))).toBe(false) // Sat 11:00
    expect(isWorkingTime(cal, at("2026-07-03T15:00:00Z"))).toBe(false) // Fri 11:00 EDT, holiday
    expect(isWorkingTime(cal, at("2026-07-02T15:00:00Z"))).toBe(true) // Thu 11:00 EDT
  })
  it("answers 'is this rep on shift now' from a rep's own hours (no holidays field)", () => {
    const rep = { id: "rep-7", timezone: "Europe/Berlin", workingHours: { "mon-fri": ["08:00", "16:00"] as const } }
    expect(isWorkingTime(rep, at("2026-01-12T07:30:00Z"))).toBe(true) // 08:30 CET
    expect(isWorkingTime(rep, at("2026-01-12T15:30:00Z"))).toBe(false) // 16:30 CET
    expect(isWorkingTime(rep, at("2026-07-13T14:30:00Z"))).toBe(false) // 16:30 CEST
    expect(isWorkingTime(rep, at("2026-07-13T13:30:00Z"))).toBe(true) // 15:30 CEST
  })
  it("wrapping ranges like sun-thu cover the wrapped days only", () => {
    const dubai = { timezone: "Asia/Dubai", workingHours: { "sun-thu": ["08:00", "17:00"] as const }, holidays: [] }
    expect(isWorkingTime(dubai, at("2026-01-11T06:00:00Z"))).toBe(true) // Sun 10:00 +04
    expect(isWorkingTime(dubai, at("2026-01-15T06:00:00Z"))).toBe(true) // Thu
    expect(isWorkingTime(dubai, at("2026-01-16T06:00:00Z"))).toBe(false) // Fri
    expect(isWorkingTime(dubai, at("2026-01-17T06:00:00Z"))).toBe(false) // Sat
  })
  it("a compiled calendar answers like the raw one", () => {
    const compiled = compileCalendar(berlin.cal)
    for (const iso of ["2026-01-16T13:59:00Z", "2026-01-16T14:00:00Z", "2026-01-15T16:29:00Z", "2026-04-03T10:00:00Z"]) {
      expect(isWorkingTime(compiled, at(iso))).toBe(isWorkingTime(berlin.cal, at(iso)))
      expect(isWorkingTime(compiled, at(iso))).toBe(oracleIsWorking(berlin, at(iso)))
    }
  })
})

describe("addBusinessTime", () => {
  const cal = newYork.cal
  it("Friday 17:00 New York + 2 business hours = Monday 10:00 New York", () => {
    expect(addBusinessTime(cal, at("2026-01-09T22:00:00Z"), 2 * HOUR)).toEqual(at("2026-01-12T15:00:00Z"))
  })
  it("skips a holiday in the middle (Fri 3 Jul 2026)", () => {
    // Thu 2 Jul 17:00 EDT + 2 h → Mon 6 Jul 10:00 EDT
    expect(addBusinessTime(cal, at("2026-07-02T21:00:00Z"), 2 * HOUR)).toEqual(at("2026-07-06T14:00:00Z"))
  })
  it("24 business hours on a 9-18 calendar is 2 working days and 6 hours later", () => {
    // Mon 12 Jan 09:00 EST → Wed 14 Jan 15:00 EST
    expect(addBusinessTime(cal, at("2026-01-12T14:00:00Z"), 24 * HOUR)).toEqual(at("2026-01-14T20:00:00Z"))
  })
  it("counting starts at the next opening when the hand-raise arrives out of hours", () => {
    // Sat 10 Jan 11:00 EST + 30 min → Mon 09:30 EST
    expect(addBusinessTime(cal, at("2026-01-10T16:00:00Z"), 30 * MINUTE)).toEqual(at("2026-01-12T14:30:00Z"))
    // Tue 07:00 EST + 1 h → Tue 10:00 EST
    expect(addBusinessTime(cal, at("2026-01-13T12:00:00Z"), HOUR)).toEqual(at("2026-01-13T15:00:00Z"))
  })
  it("a due time that exhausts the day is the closing instant itself (closing end inclusive for due times)", () => {
    expect(addBusinessTime(cal, at("2026-01-12T14:00:00Z"), 9 * HOUR)).toEqual(at("2026-01-12T23:00:00Z"))
    expect(addBusinessTime(cal, at("2026-01-12T14:00:00Z"), 9 * HOUR + 1)).toEqual(at("2026-01-13T14:00:00.001Z"))
  })
  it("0 ms is start; an invalid start or infinite duration gives an invalid date", () => {
    const sat = at("2026-01-10T16:00:00Z")
    expect(addBusinessTime(cal, sat, 0)).toEqual(sat)
    expect(Number.isNaN(addBusinessTime(cal, sat, Infinity).getTime())).toBe(true)
    expect(Number.isNaN(addBusinessTime(cal, new Date(Number.NaN), HOUR).getTime())).toBe(true)
  })
  it("crosses DST weekends by wall-clock hours", () => {
    // US: Fri 6 Mar 17:00 EST + 2 h → Mon 9 Mar 10:00 EDT
    expect(addBusinessTime(cal, at("2026-03-06T22:00:00Z"), 2 * HOUR)).toEqual(at("2026-03-09T14:00:00Z"))
    // US: Fri 30 Oct 17:00 EDT + 2 h → Mon 2 Nov 10:00 EST
    expect(addBusinessTime(cal, at("2026-10-30T21:00:00Z"), 2 * HOUR)).toEqual(at("2026-11-02T15:00:00Z"))
    // EU: Fri 27 Mar 14:00 CET + 2 h (Fridays close 15:00) → Mon 30 Mar 10:00 CEST
    expect(addBusinessTime(berlin.cal, at("2026-03-27T13:00:00Z"), 2 * HOUR)).toEqual(at("2026-03-30T08:00:00Z"))
  })
})

describe("DST", () => {
  const everyDay = (timezone: string, from: string, to: string): BusinessCalendar => ({
    timezone,
    workingHours: { "mon-sun": [from, to] },
    holidays: []
  })
  const cases = [
    { zone: "America/New_York", day: "8 Mar (spring)", start: "2026-03-08T05:00:00Z", end: "2026-03-09T04:00:00Z", length: 23 },
    { zone: "America/New_York", day: "1 Nov (fall)", start: "2026-11-01T04:00:00Z", end: "2026-11-02T05:00:00Z", length: 25 },
    { zone: "Europe/Berlin", day: "29 Mar (spring)", start: "2026-03-28T23:00:00Z", end: "2026-03-29T22:00:00Z", length: 23 },
    { zone: "Europe/Berlin", day: "25 Oct (fall)", start: "2026-10-24T22:00:00Z", end: "2026-10-25T23:00:00Z", length: 25 },
    { zone: "Australia/Sydney", day: "5 Apr (fall)", start: "2026-04-04T13:00:00Z", end: "2026-04-05T14:00:00Z", length: 25 },
    { zone: "Australia/Sydney", day: "4 Oct (spring)", start: "2026-10-03T14:00:00Z", end: "2026-10-04T13:00:00Z", length: 23 }
  ] as const
  for (const c of cases) {
    it(`09:00-18:00 is 9 business hours on ${c.zone} ${c.day}, a ${c.length} h day`, () => {
      const cal = everyDay(c.zone, "09:00", "18:00")
      expect(at(c.end).getTime() - at(c.start).getTime()).toBe(c.length * HOUR)
      expect(businessTimeBetween(cal, at(c.start), at(c.end))).toBe(9 * HOUR)
      expect(addBusinessTime(cal, at(c.start), 9 * HOUR)).toEqual(endOfBusinessDay(cal, at(c.start)))
    })
  }
  it("hours spanning the change count real elapsed time (02:00-03:00 is skipped or repeated)", () => {
    const night = everyDay("America/New_York", "00:00", "06:00")
    expect(businessTimeBetween(night, at("2026-03-08T00:00:00Z"), at("2026-03-08T23:00:00Z"))).toBe(5 * HOUR)
    expect(businessTimeBetween(night, at("2026-11-01T00:00:00Z"), at("2026-11-01T23:00:00Z"))).toBe(7 * HOUR)
  })
  it("a local time in the spring-forward gap resolves to the instant just after the gap", () => {
    expect(instantFromWallClock("America/New_York", { year: 2026, month: 3, day: 8, hour: 2, minute: 30 }))
      .toEqual(at("2026-03-08T07:00:00Z"))
    expect(instantFromWallClock("Europe/Berlin", { year: 2026, month: 3, day: 29, hour: 2, minute: 30 }))
      .toEqual(at("2026-03-29T01:00:00Z"))
    expect(instantFromWallClock("Australia/Sydney", { year: 2026, month: 10, day: 4, hour: 2, minute: 30 }))
      .toEqual(at("2026-10-03T16:00:00Z"))
  })
  it("an ambiguous fall-back local time resolves to the earlier instant", () => {
    expect(instantFromWallClock("America/New_York", { year: 2026, month: 11, day: 1, hour: 1, minute: 30 }))
      .toEqual(at("2026-11-01T05:30:00Z"))
    expect(instantFromWallClock("Europe/Berlin", { year: 2026, month: 10, day: 25, hour: 2, minute: 30 }))
      .toEqual(at("2026-10-25T00:30:00Z"))
  })
  it("hours opening inside the gap open when the gap ends", () => {
    const cal = everyDay("America/New_York", "02:30", "05:00")
    expect(isWorkingTime(cal, at("2026-03-08T06:59:59.999Z"))).toBe(false) // 01:59:59.999 EST
    expect(isWorkingTime(cal, at("2026-03-08T07:00:00Z"))).toBe(true) // 03:00 EDT
    expect(nextOpening(cal, at("2026-03-08T06:00:00Z"))).toEqual(at("2026-03-08T07:00:00Z"))
    expect(businessTimeBetween(cal, at("2026-03-08T00:00:00Z"), at("2026-03-09T00:00:00Z"))).toBe(2 * HOUR)
  })
  it("instants on either side of the jump, on a Sunday, roll to Monday's opening", () => {
    // 06:59 UTC is 01:59 EST, one minute before the jump; NY 9-18 calendar, Sunday → Monday 09:00 EDT
    expect(nextOpening(newYork.cal, at("2026-03-08T06:59:00Z"))).toEqual(at("2026-03-09T13:00:00Z"))
    expect(addBusinessTime(newYork.cal, at("2026-03-08T07:00:00Z"), HOUR)).toEqual(at("2026-03-09T14:00:00Z"))
  })
  it("wallClock reads the local time on both sides of a change", () => {
    expect(wallClock("America/New_York", at("2026-03-08T06:59:59Z"))).toMatchObject({ day: 8, hour: 1, minute: 59, weekday: "sun" })
    expect(wallClock("America/New_York", at("2026-03-08T07:00:00Z"))).toMatchObject({ day: 8, hour: 3, minute: 0 })
    expect(wallClock("Australia/Sydney", at("2026-04-04T16:30:00Z"))).toMatchObject({ day: 5, hour: 2, minute: 30 })
    expect(wallClock("Australia/Sydney", at("2026-04-04T15:30:00Z"))).toMatchObject({ day: 5, hour: 2, minute: 30 })
  })
})

describe("businessTimeBetween", () => {
  it("counts only working hours: MQL Friday 17:30, first touch Monday 09:15 = 45 business minutes", () => {
    expect(businessTimeBetween(newYork.cal, at("2026-01-09T22:30:00Z"), at("2026-01-12T14:15:00Z"))).toBe(45 * MINUTE)
  })
  it("is 0 for an empty or reversed interval", () => {
    expect(businessTimeBetween(newYork.cal, at("2026-01-12T15:00:00Z"), at("2026-01-12T15:00:00Z"))).toBe(0)
    expect(businessTimeBetween(newYork.cal, at("2026-01-12T16:00:00Z"), at("2026-01-12T15:00:00Z"))).toBe(0)
  })
  it("a full week with a holiday: 4 × 9 h", () => {
    expect(businessTimeBetween(newYork.cal, at("2026-06-29T04:00:00Z"), at("2026-07-06T04:00:00Z"))).toBe(36 * HOUR)
  })
})

describe("endOfBusinessDay", () => {
  const cal = newYork.cal
  it("a weekday morning, before and after opening: today's close", () => {
    expect(endOfBusinessDay(cal, at("2026-01-13T13:00:00Z"))).toEqual(at("2026-01-13T23:00:00Z")) // Tue 08:00
    expect(endOfBusinessDay(cal, at("2026-01-13T15:00:00Z"))).toEqual(at("2026-01-13T23:00:00Z")) // Tue 10:00
  })
  it("after close (and exactly at close): the next business day's close", () => {
    expect(endOfBusinessDay(cal, at("2026-01-14T00:00:00Z"))).toEqual(at("2026-01-14T23:00:00Z")) // Tue 19:00
    expect(endOfBusinessDay(cal, at("2026-01-16T23:00:00Z"))).toEqual(at("2026-01-19T23:00:00Z")) // Fri 18:00
  })
  it("on Saturday: Monday's close", () => {
    expect(endOfBusinessDay(cal, at("2026-01-17T17:00:00Z"))).toEqual(at("2026-01-19T23:00:00Z"))
  })
  it("before a holiday: that day's close during hours, after the holiday once closed", () => {
    expect(endOfBusinessDay(cal, at("2026-07-02T14:00:00Z"))).toEqual(at("2026-07-02T22:00:00Z")) // Thu 10:00 EDT
    expect(endOfBusinessDay(cal, at("2026-07-02T23:00:00Z"))).toEqual(at("2026-07-06T22:00:00Z")) // Thu 19:00 → Mon
  })
  it("uses the day's own hours (Berlin Fridays close at 15:00)", () => {
    expect(endOfBusinessDay(berlin.cal, at("2026-01-16T08:00:00Z"))).toEqual(at("2026-01-16T14:00:00Z"))
  })
})

describe("nextOpening", () => {
  const cal = newYork.cal
  it("is the instant itself during hours", () => {
    expect(nextOpening(cal, at("2026-01-13T15:17:00Z"))).toEqual(at("2026-01-13T15:17:00Z"))
  })
  it("before opening, at close, on a weekend", () => {
    expect(nextOpening(cal, at("2026-01-13T12:00:00Z"))).toEqual(at("2026-01-13T14:00:00Z"))
    expect(nextOpening(cal, at("2026-01-13T23:00:00Z"))).toEqual(at("2026-01-14T14:00:00Z"))
    expect(nextOpening(cal, at("2026-01-17T17:00:00Z"))).toEqual(at("2026-01-19T14:00:00Z"))
  })
})

describe("addBusinessDays", () => {
  const cal = newYork.cal
  it("keeps the local time of day across weekends, holidays and DST", () => {
    expect(addBusinessDays(cal, at("2026-01-12T15:30:00Z"), 1)).toEqual(at("2026-01-13T15:30:00Z")) // Mon → Tue 10:30
    expect(addBusinessDays(cal, at("2026-01-16T15:30:00Z"), 1)).toEqual(at("2026-01-19T15:30:00Z")) // Fri → Mon
    expect(addBusinessDays(cal, at("2026-07-02T15:00:00Z"), 1)).toEqual(at("2026-07-06T15:00:00Z")) // Thu → Mon (Fri holiday)
    expect(addBusinessDays(cal, at("2026-03-06T15:30:00Z"), 1)).toEqual(at("2026-03-09T14:30:00Z")) // 10:30 EST → 10:30 EDT
  })
  it("keeps the local time when the anchor day itself is 23 or 25 hours long", () => {
    const everyDay: BusinessCalendar = { timezone: "America/New_York", workingHours: { "mon-sun": ["09:00", "18:00"] }, holidays: [] }
    expect(addBusinessDays(everyDay, at("2026-03-08T14:30:00Z"), 1)).toEqual(at("2026-03-09T14:30:00Z")) // Sun 10:30 EDT → Mon 10:30 EDT
    expect(addBusinessDays(everyDay, at("2026-11-01T15:30:00Z"), 1)).toEqual(at("2026-11-02T15:30:00Z")) // Sun 10:30 EST → Mon 10:30 EST
    expect(addBusinessDays(everyDay, at("2026-03-07T15:30:00Z"), 1)).toEqual(at("2026-03-08T14:30:00Z")) // Sat 10:30 EST → Sun 10:30 EDT
  })
  it("8 touches over 10 business days: day 10 is two weeks later", () => {
    expect(addBusinessDays(cal, at("2026-01-05T15:00:00Z"), 10)).toEqual(at("2026-01-19T15:00:00Z"))
  })
  it("outside hours the cadence is anchored at the next opening", () => {
    const saturday = at("2026-01-17T17:00:00Z")
    expect(addBusinessDays(cal, saturday, 0)).toEqual(at("2026-01-19T14:00:00Z")) // Mon 09:00
    expect(addBusinessDays(cal, saturday, 2)).toEqual(at("2026-01-21T14:00:00Z")) // Wed 09:00
    expect(addBusinessDays(cal, at("2026-01-13T12:00:00Z"), 1)).toEqual(at("2026-01-14T14:00:00Z")) // Tue 07:00 → Wed 09:00
  })
  it("a position past a shorter day's close is clamped to that close", () => {
    // Berlin Thu 17:00 CET + 1 → Fri closes 15:00 CET
    expect(addBusinessDays(berlin.cal, at("2026-01-15T16:00:00Z"), 1)).toEqual(at("2026-01-16T14:00:00Z"))
  })
})

describe("validateCalendar", () => {
  it("accepts a usable calendar, including wrapping ranges and a 24:00 end", () => {
    for (const f of fixtures) expect(validateCalendar(f.cal)).toEqual([])
    expect(validateCalendar({ timezone: "UTC", workingHours: { "fri-mon": ["10:00", "24:00"], "tue-thu": ["09:00", "17:00"] }, holidays: [] }))
      .toEqual([])
  })
  it("reports each fault with its path", () => {
    const issues = validateCalendar({
      timezone: "America/New_Yrok",
      workingHours: {
        "mon-fri": ["09:00", "18:00"],
        wed: ["10:00", "12:00"],
        "mon-fry": ["09:00", "17:00"],
        sat: ["9:00", "13:00"],
        sun: ["18:00", "09:00"]
      },
      holidays: ["2026-12-25", "2026-02-30", "Dec 24"]
    })
    expect(issues.map((i) => [i.reason, i.path])).toEqual([
      ["UnknownTimeZone", ["timezone"]],
      ["DuplicateDay", ["workingHours", "wed"]],
      ["BadDayKey", ["workingHours", "mon-fry"]],
      ["BadTime", ["workingHours", "sat", 0]],
      ["EndNotAfterStart", ["workingHours", "sun"]],
      ["BadHoliday", ["holidays", 1]],
      ["BadHoliday", ["holidays", 2]]
    ])
    expect(issues[0]?.message).toMatch(/time zone/)
    expect(issues[1]?.message).toMatch(/wed.*mon-fri/)
  })
  it("reports a calendar with no working time, a bad end time, a malformed pair and a duplicate through a wrapped range", () => {
    expect(validateCalendar({ timezone: "UTC", workingHours: {}, holidays: [] }))
      .toEqual([expect.objectContaining({ path: ["workingHours"], reason: "NoWorkingTime" })])
    expect(validateCalendar({ timezone: "UTC", workingHours: { mon: ["09:00", "12:60"] }, holidays: [] }))
      .toEqual([expect.objectContaining({ path: ["workingHours", "mon", 1], reason: "BadTime" })])
    expect(validateCalendar({ timezone: "UTC", workingHours: { mon: ["24:00", "24:00"] }, holidays: [] }))
      .toEqual([expect.objectContaining({ path: ["workingHours", "mon", 0], reason: "BadTime" })])
    const pair = { mon: ["09:00"] } as unknown as BusinessCalendar["workingHours"]
    expect(validateCalendar({ timezone: "UTC", workingHours: pair, holidays: [] }))
      .toEqual([expect.objectContaining({ path: ["workingHours", "mon"], reason: "BadHours" })])
    expect(validateCalendar({ timezone: "UTC", workingHours: { "fri-mon": ["09:00", "17:00"], mon: ["09:00", "17:00"] }, holidays: [] }))
      .toEqual([expect.objectContaining({ path: ["workingHours", "mon"], reason: "DuplicateDay" })])
    expect(validateCalendar({ timezone: "UTC", workingHours: { "mon-mon": ["09:00", "17:00"], MON: ["09:00", "17:00"] }, holidays: [] }))
      .toEqual([
        expect.objectContaining({ path: ["workingHours", "mon-mon"], reason: "BadDayKey" }),
        expect.objectContaining({ path: ["workingHours", "MON"], reason: "BadDayKey" })
      ])
  })
  it("compiling an invalid calendar fails with InvalidCalendarError carrying the issues", () => {
    const bad: BusinessCalendar = { timezone: "Mars/Olympus", workingHours: { "mon-fri": ["09:00", "18:00"] }, holidays: [] }
    const result = compileCalendarEither(bad)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left._tag).toBe("InvalidCalendarError")
      expect(result.left.issues.map((i) => i.path)).toEqual([["timezone"]])
    }
    expect(() => compileCalendar(bad)).toThrow(InvalidCalendarError)
    expect(() => isWorkingTime(bad, at("2026-01-12T15:00:00Z"))).toThrow(/Mars\/Olympus/)
  })
})

// ---------------------------------------------------------------------------
// Properties across zones, weekends and DST changes
// ---------------------------------------------------------------------------

describe("properties", () => {
  it.prop("isWorkingTime agrees with the wall clock and the hours table", { f: fixtureArb, t: instantArb }, ({ f, t }) => {
    expect(isWorkingTime(f.cal, t)).toBe(oracleIsWorking(f, t))
  }, { fastCheck: { numRuns: 300 } })

  it.prop("businessTimeBetween(a, addBusinessTime(a, d)) === d", { f: fixtureArb, a: instantArb, d: durationArb }, ({ f, a, d }) => {
    expect(businessTimeBetween(f.cal, a, addBusinessTime(f.cal, a, d))).toBe(d)
    const aligned = nextOpening(f.cal, a)
    expect(isWorkingTime(f.cal, aligned)).toBe(true)
    expect(businessTimeBetween(f.cal, aligned, addBusinessTime(f.cal, aligned, d))).toBe(d)
  }, { fastCheck: { numRuns: 200 } })

  it.prop(
    "addBusinessTime is monotonic in d and composes: add(add(a, d1), d2) = add(a, d1 + d2)",
    { f: fixtureArb, a: instantArb, d1: durationArb, d2: durationArb },
    ({ f, a, d1, d2 }) => {
      const lo = Math.min(d1, d2)
      const hi = Math.max(d1, d2)
      expect(addBusinessTime(f.cal, a, lo).getTime()).toBeLessThanOrEqual(addBusinessTime(f.cal, a, hi).getTime())
      expect(addBusinessTime(f.cal, addBusinessTime(f.cal, a, d1), d2)).toEqual(addBusinessTime(f.cal, a, d1 + d2))
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "a due time (d > 0) is inside working hours, or exactly at a closing instant",
    { f: fixtureArb, a: instantArb, d: durationArb },
    ({ f, a, d }) => {
      const r = addBusinessTime(f.cal, a, d)
      const justBefore = new Date(r.getTime() - 1)
      // The millisecond before the due time is working time: not a weekend, holiday or off-hours.
      expect(oracleIsWorking(f, justBefore)).toBe(true)
      if (!isWorkingTime(f.cal, r)) expect(endOfBusinessDay(f.cal, justBefore)).toEqual(r)
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "businessTimeBetween is additive and never exceeds elapsed time",
    { f: fixtureArb, xs: FastCheck.tuple(instantArb, instantArb, instantArb) },
    ({ f, xs }) => {
      const [a, b, c] = [...xs].sort((p, q) => p.getTime() - q.getTime()) as [Date, Date, Date]
      const ab = businessTimeBetween(f.cal, a, b)
      expect(ab).toBeLessThanOrEqual(b.getTime() - a.getTime())
      expect(businessTimeBetween(f.cal, a, c)).toBe(ab + businessTimeBetween(f.cal, b, c))
    }
  )

  it.prop("nextOpening and endOfBusinessDay bracket the business day", { f: fixtureArb, t: instantArb }, ({ f, t }) => {
    const open = nextOpening(f.cal, t)
    const close = endOfBusinessDay(f.cal, t)
    expect(open.getTime()).toBeGreaterThanOrEqual(t.getTime())
    expect(oracleIsWorking(f, open)).toBe(true)
    expect(businessTimeBetween(f.cal, t, open)).toBe(0)
    expect(close.getTime()).toBeGreaterThan(t.getTime())
    expect(close.getTime()).toBeGreaterThan(open.getTime())
    expect(oracleIsWorking(f, new Date(close.getTime() - 1))).toBe(true)
    // between the opening and the close it is working time without a break
    expect(businessTimeBetween(f.cal, open, close)).toBe(close.getTime() - open.getTime())
  }, { fastCheck: { numRuns: 300 } })

  it.prop(
    "addBusinessDays lands k business days later at the same local time (9-18 calendar)",
    { t: instantArb, k: FastCheck.integer({ min: 0, max: 15 }) },
    ({ t, k }) => {
      const cal = newYork.cal
      const start = nextOpening(cal, t)
      const r = addBusinessDays(cal, start, k)
      expect(isWorkingTime(cal, r)).toBe(true)
      const ws = wallClock(cal.timezone, start)
      const wr = wallClock(cal.timezone, r)
      expect([wr.hour, wr.minute, wr.second, wr.millisecond]).toEqual([ws.hour, ws.minute, ws.second, ws.millisecond])
      // Stepping close to close k times reaches r's business day.
      let close = endOfBusinessDay(cal, start)
      for (let i = 0; i < k; i++) close = endOfBusinessDay(cal, close)
      expect(endOfBusinessDay(cal, r)).toEqual(close)
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "instantFromWallClock inverts wallClock (the earlier instant when the time repeats)",
    { f: fixtureArb, t: instantArb },
    ({ f, t }) => {
      const w = wallClock(f.cal.timezone, t)
      const u = instantFromWallClock(f.cal.timezone, w)
      expect(wallClock(f.cal.timezone, u)).toEqual(w)
      expect([0, HOUR]).toContain(t.getTime() - u.getTime())
    },
    { fastCheck: { numRuns: 300 } }
  )
})
