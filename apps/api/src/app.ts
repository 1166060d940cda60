/**
 * The Hono app: built by a function that never listens, so tests call `app.request()`.
 * Every route goes through the same steps — request id, authentication and role, rate
 * limit, body size, JSON parsing, schema decoding, idempotency, the handler on the shared
 * runtime (`runPromiseExit`), encoding — and every failure leaves through `problem.ts`.
 */
import { ApiKeyStore, IdempotencyStore } from "@handoff/db"
import { Transactor } from "@handoff/domain"
import { Clock, Effect, Exit, type ManagedRuntime, Option, ParseResult, Schema } from "effect"
import { Hono } from "hono"
import type { Context as HonoContext } from "hono"
import { createHash, randomUUID } from "node:crypto"
import { hashKey } from "./auth.ts"
import { type AnyRoute, type Caller } from "./http.ts"
import { type Logger, jsonLogger } from "./log.ts"
import { Metrics } from "./metrics.ts"
import {
  type ApiError, Conflict, type FieldError, Forbidden, InvalidInput, internalProblem, NotFound, PayloadTooLarge, type Problem, problemHeaders,
  problemOf, problemOfCause, RateLimited, Unauthorized
} from "./problem.ts"
import { RateLimiter } from "./rateLimit.ts"

export interface AppOptions {
  /** Largest request body accepted, in bytes (413 above it). */
  readonly bodyLimit: number
  /** Requests per second per API key, and the burst allowed. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number }
  readonly logger?: Logger
  readonly metrics?: Metrics
}

export const defaultAppOptions: AppOptions = { bodyLimit: 1_000_000, rateLimit: { perSecond: 100, burst: 200 } }

const decodeOptions = { errors: "all", onExcessProperty: "error" } as const

const formatIssues = (error: ParseResult.ParseError, prefix: string) => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((p) => p !== "").join("."),
    message: i.message
  }))
  // an optional field with a bad value also fails its `undefined` branch: say the useful half once
  const noise = (m: string) => /^Expected undefined, actual /.test(m)
  return issues.filter((i, n) =>
    !(noise(i.message) && issues.some((o) => o.path === i.path && !noise(o.message))) &&
    issues.findIndex((o) => o.path === i.path && o.message === i.message) === n
  )
}

/** Content types read as YAML text by routes that take YAML (`yamlBody`). */
const yamlMediaTypes: ReadonlySet<string> = new Set(["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"])

/** How deeply a JSON body may nest: deeper bodies are refused before anything walks them recursively. */
export const maxJsonDepth = 64

/** A NUL character or a lone UTF-16 surrogate: text that PostgreSQL (text or jsonb) cannot hold. */
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const unstorableMessage = "must not contain a NUL character (\\u0000) or a lone surrogate (\\ud800-\\udfff)"

/**
 * What the store cannot hold or the decoders should not walk, found without recursion: nesting
 * deeper than `maxJsonDepth`, or a string or key with a NUL character or a lone surrogate.
 */
export const jsonFault = (value: unknown, prefix = ""): FieldError | undefined => {
  const stack: Array<[unknown, ReadonlyArray<string>]> = [[value, prefix === "" ? [] : [prefix]]]
  while (stack.length > 0) {
    const [v, path] = stack.pop()!
    if (typeof v === "string") {
      if (unstorable.test(v)) return { path: path.join("."), message: unstorableMessage }
    } else if (typeof v === "object" && v !== null) {
      if (path.length - (prefix === "" ? 0 : 1) >= maxJsonDepth) return { path: path.join("."), message: `nested more than ${maxJsonDepth} levels deep` }
      for (const [k, item] of Object.entries(v)) {
        if (unstorable.test(k)) return { path: path.join("."), message: `a field name ${unstorableMessage}` }
        stack.push([item, [...path, k]])
      }
    }
  }
  return undefined
}

const decodeWith = <A>(schema: Schema.Schema<A, any>, value: unknown, where: "body" | "query" | "path"): Effect.Effect<A, InvalidInput> => {
  const fault = jsonFault(value, where === "body" ? "" : where)
  if (fault !== undefined) return Effect.fail(new InvalidInput({ status: 422, message: `The request ${where} is invalid: ${fault.path === "" ? "" : `${fault.path}: `}${fault.message}.`, errors: [fault] }))
  return Schema.decodeUnknown(schema, decodeOptions)(value).pipe(
    Effect.mapError((e) => new InvalidInput({ status: 422, message: `The request ${where} is invalid.`, errors: formatIssues(e, where === "body" ? "" : where) }))
  )
}

export const makeApp = <R>(runtime: ManagedRuntime.ManagedRuntime<R, never>, routes: ReadonlyArray<AnyRoute>, options: AppOptions = defaultAppOptions) => {
  const app = new Hono()
  const log = options.logger ?? jsonLogger()
  const metrics = options.metrics ?? new Metrics()
  const limiter = new RateLimiter(options.rateLimit.perSecond, options.rateLimit.burst)

  const authenticate = (header: string | undefined, def: AnyRoute): Effect.Effect<Caller, ApiError, ApiKeyStore> =>
    Effect.gen(function*() {
      if (def.roles.length === 0) return { keyId: "anonymous", role: "read", name: "anonymous" } as Caller
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")
      if (m === null) return yield* Effect.fail(new Unauthorized({ message: "Send an API key: `Authorization: Bearer <key>`." }))
      const keys = yield* ApiKeyStore
      const found = yield* keys.findByHash(hashKey(m[1]!))
      if (Option.isNone(found)) return yield* Effect.fail(new Unauthorized({ message: "This API key is not valid (unknown or revoked)." }))
      const key = found.value
      if (key.role !== "admin" && !def.roles.includes(key.role)) {
        return yield* Effect.fail(new Forbidden({ message: `A ${key.role} key cannot ${def.summary.toLowerCase()}; it needs one of: ${[...def.roles, "admin"].join(", ")}.`, role: key.role, allowed: [...def.roles, "admin"] }))
      }
      const wait = limiter.take(key.id, Date.now())
      if (wait > 0) return yield* Effect.fail(new RateLimited({ message: `Rate limit of ${options.rateLimit.perSecond} requests per second for this key exceeded.`, retryAfterSeconds: Math.ceil(wait / 1000) }))
      return { keyId: key.id, role: key.role, name: key.name, ...(key.repId === undefined ? {} : { repId: key.repId }) }
    })

  const readBody = (c: HonoContext, def: AnyRoute): Effect.Effect<{ value: unknown; text: string; mediaType: "json" | "yaml" }, ApiError> =>
    Effect.gen(function*() {
      if (def.body === undefined) return { value: undefined, text: "", mediaType: "json" as const }
      const declared = Number(c.req.header("content-length") ?? "0")
      if (declared > options.bodyLimit) return yield* Effect.fail(new PayloadTooLarge({ message: `The body is larger than ${options.bodyLimit} bytes.`, limit: options.bodyLimit }))
      const text = yield* Effect.promise(() => c.req.text())
      if (Buffer.byteLength(text) > options.bodyLimit) return yield* Effect.fail(new PayloadTooLarge({ message: `The body is larger than ${options.bodyLimit} bytes.`, limit: options.bodyLimit }))
      const yaml = def.yamlBody === true && yamlMediaTypes.has((c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase())
      if (text.trim() === "") return yield* Effect.fail(new InvalidInput({ status: 400, message: `The request needs a ${yaml ? "YAML" : "JSON"} body.`, errors: [{ path: "", message: "empty body" }] }))
      if (yaml) {
        return { value: text, text, mediaType: "yaml" as const }
      }
      try {
        return { value: JSON.parse(text) as unknown, text, mediaType: "json" as const }
      } catch (e) {
        return yield* Effect.fail(new InvalidInput({ status: 400, message: "The body is not valid JSON.", errors: [{ path: "", message: (e as Error).message }] }))
      }
    })

  const handle = (def: AnyRoute) => async (c: HonoContext) => {
    const started = performance.now()
    const requestId = c.req.header("x-request-id")?.slice(0, 100) || randomUUID()
    let callerId: string | undefined
    const program = Effect.gen(function*() {
      const caller = yield* authenticate(c.req.header("authorization"), def)
      callerId = caller.keyId
      const params = def.params === undefined ? {} : yield* decodeWith(def.params, c.req.param(), "path")
      const query = def.query === undefined ? {} : yield* decodeWith(def.query, c.req.query(), "query")
      const raw = yield* readBody(c, def)
      const body = def.body === undefined ? undefined : yield* decodeWith(def.body, raw.value, "body")
      const run = def.handler({ params, query, body, caller, requestId, mediaType: raw.mediaType }).pipe(
        Effect.map((reply) => ({
          status: reply.status ?? def.status,
          body: Schema.encodeSync(def.response)(reply.body) as unknown,
          headers: reply.headers ?? {}
        }))
      )
      const idemKey = c.req.header("idempotency-key")
      if (!def.idempotent || idemKey === undefined || idemKey === "") return yield* run
      if (idemKey.length > 200) return yield* Effect.fail(new InvalidInput({ status: 422, message: "Idempotency-Key is at most 200 characters.", errors: [{ path: "header.Idempotency-Key", message: "too long" }] }))
      const hash = createHash("sha256").update(`${def.method} ${c.req.path}\n${raw.text}`).digest("hex")
      const tx = yield* Transactor
      return yield* tx.transaction(Effect.gen(function*() {
        const store = yield* IdempotencyStore
        const now = new Date(yield* Clock.currentTimeMillis)
        const claim = yield* store.claim(caller.keyId, idemKey, hash, now)
        switch (claim._tag) {
          case "Replay":
            return { status: claim.status, body: claim.response, headers: { "idempotent-replayed": "true" } }
          case "Mismatch":
            return yield* Effect.fail(new InvalidInput({ status: 422, message: "This Idempotency-Key was already used with a different request.", errors: [{ path: "header.Idempotency-Key", message: "reused with a different body or path" }] }))
          case "InProgress":
            return yield* Effect.fail(new Conflict({ message: "A request with this Idempotency-Key is still being processed.", reason: "idempotency_in_progress" }))
          case "New": {
            const reply = yield* run
            yield* store.complete(caller.keyId, idemKey, reply.status, reply.body)
            return reply
          }
        }
      }))
    })
    const exit = await runtime.runPromiseExit(program as Effect.Effect<{ status: number; body: unknown; headers: Record<string, string> }, ApiError, R>)
    let status: number
    let response: Response
    if (Exit.isSuccess(exit)) {
      status = exit.value.status
      response = status === 204
        ? new Response(null, { status, headers: { "x-request-id": requestId, ...exit.value.headers } })
        : typeof exit.value.body === "string" && exit.value.headers["content-type"] !== undefined
        // a text route (metrics, the docs page) sends its text as it is
        ? new Response(exit.value.body, { status, headers: { "x-request-id": requestId, ...exit.value.headers } })
        : new Response(JSON.stringify(exit.value.body), { status, headers: { "content-type": "application/json", "x-request-id": requestId, ...exit.value.headers } })
    } else {
      const { defect, problem } = problemOfCause(exit.cause, requestId)
      if (defect !== undefined) log.error("request failed with a defect", { requestId, method: def.method, route: def.path, error: String(defect instanceof Error ? defect.stack ?? defect.message : defect) })
      status = problem.status
      const extra: Record<string, string> = problem.status === 429 ? { "retry-after": String(problem.retryAfter) } : {}
      response = new Response(JSON.stringify({ ...problem, instance: c.req.path, requestId }), { status, headers: { ...problemHeaders, "x-request-id": requestId, ...extra } })
    }
    const ms = performance.now() - started
    metrics.observeRequest(def.method, def.path, status, ms / 1000)
    log.info("request", { requestId, method: def.method.toUpperCase(), route: def.path, path: c.req.path, status, ms: Math.round(ms * 10) / 10, ...(callerId === undefined ? {} : { apiKeyId: callerId }) })
    return response
  }

  for (const def of routes) app.on(def.method.toUpperCase(), def.path, handle(def))

  // a fresh headers object each time: @hono/node-server writes `Content-Length` into the object
  // a Response was given, so a shared one would carry the first body's length to every later answer
  const sendProblem = (c: HonoContext, problem: Problem) =>
    new Response(JSON.stringify({ ...problem, instance: c.req.path }), { status: problem.status, headers: { ...problemHeaders } })

  app.notFound((c) => {
    const allowed = routes.filter((r) => matches(r.path, c.req.path)).map((r) => r.method.toUpperCase())
    if (allowed.length > 0) {
      return new Response(JSON.stringify({ type: "https://handoff.dev/problems/method-not-allowed", title: "Method not allowed", status: 405, detail: `${c.req.method} is not allowed here; use ${allowed.join(", ")}.`, instance: c.req.path }), { status: 405, headers: { ...problemHeaders, allow: allowed.join(", ") } })
    }
    return sendProblem(c, problemOf(new NotFound({ message: `There is no ${c.req.method} ${c.req.path}; see /openapi.json for the API.` })))
  })
  app.onError((err, c) => {
    const requestId = randomUUID()
    log.error("unhandled error", { requestId, path: c.req.path, error: err.stack ?? err.message })
    return sendProblem(c, internalProblem(requestId))
  })
  return { app, metrics }
}

const matches = (pattern: string, path: string): boolean => {
  const p = pattern.split("/")
  const s = path.split("/")
  return p.length === s.length && p.every((seg, i) => seg.startsWith(":") ? s[i] !== "" : seg === s[i])
}
