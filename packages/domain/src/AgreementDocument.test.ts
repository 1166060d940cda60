import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { parse as parseYaml, stringify } from "yaml"
import { agreementJsonSchema, agreementToYaml, decodeAgreement, encodeAgreement, parseAgreement } from "./AgreementDocument.ts"
import { defaultAgreement, defaultAgreementYaml } from "./DefaultAgreement.ts"

/** The default agreement as a plain object, to break in one place per test. */
const base = (): any => parseYaml(defaultAgreementYaml)

const faultsOf = (doc: unknown) => {
  const result = decodeAgreement(doc)
  if (Either.isRight(result)) throw new Error("expected the agreement to be refused")
  return result.left.errors
}

const expectFault = (doc: unknown, path: string, message: RegExp) => {
  const faults = faultsOf(doc)
  expect(faults, JSON.stringify(faults, null, 2)).toContainEqual(expect.objectContaining({ path, message: expect.stringMatching(message) }))
}

describe("the default agreement", () => {
  it("decodes and carries the seeds' numbers", () => {
    expect(defaultAgreement.scoring.mqlThreshold).toBe(50)
    expect(defaultAgreement.scoring.fit.map((r) => [r.id, r.points])).toEqual([
      ["title-exec", 15], ["size-target", 10], ["industry-match", 10], ["too-small", -30]
    ])
    expect(defaultAgreement.scoring.intent.find((r) => r.id === "demo")).toMatchObject({ points: 50, instantMql: true })
    expect(defaultAgreement.tiers.map((t) => t.name)).toEqual(["hot", "warm-plus", "warm", "nurture"])
    expect(defaultAgreement.tiers[0]!.sla).toMatchObject({ accept: "PT2M", firstTouch: "PT5M" })
    expect(defaultAgreement.handRaise.events).toEqual(["demo_request", "pricing_request", "contact_sales"])
    expect(defaultAgreement.waterfall.mqlToSqlBand).toEqual([0.4, 0.7])
    expect(defaultAgreement.recycle.premature.reevaluateAfter).toBe("P30D")
    expect(defaultAgreement.recycle.inactivity.after).toBe("P14D")
  })

  it("round-trips through YAML and JSON unchanged", () => {
    const again = parseAgreement(agreementToYaml(defaultAgreement))
    expect(Either.getOrThrow(again)).toEqual(defaultAgreement)
    const json = parseAgreement(JSON.stringify(encodeAgreement(defaultAgreement)))
    expect(Either.getOrThrow(json)).toEqual(defaultAgreement)
  })

  it("accepts the short hand-raise list of SPEC §1", () => {
    const doc = base()
    doc.handRaise = ["demo_request", "contact_sales"]
    const a = Either.getOrThrow(decodeAgreement(doc))
    expect(a.handRaise).toEqual({ events: ["demo_request", "contact_sales"], pql: [], pqlRequiresIcpFit: true, within: "P30D" })
  })
})

