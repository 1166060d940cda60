/**
 * The OpenAPI 3.1 document, generated from the route declarations (`http.ts`): the same
 * Schemas the server decodes requests and encodes responses with become the document's JSON
 * Schemas (effect's `JSONSchema.make`, target `openApi3.1`), so the reference cannot drift
 * from what the server does. Nothing here is written by hand per route.
 *
 * - path `:param` → `{param}`, one `in: path` parameter per field of the route's `params` Schema;
 * - the `query` Schema's fields → `in: query` parameters (required when the Schema requires them);
 * - `body` → `requestBody` (`application/json`), `response` + `status` → the success response
 *   (a `void` response has no content; a string response is text, its media type taken from
 *   the Schema's `contentMediaType` when it declares one);
 * - `roles` → bearer `security` plus a note (admin keys may call everything), or no security
 *   for the open routes;
 * - `idempotent` → the optional `Idempotency-Key` header;
 * - the RFC 9457 problem responses a route can produce, each with the `Problem` schema;
 * - `tag` → the operation's tag, described once in `tagDescriptions`;
 * - named Schemas (an `identifier` annotation) become `components.schemas`, shared by reference.
 *
 * The document is meant to pass `redocly lint` with its recommended rules as it is served:
 * `test/openapiTools.test.ts` lints it and generates a typed client from it.
 */
import { JSONSchema, Schema } from "effect"
import { unadmittedPaths } from "./admission.ts"
import type { AnyRoute } from "./http.ts"

