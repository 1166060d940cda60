import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { decodeAgreement, encodeAgreement } from "./AgreementDocument.ts"
import { compilePattern, Condition, maxPatternLength, patternCacheLimit, patternCacheSize, testCondition } from "./Condition.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import { score } from "./Scoring.ts"

const decodeCondition = Schema.decodeUnknownEither(Condition)
const faultOf = (c: unknown): string => {
  const r = decodeCondition(c)
  if (Either.isRight(r)) throw new Error(`expected ${JSON.stringify(c)} to be refused`)
  return String(r.left.message)
}

describe("matches: RE2 semantics, linear time", () => {
  // On a backtracking engine each of these takes longer than the age of the universe; the
  // timeout turns a hang into a failure.
  it("(a+)+$ decides at once on a title of 36 a's and a '!', and on one of 10,000", { timeout: 5_000 }, () => {
    const c = Schema.decodeUnknownSync(Condition)({ matches: "(a+)+$" })
    expect(testCondition(c, `${"a".repeat(36)}!`)).toBe(false)
    expect(testCondition(c, `${"a".repeat(10_000)}!`)).toBe(false)
    expect(testCondition(c, "a".repeat(10_000))).toBe(true)
  })

  it("the catastrophic pattern in a scoring rule scores a lead at once", { timeout: 5_000 }, () => {
    const doc: any = structuredClone(encodeAgreement(defaultAgreement))
    doc.scoring.fit[0].when = { title: { matches: "(a+)+$" } }
    const agreement = Either.getOrThrow(decodeAgreement(doc))
    const s = score(agreement, { profile: { email: "x@acme.com", title: `${"a".repeat(10_000)}!`, employees: 800 } }, [], new Date("2026-03-02T15:00:00Z"))
    expect(s.drivers.map((d) => d.rule)).not.toContain(doc.scoring.fit[0].id)
  })

  it("stays case-insensitive and searches anywhere, as before", () => {
    const c = Schema.decodeUnknownSync(Condition)({ matches: "\\b(vp|chief)\\b" })
    expect(testCondition(c, "Senior VP Sales")).toBe(true)
    expect(testCondition(c, "CHIEF of staff")).toBe(true)
    expect(testCondition(c, "mvp")).toBe(false)
    expect(testCondition(Schema.decodeUnknownSync(Condition)({ matches: "^zoë$" }), "ZOË")).toBe(true)
  })

  it("refuses lookaround and backreferences, which RE2 has no linear-time way to run", () => {
    expect(faultOf({ matches: "vp(?=\\s)" })).toMatch(/lookahead and lookbehind .* not supported/)
    expect(faultOf({ matches: "(?<!assistant )vp" })).toMatch(/lookahead and lookbehind .* not supported/)
    expect(faultOf({ matches: "(a)\\1" })).toMatch(/backreferences .* not supported/)
    expect(faultOf({ matches: "vp(|chief" })).toMatch(/invalid regular expression \(RE2 syntax/)
    // in a character class they are plain characters
    expect(Either.isRight(decodeCondition({ matches: "[(?=]" }))).toBe(true)
  })

  it("refuses a pattern longer than the limit, and one whose repeats make it huge", () => {
    expect(faultOf({ matches: "a".repeat(maxPatternLength + 1) })).toMatch(new RegExp(`at most ${maxPatternLength} characters \\(this one has ${maxPatternLength + 1}\\)`))
    expect(Either.isRight(decodeCondition({ matches: "a".repeat(maxPatternLength) }))).toBe(true)
    expect(faultOf({ matches: ".{0,1000}x" })).toMatch(/too complex: it compiles to \d+ instructions/)
  })

  it("keeps at most a bounded number of compiled patterns, however many it has seen", { timeout: 120_000 }, () => {
    let largest = 0
    for (let i = 0; i < 300_000; i++) {
      const compiled = compilePattern(`p${i}`)
      if (typeof compiled === "string") throw new Error(compiled)
      largest = Math.max(largest, patternCacheSize())
    }
    expect(largest).toBe(patternCacheLimit)
    expect(patternCacheSize()).toBe(patternCacheLimit)
    // the most recent ones are the ones kept
    const c = Schema.decodeUnknownSync(Condition)({ matches: "p299999" })
    expect(testCondition(c, "P299999")).toBe(true)
  })
})
