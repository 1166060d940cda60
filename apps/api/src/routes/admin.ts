/**
 * Administration: the sales team (reps: pods, hours, capacity, weight, time off), the
 * accounts leads are matched to (named accounts, active outbound plays), each pod's
 * rotation ledger, API keys and webhook subscriptions.
 *
 * Reps and accounts are what routing reads: a rep's `timezone` and `workingHours` decide
 * when they are on shift, `capacity` and `outOfOffice` when they are skipped (and the skip
 * is written to the pod's ledger with its reason), `weight` their share of a weighted pod.
 */
import {
  AccountQueries, ApiKeyStore, type ApiKeyRecord, type ApiRole, DeliveryQueries, newId, StoreAdmin, type WebhookFormat, WebhookStore,
  type WebhookSubscription
} from "@handoff/db"
import {
  Account, AccountDirectory, AgreementStore, domainOfWebsite, Email, freeMailDomains, LedgerEntryKind, Rep, type RepId, RepDirectory,
  RepNotFound, RepRole, RotationLedger, SkipReason, Transactor, validateCalendar, WorkingHours
} from "@handoff/domain"
import { Clock, Config, Effect, Option, Schema } from "effect"
import { webhookUrlFault } from "@handoff/worker/ssrf"
import { randomBytes } from "node:crypto"
import { apiRoles, createApiKey } from "../auth.ts"
import { IsoDate, QueryBool, QueryInt, route } from "../http.ts"
import { Conflict, type FieldError, InvalidInput, NotFound } from "../problem.ts"

const Text = (max: number) => Schema.String.pipe(Schema.maxLength(max))
const NonEmpty = (max: number) => Schema.Trimmed.pipe(Schema.minLength(1), Schema.maxLength(max))

const HttpUrl = Schema.String.pipe(
  Schema.maxLength(2000),
  Schema.filter((s) => {
    try {
      const u = new URL(s)
      return u.protocol === "http:" || u.protocol === "https:" || "must be an http or https URL"
    } catch {
      return "must be an absolute http or https URL"
    }
  })
)

/** A closed list of values, reported as one fault ("must be one of: ..."), not one per value. */
const oneOf = <const L extends readonly [string, ...Array<string>]>(...values: L) =>
  Schema.Literal(...values).annotations({ message: () => ({ message: `must be one of: ${values.join(", ")}`, override: true }) })

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

const invalid = (errors: ReadonlyArray<FieldError>, what = "The request body is invalid.") =>
  new InvalidInput({ status: 422, message: `${what} ${errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join("; ")}${errors.length > 3 ? "; …" : ""}`, errors })

// ---------------------------------------------------------------------------
// Reps
// ---------------------------------------------------------------------------

const RepIdParam = Schema.Struct({ id: NonEmpty(100) })

const RepBody = Schema.Struct({
  name: NonEmpty(200),
  email: Schema.optional(Email.pipe(Schema.maxLength(320))),
  role: oneOf(...RepRole.literals),
  pods: Schema.optionalWith(Schema.Array(NonEmpty(100)).pipe(Schema.maxItems(100)), { default: () => [] }),
  timezone: Schema.optional(Text(100).annotations({ description: "IANA time zone, e.g. Europe/Berlin. Default: the agreement calendar's." })),
  workingHours: Schema.optional(WorkingHours.annotations({
    description: "Days or day ranges to [start, end] local times, e.g. { \"mon-fri\": [\"09:00\", \"18:00\"] }. Default: the agreement calendar's hours (with its time zone, when `timezone` is not given either)."
  })),
  capacity: Schema.optionalWith(
    Schema.Struct({
      maxOpen: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative())),
      maxPerDay: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative()))
    }),
    { default: () => ({}) }
  ),
  weight: Schema.optionalWith(Schema.Number.pipe(Schema.positive(), Schema.lessThanOrEqualTo(1000)), { default: () => 1 }),
  active: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  outOfOffice: Schema.optionalWith(
    Schema.Array(
      Schema.Struct({ from: IsoDate, to: IsoDate }).pipe(Schema.filter((o) => o.to.getTime() > o.from.getTime() || { path: ["to"], message: "must be after from" }))
    ).pipe(Schema.maxItems(500)),
    { default: () => [] }
  ),
  territories: Schema.optionalWith(Schema.Array(NonEmpty(100)).pipe(Schema.maxItems(1000)), { default: () => [] }),
  segments: Schema.optionalWith(Schema.Array(NonEmpty(100)).pipe(Schema.maxItems(1000)), { default: () => [] }),
  bookingUrl: Schema.optional(HttpUrl),
  managerId: Schema.optional(NonEmpty(100)),
  notify: Schema.optional(Schema.Struct({ email: Schema.optional(Schema.Boolean), slack: Schema.optional(Text(500)) }))
}).annotations({ identifier: "RepInput" })

