import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { parse as parseYaml } from "yaml"
import { decodeAgreement } from "./AgreementDocument.ts"
import { checkAgreementTests, checkAgreementText, runAgreementTests } from "./AgreementTests.ts"
import { defaultAgreement, defaultAgreementYaml } from "./DefaultAgreement.ts"

const withTests = (tests: ReadonlyArray<unknown>) => {
  const doc = parseYaml(defaultAgreementYaml)
  doc.tests = tests
  return Either.getOrThrow(decodeAgreement(doc))
}

describe("the agreement's own tests", () => {
  it("every example of the default agreement passes", () => {
    const results = runAgreementTests(defaultAgreement)
    expect(results.length).toBeGreaterThanOrEqual(5)
    expect(results.filter((r) => !r.passed).map((r) => [r.name, r.failures])).toEqual([])
    expect(results.map((r) => r.actual.tier)).toEqual(["hot", "warm-plus", "warm-plus", "warm", "nurture"])
  })

  it("a version whose examples fail is refused, with the fixture's path and what differed", () => {
    const a = withTests([
      { name: "mid-size demo is hot", lead: { title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 30000, intent: "demo_request" }, expect: { tier: "hot", pod: "ae-direct" } }
    ])
    const result = checkAgreementTests(a)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left.errors).toEqual([
        { path: "tests[0]", message: 'mid-size demo is hot: tier: expected "hot", got "warm-plus"' },
        { path: "tests[0]", message: 'mid-size demo is hot: pod: expected "ae-direct", got "sdr"' }
      ])
    }
  })

  it("checks SLA expectations, comparing durations by length (PT120S is PT2M)", () => {
    const a = withTests([
      { lead: { title: "CTO", employees: 900, industry: "saas", estimatedAcv: 120000, intent: "contact_sales" }, expect: { tier: "hot", sla: { accept: "PT120S", firstTouch: "PT5M" } } },
      { lead: { title: "CTO", employees: 900, industry: "saas", estimatedAcv: 120000, intent: "contact_sales" }, expect: { sla: { accept: "PT3M" } } }
    ])
    const [ok, bad] = runAgreementTests(a)
    expect(ok!.passed).toBe(true)
    expect(bad!.passed).toBe(false)
    expect(bad!.failures[0]).toMatch(/sla\.accept/)
  })

  it("uses the stricter response target of the inquiry type (seed 004: trial signup < 1 h)", () => {
    const a = withTests([
      {
        lead: {
          title: "Head of RevOps", employees: 400, industry: "saas", intent: "trial_signup",
          events: [{ type: "page_view", properties: { category: "pricing" }, ago: "P1D" }, { type: "content_download", properties: { kind: "case_study" }, ago: "P2D" }]
        },
        expect: { tier: "warm", sla: { firstTouch: "PT1H" } }
      }
    ])
    expect(runAgreementTests(a)[0]!.failures).toEqual([])
  })

  it("events in fixtures happen `ago` before the fixture time, so decay applies", () => {
    const a = withTests([
      {
        lead: {
          title: "Head of Sales", employees: 300, industry: "saas",
          events: [{ type: "page_view", properties: { category: "pricing" }, ago: "P70D" }, { type: "content_download", properties: { kind: "case_study" }, ago: "P70D" }]
        },
        expect: { tier: "nurture", mql: false }
      }
    ])
    const [r] = runAgreementTests(a)
    expect(r!.failures).toEqual([])
    expect(r!.actual.total).toBe(35 + (20 + 15) * 0.25)
  })

  it("the check command's text names each fault's path and line", () => {
    const broken = defaultAgreementYaml.replace("pod: ae-direct, onShiftOnly: true", "pod: ae-drect, onShiftOnly: true")
    const { ok, lines } = checkAgreementText(broken, "agreement.yaml")
    expect(ok).toBe(false)
    expect(lines.join("\n")).toMatch(/agreement\.yaml:\d+:\d+ {2}tiers\[0\]\.route\.pod {2}pod "ae-drect" is not defined/)
  })
})
