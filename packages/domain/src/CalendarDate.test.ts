import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { CalendarDay, calendarDayNumber, IsoDateTime, isCalendarDay } from "./CalendarDate.ts"

describe("calendar dates", () => {
  it("days the calendar has are read; February 30th and month 13 are not rolled over", () => {
    expect(isCalendarDay("2026-02-28")).toBe(true)
    expect(isCalendarDay("2028-02-29")).toBe(true)
    for (const d of ["2026-02-29", "2026-02-30", "2026-13-01", "2026-04-31", "2026-00-10", "2026-1-1", "2026-02-28x"]) expect(isCalendarDay(d)).toBe(false)
    expect(calendarDayNumber("1970-01-02")).toBe(1)
    expect(Either.isLeft(Schema.decodeUnknownEither(CalendarDay)("2026-02-30"))).toBe(true)
  })

  it("a date-time on an impossible day is refused; a real one decodes to its instant", () => {
    const decode = Schema.decodeUnknownEither(IsoDateTime)
    expect(Either.getOrThrow(decode("2026-01-06T15:00:00Z")).toISOString()).toBe("2026-01-06T15:00:00.000Z")
    expect(Either.getOrThrow(decode("2026-01-06")).toISOString()).toBe("2026-01-06T00:00:00.000Z")
    for (const bad of ["2026-02-30T10:00:00Z", "2026-02-30", "2026-13-01T00:00:00Z", "2026-01-06T25:00:00Z", "1", "March 2, 2026"]) {
      expect(Either.isLeft(decode(bad)), bad).toBe(true)
    }
  })
})
