/**
 * The agreement: the whole handoff policy (scoring, MQL threshold, hand-raise, hot vs
 * warm tiers, pods and rotation, speed-to-lead SLAs and cadences, recycling, attribution,
 * waterfall targets) as one versioned document.
 *
 * - `GET /v1/agreement`: the active version; `GET /v1/agreement/versions[/{version}]`: history;
 * - `POST /v1/agreement`: a new version. Refused (422, every fault with its path) when the
 *   document is invalid or when its own `tests` fail; decisions made before keep pointing
 *   at the version that made them;
 * - `POST /v1/agreement/preview`: score, tier and route one lead (stored or given) under a
 *   draft or the active agreement, with the full decision trace, writing nothing.
 *
 * `POST /v1/agreement` takes the document as JSON or as YAML (`Content-Type: application/yaml`);
 * reads can return YAML: `GET /v1/agreement?format=yaml`.
 *
 * - `POST /v1/agreement/simulate`: replay a period's real history under a draft, writing
 *   nothing, and return the difference from what happened (MQLs, tiers, owner per lead, each
 *   rep's load against capacity, SLA exposure given reps' hours, the waterfall).
 */
import {
  type Account, AccountDirectory, accountDomainOf, Agreement, AgreementInvalid,
  AgreementStore, type AgreementVersion, agreementToYaml, applyEnrichment, decide, enrichmentTierChange, type EnrichmentTierChange,
  EventType, initialLeadState, type LeadEvent, type LeadId, LeadEvent as LeadEventSchema,
  LeadNotFound, type LeadProfile, type LeadState, LeadStore, LedgerEntry, normalizeEmail, podMembers, RepDirectory,
  RotationLedger, routingNeeds, Scalar, Score, SimulationResult
} from "@handoff/domain"
import { SimulationQueries } from "@handoff/db"
import { Clock, Effect, Option, ParseResult, Schema } from "effect"
import { IsoDate, route } from "../http.ts"
import { HeavyJobs, heavyWorkNote } from "../offload/index.ts"
import type { Invalid } from "../offload/jobs.ts"
import { InvalidInput, NotFound } from "../problem.ts"
import { OwnerView } from "../views.ts"
import { EnrichmentBody, InboundLeadBody } from "./leads.ts"

// ---------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------

const AgreementDocument = Agreement.annotations({ description: "The agreement document (see SPEC §1 and the default agreement)." })

const VersionSummary = Schema.Struct({
  version: Schema.Number,
  createdAt: IsoDate,
  createdBy: Schema.String,
  active: Schema.Boolean,
  name: Schema.String
}).annotations({ identifier: "AgreementVersionSummary" })

const VersionView = Schema.Struct({
  version: Schema.Number,
  createdAt: IsoDate,
  createdBy: Schema.String,
  active: Schema.Boolean,
  agreement: AgreementDocument
}).annotations({ identifier: "AgreementVersion" })

const Created = Schema.extend(VersionView, Schema.Struct({
  /** False when the document equals the active one: nothing new was stored. */
  created: Schema.Boolean,
  /** Things that are valid but probably not meant: a pod without reps, ... */
  warnings: Schema.Array(Schema.String)
}))

const FormatQuery = Schema.Struct({
  format: Schema.optional(Schema.Literal("json", "yaml")).annotations({ description: "`yaml`: the document alone, as YAML text (metadata in `x-agreement-*` headers)." })
})

const versionView = (v: AgreementVersion, activeVersion: number) => ({
  version: v.version,
  createdAt: v.createdAt,
  createdBy: v.createdBy,
  active: v.version === activeVersion,
  agreement: v.agreement
})

/** The version as JSON, or its document as YAML text. */
const replyWith = (v: AgreementVersion, activeVersion: number, format: "json" | "yaml" | undefined) =>
  format === "yaml"
    ? {
      body: agreementToYaml(v.agreement) as string,
      headers: {
        "content-type": "application/yaml; charset=utf-8",
        "x-agreement-version": String(v.version),
        "x-agreement-active": String(v.version === activeVersion)
      }
    }
    : { body: versionView(v, activeVersion) }