describe("an invalid agreement is refused with the path and reason of every fault", () => {
  it("a missing required section", () => {
    const doc = base()
    delete doc.calendar
    expectFault(doc, "calendar", /missing/)
  })

  it("a value of the wrong type", () => {
    const doc = base()
    doc.scoring.mqlThreshold = "fifty"
    expectFault(doc, "scoring.mqlThreshold", /Expected number/)
  })

  it("a misspelt key (unknown keys are not silently ignored)", () => {
    const doc = base()
    doc.scoring.mqlTreshold = 40
    expectFault(doc, "scoring.mqlTreshold", /unexpected/)
  })

  it("a duration that is not ISO 8601", () => {
    const doc = base()
    doc.scoring.decay.steps[0].after = "30 days"
    expectFault(doc, "scoring.decay.steps[0].after", /ISO 8601/)
  })

  it("a regular expression that does not compile", () => {
    const doc = base()
    doc.scoring.fit[0].when.title.matches = "vp(|chief"
    expectFault(doc, "scoring.fit[0].when.title.matches", /invalid regular expression/)
  })

  it("a pattern RE2 cannot run in linear time (lookahead), with the rule's path", () => {
    const doc = base()
    doc.scoring.fit[0].when.title.matches = "vp(?!.*assistant)"
    expectFault(doc, "scoring.fit[0].when.title.matches", /lookahead and lookbehind .* not supported/)
  })

  it("a pattern longer than 1,000 characters", () => {
    const doc = base()
    doc.scoring.fit[0].when.title.matches = "vp|".repeat(400)
    expectFault(doc, "scoring.fit[0].when.title.matches", /at most 1000 characters/)
  })

  it("impossible calendar dates: a holiday on February 30th, a signature in month 13", () => {
    const doc = base()
    doc.calendar.holidays = ["2026-12-25", "2026-02-30"]
    doc.signatures = [
      { role: "VP Sales", name: "Dana", signedAt: "2026-13-01" },
      { role: "VP Marketing", name: "Lee", signedAt: "2026-02-30T10:00:00Z" },
      { role: "CRO", name: "Sam", signedAt: "2026-02-28" }
    ]
    const faults = faultsOf(doc)
    expect(faults.map((f) => f.path).sort()).toEqual(["calendar.holidays[1]", "signatures[0].signedAt", "signatures[1].signedAt"])
    expect(faults.find((f) => f.path === "signatures[0].signedAt")!.message).toMatch(/on a day that exists/)
  })

  it("a document nested deeper than any agreement is, as JSON", () => {
    const doc = base()
    let deep: unknown = "x"
    for (let i = 0; i < 40; i++) deep = [deep]
    doc.name = deep
    expectFault(doc, "name[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]", /nested more than 32 levels/)
  })

  it("a lead field that does not exist", () => {
    const doc = base()
    doc.scoring.fit[1].when = { employes: { gte: 50 } }
    expectFault(doc, "scoring.fit[1].when.employes", /unknown lead field "employes"/)
  })

  it("an empty condition", () => {
    const doc = base()
    doc.scoring.fit[2].when.industry = {}
    expectFault(doc, "scoring.fit[2].when.industry", /at least one test/)
  })

  it("a between range upside down", () => {
    const doc = base()
    doc.scoring.fit[1].when.employees.between = [5000, 50]
    expectFault(doc, "scoring.fit[1].when.employees.between", /low bound 5000 is above the high bound 50/)
  })

  it("a decay factor outside 0..1 and steps out of order", () => {
    const doc = base()
    doc.scoring.decay.steps[1] = { after: "P10D", factor: 1.5 }
    const faults = faultsOf(doc)
    expect(faults).toContainEqual(expect.objectContaining({ path: "scoring.decay.steps[1].factor", message: expect.stringMatching(/between 0 and 1/) }))
  })

  it("decay steps out of order", () => {
    const doc = base()
    doc.scoring.decay.steps[1] = { after: "P10D", factor: 0.25 }
    expectFault(doc, "scoring.decay.steps[1].after", /increasing order/)
  })

  it("an event type that is not snake case", () => {
    const doc = base()
    doc.scoring.intent[0].event = "Page View"
    expectFault(doc, "scoring.intent[0].event", /lower snake case/)
  })

  it("a rule id used twice", () => {
    const doc = base()
    doc.scoring.intent[1].id = "title-exec"
    expectFault(doc, "scoring.intent[1].id", /already used by scoring\.fit\[0\]/)
  })

  it("a tier routed to a pod that does not exist", () => {
    const doc = base()
    doc.tiers[0].route.pod = "ae-drect"
    expectFault(doc, "tiers[0].route.pod", /pod "ae-drect" is not defined/)
  })

  it("a tier naming a cadence that does not exist", () => {
    const doc = base()
    doc.tiers[1].cadence = "sdr-3x4"
    expectFault(doc, "tiers[1].cadence", /cadence "sdr-3x4" is not defined/)
  })

  it("a backup chain that loops", () => {
    const doc = base()
    doc.routing.pods[1].backup = "ae-direct"
    expectFault(doc, "routing.pods[0].backup", /loops back/)
  })

  it("a last tier that is not a catch-all", () => {
    const doc = base()
    doc.tiers[3].when = { mql: false }
    expectFault(doc, "tiers[3]", /catch-all/)
  })

  it("a catch-all tier that hides the tiers after it", () => {
    const doc = base()
    delete doc.tiers[1].when
    expectFault(doc, "tiers[1].when", /can never apply/)
  })

  it("an unknown time zone and working hours that end before they start", () => {
    const doc = base()
    doc.calendar.timezone = "America/New_Yrok"
    doc.calendar.workingHours = { "mon-fri": ["18:00", "09:00"] }
    const faults = faultsOf(doc)
    expect(faults.some((f) => f.path.startsWith("calendar") && /time ?zone/i.test(f.message))).toBe(true)
    expect(faults.some((f) => f.path.startsWith("calendar.workingHours"))).toBe(true)
  })

  it("a cadence step anchored to a step that does not exist", () => {
    const doc = base()
    doc.cadences["speed-to-lead"].steps[2].after = "attempt-9"
    expectFault(doc, "cadences.speed-to-lead.steps[2].after", /not an earlier step/)
  })

  it("a test fixture expecting a tier that does not exist", () => {
    const doc = base()
    doc.tests[0].expect.tier = "scorching"
    expectFault(doc, "tests[0].expect.tier", /tier "scorching" is not defined/)
  })

  it("a count rule with negative points (a penalty that would expire and raise scores)", () => {
    const doc = base()
    doc.scoring.intent[3].points = -10
    expectFault(doc, "scoring.intent[3].count", /count rule must add points/)
  })

  it("a half-life of zero", () => {
    const doc = base()
    doc.scoring.decay = { halfLife: "PT0S" }
    expectFault(doc, "scoring.decay.halfLife", /longer than zero/)
  })

  it("reports every structural fault at once, not just the first", () => {
    const doc = base()
    doc.scoring.mqlThreshold = "fifty"
    doc.scoring.fit[0].when.title.matches = "("
    doc.tiers[0].sla.accept = "2 minutes"
    doc.routing.pods[0].strategy = "random"
    doc.signatures = [{ role: "VP Sales", name: "Dana", signedAt: "someday" }]
    const paths = faultsOf(doc).map((f) => f.path)
    expect(paths).toEqual(expect.arrayContaining([
      "scoring.mqlThreshold",
      "scoring.fit[0].when.title.matches",
      "tiers[0].sla.accept",
      "routing.pods[0].strategy",
      "signatures[0].signedAt"
    ]))
  })

  it("reports every cross-reference fault at once", () => {
    const doc = base()
    doc.tiers[0].route.pod = "nope"
    doc.tiers[1].cadence = "nada"
    doc.scoring.intent[0].id = "title-exec"
    expect(faultsOf(doc).map((f) => f.path)).toEqual(expect.arrayContaining(["tiers[0].route.pod", "tiers[1].cadence", "scoring.intent[0].id"]))
  })

  it("a YAML syntax error comes back with its line", () => {
    const result = parseAgreement("name: x\nscoring: { fit: [\n  tiers: oops\n")
    expect(Either.isLeft(result)).toBe(true)
    const faults = Either.isLeft(result) ? result.left.errors : []
    expect(faults[0]!.message).toMatch(/YAML syntax/)
    expect(faults[0]!.line).toBeGreaterThanOrEqual(2)
  })

  it("schema faults in YAML text point at the line of the offending value", () => {
    const text = defaultAgreementYaml.replace("mqlThreshold: 50", "mqlThreshold: lots")
    const result = parseAgreement(text)
    const faults = Either.isLeft(result) ? result.left.errors : []
    const line = defaultAgreementYaml.split("\n").findIndex((l) => l.includes("mqlThreshold: 50")) + 1
    expect(faults).toContainEqual(expect.objectContaining({ path: "scoring.mqlThreshold", line }))
  })

  it("a document that is not a mapping", () => {
    const result = parseAgreement("- just\n- a list\n")
    expect(Either.isLeft(result) && result.left.errors[0]!.message).toMatch(/mapping/)
  })

  it("a YAML alias bomb (billion laughs) is a fault with the line of its first alias, not an exception", () => {
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for (let i = 1; i < 9; i++) {
      const [name, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)]
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`)
    }
    const result = parseAgreement(lines.join("\n"))
    expect(Either.isLeft(result)).toBe(true)
    const faults = Either.isLeft(result) ? result.left.errors : []
    expect(faults).toEqual([expect.objectContaining({ path: "", message: expect.stringMatching(/aliases .* expand to more than 100 copies/), line: 2 })])
  })

  it("a few aliases are fine: anchors are ordinary YAML", () => {
    const text = defaultAgreementYaml.replace("mqlThreshold: 50", "mqlThreshold: &line 50").replace("minFit: 10", "minFit: *line")
    expect(text).toContain("*line")
    expect(Either.getOrThrow(parseAgreement(text)).scoring.minFit).toBe(50)
  })

  it("over-deep and oversized YAML are faults, decided without parsing them", { timeout: 5_000 }, () => {
    const deep = parseAgreement(`name: ${"[".repeat(100_000)}${"]".repeat(100_000)}`)
    expect(Either.isLeft(deep) && deep.left.errors[0]!.message).toMatch(/nested too deeply/)
    const big = parseAgreement(`name: x\n# ${"-".repeat(1_000_000)}\n`)
    expect(Either.isLeft(big) && big.left.errors[0]!.message).toMatch(/more than the 1000000 an agreement may have/)
  })

  it("duplicate keys in YAML are a fault, not a silent overwrite", () => {
    const text = stringify({ name: "x" }) + "name: y\n"
    expect(Either.isLeft(parseAgreement(text))).toBe(true)
  })
})