const RepView = Rep.annotations({ identifier: "Rep" })

// ---------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------

const domainPattern = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/

/** Why a (normalized) domain cannot be an account, or undefined. */
const domainFault = (domain: string): string | undefined =>
  !domainPattern.test(domain)
    ? "must be a domain name like acme.com"
    : freeMailDomains.has(domain)
    ? `${domain} is a free-mail domain: its addresses say nothing about the company, so it cannot be an account`
    : undefined

const AccountFields = {
  name: Schema.optional(Text(300)),
  named: Schema.optionalWith(Schema.Boolean, { default: () => false }).annotations({ description: "On sales' target list: any inbound response notifies the owner at once." }),
  ownerRepId: Schema.optional(NonEmpty(100)),
  activeOutbound: Schema.optionalWith(Schema.Boolean, { default: () => false }).annotations({ description: "In an active outbound (ABM) play: inbound goes to the owner, never into an SDR cadence." }),
  segment: Schema.optional(Text(100))
}
const AccountBody = Schema.Struct(AccountFields).annotations({ identifier: "AccountInput" })
const BulkAccount = Schema.Struct({ domain: Text(300), ...AccountFields })

const AccountView = Schema.Struct({
  domain: Schema.String,
  name: Schema.NullOr(Schema.String),
  named: Schema.Boolean,
  ownerRepId: Schema.NullOr(Schema.String),
  activeOutbound: Schema.Boolean,
  segment: Schema.NullOr(Schema.String)
}).annotations({ identifier: "Account" })

const accountView = (a: Account): typeof AccountView.Type => ({
  domain: a.domain,
  name: a.name ?? null,
  named: a.named,
  ownerRepId: a.ownerRepId ?? null,
  activeOutbound: a.activeOutbound,
  segment: a.segment ?? null
})

const accountOf = (domain: string, b: typeof AccountBody.Type): Account =>
  Schema.decodeSync(Account)({
    domain,
    named: b.named,
    activeOutbound: b.activeOutbound,
    ...(b.name === undefined ? {} : { name: b.name }),
    ...(b.ownerRepId === undefined ? {} : { ownerRepId: b.ownerRepId }),
    ...(b.segment === undefined ? {} : { segment: b.segment })
  })

const maxBulk = 10_000
const maxReportedErrors = 200

// ---------------------------------------------------------------------------
// Ledger, keys, webhooks
// ---------------------------------------------------------------------------

const LedgerView = Schema.Struct({
  pod: Schema.String,
  strategy: Schema.String,
  entries: Schema.Array(Schema.Struct({
    seq: Schema.Number,
    at: IsoDate,
    kind: LedgerEntryKind,
    repId: Schema.NullOr(Schema.String),
    leadId: Schema.NullOr(Schema.String),
    reason: Schema.NullOr(SkipReason),
    members: Schema.NullOr(Schema.Array(Schema.String))
  })),
  /** Pass as `after` for the next page; null on the last page. */
  nextAfter: Schema.NullOr(Schema.Number)
}).annotations({ identifier: "RotationLedger" })

const Role = oneOf(...(apiRoles as [ApiRole, ...Array<ApiRole>]))

const KeyView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  role: Role,
  prefix: Schema.String,
  /** The rep a sales key is bound to (it acts only as that rep); null: unbound. */
  repId: Schema.NullOr(Schema.String),
  createdAt: IsoDate,
  lastUsedAt: Schema.NullOr(IsoDate),
  revokedAt: Schema.NullOr(IsoDate)
}).annotations({ identifier: "ApiKey" })

const keyView = (k: ApiKeyRecord): typeof KeyView.Type => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  repId: k.repId ?? null,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt ?? null,
  revokedAt: k.revokedAt ?? null
})

