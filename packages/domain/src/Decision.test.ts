/**
 * One decision: the live use case (a form fill through `Handoff.ingest`), the pure `decide`
 * the preview calls, and the backtest (`simulate`) decide alike on random agreements, leads
 * and events — same score, tier, MQL, owner and pod; the live record carries the decision's
 * SLA deadlines and routing explanation word for word.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, TestClock } from "effect"
import type { Agreement } from "./Agreement.ts"
import { decide } from "./Decision.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import { Handoff, HandoffLive } from "./Handoff.ts"
import { emptyState, inMemoryLayer, withReps } from "./InMemory.ts"
import type { LeadProfile } from "./Lead.ts"
import { initialLeadState } from "./Lifecycle.ts"
import { LeadStore } from "./Ports.ts"
import { simulate } from "./Simulate.ts"
import { testTeam, tuesday10am } from "./TestTeam.ts"

const actor = { kind: "api_key", id: "key_forms" } as const

const team = testTeam

/** The default agreement with its MQL threshold and fit gate drawn at random. */
const agreementArb: fc.Arbitrary<Agreement> = fc.record({ threshold: fc.integer({ min: 10, max: 90 }), minFit: fc.integer({ min: 0, max: 30 }) })
  .map(({ threshold, minFit }) => ({ ...defaultAgreement, scoring: { ...defaultAgreement.scoring, mqlThreshold: threshold, minFit } }))

const profileArb: fc.Arbitrary<LeadProfile> = fc.record({
  local: fc.constantFrom("dana", "sam", "li", "alex"),
  domain: fc.constantFrom("bigco.com", "smallshop.io", "gmail.com", "acme.de"),
  title: fc.constantFrom("VP Sales", "CEO", "Head of Marketing", "Analyst", "Student", "Director of RevOps"),
  employees: fc.constantFrom(5, 40, 200, 800, 5000, 20000),
  industry: fc.constantFrom("software", "retail", "fintech", "education"),
  estimatedAcv: fc.constantFrom(2000, 15000, 90000),
  country: fc.constantFrom("US", "DE", "FR", "CA")
}).map(({ local, domain, ...rest }) => ({ email: `${local}@${domain}`, ...rest }))

const eventArb = fc.record({
  type: fc.constantFrom("page_view", "pricing_page_view", "content_download", "webinar_attended", "email_click", "demo_request"),
  hoursAgo: fc.integer({ min: 1, max: 24 * 60 })
})

const intentArb = fc.constantFrom("demo_request", "contact_sales", "content_download", "trial_signup", "webinar_registration")

describe("one decision for the live path, the preview and the backtest", () => {
  it.effect.prop(
    "a form fill lands as decide() says, and the backtest replays it the same",
    [agreementArb, profileArb, fc.array(eventArb, { maxLength: 6 }), intentArb],
    ([agreement, profile, prior, intent]) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(tuesday10am.getTime())
        const handoff = yield* Handoff
        const at = tuesday10am
        if (prior.length > 0) {
          yield* handoff.recordEvents(
            prior.map((e, i) => ({ email: profile.email, id: `e-${i}`, event: { type: e.type, occurredAt: new Date(at.getTime() - e.hoursAgo * 3_600_000), properties: {} } })),
            actor
          )
        }
        const { lead } = yield* handoff.ingest({ profile, intent, occurredAt: at }, actor)
        const events = yield* (yield* LeadStore).events(lead.id)

        // the pure decision, on the same inputs: a fresh store (no loads, empty ledgers)
        const pure = decide(agreement, {
          lead: { id: lead.id, profile: lead.profile, state: initialLeadState },
          events,
          account: undefined,
          reps: team,
          loads: new Map(),
          rotation: new Map(),
          now: at,
          trigger: { t0: at, intent },
          actor,
          agreementVersion: 1
        })
        expect(lead.score?.total).toBe(pure.score.total)
        expect(lead.tier).toBe(pure.tier.name)
        expect(lead.state.stage).toBe(pure.state.stage)
        expect(lead.state.ownerId).toBe(pure.state.ownerId)
        if (pure.route?._tag === "Assigned") {
          expect(lead.assignment).toMatchObject({ repId: pure.route.repId, pod: pure.route.pod })
          expect(lead.assignment?.acceptBy?.toISOString()).toBe(pure.sla?.acceptBy?.toISOString())
          expect(lead.assignment?.firstTouchBy?.toISOString()).toBe(pure.sla?.firstTouchBy?.toISOString())
          expect(lead.routing?.explanation).toEqual(pure.route.explanation)
        }

        // the backtest over the same lead: same MQL, tier, pod and owner
        const result = simulate({
          agreement,
          period: { from: new Date(at.getTime() - 3_600_000), to: new Date(at.getTime() + 3_600_000) },
          // an "actual" that differs in tier, so the replay lists the lead with what it decided
          leads: [{ id: lead.id, email: lead.email, profile: lead.profile, createdAt: at, events, actual: { reachedAt: {}, tier: "(none)" } }],
          reps: team,
          accounts: new Map()
        })
        const replayed = result.changed.items.find((l) => l.leadId === lead.id)
        expect(replayed).toBeDefined()
        expect(replayed!.simulated.tier).toBe(pure.tier.name)
        expect(replayed!.simulated.mql).toBe(pure.handoff.outcome === "mql")
        expect(replayed!.simulated.repId).toBe(pure.route?._tag === "Assigned" ? pure.route.repId : null)
      }).pipe(Effect.provide(HandoffLive.pipe(Layer.provideMerge(inMemoryLayer(withReps(team)(emptyState(agreement))))))),
    { fastCheck: { numRuns: 60 } }
  )
})