describe("the JSON Schema for editors", () => {
  it("describes the document's top-level sections and required keys", () => {
    const schema = agreementJsonSchema() as any
    const root = schema.$ref ? schema.$defs[schema.$ref.split("/").pop()] : schema
    expect(Object.keys(root.properties)).toEqual(expect.arrayContaining([
      "name", "scoring", "handRaise", "tiers", "cadences", "routing", "calendar", "recycle", "escalation", "attribution", "waterfall", "signatures", "tests"
    ]))
    expect(root.required).toEqual(expect.arrayContaining(["name", "scoring", "handRaise", "tiers", "routing", "calendar"]))
  })
})

describe("the agreement feeds the waterfall math as it is", () => {
  it("the default targets and band judge a cohort", async () => {
    const { waterfall } = await import("./Waterfall.ts")
    const d = (day: number) => new Date(Date.UTC(2026, 0, day))
    const journeys = Array.from({ length: 10 }, (_, i) => ({
      leadId: `l${i}`,
      reachedAt: { inquiry: d(1), mql: d(2), ...(i < 3 ? { sal: d(3), sql: d(4) } : {}) }
    }))
    const report = waterfall(journeys, { from: d(1), to: d(15) }, defaultAgreement.waterfall, d(20))
    expect(report.mqlToSql.rate).toBeCloseTo(0.3)
    expect(report.mqlToSql.status).toBe("too_low")
    expect(report.alarms.map((a) => a.kind)).toContain("mql_to_sql_drift")
  })
})

describe("comparing agreements", () => {
  it("the same document with its keys in another order is the same agreement; a changed number is not", async () => {
    const { sameAgreement } = await import("./AgreementDocument.ts")
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v
    const shuffled = Either.getOrThrow(decodeAgreement(reversed(encodeAgreement(defaultAgreement))))
    expect(sameAgreement(defaultAgreement, shuffled)).toBe(true)
    const doc = base()
    doc.scoring.mqlThreshold = 55
    expect(sameAgreement(defaultAgreement, Either.getOrThrow(decodeAgreement(doc)))).toBe(false)
  })
})