/** Pods of the agreement nobody could be routed to today. */
const warningsFor = (agreement: Agreement) =>
  Effect.gen(function*() {
    const reps = yield* (yield* RepDirectory).list()
    const warnings: Array<string> = []
    for (const pod of agreement.routing.pods) {
      const members = podMembers(pod, reps)
      if (members.length === 0) warnings.push(`pod ${pod.id} has no reps: leads routed there wait in its queue${pod.backup === undefined ? "" : ` or go to ${pod.backup}`}`)
      else if (members.every((r) => !r.active)) warnings.push(`every rep of pod ${pod.id} is inactive`)
    }
    return warnings
  })


// ---------------------------------------------------------------------------
// Preview
// ---------------------------------------------------------------------------

const PreviewEvent = Schema.Struct({
  type: EventType.pipe(Schema.maxLength(100)),
  occurredAt: IsoDate,
  properties: Schema.optional(Schema.Record({ key: Schema.String.pipe(Schema.maxLength(200)), value: Scalar })),
  channel: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  campaign: Schema.optional(Schema.String.pipe(Schema.maxLength(200)))
})

/** A lead given inline: the fields of `POST /v1/leads`, plus earlier events and whether it was enriched. */
const InlineLead = Schema.extend(InboundLeadBody, Schema.Struct({
  events: Schema.optional(Schema.Array(PreviewEvent).pipe(Schema.maxItems(1000, { message: () => "at most 1000 events" }))),
  enriched: Schema.optional(Schema.Boolean)
}))
const StoredLeadRef = Schema.Struct({
  leadId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)),
  /** Enrichment to apply first (the body of `POST /v1/leads/{id}/enrichment`): the second scoring stage, previewed. */
  enrichment: Schema.optional(EnrichmentBody)
})

const PreviewBody = Schema.Struct({
  agreement: Schema.optional(Schema.Unknown).annotations({ description: "A draft agreement document; default: the active agreement." }),
  lead: Schema.Unknown.annotations({
    description: "`{ leadId }` for a stored lead (its profile, events and lifecycle) — with `enrichment` (the body of POST /v1/leads/{id}/enrichment) to preview the second scoring stage on it — or a lead inline like the body of POST /v1/leads (plus `events: [{ type, occurredAt, properties }]` and `enriched`), previewed as a new inquiry."
  }),
  at: Schema.optional(IsoDate).annotations({ description: "Decide as of this instant (default now); events after it are ignored." })
})

/** A draft's own tests, run (null when the active agreement is used). */
const AgreementTestResults = Schema.NullOr(Schema.Array(Schema.Struct({ index: Schema.Number, name: Schema.String, passed: Schema.Boolean, failures: Schema.Array(Schema.String) })))

const PreviewResponse = Schema.Struct({
  agreement: Schema.Struct({ version: Schema.NullOr(Schema.Number), name: Schema.String, draft: Schema.Boolean }),
  at: IsoDate,
  lead: Schema.Struct({
    id: Schema.NullOr(Schema.String),
    email: Schema.String,
    stage: Schema.String,
    accountDomain: Schema.NullOr(Schema.String),
    account: Schema.NullOr(Schema.Struct({ domain: Schema.String, named: Schema.Boolean, activeOutbound: Schema.Boolean, ownerRepId: Schema.NullOr(Schema.String) })),
    events: Schema.Number
  }),
  score: Score,
  tier: Schema.Struct({ name: Schema.String, index: Schema.Number, handedTo: Schema.Literal("sales", "marketing"), reasons: Schema.Array(Schema.String) }),
  flags: Schema.Array(Schema.String),
  /** Whether a decision now would hand the lead to sales (mark it MQL and route it), and why. */
  handoff: Schema.Struct({ wouldHandOff: Schema.Boolean, via: Schema.NullOr(Schema.Literal("score", "hand_raise")), reason: Schema.String }),
  /**
   * For a stored lead previewed with `enrichment`: the score and tier before (provisional) and
   * after, and what enrichment would do to a handoff already made — `reroute` (nobody accepted
   * it yet and it is now of a higher tier, hot: the routing and SLA below are where it goes,
   * T0 kept), `record` (any other change: the handoff keeps its tier, owner and SLA) or `none`.
   */
  enrichment: Schema.NullOr(Schema.Struct({
    before: Schema.Struct({ total: Schema.NullOr(Schema.Number), provisional: Schema.NullOr(Schema.Boolean), tier: Schema.NullOr(Schema.String) }),
    after: Schema.Struct({ total: Schema.Number, provisional: Schema.Boolean, tier: Schema.String }),
    action: Schema.Literal("none", "record", "reroute"),
    reason: Schema.String
  })),
  routing: Schema.NullOr(Schema.Struct({
    outcome: Schema.Literal("assigned", "queued", "not_routed"),
    pod: Schema.NullOr(Schema.String),
    repId: Schema.NullOr(Schema.String),
    owner: Schema.NullOr(OwnerView),
    strategy: Schema.NullOr(Schema.String),
    viaBackup: Schema.Boolean,
    queue: Schema.NullOr(Schema.String),
    explanation: Schema.Array(Schema.String),
    flags: Schema.Array(Schema.String),
    /** The rotation ledger entries the decision would append (not appended: this is a preview). */
    ledger: Schema.Array(LedgerEntry)
  })),
  sla: Schema.NullOr(Schema.Struct({
    tier: Schema.String,
    acceptBy: Schema.NullOr(IsoDate),
    firstTouchBy: Schema.NullOr(IsoDate),
    firstTouchRule: Schema.NullOr(Schema.Struct({ deadline: Schema.String, intent: Schema.NullOr(Schema.String) })),
    cadence: Schema.NullOr(Schema.String),
    businessHours: Schema.Boolean,
    steps: Schema.Array(Schema.Struct({ id: Schema.String, kinds: Schema.Array(Schema.String), dueAt: IsoDate, rule: Schema.String, conditional: Schema.Boolean }))
  })),
  /** The draft's own tests (null when previewing the active agreement). */
  tests: AgreementTestResults
}).annotations({ identifier: "AgreementPreview" })

