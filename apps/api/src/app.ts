/**
 * The Hono app: built by a function that never listens, so tests call `app.request()`.
 * Every route goes through the same steps — request id, authentication and role, rate
 * limit, body size, JSON parsing, schema decoding, idempotency, the handler on the shared
 * runtime (`runPromiseExit`), encoding — and every failure leaves through `problem.ts`.
 */
import { ApiKeyStore, IdempotencyStore } from "@handoff/db"
import { Transactor } from "@handoff/domain"
import { Clock, Duration, Effect, Exit, type ManagedRuntime, Option, ParseResult, Schema } from "effect"
import { Hono } from "hono"
import type { Context as HonoContext } from "hono"
import { createHash, randomUUID } from "node:crypto"
import type { ServerResponse } from "node:http"
import { Admission, type AdmissionLimits, defaultAdmissionLimits, unadmittedPaths } from "./admission.ts"
import { hashKey } from "./auth.ts"
import { type AnyRoute, type Caller } from "./http.ts"
import { type Logger, jsonLogger } from "./log.ts"
import { Metrics } from "./metrics.ts"
import {
  type ApiError, Conflict, type FieldError, Forbidden, InvalidInput, internalProblem, NotFound, PayloadTooLarge, type Problem, problemHeaders, UnsupportedMediaType,
  problemOf, problemOfCause, RateLimited, Unauthorized, Unavailable
} from "./problem.ts"

export interface AppOptions {
  /** Largest request body accepted, in bytes (413 above it). */
  readonly bodyLimit: number
  /** Requests per second per API key, and the burst allowed. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number }
  /** Requests in flight per API key (429 past it) and overall (503 past it); heavy ones (routes with a long deadline) have bounds of their own. */
  readonly inFlight?: { readonly perKey: number; readonly total: number; readonly heavyPerKey?: number; readonly heavy?: number }
  /** How long a request may take before it is abandoned (rolled back) and answered 503; `long` and `heavy` routes get `longDeadlineMs`. */
  readonly deadlineMs?: number
  readonly longDeadlineMs?: number
  readonly logger?: Logger
  readonly metrics?: Metrics
}

export const defaultAppOptions: AppOptions = {
  bodyLimit: 1_000_000,
  rateLimit: { perSecond: defaultAdmissionLimits.perSecond, burst: defaultAdmissionLimits.burst },
  inFlight: { perKey: defaultAdmissionLimits.inFlightPerCaller, total: defaultAdmissionLimits.inFlight },
  deadlineMs: 5_000,
  longDeadlineMs: 60_000
}

/**
 * Fires when the client goes away before its answer: the work is abandoned (rolled back),
 * not finished for nobody. Read off the Node response (`c.env.outgoing`), not
 * `c.req.raw.signal`: asking Hono's node adapter for the signal turns its light request into
 * a full one whose unread body is then never drained, and the keep-alive socket is cut.
 * Without a Node response (`app.request()` in tests) it never fires.
 */
const goneSignal = (c: HonoContext): AbortSignal => {
  const controller = new AbortController()
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing
  outgoing?.once("close", () => {
    if (!outgoing.writableFinished) controller.abort()
  })
  return controller.signal
}

/**
 * The body as text, or undefined once it passes `limit` bytes: read chunk by chunk and cut
 * there, so a body sent without a Content-Length (chunked) cannot fill the memory first.
 */
const readAtMost = async (request: Request, limit: number): Promise<string | undefined> => {
  const reader = request.body?.getReader()
  if (reader === undefined) return ""
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString("utf8")
}