/** A JSON value, as the document is made of. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type JsonObject = { [key: string]: Json }

/** An RFC 9457 problem, as every error response of the API carries it (see `problem.ts`). */
export const ProblemSchema = Schema.Struct(
  {
    type: Schema.String.annotations({ description: "A URI naming the kind of problem, e.g. `https://handoff.dev/problems/validation`." }),
    title: Schema.String.annotations({ description: "A short, human-readable summary of the kind of problem." }),
    status: Schema.Int.annotations({ description: "The HTTP status code." }),
    detail: Schema.String.annotations({ description: "What went wrong with this request, in words meant for the caller." }),
    instance: Schema.optional(Schema.String.annotations({ description: "The request path." })),
    requestId: Schema.optional(Schema.String.annotations({ description: "The request id (also in the `x-request-id` header); quote it when reporting a problem." })),
    errors: Schema.optional(Schema.Array(Schema.Struct({
      path: Schema.String.annotations({ description: "Where: a dotted path into the body (`source.channel`), or `path.<name>`, `query.<name>`, `header.<name>`." }),
      message: Schema.String,
      line: Schema.optional(Schema.Int.annotations({ description: "For a YAML or JSON document sent as text: the line of the fault (1-based)." })),
      column: Schema.optional(Schema.Int.annotations({ description: "... and its column." }))
    })).annotations({ description: "For validation problems: one entry per invalid field." }))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
).annotations({
  identifier: "Problem",
  description: "An RFC 9457 problem document (`application/problem+json`). Some problems carry extra members: `reason` (409, 503), `limit` (413), `accepted` (415), `retryAfter` (429, 503), `role` and `allowed` (403), `stage` (409 for an illegal transition)."
})

/** What each error status means, for the document and the reference page. */
export const errorDescriptions: Readonly<Record<number, string>> = {
  400: "Malformed request: the body is missing or is not JSON.",
  401: "No API key, or the key is unknown or revoked.",
  403: "The key's role may not call this operation, or the key is bound to another rep than the `repId` it names.",
  404: "The resource named in the path or body does not exist.",
  409: "Conflict: not allowed in the resource's current state, or a request with the same Idempotency-Key is still running.",
  413: "The body is larger than the server's limit.",
  415: "The body is not in a media type this operation reads (`application/json`, or YAML where documented).",
  422: "Invalid request: a path parameter, query parameter, body field or header does not match the schema (see `errors`).",
  429: "Too many requests for this key (its rate, or its requests in flight; callers without a key share one allowance); retry after `Retry-After` seconds.",
  431: "The request line and headers are larger than the HTTP server reads (16 KiB): it answers with no body and closes the connection.",
  503: "The service cannot take the request now: at its limit of requests in flight, the store unreachable or not answering, or the request past its deadline (nothing it did was kept). Retry after `Retry-After` seconds."
}

/** The names of the shared error responses (`components.responses`). */
export const errorResponseNames: Readonly<Record<number, string>> = {
  400: "MalformedRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  422: "InvalidRequest",
  429: "RateLimited",
  431: "HeadersTooLarge",
  503: "Unavailable"
}

/**
 * What each tag groups, for the document's `tags` and the reference page. A route's `tag` must
 * be one of these (`ApiTag`), so a new group cannot appear in the document undescribed.
 */
export const tagDescriptions = {
  Leads: "Inbound leads: submit a form fill, enrich it, record behavioral and product events, and read leads with their score, tier, owner, SLA deadlines and timeline.",
  "Sales feedback": "What sales does with a routed lead: accept it (SAL), reject it with a reason (recycled per the agreement), log activities, qualify it (SQL).",
  Opportunities: "Opportunities opened from SQLs and their close (won or lost), which feed the waterfall and attribution reports.",
  Reps: "The sales team: each rep's role, pods, time zone and working hours, capacity, weight, out-of-office periods, territories and segments — what routing decides with.",
  Accounts: "The accounts leads are matched to by their email domain: owner, named, segment, an active outbound (ABM) play; one at a time or imported in bulk.",
  Routing: "The pods' rotation ledgers: every credit, skip (with its reason) and reset that decided who got a lead.",
  "API keys": "API keys and their roles (`ingest`, `sales`, `read`, `admin`); a sales key may be bound to one rep.",
  Webhooks: "Subscriptions to lifecycle events, delivered signed (HMAC-SHA256) with retries; each subscription's deliveries, and retrying a dead-lettered one.",
  Agreement: "The marketing–sales agreement that scores, tiers, routes and times every lead: read it, propose a new version, preview one lead's decision, backtest a draft on history.",
  Reports: "The demand waterfall, attribution, speed-to-lead and SLA compliance, rejections, score calibration and leads in limbo, over a period.",
  Operations: "Liveness, readiness and Prometheus metrics, for probes and monitoring.",
  Reference: "This document and the API reference page rendered from it."
} as const satisfies Readonly<Record<string, string>>

export type ApiTag = keyof typeof tagDescriptions

/**
 * The error statuses a route can answer with, derived from what it declares: key checks
 * (401/403) when it needs a key, 400/413/415 when it reads a body, 422 when it decodes any
 * input, 404 when it names a resource (path parameters or a body that refers to one), 409 when
 * it writes; admission control's 429 (rate, requests in flight: per key, or shared by callers
 * without one) and 503 (busy, store unavailable, past the deadline) for all but the liveness
 * probe and metrics; and 431 for every route, answered by Node's HTTP server itself before the
 * app sees the request.
 */
export const errorStatuses = (def: AnyRoute): ReadonlyArray<number> => {
  const out = new Set<number>()
  const authed = def.roles.length > 0
  const hasParams = def.params !== undefined || pathParams(def.path).length > 0
  if (def.body !== undefined) out.add(400)
  if (authed) out.add(401).add(403)
  if (hasParams || def.body !== undefined) out.add(404)
  if (def.method !== "get" || def.idempotent === true) out.add(409)
  if (def.body !== undefined) {
    out.add(413)
    out.add(415)
  }
  if (hasParams || def.query !== undefined || def.body !== undefined || def.idempotent === true) out.add(422)
  if (!unadmittedPaths.has(def.path)) out.add(429).add(503)
  out.add(431)
  return [...out].sort((a, b) => a - b)
}

/** `/v1/leads/:id` → `/v1/leads/{id}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")

/** The names of a Hono path's parameters, in order. */
export const pathParams = (path: string): ReadonlyArray<string> => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!)

/** A stable operation id: `post /v1/leads/:id/accept` → `postV1LeadsByIdAccept`. */
export const operationId = (def: AnyRoute): string =>
  def.method + def.path.split("/").filter((s) => s !== "").map((s) => s.startsWith(":") ? "By" + cap(s.slice(1)) : s.split(/[^A-Za-z0-9]+/).map(cap).join("")).join("")

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/** Who may call a route, in words: the note under each operation. */
export const rolesNote = (def: AnyRoute): string =>
  def.roles.length === 0
    ? "No API key needed."
    : `Needs an API key with role ${def.roles.filter((r) => r !== "admin").map((r) => `\`${r}\``).join(", ")}${def.roles.some((r) => r !== "admin") ? " or " : ""}\`admin\` (admin keys may call everything).`

