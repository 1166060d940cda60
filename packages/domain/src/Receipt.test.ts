import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { defaultAgreement } from "./DefaultAgreement.ts"
import { clockSkewTolerance, eventIdentity, eventsAsOf, receiveInstant, StorableDate } from "./Receipt.ts"
import { score } from "./Scoring.ts"

const now = new Date("2026-03-03T15:00:00Z")
const ahead = (ms: number) => new Date(now.getTime() + ms)

describe("storable instants", () => {
  const decode = Schema.decodeUnknownEither(StorableDate)
  it("years 0001 to 9999 decode; beyond, and what PostgreSQL cannot store, are refused", () => {
    expect(Either.isRight(decode("0001-01-01T00:00:00Z"))).toBe(true)
    expect(Either.isRight(decode("9999-12-31T23:59:59.999Z"))).toBe(true)
    expect(Either.isRight(decode("2026-01-06T15:00:00+01:00"))).toBe(true)
    for (const bad of ["-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00Z", "-000001-12-31T23:59:59Z", "+010000-01-01T00:00:00Z", "not a date"]) {
      expect(Either.isLeft(decode(bad))).toBe(true)
    }
  })
})

describe("receiveInstant", () => {
  it("no time given: the receipt time", () => {
    expect(receiveInstant(undefined, now)).toEqual({ occurredAt: now, clamped: false, t0: now })
  })
  it("in the past: kept, and the clocks start from it", () => {
    const t = new Date(now.getTime() - 60_000)
    expect(receiveInstant(t, now)).toEqual({ occurredAt: t, clamped: false, t0: t })
  })
  it("up to the skew tolerance ahead: kept, but the clocks start at receipt", () => {
    for (const ms of [1, 2000, 60_000, clockSkewTolerance]) expect(receiveInstant(ahead(ms), now)).toEqual({ occurredAt: ahead(ms), clamped: false, t0: now })
  })
  it("further ahead: clamped to receipt and flagged", () => {
    for (const ms of [clockSkewTolerance + 1, 3_600_000, 365 * 86_400_000]) expect(receiveInstant(ahead(ms), now)).toEqual({ occurredAt: now, clamped: true, t0: now })
  })
})

describe("eventsAsOf and the score", () => {
  const demo = (at: Date) => ({ type: "demo_request", occurredAt: at, properties: {} })
  it("an event within the tolerance ahead counts as happening now; one further ahead has not happened", () => {
    expect(eventsAsOf([demo(ahead(60_000))], now)).toEqual([demo(now)])
    expect(eventsAsOf([demo(ahead(clockSkewTolerance + 1))], now)).toEqual([])
    expect(eventsAsOf([demo(new Date(0))], now)).toEqual([demo(new Date(0))])
  })
  it("a demo request a minute ahead of the scorer's clock is a hand-raise now", () => {
    const lead = { profile: { email: "vp@bigsoft.com", title: "VP Sales", employees: 800 } }
    const s = score(defaultAgreement, lead, [demo(ahead(60_000))], now)
    expect(s.mql).toBe(true)
    expect(s.handRaise).toEqual({ type: "demo_request", at: now, pql: false })
  })
})

describe("eventIdentity", () => {
  const e = { type: "page_view", occurredAt: now, properties: { category: "pricing", page: "/pricing" }, channel: "organic" }
  it("the same content is the same event, whatever the order of its properties", () => {
    expect(eventIdentity({ email: "a@b.co" }, e)).toBe(eventIdentity({ email: "a@b.co" }, { ...e, properties: { page: "/pricing", category: "pricing" } }))
  })
  it("another target, type, time, property, channel or campaign is another event", () => {
    const base = eventIdentity({ email: "a@b.co" }, e)
    const others = [
      eventIdentity({ email: "c@b.co" }, e),
      eventIdentity({ leadId: "a@b.co" }, e),
      eventIdentity({ email: "a@b.co" }, { ...e, type: "site_visit" }),
      eventIdentity({ email: "a@b.co" }, { ...e, occurredAt: ahead(1) }),
      eventIdentity({ email: "a@b.co" }, { ...e, properties: { category: "pricing" } }),
      eventIdentity({ email: "a@b.co" }, { ...e, channel: "paid" }),
      eventIdentity({ email: "a@b.co" }, { ...e, campaign: "q1" })
    ]
    expect(new Set([base, ...others]).size).toBe(others.length + 1)
  })
  it("with the sender's id, the id decides (for that lead or email only)", () => {
    expect(eventIdentity({ email: "a@b.co" }, e, "m-1")).toBe(eventIdentity({ email: "a@b.co" }, { ...e, occurredAt: ahead(5) }, "m-1"))
    expect(eventIdentity({ email: "a@b.co" }, e, "m-1")).not.toBe(eventIdentity({ email: "a@b.co" }, e, "m-2"))
    expect(eventIdentity({ email: "a@b.co" }, e, "m-1")).not.toBe(eventIdentity({ email: "z@b.co" }, e, "m-1"))
    expect(eventIdentity({ email: "a@b.co" }, e, "m-1")).not.toBe(eventIdentity({ email: "a@b.co" }, e))
  })
})