/** The bearer token of an Authorization header, if it carries one. */
const bearerToken = (header: string | undefined): string | undefined => /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1]

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
/** `application/json`, or a JSON-based type such as `application/merge-patch+json`. */
const isJsonMediaType = (mediaType: string): boolean => mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType)

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
  const limits: AdmissionLimits = {
    perSecond: options.rateLimit.perSecond,
    burst: options.rateLimit.burst,
    inFlightPerCaller: options.inFlight?.perKey ?? defaultAdmissionLimits.inFlightPerCaller,
    inFlight: options.inFlight?.total ?? defaultAdmissionLimits.inFlight,
    heavyPerCaller: options.inFlight?.heavyPerKey ?? defaultAdmissionLimits.heavyPerCaller,
    heavy: options.inFlight?.heavy ?? defaultAdmissionLimits.heavy
  }
  const admission = new Admission(limits)
  const deadlineMs = options.deadlineMs ?? defaultAppOptions.deadlineMs!
  const longDeadlineMs = options.longDeadlineMs ?? defaultAppOptions.longDeadlineMs!

  /** "an ingest key", "a sales key": how a 403 names a role. */
  const keyOfRole = (role: string) => `${/^[aeiou]/.test(role) ? "an" : "a"} ${role} key`

  const authenticate = (token: string | undefined, def: AnyRoute): Effect.Effect<Caller, ApiError, ApiKeyStore> =>
    Effect.gen(function*() {
      if (def.roles.length === 0) return { keyId: "anonymous", role: "read", name: "anonymous" } as Caller
      if (token === undefined) return yield* Effect.fail(new Unauthorized({ message: "Send an API key: `Authorization: Bearer <key>`." }))
      const keys = yield* ApiKeyStore
      const found = yield* keys.findByHash(hashKey(token))
      if (Option.isNone(found)) return yield* Effect.fail(new Unauthorized({ message: "This API key is not valid (unknown or revoked)." }))
      const key = found.value
      if (key.role !== "admin" && !def.roles.includes(key.role)) {
        const allowed = [...new Set([...def.roles, "admin" as const])]
        return yield* Effect.fail(new Forbidden({ message: `${keyOfRole(key.role).replace(/^a/, "A")} cannot ${def.summary.toLowerCase()}: that takes ${allowed.map(keyOfRole).join(" or ")}.`, role: key.role, allowed }))
      }
      return { keyId: key.id, role: key.role, name: key.name, ...(key.repId === undefined ? {} : { repId: key.repId }) }
    })

  const readBody = (c: HonoContext, def: AnyRoute): Effect.Effect<{ value: unknown; text: string; mediaType: "json" | "yaml" }, ApiError> =>
    Effect.gen(function*() {
      if (def.body === undefined) return { value: undefined, text: "", mediaType: "json" as const }
      const declared = Number(c.req.header("content-length") ?? "0")
      if (declared > options.bodyLimit) return yield* Effect.fail(new PayloadTooLarge({ message: `The body is larger than ${options.bodyLimit} bytes.`, limit: options.bodyLimit }))
      const text = yield* Effect.promise(() => readAtMost(c.req.raw, options.bodyLimit))
      if (text === undefined) return yield* Effect.fail(new PayloadTooLarge({ message: `The body is larger than ${options.bodyLimit} bytes.`, limit: options.bodyLimit }))
      const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase()
      const yaml = def.yamlBody === true && yamlMediaTypes.has(mediaType)
      if (text.trim() === "") return yield* Effect.fail(new InvalidInput({ status: 400, message: `The request needs a ${yaml ? "YAML" : "JSON"} body.`, errors: [{ path: "", message: "empty body" }] }))
      if (!yaml && !isJsonMediaType(mediaType)) {
        const accepted = def.yamlBody === true ? ["application/json", ...yamlMediaTypes] : ["application/json"]
        return yield* Effect.fail(new UnsupportedMediaType({
          message: `${mediaType === "" ? "The body has no Content-Type" : `The body is ${mediaType}`}: send it as ${accepted.join(" or ")}.`,
          accepted
        }))
      }
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
    const clientGone = goneSignal(c)
    const token = bearerToken(c.req.header("authorization"))
    // admission comes first: before the key is looked up in the store and before the body is read
    // heavy: CPU work in the pool, or a long read or write (batches, reports, replays)
    const heavy = def.heavy === true || def.long === true
    const admitted = unadmittedPaths.has(def.path) ? undefined : admission.enter(token === undefined ? "anonymous" : hashKey(token), Date.now(), heavy)
    if (admitted !== undefined && admitted._tag !== "Admitted") {
      const problem = problemOf(admitted._tag === "Busy"
        ? new Unavailable({ message: admitted.message, reason: "busy", retryAfterSeconds: admitted.retryAfterSeconds })
        : new RateLimited({ message: admitted.message, retryAfterSeconds: admitted.retryAfterSeconds }))
      metrics.observeRequest(def.method, def.path, problem.status, (performance.now() - started) / 1000)
      return new Response(JSON.stringify({ ...problem, instance: c.req.path, requestId }), {
        status: problem.status,
        headers: { ...problemHeaders, "x-request-id": requestId, "retry-after": String(admitted.retryAfterSeconds) }
      })
    }
    metrics.inFlight.set(admission.inFlight)
    try {
      return await handleAdmitted(def, c, { started, requestId, clientGone, token })
    } finally {
      admitted?.leave()
      metrics.inFlight.set(admission.inFlight)
    }
  }

  const handleAdmitted = async (def: AnyRoute, c: HonoContext, request: { readonly started: number; readonly requestId: string; readonly clientGone: AbortSignal; readonly token: string | undefined }) => {
    const { started, requestId, clientGone, token } = request
    let callerId: string | undefined
    const routeDeadlineMs = def.heavy === true || def.long === true ? longDeadlineMs : deadlineMs
    const work = Effect.gen(function*() {
      const caller = yield* authenticate(token, def)
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
    // Past its deadline the request is answered 503 at once and its work interrupted: the unit
    // rolls back in the background (disconnected), even while it still waits for a connection.
    const program = Effect.disconnect(work).pipe(Effect.timeoutFail({
      duration: Duration.millis(routeDeadlineMs),
      onTimeout: () => new Unavailable({ message: `The request took longer than ${routeDeadlineMs} ms and was abandoned (nothing it did was kept); try again shortly.`, reason: "deadline", retryAfterSeconds: 2 })
    }))
    const exit = await runtime.runPromiseExit(program as Effect.Effect<{ status: number; body: unknown; headers: Record<string, string> }, ApiError, R>, { signal: clientGone })
    let status: number
    let response: Response
    if (Exit.isFailure(exit) && clientGone.aborted && Exit.isInterrupted(exit)) {
      // nobody is left to read an answer; 499 is what the log and metrics say (nginx's "client closed request")
      status = 499
      response = new Response(null, { status: 204 })
    } else if (Exit.isSuccess(exit)) {
      status = exit.value.status
      response = status === 204
        ? new Response(null, { status, headers: { "x-request-id": requestId, ...exit.value.headers } })
        : typeof exit.value.body === "string" && exit.value.headers["content-type"] !== undefined
        // a text route (metrics, the docs page) sends its text as it is
        ? new Response(exit.value.body, { status, headers: { "x-request-id": requestId, ...exit.value.headers } })
        : new Response(JSON.stringify(exit.value.body), { status, headers: { "content-type": "application/json", "x-request-id": requestId, ...exit.value.headers } })
    } else {
      const { defect, problem, unavailable } = problemOfCause(exit.cause, requestId)
      if (defect !== undefined) log.error("request failed with a defect", { requestId, method: def.method, route: def.path, error: String(defect instanceof Error ? defect.stack ?? defect.message : defect) })
      if (unavailable !== undefined) log.info("store unavailable", { requestId, route: def.path, error: unavailable })
      status = problem.status
      const extra: Record<string, string> = typeof problem.retryAfter === "number" ? { "retry-after": String(problem.retryAfter) } : {}
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
  return { app, metrics, inFlight: () => admission.inFlight }
}

const matches = (pattern: string, path: string): boolean => {
  const p = pattern.split("/")
  const s = path.split("/")
  return p.length === s.length && p.every((seg, i) => seg.startsWith(":") ? s[i] !== "" : seg === s[i])
}