const isObject = (u: unknown): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Collects the named Schemas of every generated JSON Schema into one `components.schemas`
 * map, rewriting `#/$defs/X` references to `#/components/schemas/X`. Two different Schemas
 * with the same identifier get distinct names (`X`, `X_2`, ...).
 */
class Components {
  readonly schemas: JsonObject = {}
  private readonly raw = new Map<string, string>()

  /** The JSON Schema of an effect Schema, its definitions moved into the components. */
  add(schema: Schema.Schema<any, any, never>): JsonObject {
    const made = JSONSchema.make(schema, { target: "openApi3.1" }) as unknown as JsonObject
    const { $defs, $schema: _dialect, ...root } = made
    const defs = isObject($defs) ? $defs : {}
    const names = new Map<string, string>()
    for (const [key, def] of Object.entries(defs)) {
      const text = JSON.stringify(def)
      const base = key.replace(/[^A-Za-z0-9._-]/g, "_") || "Schema"
      let name = base
      for (let i = 2; this.raw.has(name) && this.raw.get(name) !== text; i++) name = `${base}_${i}`
      names.set(key, name)
      if (!this.raw.has(name)) this.raw.set(name, text)
    }
    const rewrite = (value: Json): Json => {
      if (Array.isArray(value)) return value.map(rewrite)
      if (!isObject(value)) return value
      const out: JsonObject = {}
      for (const [k, v] of Object.entries(value)) {
        if (k === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")) {
          const key = decodeURIComponent(v.slice("#/$defs/".length)).replace(/~1/g, "/").replace(/~0/g, "~")
          out[k] = `#/components/schemas/${names.get(key) ?? key}`
        } else if (k === "$id" && typeof v === "string" && v.startsWith("/schemas/")) {
          // effect marks `unknown`, `any`, `void`... with a relative $id: meaningless in a document
          continue
        } else {
          out[k] = rewrite(v)
        }
      }
      return out
    }
    for (const [key, def] of Object.entries(defs)) {
      const name = names.get(key)!
      if (this.schemas[name] === undefined) this.schemas[name] = rewrite(def)
    }
    return rewrite(root) as JsonObject
  }

  /** Follows a `#/components/schemas/X` reference (once per level) to the schema it names. */
  resolve(schema: JsonObject): JsonObject {
    let s = schema
    for (let i = 0; i < 10 && typeof s.$ref === "string" && s.$ref.startsWith("#/components/schemas/"); i++) {
      const target = this.schemas[s.$ref.slice("#/components/schemas/".length)]
      if (!isObject(target)) break
      s = target
    }
    return s
  }
}

const isVoid = (schema: Schema.Schema<any, any, never>): boolean => schema.ast._tag === "VoidKeyword" || schema.ast._tag === "UndefinedKeyword"

/** Parameters (path or query) from an object Schema's properties. */
const parametersOf = (components: Components, schema: Schema.Schema<any, any, never> | undefined, where: "path" | "query", names: ReadonlyArray<string>) => {
  const out: Array<JsonObject> = []
  const seen = new Set<string>()
  if (schema !== undefined) {
    const root = components.resolve(components.add(schema))
    const properties = isObject(root.properties) ? root.properties : {}
    const required = new Set(Array.isArray(root.required) ? root.required : [])
    for (const [name, s] of Object.entries(properties)) {
      seen.add(name)
      const description = isObject(s) && typeof s.description === "string" ? s.description : undefined
      out.push({
        name,
        in: where,
        required: where === "path" || required.has(name),
        ...(description === undefined ? {} : { description }),
        schema: s
      })
    }
  }
  // a path parameter the Schema does not describe is still a string in the path
  if (where === "path") for (const name of names) if (!seen.has(name)) out.push({ name, in: "path", required: true, schema: { type: "string" } })
  return out
}

/** The values of a route's `format` query parameter other than `json`: each is another media type of its answer. */
const queryFormats = (components: Components, query: Schema.Schema<any, any, never> | undefined): ReadonlyArray<string> => {
  if (query === undefined) return []
  const root = components.resolve(components.add(query))
  const format = isObject(root.properties) ? root.properties.format : undefined
  const values = isObject(format) && Array.isArray(format.enum) ? format.enum : []
  return values.filter((v): v is string => typeof v === "string" && v !== "json" && /^[a-z0-9.+-]+$/.test(v))
}

export interface OpenApiOptions {
  readonly title?: string
  readonly version?: string
  readonly description?: string
}

