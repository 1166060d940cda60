/**
 * Which failures mean "the store is not there right now" rather than "this request is wrong":
 * a refused or dropped connection, a pool that cannot hand out a connection in time, a
 * statement cut by `statement_timeout` or the client-side read timeout, a server shutting
 * down or starting up, an embedded store too busy to take the request in time. The API
 * answers them 503 with `Retry-After` (the same request later will work) and the worker
 * backs off; anything else stays a defect.
 */

/** The embedded store's session was not free within the acquire timeout (every unit queues for it). */
export class StoreBusy extends Error {
  readonly _tag = "StoreBusy"
  constructor(readonly waitedMs: number) {
    super(`the embedded store was busy for ${waitedMs} ms`)
  }
}

const networkCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"])

/**
 * SQLSTATEs of a server that cannot serve now: class 08 (connection exception), 53300 too
 * many connections, 57014 statement cancelled (our `statement_timeout`), 57P01–57P05
 * shutting down / crashed / starting / idle timeouts, 55P03 lock wait timed out, and the
 * transient 40P01 (deadlock) and 40001 (serialization failure).
 */
const unavailableState = (code: string): boolean =>
  code.startsWith("08") || code === "53300" || code === "57014" || /^57P0[1-5]$/.test(code) || code === "55P03" ||
  // a deadlock or serialization failure rolled the unit back whole: the same request again will go through
  code === "40P01" || code === "40001"

const messages = [
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /Query read timeout/i,
  /Client has encountered a connection error and is not queryable/i,
  /Cannot use a pool after calling end on the pool/i,
  /the database system is (starting up|shutting down|in recovery mode)/i
]

/** A short reason when `e` (or what caused it) is the store being unreachable, busy or gone; otherwise undefined. */
export const storeUnavailableReason = (e: unknown, depth = 0): string | undefined => {
  if (depth > 4 || typeof e !== "object" || e === null) return undefined
  if (e instanceof StoreBusy) return e.message
  const { code, message, cause, errors } = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }
  if (typeof code === "string" && (networkCodes.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableState(code)))) {
    return typeof message === "string" && message !== "" ? message : code
  }
  if (typeof message === "string" && messages.some((m) => m.test(message))) return message
  // AggregateError (a connect to every resolved address refused) and wrapped causes
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const r = storeUnavailableReason(inner, depth + 1)
      if (r !== undefined) return r
    }
  }
  return cause === undefined ? undefined : storeUnavailableReason(cause, depth + 1)
}
