/**
 * The agreement's own examples. Each fixture lead is scored, tiered and given its SLA
 * under the agreement, and compared with what the fixture expects. A proposed version
 * whose examples fail is refused, like code whose unit tests fail.
 */
import { Either } from "effect"
import type { Agreement, AgreementTest, Deadline } from "./Agreement.ts"
import { AgreementInvalid, formatPath, parseAgreement } from "./AgreementDocument.ts"
import { durationMillis } from "./IsoDuration.ts"
import type { Account, LeadEvent, LeadProfile, RepId } from "./Lead.ts"
import { evaluateLead } from "./Decision.ts"
import { initialLeadState } from "./Lifecycle.ts"

/** When a fixture without `at` arrives: a Tuesday afternoon in New York. */
export const defaultFixtureTime = new Date("2026-01-06T15:00:00Z")

export interface FixtureOutcome {
  readonly tier: string
  readonly pod: string | null
  readonly mql: boolean
  readonly handRaise: boolean
  readonly disqualified: boolean
  readonly flags: ReadonlyArray<string>
  readonly sla: { readonly accept?: Deadline; readonly firstTouch?: Deadline }
  readonly total: number
}

export interface FixtureResult {
  readonly index: number
  readonly name: string
  readonly passed: boolean
  /** One line per expectation that did not hold: `tier: expected hot, got warm-plus`. */
  readonly failures: ReadonlyArray<string>
  readonly actual: FixtureOutcome
}

const fixtureInputs = (t: AgreementTest, index: number) => {
  const at = t.at === undefined ? defaultFixtureTime : new Date(t.at)
  const { intent, events, enriched, account, email, ...fields } = t.lead
  const profile = { email: email ?? `fixture-${index + 1}@example.com`, ...fields } as LeadProfile
  const all: Array<LeadEvent> = events.map((e) => ({
    type: e.type,
    occurredAt: new Date(at.getTime() - durationMillis(e.ago)),
    properties: e.properties,
    ...(e.channel === undefined ? {} : { channel: e.channel })
  }))
  if (intent !== undefined) all.push({ type: intent, occurredAt: at, properties: {} })
  const acct: Account | undefined = account === undefined ? undefined : {
    domain: profile.domain ?? "fixture.example",
    named: account.named,
    activeOutbound: account.activeOutbound,
    ...(account.ownerRepId === undefined ? {} : { ownerRepId: account.ownerRepId as RepId })
  }
  return { at, profile, events: all, enriched, account: acct, intent }
}

/** Score, tier and time one fixture lead under the agreement. */
export const evaluateFixture = (agreement: Agreement, t: AgreementTest, index: number): FixtureOutcome => {
  const input = fixtureInputs(t, index)
  // the decision's first stage, as production scores a new lead (Decision.ts)
  const { score: s, tier: decision, flags } = evaluateLead(
    agreement,
    { profile: input.profile, state: initialLeadState, ...(input.enriched ? { enrichedAt: input.at } : {}) },
    input.events,
    input.account,
    input.at
  )
  const sla = decision.tier.sla
  const byIntent = input.intent === undefined ? undefined : sla?.byIntent?.[input.intent]
  const firstTouch = byIntent ?? sla?.firstTouch
  return {
    tier: decision.name,
    pod: decision.tier.route?.pod ?? null,
    mql: s.mql,
    handRaise: s.handRaise !== null,
    disqualified: s.disqualified !== null,
    flags,
    sla: {
      ...(sla?.accept === undefined ? {} : { accept: sla.accept }),
      ...(firstTouch === undefined ? {} : { firstTouch })
    },
    total: s.total
  }
}

const sameDeadline = (a: Deadline | undefined, b: Deadline | undefined): boolean => {
  if (a === undefined || b === undefined) return a === b
  const isKeyword = (d: string) => d.includes("business-day")
  if (isKeyword(a) || isKeyword(b)) return a === b
  return durationMillis(a) === durationMillis(b)
}

/** Run every fixture of the agreement. */
export const runAgreementTests = (agreement: Agreement): ReadonlyArray<FixtureResult> =>
  agreement.tests.map((t, index) => {
    const actual = evaluateFixture(agreement, t, index)
    const failures: Array<string> = []
    const check = (what: string, expected: unknown, got: unknown, ok: boolean) => {
      if (!ok) failures.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`)
    }
    const e = t.expect
    if (e.tier !== undefined) check("tier", e.tier, actual.tier, e.tier === actual.tier)
    if (e.pod !== undefined) check("pod", e.pod, actual.pod, e.pod === actual.pod)
    if (e.mql !== undefined) check("mql", e.mql, actual.mql, e.mql === actual.mql)
    if (e.handRaise !== undefined) check("handRaise", e.handRaise, actual.handRaise, e.handRaise === actual.handRaise)
    if (e.disqualified !== undefined) check("disqualified", e.disqualified, actual.disqualified, e.disqualified === actual.disqualified)
    for (const f of e.flags ?? []) check(`flags include ${f}`, f, actual.flags, actual.flags.includes(f))
    if (e.sla?.accept !== undefined) check("sla.accept", e.sla.accept, actual.sla.accept, sameDeadline(e.sla.accept, actual.sla.accept))
    if (e.sla?.firstTouch !== undefined) check("sla.firstTouch", e.sla.firstTouch, actual.sla.firstTouch, sameDeadline(e.sla.firstTouch, actual.sla.firstTouch))
    return { index, name: t.name ?? `tests[${index}]`, passed: failures.length === 0, failures, actual }
  })

/**
 * Accept a proposed agreement only if its own examples pass; failures come back as
 * faults at `tests[i]`, like any other validation fault.
 */
export const checkAgreementTests = (agreement: Agreement): Either.Either<Agreement, AgreementInvalid> => {
  const failed = runAgreementTests(agreement).filter((r) => !r.passed)
  if (failed.length === 0) return Either.right(agreement)
  const errors = failed.flatMap((r) => r.failures.map((message) => ({ path: formatPath(["tests", r.index]), message: `${r.name}: ${message}` })))
  return Either.left(new AgreementInvalid({ errors, message: `${failed.length} of the agreement's own tests fail: ${errors[0]!.message}` }))
}

/**
 * Check agreement text the way `npm run agreement -- check` prints it: every fault with
 * its path and line, or the fixtures' results.
 */
export const checkAgreementText = (text: string, label: string): { readonly ok: boolean; readonly lines: ReadonlyArray<string> } => {
  const lines: Array<string> = []
  const parsed = parseAgreement(text)
  if (Either.isLeft(parsed)) {
    lines.push(`${label}: refused, ${parsed.left.errors.length} fault(s)`)
    for (const f of parsed.left.errors) {
      const where = f.line === undefined ? "" : `:${f.line}:${f.column}`
      lines.push(`  ${label}${where}  ${f.path === "" ? "(document)" : f.path}  ${f.message}`)
    }
    return { ok: false, lines }
  }
  const results = runAgreementTests(parsed.right)
  const failed = results.filter((r) => !r.passed)
  lines.push(`${label}: valid; its own tests: ${results.length - failed.length} passed, ${failed.length} failed`)
  for (const r of results) {
    lines.push(`  ${r.passed ? "✓" : "✗"} ${r.name} → ${r.actual.tier}${r.actual.pod === null ? "" : ` (${r.actual.pod})`}, score ${r.actual.total}`)
    for (const f of r.failures) lines.push(`      ${f}`)
  }
  return { ok: failed.length === 0, lines }
}