/** The OpenAPI 3.1 document of these routes. */
export const openApiDocument = (routes: ReadonlyArray<AnyRoute>, options: OpenApiOptions = {}): JsonObject => {
  const components = new Components()
  const problem = components.add(ProblemSchema)
  const paths: Record<string, JsonObject> = {}
  const tags: Array<ApiTag> = []
  const errorResponses: JsonObject = {}

  for (const def of routes) {
    if (!tags.includes(def.tag)) tags.push(def.tag)
    const parameters: Array<Json> = [
      ...parametersOf(components, def.params, "path", pathParams(def.path)),
      ...parametersOf(components, def.query, "query", [])
    ]
    if (def.idempotent === true) {
      parameters.push({
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description: "Any unique string (at most 200 characters). A retry with the same key and body returns the first answer (with `idempotent-replayed: true`) instead of acting twice; the same key with a different body is a 422.",
        schema: { type: "string", maxLength: 200 }
      })
    }

    const responses: JsonObject = {}
    const success: JsonObject = { description: def.status === 201 ? "Created." : def.status === 204 ? "Done; no content." : "OK." }
    if (def.status !== 204 && !isVoid(def.response)) {
      const schema = components.add(def.response)
      const text = schema.type === "string"
      const media = text ? (typeof schema.contentMediaType === "string" ? schema.contentMediaType : "text/plain") : "application/json"
      success.content = { [media]: { schema } }
    }
    // a `format` query parameter (e.g. `?format=yaml`) chooses another representation of the same answer
    if (success.content !== undefined) {
      for (const format of queryFormats(components, def.query)) {
        ;(success.content as JsonObject)[`application/${format}`] = { schema: { type: "string", description: `The answer as ${format.toUpperCase()} text, with \`?format=${format}\`.` } }
      }
    }
    responses[String(def.status)] = success
    for (const [status, meaning] of Object.entries(def.also ?? {})) responses[status] = { ...success, description: meaning }
    for (const status of errorStatuses(def)) {
      const name = errorResponseNames[status] ?? `Error${status}`
      errorResponses[name] ??= {
        description: errorDescriptions[status] ?? "Error.",
        ...(status === 429 || status === 503 ? { headers: { "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } } } } : {}),
        // the HTTP server's own 431 has no body; every answer from the app is a problem document
        ...(status === 431 ? {} : { content: { "application/problem+json": { schema: problem } } })
      }
      responses[String(status)] = { $ref: `#/components/responses/${name}` }
    }

    const operation: JsonObject = {
      operationId: operationId(def),
      tags: [def.tag],
      summary: def.summary,
      description: [def.description, rolesNote(def)].filter((s) => s !== undefined && s !== "").join("\n\n"),
      "x-roles": def.roles.length === 0 ? [] : [...new Set([...def.roles, "admin"])],
      security: def.roles.length === 0 ? [] : [{ bearerAuth: [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(def.body === undefined ? {} : {
        requestBody: {
          required: true,
          content: {
            "application/json": { schema: components.add(def.bodyDoc ?? def.body) },
            ...(def.yamlBody === true ? { "application/yaml": { schema: { type: "string", description: "The same document as YAML text." } } } : {})
          }
        }
      }),
      responses
    }
    const path = openApiPath(def.path)
    const item = paths[path] ?? (paths[path] = {})
    if (item[def.method] !== undefined) throw new Error(`Two routes declare ${def.method.toUpperCase()} ${def.path}.`)
    item[def.method] = operation
  }

  return {
    openapi: "3.1.0",
    info: {
      title: options.title ?? "Handoff API",
      version: options.version ?? "0.0.0",
      description: options.description ??
        "Handoff runs the inbound lead handoff between marketing and sales: one agreement scores every inbound lead, decides hot vs warm, routes it to a rep, enforces speed-to-lead SLAs, records sales' accept/reject feedback and reports the demand waterfall.\n\nSend `Authorization: Bearer <api key>`. Keys carry a role: `ingest` (forms, events, enrichment), `sales` (accept, reject, activities, qualify, opportunities), `admin` (everything), `read` (leads, reports). Errors are RFC 9457 `application/problem+json`.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" }
    },
    // relative: the service that serves this document (OpenAPI resolves it against the
    // document's URL), wherever it runs — not a host name taken from the request
    servers: [{ url: "/", description: "This service: the origin that served this document." }],
    tags: tags.map((name) => ({ name, description: tagDescriptions[name] })),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An API key: `Authorization: Bearer <key>`." }
      },
      schemas: components.schemas,
      responses: errorResponses
    }
  }
}