const decodeOptions = { errors: "all", onExcessProperty: "error" } as const

const leadInputInvalid = (error: ParseResult.ParseError) =>
  new InvalidInput({
    status: 422,
    message: "The request body is invalid: lead.",
    errors: ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => ({ path: ["lead", ...i.path.map(String)].join("."), message: i.message }))
  })

/** A document the heavy-job thread found invalid, as the error the API answers with. */
const invalidAgreement = (e: Invalid) => new AgreementInvalid({ errors: e.errors, message: e.message })

/** Faults of a draft given as the body's `agreement`: their paths start there. */
const underAgreementKey = (e: Invalid) =>
  new AgreementInvalid({
    errors: e.errors.map((f) => ({ ...f, path: f.path === "" ? "agreement" : f.path.startsWith("[") ? `agreement${f.path}` : `agreement.${f.path}` })),
    message: e.message
  })

interface PreviewLead {
  readonly id: string | undefined
  readonly email: string
  readonly profile: LeadProfile
  readonly state: LeadState
  readonly enrichedAt?: Date
  readonly accountDomain: string | undefined
  readonly events: ReadonlyArray<LeadEvent>
  readonly t0: Date
  readonly intent: string | undefined
  /** A stored lead's handoff: its tier and T0 (what enrichment re-routing keeps). */
  readonly handoff?: { readonly tier: string | undefined; readonly t0: Date | undefined; readonly score: Score | undefined }
  /** Enrichment was given to preview on a stored lead. */
  readonly enrichment?: true
}

/** The lead to preview: a stored one (read without locking) or one given inline. */
const previewLead = (raw: unknown, at: Date) =>
  Effect.gen(function*() {
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && "leadId" in raw) {
      const ref = yield* Schema.decodeUnknown(StoredLeadRef, decodeOptions)(raw).pipe(Effect.mapError(leadInputInvalid))
      const store = yield* LeadStore
      const found = yield* store.findById(ref.leadId as LeadId)
      if (Option.isNone(found)) return yield* Effect.fail(new LeadNotFound({ leadId: ref.leadId, message: `No lead with id ${ref.leadId}.` }))
      const lead = found.value
      const events = (yield* store.events(lead.id)).filter((e) => e.occurredAt.getTime() <= at.getTime())
      const enriched = ref.enrichment === undefined ? undefined : applyEnrichment(lead.profile, ref.enrichment)
      return {
        id: lead.id,
        email: lead.email,
        profile: enriched ?? lead.profile,
        state: lead.state,
        ...(enriched !== undefined ? { enrichedAt: at, enrichment: true as const } : lead.enrichedAt === undefined ? {} : { enrichedAt: lead.enrichedAt }),
        accountDomain: lead.accountDomain,
        events,
        t0: at,
        intent: undefined,
        handoff: { tier: lead.tier, t0: lead.assignment?.t0, score: lead.score }
      } satisfies PreviewLead
    }
    const given = yield* Schema.decodeUnknown(InlineLead, decodeOptions)(raw).pipe(Effect.mapError(leadInputInvalid))
    const { email, intent, occurredAt, properties, events: earlier, enriched, ...profile } = given
    const t0 = occurredAt ?? at
    const inquiry: LeadEvent = {
      type: intent ?? "inquiry",
      occurredAt: t0,
      properties: properties ?? {},
      ...(profile.source?.channel === undefined ? {} : { channel: profile.source.channel }),
      ...(profile.source?.campaign === undefined ? {} : { campaign: profile.source.campaign })
    }
    const events = [...(earlier ?? []).map((e) => Schema.decodeSync(LeadEventSchema)(Schema.encodeSync(PreviewEvent)(e))), inquiry]
      .filter((e) => e.occurredAt.getTime() <= at.getTime())
      .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())
    const normalized = normalizeEmail(email)
    return {
      id: undefined,
      email: normalized,
      profile: { email, ...profile },
      state: initialLeadState,
      ...(enriched === true ? { enrichedAt: at } : {}),
      accountDomain: accountDomainOf(normalized, profile.domain),
      events,
      t0,
      intent
    } satisfies PreviewLead
  })