/** Every topic the outbox carries, and `*` for all of them. */
export const webhookTopics = [
  "lead.created", "lead.mql", "lead.routed", "lead.queued", "lead.reassigned", "lead.accepted", "lead.recycled", "lead.sql",
  "lead.opportunity", "lead.won", "lead.enriched", "lead.activity", "sla.breached", "sla.escalated", "account.named_inbound", "*"
] as const

const Topic = oneOf(...webhookTopics)
const Format = oneOf("json", "slack")

const WebhookView = Schema.Struct({
  id: Schema.String,
  url: Schema.String,
  topics: Schema.Array(Schema.String),
  format: Format,
  active: Schema.Boolean,
  createdAt: IsoDate
}).annotations({ identifier: "WebhookSubscription" })

const webhookView = (s: WebhookSubscription): typeof WebhookView.Type => ({ id: s.id, url: s.url, topics: s.topics, format: s.format, active: s.active, createdAt: s.createdAt })

const IdParam = Schema.Struct({ id: NonEmpty(100) })

const DeliveryView = Schema.Struct({
  id: Schema.String,
  subscriptionId: Schema.String,
  outboxId: Schema.String.annotations({ description: "The message id: the `Handoff-Event-Id` header and the body's `id`, the same on every retry." }),
  topic: Schema.String,
  key: Schema.String.annotations({ description: "The lead the message is about (deliveries for one lead go out in order)." }),
  status: Schema.Literal("pending", "delivered", "dead"),
  attempts: Schema.Number,
  nextAttemptAt: Schema.NullOr(IsoDate),
  firstAttemptAt: Schema.NullOr(IsoDate),
  lastAttemptAt: Schema.NullOr(IsoDate),
  lastStatus: Schema.NullOr(Schema.Number),
  lastError: Schema.NullOr(Schema.String),
  deliveredAt: Schema.NullOr(IsoDate),
  createdAt: IsoDate
}).annotations({ identifier: "WebhookDelivery" })

// ---------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------

