/**
 * Errors become HTTP here, and only here: RFC 9457 `application/problem+json` with `type`,
 * `title`, `status`, `detail` and, for validation, `errors: [{ path, message }]`.
 *
 * Every failure the API can meet is listed; an unexpected defect is logged with the
 * request id and answered as a 500 that says nothing about the internals — and the tests'
 * fuzzing makes sure none of them happens.
 */
import { storeUnavailableReason } from "@handoff/db"
import { AgreementInvalid, IllegalTransition, LeadNotFound, RepNotFound } from "@handoff/domain"
import { Cause, Data, Option } from "effect"

export interface FieldError {
  readonly path: string
  readonly message: string
  readonly line?: number
  readonly column?: number
}

export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly errors?: ReadonlyArray<FieldError>
  readonly [extra: string]: unknown
}

/** The request did not decode: wrong fields, types or values (422), or not JSON at all (400). */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly status: 400 | 422
  readonly message: string
  readonly errors: ReadonlyArray<FieldError>
}> {}

export class Unauthorized extends Data.TaggedError("Unauthorized")<{ readonly message: string }> {}
export class Forbidden extends Data.TaggedError("Forbidden")<{
  readonly message: string
  readonly role: string
  readonly allowed: ReadonlyArray<string>
  /** The field that made the request forbidden (a bound key naming another rep: `repId`). */
  readonly errors?: ReadonlyArray<FieldError>
}> {}
export class NotFound extends Data.TaggedError("NotFound")<{ readonly message: string }> {}
export class Conflict extends Data.TaggedError("Conflict")<{ readonly message: string; readonly reason: string }> {}
export class PayloadTooLarge extends Data.TaggedError("PayloadTooLarge")<{ readonly message: string; readonly limit: number }> {}
/** The body is in a media type this operation does not read (it reads JSON, and YAML where documented). */
export class UnsupportedMediaType extends Data.TaggedError("UnsupportedMediaType")<{ readonly message: string; readonly accepted: ReadonlyArray<string> }> {}
export class RateLimited extends Data.TaggedError("RateLimited")<{ readonly message: string; readonly retryAfterSeconds: number }> {}
/** The service cannot take this request now (busy, the store unreachable, past the request's deadline): try again later. */
export class Unavailable extends Data.TaggedError("Unavailable")<{ readonly message: string; readonly retryAfterSeconds: number; readonly reason: string }> {}

export type ApiError =
  | InvalidInput | Unauthorized | Forbidden | NotFound | Conflict | PayloadTooLarge | UnsupportedMediaType | RateLimited | Unavailable
  | LeadNotFound | RepNotFound | IllegalTransition | AgreementInvalid

const base = "https://handoff.dev/problems/"

/** The problem document for a typed failure. */
export const problemOf = (e: ApiError): Problem => {
  switch (e._tag) {
    case "InvalidInput":
      return {
        type: base + (e.status === 400 ? "malformed-request" : "validation"),
        title: e.status === 400 ? "Malformed request" : "Invalid request",
        status: e.status,
        detail: e.message,
        errors: e.errors
      }
    case "AgreementInvalid":
      return { type: base + "invalid-agreement", title: "Invalid agreement", status: 422, detail: e.message, errors: e.errors.map((f) => ({ path: f.path, message: f.message, ...(f.line === undefined ? {} : { line: f.line, column: f.column ?? 1 }) })) }
    case "Unauthorized":
      return { type: base + "unauthorized", title: "Unauthorized", status: 401, detail: e.message }
    case "Forbidden":
      return { type: base + "forbidden", title: "Forbidden", status: 403, detail: e.message, role: e.role, allowed: e.allowed, ...(e.errors === undefined ? {} : { errors: e.errors }) }
    case "NotFound":
      return { type: base + "not-found", title: "Not found", status: 404, detail: e.message }
    case "LeadNotFound":
      return { type: base + "not-found", title: "Lead not found", status: 404, detail: e.message }
    case "RepNotFound":
      return { type: base + "not-found", title: "Rep not found", status: 404, detail: e.message }
    case "IllegalTransition":
      return { type: base + "illegal-transition", title: "Not allowed in this stage", status: 409, detail: e.message, stage: e.from, reason: e.reason }
    case "Conflict":
      return { type: base + "conflict", title: "Conflict", status: 409, detail: e.message, reason: e.reason }
    case "PayloadTooLarge":
      return { type: base + "payload-too-large", title: "Payload too large", status: 413, detail: e.message, limit: e.limit }
    case "UnsupportedMediaType":
      return { type: base + "unsupported-media-type", title: "Unsupported media type", status: 415, detail: e.message, accepted: e.accepted }
    case "RateLimited":
      return { type: base + "rate-limited", title: "Too many requests", status: 429, detail: e.message, retryAfter: e.retryAfterSeconds }
    case "Unavailable":
      return {
        type: base + (e.reason === "deadline" ? "deadline-exceeded" : "unavailable"),
        title: e.reason === "deadline" ? "Took too long" : "Service unavailable",
        status: 503,
        detail: e.message,
        reason: e.reason,
        retryAfter: e.retryAfterSeconds
      }
  }
}

export const internalProblem = (requestId: string): Problem => ({
  type: base + "internal",
  title: "Internal error",
  status: 500,
  detail: `Something went wrong on our side. Quote request id ${requestId} when reporting it.`
})

/** How long a client should wait before retrying when the store is unreachable. */
export const storeRetryAfterSeconds = 5

/**
 * The problem for a failed effect's cause: its typed failure; a 503 when the defect is the
 * store being unreachable, busy or gone (the same request later will work); else a 500.
 */
export const problemOfCause = (cause: Cause.Cause<unknown>, requestId: string): { readonly problem: Problem; readonly defect?: unknown; readonly unavailable?: string } => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && isApiError(failure.value)) return { problem: problemOf(failure.value) }
  const defect = Cause.squash(cause)
  const unavailable = storeUnavailableReason(defect)
  if (unavailable !== undefined) {
    return {
      problem: problemOf(new Unavailable({ message: "The store is not answering right now; try again shortly.", reason: "store_unavailable", retryAfterSeconds: storeRetryAfterSeconds })),
      unavailable
    }
  }
  return { problem: internalProblem(requestId), defect }
}

// a record over the union's tags, so that a new ApiError that is not listed here fails to compile
const tags: Readonly<Record<ApiError["_tag"], true>> = {
  InvalidInput: true, Unauthorized: true, Forbidden: true, NotFound: true, Conflict: true, PayloadTooLarge: true,
  UnsupportedMediaType: true, RateLimited: true, Unavailable: true, LeadNotFound: true, RepNotFound: true,
  IllegalTransition: true, AgreementInvalid: true
}
export const isApiError = (u: unknown): u is ApiError =>
  typeof u === "object" && u !== null && "_tag" in u && Object.hasOwn(tags, (u as { _tag: string })._tag)

/** The headers of a problem response. Spread them into a new object: never hand this one to a Response. */
export const problemHeaders = { "content-type": "application/problem+json" } as const