/**
 * The draft given in a body, decoded and its tests run off the request loop (faults under
 * `agreement.`), or the active agreement (no tests: null).
 */
const draftOrActive = (draft: unknown) =>
  Effect.gen(function*() {
    if (draft === undefined) {
      const active = yield* (yield* AgreementStore).active()
      return { version: active.version as number | null, agreement: active.agreement, tests: null }
    }
    const checked = yield* (yield* HeavyJobs).run("agreement", { document: draft, yaml: false, tests: "report" })
    if (checked._tag === "Invalid") return yield* Effect.fail(underAgreementKey(checked))
    return { version: null as number | null, agreement: checked.agreement, tests: checked.tests }
  })

// ---------------------------------------------------------------------------
// Simulate
// ---------------------------------------------------------------------------

const simulateLeadLimit = 50_000
const maxSimulatedDays = 366

const SimulateBody = Schema.Struct({
  agreement: Schema.optional(Schema.Unknown).annotations({ description: "A draft agreement document; default: the active agreement (a replay of the live policy, to check it against what happened)." }),
  from: IsoDate.annotations({ description: "Replay the leads created from this instant (inclusive)." }),
  to: IsoDate.annotations({ description: "... to this one (exclusive); events after it are ignored." }),
  list: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(0, 1000))).annotations({ description: "How many changed leads to list one by one (default 200)." })
}).pipe(Schema.filter((b) => {
  const days = (b.to.getTime() - b.from.getTime()) / 86_400_000
  if (days <= 0) return { path: ["to"], message: "must be after from" }
  if (days > maxSimulatedDays) return { path: ["to"], message: `the period is longer than ${maxSimulatedDays} days` }
  return true
}))

const SimulateResponse = Schema.extend(
  Schema.Struct({
    agreement: Schema.Struct({ version: Schema.NullOr(Schema.Number), name: Schema.String, draft: Schema.Boolean }),
    /** The draft's own tests (null when replaying the active agreement). */
    tests: AgreementTestResults
  }),
  SimulationResult
).annotations({ identifier: "AgreementSimulation" })

// ---------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------