export const adminRoutes = [
  route({
    method: "put",
    path: "/v1/reps/:id",
    roles: ["admin"],
    tag: "Reps",
    summary: "Create or replace a rep",
    description: "The whole rep: name, role (ae, sdr, manager), pods, time zone and working hours (when they are on shift; default the agreement calendar's), capacity (max open leads, max per day; default no limit), weight (share of a weighted pod; default 1), active (default true), out-of-office periods, territories, segments, booking URL (returned to forms for hot leads), manager (escalations) and notification settings. 201 when the rep is new, 200 when replaced. Working hours are checked like the agreement's calendar; every fault is reported at its path.",
    params: RepIdParam,
    body: RepBody,
    response: RepView,
    status: 200,
    also: { 201: "Created." },
    handler: ({ body, params }) =>
      Effect.gen(function*() {
        const reps = yield* RepDirectory
        // a rep without their own hours works the company's: the active agreement's calendar
        const calendar = (yield* (yield* AgreementStore).active()).agreement.calendar
        const timezone = body.timezone ?? calendar.timezone
        const workingHours = body.workingHours ?? calendar.workingHours
        const errors: Array<FieldError> = validateCalendar({ timezone, workingHours })
          .map((i) => ({ path: i.path.map(String).join("."), message: i.message }))
        if (body.managerId !== undefined) {
          if (body.managerId === params.id) errors.push({ path: "managerId", message: "a rep cannot be their own manager" })
          else if (Option.isNone(yield* reps.get(body.managerId))) errors.push({ path: "managerId", message: `no rep with id ${body.managerId}: create the manager first` })
        }
        if (errors.length > 0) return yield* Effect.fail(invalid(errors))
        const { managerId, ...fields } = body
        const rep: Rep = { id: params.id as RepId, ...fields, timezone, workingHours, ...(managerId === undefined ? {} : { managerId: managerId as RepId }) }
        const existed = Option.isSome(yield* reps.get(params.id))
        yield* (yield* StoreAdmin).upsertRep(rep, yield* now)
        return { status: existed ? 200 : 201, body: rep }
      })
  }),

  route({
    method: "get",
    path: "/v1/reps",
    roles: ["read"],
    tag: "Reps",
    summary: "List reps",
    description: "Every rep by id; filter by `pod`, `role` or `active`.",
    query: Schema.Struct({ pod: Schema.optional(Text(100)), role: Schema.optional(oneOf(...RepRole.literals)), active: Schema.optional(QueryBool) }),
    response: Schema.Struct({ items: Schema.Array(RepView) }),
    status: 200,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const all = yield* (yield* RepDirectory).list()
        const items = all.filter((r) =>
          (query.pod === undefined || r.pods.includes(query.pod)) &&
          (query.role === undefined || r.role === query.role) &&
          (query.active === undefined || r.active === query.active)
        )
        return { body: { items } }
      })
  }),

  route({
    method: "get",
    path: "/v1/reps/:id",
    roles: ["read"],
    tag: "Reps",
    summary: "Read a rep",
    params: RepIdParam,
    response: RepView,
    status: 200,
    handler: ({ params }) =>
      Effect.gen(function*() {
        const rep = yield* (yield* RepDirectory).get(params.id)
        if (Option.isNone(rep)) return yield* Effect.fail(new RepNotFound({ repId: params.id, message: `No rep with id ${params.id}.` }))
        return { body: rep.value }
      })
  }),

  route({
    method: "put",
    path: "/v1/accounts/:domain",
    roles: ["admin"],
    tag: "Accounts",
    summary: "Create or replace an account",
    description: "The account leads are matched to by email domain. The domain is normalized (Unicode NFKC, then its IDNA ASCII form — `bücher.de` is `xn--bcher-kva.de` — lower case, without `www.` or a trailing dot), the same form leads' email domains are matched in; free-mail domains cannot be accounts. Fields not given take their defaults (named and activeOutbound false). `ownerRepId` must be a known rep. 201 when new, 200 when replaced.",
    params: Schema.Struct({ domain: Text(300) }),
    body: AccountBody,
    response: AccountView,
    status: 200,
    also: { 201: "Created." },
    handler: ({ body, params }) =>
      Effect.gen(function*() {
        const domain = domainOfWebsite(params.domain)
        const errors: Array<FieldError> = []
        const fault = domainFault(domain)
        if (fault !== undefined) errors.push({ path: "path.domain", message: fault })
        if (body.ownerRepId !== undefined && Option.isNone(yield* (yield* RepDirectory).get(body.ownerRepId))) {
          errors.push({ path: "ownerRepId", message: `no rep with id ${body.ownerRepId}` })
        }
        if (errors.length > 0) return yield* Effect.fail(invalid(errors, "The account is invalid."))
        const account = accountOf(domain, body)
        const tx = yield* Transactor
        const existed = yield* tx.transaction(Effect.gen(function*() {
          const before = yield* (yield* AccountDirectory).findByDomain(domain)
          yield* (yield* StoreAdmin).upsertAccount(account, yield* now)
          return Option.isSome(before)
        }))
        return { status: existed ? 200 : 201, body: accountView(account) }
      })
  }),

  route({
    method: "get",
    path: "/v1/accounts/:domain",
    roles: ["read"],
    tag: "Accounts",
    summary: "Read an account",
    params: Schema.Struct({ domain: Text(300) }),
    response: AccountView,
    status: 200,
    handler: ({ params }) =>
      Effect.gen(function*() {
        const domain = domainOfWebsite(params.domain)
        const found = yield* (yield* AccountDirectory).findByDomain(domain)
        if (Option.isNone(found)) return yield* Effect.fail(new NotFound({ message: `No account for ${domain}.` }))
        return { body: accountView(found.value) }
      })
  }),

  route({
    method: "get",
    path: "/v1/accounts",
    roles: ["read"],
    tag: "Accounts",
    summary: "List accounts",
    description: "By domain; `after` continues from the previous page's `nextAfter`.",
    query: Schema.Struct({ after: Schema.optional(Text(300)), limit: Schema.optional(QueryInt(1, 1000)) }),
    response: Schema.Struct({ items: Schema.Array(AccountView), nextAfter: Schema.NullOr(Schema.String) }),
    status: 200,
    handler: ({ query }) =>
      Effect.gen(function*() {
        const limit = query.limit ?? 100
        const rows = yield* (yield* AccountQueries).list({ limit: limit + 1, ...(query.after === undefined ? {} : { afterDomain: query.after }) })
        const page = rows.slice(0, limit)
        return { body: { items: page.map(accountView), nextAfter: rows.length > limit ? page[page.length - 1]!.domain : null } }
      })
  }),

  route({
    method: "post",
    path: "/v1/accounts/bulk",
    long: true,
    roles: ["admin"],
    tag: "Accounts",
    summary: "Import accounts in bulk",
    description: `Up to ${maxBulk.toLocaleString("en-US")} accounts (create or replace each, like PUT /v1/accounts/{domain}) in one unit: either all are stored or none. Any fault (an invalid or free-mail domain, a domain listed twice after normalization, an unknown owner) refuses the whole import with the path of each fault.`,
    body: Schema.Struct({
      accounts: Schema.Array(BulkAccount).pipe(
        Schema.minItems(1, { message: () => "give at least one account" }),
        Schema.maxItems(maxBulk, { message: () => `at most ${maxBulk} accounts per import: split the list` })
      )
    }),
    response: Schema.Struct({ total: Schema.Number, created: Schema.Number, updated: Schema.Number }),
    status: 200,
    idempotent: true,
    handler: ({ body }) =>
      Effect.gen(function*() {
        const reps = new Set((yield* (yield* RepDirectory).list()).map((r) => r.id as string))
        const errors: Array<FieldError> = []
        const seen = new Map<string, number>()
        const accounts: Array<Account> = []
        body.accounts.forEach((a, i) => {
          const { domain: raw, ...fields } = a
          const domain = domainOfWebsite(raw)
          const fault = domainFault(domain)
          if (fault !== undefined) errors.push({ path: `accounts.${i}.domain`, message: fault })
          else if (seen.has(domain)) errors.push({ path: `accounts.${i}.domain`, message: `${domain} is already listed at accounts.${seen.get(domain)}` })
          else seen.set(domain, i)
          if (fields.ownerRepId !== undefined && !reps.has(fields.ownerRepId)) errors.push({ path: `accounts.${i}.ownerRepId`, message: `no rep with id ${fields.ownerRepId}` })
          if (fault === undefined) accounts.push(accountOf(domain, fields))
        })
        if (errors.length > 0) {
          const shown = errors.slice(0, maxReportedErrors)
          return yield* Effect.fail(invalid(shown, `The import is refused (${errors.length} ${errors.length === 1 ? "fault" : "faults"}${errors.length > shown.length ? `, the first ${shown.length} listed` : ""}); nothing was stored.`))
        }
        const tx = yield* Transactor
        const at = yield* now
        const created = yield* tx.transaction(Effect.gen(function*() {
          const existing = yield* (yield* AccountQueries).existing(accounts.map((a) => a.domain))
          const admin = yield* StoreAdmin
          for (const a of accounts) yield* admin.upsertAccount(a, at)
          return accounts.length - existing.size
        }))
        return { body: { total: accounts.length, created, updated: accounts.length - created } }
      })
  }),

  route({
    method: "get",
    path: "/v1/pods/:id/ledger",
    roles: ["read"],
    tag: "Routing",
    summary: "Read a pod's rotation ledger",
    description: "The append-only rotation ledger of a pod of the active agreement, oldest first: `credit` (a rep got a lead), `skip` (it was their turn but they were out of office, over capacity, outside hours, ... — the reason is recorded) and `reset` (a new round with the members listed). Page with `after` (the `seq` of the last entry seen; the response's `nextAfter`).",
    params: Schema.Struct({ id: NonEmpty(100) }),
    query: Schema.Struct({ after: Schema.optional(QueryInt(0, Number.MAX_SAFE_INTEGER)), limit: Schema.optional(QueryInt(1, 1000)) }),
    response: LedgerView,
    status: 200,
    handler: ({ params, query }) =>
      Effect.gen(function*() {
        const active = yield* (yield* AgreementStore).active()
        const pod = active.agreement.routing.pods.find((p) => p.id === params.id)
        if (pod === undefined) {
          return yield* Effect.fail(new NotFound({ message: `Pod ${params.id} is not in the active agreement (version ${active.version}); its pods are: ${active.agreement.routing.pods.map((p) => p.id).join(", ")}.` }))
        }
        const limit = query.limit ?? 100
        const rows = yield* (yield* RotationLedger).entries(pod.id, { limit, ...(query.after === undefined ? {} : { afterSeq: query.after }) })
        const entries = rows.map((e) => ({
          seq: e.seq,
          at: e.at,
          kind: e.kind,
          repId: e.repId ?? null,
          leadId: e.leadId ?? null,
          reason: e.reason ?? null,
          members: e.members ?? null
        }))
        const last = entries[entries.length - 1]
        return { body: { pod: pod.id, strategy: pod.strategy, entries, nextAfter: entries.length === limit && last !== undefined ? last.seq : null } }
      })
  }),

  route({
    method: "post",
    path: "/v1/keys",
    roles: ["admin"],
    tag: "API keys",
    summary: "Create an API key",
    description: "A key with a role: ingest (forms, events, enrichment; it writes leads and never reads them back), sales (feedback, opportunities), admin (everything), read (leads, reports). " +
      "A sales key with `repId` is bound to that rep: it acts only as that rep (a request naming another `repId` is 403); without one it may act for any rep (a CRM integration). The rep must exist (422). " +
      "The key itself is in this response only: Handoff stores its SHA-256. (No `Idempotency-Key` here: a replay would have to keep the secret.)",
    body: Schema.Struct({ name: NonEmpty(200), role: Role, repId: Schema.optional(NonEmpty(100)) }),
    response: Schema.extend(KeyView, Schema.Struct({ key: Schema.String })),
    status: 201,
    handler: ({ body }) =>
      Effect.gen(function*() {
        const { key, record } = yield* createApiKey(body.name, body.role, body.repId === undefined ? {} : { repId: body.repId })
        return { body: { ...keyView(record), key } }
      })
  }),

  route({
    method: "get",
    path: "/v1/keys",
    roles: ["admin"],
    tag: "API keys",
    summary: "List API keys",
    description: "Every key with its prefix and the rep it is bound to (`repId`, null: unbound), never the secret; revoked keys show `revokedAt`.",
    response: Schema.Struct({ items: Schema.Array(KeyView) }),
    status: 200,
    handler: () => Effect.map(Effect.flatMap(ApiKeyStore, (k) => k.list()), (keys) => ({ body: { items: keys.map(keyView) } }))
  }),

  route({
    method: "delete",
    path: "/v1/keys/:id",
    roles: ["admin"],
    tag: "API keys",
    summary: "Revoke an API key",
    description: "The key stops working at once. 404 when unknown or already revoked; 409 for the last live admin key (Handoff would have no administrator left).",
    params: IdParam,
    response: Schema.Void,
    status: 204,
    handler: ({ params }) =>
      Effect.gen(function*() {
        const keys = yield* ApiKeyStore
        const tx = yield* Transactor
        return yield* tx.transaction(Effect.gen(function*() {
          const key = (yield* keys.list()).find((k) => k.id === params.id && k.revokedAt === undefined)
          if (key === undefined) return yield* Effect.fail(new NotFound({ message: `No live API key with id ${params.id}.` }))
          if (key.role === "admin" && (yield* keys.countLive("admin")) <= 1) {
            return yield* Effect.fail(new Conflict({ message: "This is the last live admin key: create another admin key before revoking it.", reason: "last_admin_key" }))
          }
          if (!(yield* keys.revoke(key.id, yield* now))) return yield* Effect.fail(new NotFound({ message: `No live API key with id ${params.id}.` }))
          return { body: undefined }
        }))
      })
  }),

  route({
    method: "post",
    path: "/v1/webhooks",
    roles: ["admin"],
    tag: "Webhooks",
    summary: "Subscribe a webhook",
    description: "Deliveries of the listed topics (`*` for all) to `url`, signed with HMAC-SHA256 over the timestamp and body using `secret` — returned in this response only. `format: slack` posts a Slack incoming-webhook message carrying the handoff context. (No `Idempotency-Key` here: a replay would have to keep the secret.)",
    body: Schema.Struct({
      url: HttpUrl,
      topics: Schema.Array(Topic).pipe(Schema.minItems(1, { message: () => "subscribe to at least one topic (or \"*\")" }), Schema.maxItems(50, { message: () => "at most 50 topics" })),
      format: Schema.optionalWith(Format, { default: () => "json" as const })
    }),
    response: Schema.extend(WebhookView, Schema.Struct({ secret: Schema.String })),
    status: 201,
    handler: ({ body }) =>
      Effect.gen(function*() {
        const allowPrivate = yield* Config.boolean("HANDOFF_WEBHOOK_ALLOW_PRIVATE").pipe(Config.withDefault(false), Effect.orElseSucceed(() => false))
        const fault = yield* Effect.promise(() => webhookUrlFault(body.url, allowPrivate))
        if (fault !== undefined) return yield* Effect.fail(new InvalidInput({ status: 422, message: `The request body is invalid: url: ${fault}.`, errors: [{ path: "url", message: fault }] }))
        const secret = `whsec_${randomBytes(24).toString("base64url")}`
        const sub = yield* (yield* WebhookStore).create({
          id: newId("whk"),
          url: body.url,
          topics: [...new Set(body.topics)],
          format: body.format as WebhookFormat,
          active: true,
          createdAt: yield* now,
          secret
        })
        return { body: { ...webhookView(sub), secret } }
      })
  }),

  route({
    method: "get",
    path: "/v1/webhooks",
    roles: ["admin"],
    tag: "Webhooks",
    summary: "List webhook subscriptions",
    description: "Active subscriptions (with `includeInactive=true`, removed ones too); never the secrets.",
    query: Schema.Struct({ includeInactive: Schema.optional(QueryBool) }),
    response: Schema.Struct({ items: Schema.Array(WebhookView) }),
    status: 200,
    handler: ({ query }) =>
      Effect.map(
        Effect.flatMap(WebhookStore, (w) => w.list({ includeInactive: query.includeInactive === true })),
        (subs) => ({ body: { items: subs.map(webhookView) } })
      )
  }),

  route({
    method: "get",
    path: "/v1/webhooks/:id/deliveries",
    roles: ["admin"],
    tag: "Webhooks",
    summary: "List a subscription's deliveries",
    description: "Each outbox message sent (or to be sent) to this subscription: `pending` (with the next attempt), `delivered`, or `dead` — retried with backoff for 24 hours and given up, with the last status and error. Oldest first, with a cursor.",
    params: IdParam,
    query: Schema.Struct({
      status: Schema.optional(Schema.Literal("pending", "delivered", "dead")),
      limit: Schema.optional(QueryInt(1, 500)),
      cursor: Schema.optional(Schema.String.pipe(Schema.pattern(/^\d{1,18}$/, { message: () => "not a cursor this API gave out" })))
    }),
    response: Schema.Struct({ items: Schema.Array(DeliveryView), nextCursor: Schema.NullOr(Schema.String) }),
    status: 200,
    handler: ({ params, query }) =>
      Effect.gen(function*() {
        if (Option.isNone(yield* (yield* WebhookStore).get(params.id))) return yield* Effect.fail(new NotFound({ message: `No webhook subscription with id ${params.id}.` }))
        const limit = query.limit ?? 100
        const items = yield* (yield* DeliveryQueries).list(params.id, { limit, ...(query.status === undefined ? {} : { status: query.status }), ...(query.cursor === undefined ? {} : { afterId: query.cursor }) })
        return { body: { items, nextCursor: items.length === limit ? items[items.length - 1]!.id : null } }
      })
  }),

  route({
    method: "post",
    path: "/v1/webhooks/:id/deliveries/:deliveryId/retry",
    roles: ["admin"],
    tag: "Webhooks",
    summary: "Retry a dead-lettered delivery",
    description: "Puts a dead letter back in line with a fresh 24-hour retry window (the receiver's endpoint is fixed, say). 404 when the subscription has no such dead letter.",
    params: Schema.Struct({ id: IdParam.fields.id, deliveryId: NonEmpty(100) }),
    response: DeliveryView,
    status: 200,
    handler: ({ params }) =>
      Effect.gen(function*() {
        // delivery ids are numbers: anything else names no delivery
        const retried = /^\d{1,18}$/.test(params.deliveryId) ? yield* (yield* DeliveryQueries).retry(params.id, params.deliveryId, yield* now) : Option.none()
        if (Option.isNone(retried)) return yield* Effect.fail(new NotFound({ message: `Subscription ${params.id} has no dead-lettered delivery ${params.deliveryId}.` }))
        return { body: retried.value }
      })
  }),

  route({
    method: "delete",
    path: "/v1/webhooks/:id",
    roles: ["admin"],
    tag: "Webhooks",
    summary: "Remove a webhook subscription",
    description: "No more deliveries to it. 404 when unknown or already removed.",
    params: IdParam,
    response: Schema.Void,
    status: 204,
    handler: ({ params }) =>
      Effect.gen(function*() {
        if (!(yield* (yield* WebhookStore).deactivate(params.id))) return yield* Effect.fail(new NotFound({ message: `No active webhook subscription with id ${params.id}.` }))
        return { body: undefined }
      })
  })
]
