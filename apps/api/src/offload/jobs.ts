/**
 * The CPU-heavy jobs the API runs off its request loop, by name: each one is a plain function
 * from data to data over the domain's pure functions (nothing here reads the store, a clock or
 * the environment). `pool.ts` runs them in worker threads with a deadline; the routes read
 * what a job needs from the store first and hand it over (structured clone: plain objects,
 * arrays, Dates and Maps — the decoded agreement is plain data too).
 *
 * Why these: their cost grows with what the caller sends or with the size of the history —
 * decoding a draft agreement and running its own `tests` fixtures (every fixture scored
 * against every rule), scoring one lead under a draft, replaying a period's leads, fitting a
 * scorecard — and a request on the main thread that takes seconds stalls every other
 * request, `/healthz` included.
 */
import {
  type Account, type Agreement, checkAgreementTests, decodeAgreement, evaluateLead, type HandoffDecision, type LeadEvent,
  type LeadRecord, parseAgreement, runAgreementTests, sameAgreement, simulate, type SimulationInput, type SimulationResult
} from "@handoff/domain"
import { type CalibrationOutcome, outcomeDefinition, type ScorecardSection, scorecardSection } from "@handoff/db/Calibrate"
import type { CalibrationExample } from "@handoff/domain/Calibration"
import { Either } from "effect"

/** A fault of an invalid agreement (path, message and, for YAML, line and column). */
export interface AgreementFault {
  readonly path: string
  readonly message: string
  readonly line?: number
  readonly column?: number
}

/** An agreement that did not decode, or whose own tests fail when they must pass. */
export interface Invalid {
  readonly _tag: "Invalid"
  readonly message: string
  readonly errors: ReadonlyArray<AgreementFault>
}

/** A draft's own test results, as the preview and the simulation report them. */
export interface TestResult {
  readonly index: number
  readonly name: string
  readonly passed: boolean
  readonly failures: ReadonlyArray<string>
}

const invalidOf = (e: { readonly message: string; readonly errors: ReadonlyArray<AgreementFault> }): Invalid => ({ _tag: "Invalid", message: e.message, errors: e.errors })

const testResults = (agreement: Agreement): ReadonlyArray<TestResult> =>
  runAgreementTests(agreement).map((r) => ({ index: r.index, name: r.name, passed: r.passed, failures: r.failures }))

const decodeDocument = (document: unknown, yaml: boolean) =>
  yaml ? parseAgreement(typeof document === "string" ? document : String(document)) : decodeAgreement(document)

export interface AgreementJobInput {
  /** The document as sent: JSON already parsed, or YAML text (`yaml: true`). */
  readonly document: unknown
  readonly yaml: boolean
  /** `enforce`: failing fixtures make the document invalid (a proposed version); `report`: they are listed (a draft tried out). */
  readonly tests: "enforce" | "report"
  /** The active agreement, to tell whether the document is the same (comparing encodes both: big ones take a while). */
  readonly active?: Agreement
}

export type AgreementJobOutput = Invalid | {
  readonly _tag: "Valid"
  readonly agreement: Agreement
  readonly tests: ReadonlyArray<TestResult>
  /** Whether it equals `active` (false without one). */
  readonly sameAsActive: boolean
}

export interface PreviewJobInput {
  /** A draft to decode (its tests are run), or the active agreement as stored. */
  readonly agreement: { readonly draft: unknown } | { readonly active: Agreement }
  readonly lead: Pick<LeadRecord, "profile" | "enrichedAt" | "state">
  readonly events: ReadonlyArray<LeadEvent>
  readonly account: Account | undefined
  readonly at: Date
}

export type PreviewJobOutput = Invalid | {
  readonly _tag: "Evaluated"
  /** The decoded draft (the routing and SLA plan are worked out over the store's reps on the main side). */
  readonly draft: Agreement | undefined
  readonly evaluation: HandoffDecision
  readonly tests: ReadonlyArray<TestResult> | null
}

/** The replay's input, its accounts as `[domain, account]` pairs (sent in chunks, like the leads). */
export type SimulateJobInput = Omit<SimulationInput, "accounts"> & { readonly accounts: ReadonlyArray<readonly [string, Account]> }

export interface ScorecardJobInput {
  readonly examples: ReadonlyArray<CalibrationExample>
  readonly currentScores: ReadonlyArray<number | null>
  readonly agreement: Agreement
  readonly outcome: CalibrationOutcome
}

export interface ScorecardJobOutput {
  readonly scorecard: ScorecardSection | null
  readonly reason: string | null
}

/** Every job by name: what `HeavyJobs.run(name, input)` runs in a thread. */
export const jobs = {
  /** Decode an agreement document and run its own tests (`POST /v1/agreement`, a draft to simulate). */
  agreement: (input: AgreementJobInput): AgreementJobOutput => {
    const decoded = decodeDocument(input.document, input.yaml)
    if (Either.isLeft(decoded)) return invalidOf(decoded.left)
    const sameAsActive = input.active !== undefined && sameAgreement(input.active, decoded.right)
    if (input.tests === "enforce") {
      const tested = checkAgreementTests(decoded.right)
      return Either.isLeft(tested) ? invalidOf(tested.left) : { _tag: "Valid", agreement: tested.right, tests: [], sameAsActive }
    }
    return { _tag: "Valid", agreement: decoded.right, tests: testResults(decoded.right), sameAsActive }
  },

  /** Score, tier and flag one lead under a draft (decoded, its tests run) or the active agreement. */
  preview: (input: PreviewJobInput): PreviewJobOutput => {
    let agreement: Agreement
    let draft: Agreement | undefined
    if ("draft" in input.agreement) {
      const decoded = decodeAgreement(input.agreement.draft)
      if (Either.isLeft(decoded)) return invalidOf(decoded.left)
      agreement = draft = decoded.right
    } else agreement = input.agreement.active
    return {
      _tag: "Evaluated",
      draft,
      evaluation: evaluateLead(agreement, input.lead, input.events, input.account, input.at),
      tests: draft === undefined ? null : testResults(draft)
    }
  },

  /** Replay a period's leads under an agreement (`POST /v1/agreement/simulate`). */
  simulate: (input: SimulateJobInput): SimulationResult => simulate({ ...input, accounts: new Map(input.accounts) }),

  /** Fit a scorecard on leads with known outcomes (`GET /v1/reports/calibration`). */
  scorecard: (input: ScorecardJobInput): ScorecardJobOutput => {
    const { reason, scorecard } = scorecardSection(input.examples, {
      agreement: input.agreement,
      outcome: input.outcome,
      definition: outcomeDefinition[input.outcome],
      currentScores: input.currentScores
    })
    return { scorecard, reason }
  }
}

/**
 * The inputs that can be large (a quarter's leads, a period's outcomes), by job: they are sent
 * to the thread a slice at a time, letting the event loop run between slices — one clone of
 * 50,000 leads with their events takes the loop a second or more.
 */
export const chunkedInputs: { readonly [N in JobName]?: ReadonlyArray<keyof JobInput<N> & string> } = {
  simulate: ["leads", "accounts"],
  scorecard: ["examples", "currentScores"]
}

export type Jobs = typeof jobs
export type JobName = keyof Jobs
export type JobInput<N extends JobName> = Parameters<Jobs[N]>[0]
export type JobOutput<N extends JobName> = ReturnType<Jobs[N]>