export const agreementRoutes = [
  route({
    method: "get",
    path: "/v1/agreement",
    roles: ["read"],
    tag: "Agreement",
    summary: "Read the active agreement",
    description: "The version every new decision is made under, with who created it and when. `?format=yaml` returns the document as YAML.",
    query: FormatQuery,
    response: Schema.Union(VersionView, Schema.String),
    status: 200,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const active = yield* (yield* AgreementStore).active()
        return replyWith(active, active.version, query.format)
      })
  }),

  route({
    method: "get",
    path: "/v1/agreement/versions",
    roles: ["read"],
    tag: "Agreement",
    summary: "List agreement versions",
    description: "Every version, oldest first; each lead's `agreementVersion` points at one of them.",
    response: Schema.Struct({ items: Schema.Array(VersionSummary) }),
    status: 200,
    handler: () =>
      Effect.gen(function*() {
        const store = yield* AgreementStore
        const active = yield* store.active()
        const versions = yield* store.versions()
        return {
          body: {
            items: versions.map((v) => ({ version: v.version, createdAt: v.createdAt, createdBy: v.createdBy, active: v.version === active.version, name: v.agreement.name }))
          }
        }
      })
  }),

  route({
    method: "get",
    path: "/v1/agreement/versions/:version",
    roles: ["read"],
    tag: "Agreement",
    summary: "Read an agreement version",
    params: Schema.Struct({ version: Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1_000_000_000)) }),
    query: FormatQuery,
    response: Schema.Union(VersionView, Schema.String),
    status: 200,
    handler: ({ params, query }) =>
      Effect.gen(function*() {
        const store = yield* AgreementStore
        const found = yield* store.version(params.version)
        if (Option.isNone(found)) return yield* Effect.fail(new NotFound({ message: `No agreement version ${params.version}.` }))
        const active = yield* store.active()
        return replyWith(found.value, active.version, query.format)
      })
  }),

  route({
    method: "post",
    path: "/v1/agreement",
    long: true,
    roles: ["admin"],
    tag: "Agreement",
    summary: "Propose a new agreement version",
    description: "The body is the whole agreement document, as JSON or as YAML (`Content-Type: application/yaml`; faults then carry their line). It is validated — every fault comes back at once with its path (422 `invalid-agreement`) — and its own `tests` are run: a version whose examples fail is refused like code whose unit tests fail, with the failing fixtures at `tests[i]`. A valid document becomes the active version (201): new decisions record it, earlier decisions keep theirs. Posting the document that is already active changes nothing (200, `created: false`). Decoding and the tests run as one heavy job. " + heavyWorkNote,
    body: Schema.Unknown.annotations({ description: "The agreement document." }),
    response: Created,
    status: 201,
    also: { 200: "Unchanged: the document is the active version already (`created: false`)." },
    yamlBody: true,
    idempotent: true,
    heavy: true,
    handler: ({ body, caller, mediaType }) =>
      Effect.gen(function*() {
        // decoding a big document and running every fixture against every rule takes CPU time: off the loop
        const store = yield* AgreementStore
        const active = yield* store.active()
        const checked = yield* (yield* HeavyJobs).run("agreement", { document: body, yaml: mediaType === "yaml", tests: "enforce", active: active.agreement })
        if (checked._tag === "Invalid") return yield* Effect.fail(invalidAgreement(checked))
        const agreement = checked.agreement
        const warnings = yield* warningsFor(agreement)
        if (checked.sameAsActive) {
          return { status: 200, body: { ...versionView(active, active.version), created: false, warnings } }
        }
        const at = new Date(yield* Clock.currentTimeMillis)
        const v = yield* store.activate(agreement, caller.name, at)
        return { body: { ...versionView(v, v.version), created: true, warnings } }
      })
  }),

  route({
    method: "post",
    path: "/v1/agreement/preview",
    long: true,
    roles: ["read"],
    tag: "Agreement",
    summary: "Preview the decision for one lead",
    description: "Score, tier and route one lead — a stored one (`lead: { leadId }`) or one given inline — under a draft agreement (or the active one), at `at` (default now), with the full decision trace: the score and the rules that drove it, the tier with the reason each earlier tier did not match, the flags, whether a decision now would hand the lead to sales, the routing over the current reps, their loads and the pods' rotation ledgers (with the ledger entries it would append), and the SLA plan. A stored lead given with `enrichment` previews the second scoring stage: `enrichment` compares the provisional and enriched score and says whether its handoff would move up to the enriched tier (hot; nobody accepted it yet; T0 kept) or the change only be recorded. Under ABM suppression an inquiry from an account in an active outbound play shows the account owner's ownership (no MQL, no SLA timer). Writes nothing: no lead, no ledger entry, no lock held. Decoding the draft, its tests and the scoring run as one heavy job. " + heavyWorkNote,
    body: PreviewBody,
    response: PreviewResponse,
    status: 200,
    heavy: true,
    handler: ({ body }) =>
      Effect.gen(function*() {
        const at = body.at ?? new Date(yield* Clock.currentTimeMillis)
        const lead: PreviewLead = yield* previewLead(body.lead, at)
        const account: Account | undefined = lead.accountDomain === undefined
          ? undefined
          : Option.getOrUndefined(yield* (yield* AccountDirectory).findByDomain(lead.accountDomain))
        const active = body.agreement === undefined ? yield* (yield* AgreementStore).active() : undefined
        // decoding the draft, running its tests and scoring the lead take CPU time that grows with the draft: off the loop
        const evaluated = yield* (yield* HeavyJobs).run("preview", {
          agreement: active === undefined ? { draft: body.agreement } : { active: active.agreement },
          lead: { profile: lead.profile, state: lead.state, ...(lead.enrichedAt === undefined ? {} : { enrichedAt: lead.enrichedAt }) },
          events: lead.events,
          account,
          at
        })
        if (evaluated._tag === "Invalid") return yield* Effect.fail(underAgreementKey(evaluated))
        const version = active?.version ?? null
        const agreement = evaluated.draft ?? active!.agreement
        const evaluation = evaluated.evaluation
        const { score, tier } = evaluation

        // the second scoring stage on a stored lead: what enrichment does to the handoff already made (the domain's rule)
        const change: EnrichmentTierChange | undefined = lead.enrichment === true
          ? enrichmentTierChange(agreement, { stage: lead.state.stage, handoffTier: lead.handoff?.tier }, tier)
          : undefined
        // The decision production makes (the domain's `decide`), on the current team, loads and
        // ledgers — read outside any unit: the summaries take no lock, and nothing is appended.
        // When it hands nothing over (sales holds the lead, enrichment moves or records), the
        // routing shown is what a fresh handoff would get (enrichment moving it up keeps T0).
        const intent = lead.intent ?? score.handRaise?.type
        const trigger = (t0: Date) => ({ t0, ...(intent === undefined ? {} : { intent }) })
        const pods = routingNeeds(agreement, evaluation, lead.state, account, trigger(lead.t0)) ??
          routingNeeds(agreement, evaluation, initialLeadState, account, trigger(lead.t0))
        const directory = yield* RepDirectory
        const reps = pods === undefined ? [] : yield* directory.list()
        const inputs = {
          events: lead.events,
          account,
          reps,
          loads: pods === undefined ? new Map() : yield* directory.loads(at),
          rotation: pods === undefined || pods.length === 0 ? new Map() : yield* (yield* RotationLedger).summaries(pods),
          now: at,
          actor: { kind: "system" as const, id: "preview" },
          agreementVersion: version ?? 0
        }
        const leadIn = (state: typeof lead.state) => ({ id: lead.id ?? "preview", profile: lead.profile, state, ...(lead.enrichedAt === undefined ? {} : { enrichedAt: lead.enrichedAt }) })
        const decided = decide(agreement, { ...inputs, lead: leadIn(lead.state), trigger: trigger(lead.t0) }, evaluation)
        const shown = decided.route !== undefined
          ? decided
          : decide(agreement, { ...inputs, lead: leadIn(initialLeadState), trigger: trigger(change?.action === "reroute" ? lead.handoff?.t0 ?? lead.t0 : lead.t0) }, evaluation)
        const fresh = shown !== decided && shown.route !== undefined

        let handoff: { wouldHandOff: boolean; via: "score" | "hand_raise" | null; reason: string }
        if (change !== undefined && change.action !== "none") {
          handoff = { wouldHandOff: false, via: null, reason: change.action === "reroute" ? `${change.reason}: the routing and SLA below` : `${change.reason}; the routing below is what a fresh handoff would get` }
        } else {
          const d = decided.handoff
          handoff = { wouldHandOff: d.outcome === "mql", via: d.via, reason: fresh ? `${d.reason}; the routing below is what a fresh handoff would get` : d.reason }
        }

        let routing: typeof PreviewResponse.Type["routing"] = null
        let sla: typeof PreviewResponse.Type["sla"] = null
        const decision = shown.route
        if (decision !== undefined) {
          switch (decision._tag) {
            case "Assigned": {
              const rep = reps.find((r) => r.id === decision.repId)
              routing = {
                outcome: "assigned",
                pod: decision.pod,
                repId: decision.repId,
                owner: rep === undefined ? null : { repId: rep.id, name: rep.name, role: rep.role, bookingUrl: rep.bookingUrl ?? null },
                strategy: decision.strategy,
                viaBackup: decision.viaBackup,
                queue: null,
                explanation: decision.explanation,
                flags: decision.flags,
                ledger: decision.ledger
              }
              break
            }
            case "Queued":
              routing = { outcome: "queued", pod: decision.queue, repId: null, owner: null, strategy: "queue", viaBackup: false, queue: decision.queue, explanation: [...decision.explanation, decision.reason], flags: decision.flags, ledger: decision.ledger }
              break
            case "NotRouted":
              routing = { outcome: "not_routed", pod: null, repId: null, owner: null, strategy: null, viaBackup: false, queue: null, explanation: [decision.reason], flags: [], ledger: [] }
              break
          }
        }
        const plan = shown.sla
        if (plan !== undefined) {
          // an ABM-suppressed lead goes to the account owner without an SDR cadence
          const suppressed = decision !== undefined && decision._tag !== "NotRouted" && decision.flags.includes("abm_suppressed")
          sla = {
            tier: plan.tier,
            acceptBy: plan.acceptBy ?? null,
            firstTouchBy: plan.firstTouchBy ?? null,
            firstTouchRule: plan.firstTouchRule === undefined ? null : { deadline: plan.firstTouchRule.deadline, intent: plan.firstTouchRule.intent ?? null },
            cadence: suppressed ? null : plan.cadence ?? null,
            businessHours: plan.businessHours,
            steps: suppressed ? [] : plan.steps.map((s) => ({ id: s.id, kinds: s.kinds, dueAt: s.dueAt, rule: s.rule, conditional: s.conditional }))
          }
        }

        return {
          body: {
            agreement: { version, name: agreement.name, draft: body.agreement !== undefined },
            at,
            lead: {
              id: lead.id ?? null,
              email: lead.email,
              stage: lead.state.stage,
              accountDomain: lead.accountDomain ?? null,
              account: account === undefined ? null : { domain: account.domain, named: account.named, activeOutbound: account.activeOutbound, ownerRepId: account.ownerRepId ?? null },
              events: lead.events.length
            },
            score,
            tier: { name: tier.name, index: tier.index, handedTo: tier.handedTo, reasons: tier.reasons },
            flags: evaluation.flags,
            handoff,
            enrichment: lead.enrichment !== true || change === undefined ? null : {
              before: { total: lead.handoff?.score?.total ?? null, provisional: lead.handoff?.score?.provisional ?? null, tier: lead.handoff?.tier ?? null },
              after: { total: score.total, provisional: score.provisional, tier: tier.name },
              action: change.action,
              reason: change.reason
            },
            routing,
            sla,
            tests: evaluated.tests
          }
        }
      })
  }),

  route({
    method: "post",
    path: "/v1/agreement/simulate",
    long: true,
    roles: ["read"],
    tag: "Agreement",
    summary: "Backtest a draft agreement on a period's history",
    description: "What-if with no side effects: every lead created in `[from, to)` is replayed through time under the draft (or the active agreement) — scored and tiered at each of its events, handed to sales the first time the draft would, and routed over today's reps with the rotation, loads and daily counts the replay builds up — and compared with what really happened: MQLs gained and lost, tier moves, the owner per lead, each rep's load against capacity, SLA exposure given reps' hours (deadlines due while the owner is off shift, queued handoffs), and the waterfall (sales outcomes only where they were observed). Writes nothing. At most 50,000 leads per call: shorten the period for more. Decoding a draft with its tests, and the replay, run as one heavy job each. " + heavyWorkNote,
    body: SimulateBody,
    response: SimulateResponse,
    status: 200,
    heavy: true,
    handler: ({ body }) =>
      Effect.gen(function*() {
        const { agreement, tests, version } = yield* draftOrActive(body.agreement)
        const history = yield* (yield* SimulationQueries).history({ from: body.from, to: body.to }, simulateLeadLimit)
        if (history.total > simulateLeadLimit) {
          return yield* Effect.fail(new InvalidInput({
            status: 422,
            message: `The period holds ${history.total} leads; a replay takes at most ${simulateLeadLimit}. Shorten the period.`,
            errors: [{ path: "to", message: `${history.total} leads created in the period, more than ${simulateLeadLimit}` }]
          }))
        }
        const reps = yield* (yield* RepDirectory).list()
        // the replay of every lead of the period: off the loop
        const result = yield* (yield* HeavyJobs).run("simulate", { agreement, period: { from: body.from, to: body.to }, leads: history.leads, reps, accounts: [...history.accounts], listLimit: body.list ?? 200 })
        return {
          body: {
            agreement: { version, name: agreement.name, draft: body.agreement !== undefined },
            ...result,
            tests
          }
        }
      })
  })
]
