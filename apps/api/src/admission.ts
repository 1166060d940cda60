/**
 * Admission control: whether a request may start, decided before its key is looked up or its
 * body read, so a flood costs the service a counter and a hash per request, not a database
 * round trip and a parsed body.
 *
 * - A token bucket per caller (the hash of the bearer token; callers without one share a
 *   bucket): `perSecond` sustained, `burst` at once. Past it: 429.
 * - A bound on the requests one caller has in flight: past it 429 — one client's burst of
 *   slow requests (1,000-event batches, say) cannot queue up work for minutes.
 * - A bound on the requests in flight overall: past it 503 — the service is busy, whoever
 *   asks.
 * - Tighter bounds for heavy requests (a 1,000-event batch, a report over a quarter, a
 *   replay): each is worth hundreds of light ones, so a caller gets few of them at once and
 *   the service few overall — the light requests around them stay fast.
 * Both answers carry `Retry-After`.
 */
import { RateLimiter } from "./rateLimit.ts"

/** Routes that answer without the store or a key: never turned away, so probes see the truth (and the document says so). */
export const unadmittedPaths: ReadonlySet<string> = new Set(["/healthz", "/metrics"])

export interface AdmissionLimits {
  /** Requests per second per caller, and the burst allowed at once. */
  readonly perSecond: number
  readonly burst: number
  /** Requests one caller may have in flight. */
  readonly inFlightPerCaller: number
  /** Requests in flight overall. */
  readonly inFlight: number
  /** Heavy requests one caller, and everyone together, may have in flight. */
  readonly heavyPerCaller: number
  readonly heavy: number
}

export const defaultAdmissionLimits: AdmissionLimits = { perSecond: 100, burst: 200, inFlightPerCaller: 16, inFlight: 128, heavyPerCaller: 2, heavy: 4 }

export type Admitted =
  | { readonly _tag: "Admitted"; readonly leave: () => void }
  | { readonly _tag: "RateLimited"; readonly retryAfterSeconds: number; readonly message: string }
  | { readonly _tag: "Busy"; readonly retryAfterSeconds: number; readonly message: string }

export class Admission {
  private readonly limiter: RateLimiter
  private readonly perCaller = new Map<string, number>()
  private readonly heavyPerCaller = new Map<string, number>()
  private total = 0
  private heavyTotal = 0

  constructor(readonly limits: AdmissionLimits) {
    this.limiter = new RateLimiter(limits.perSecond, limits.burst)
  }

  /** Requests running now (for metrics and tests). */
  get inFlight(): number {
    return this.total
  }

  /** Let `caller`'s request in, or say why not; an admitted request must `leave()` exactly once. */
  enter(caller: string, now: number, heavy = false): Admitted {
    if (this.total >= this.limits.inFlight || (heavy && this.heavyTotal >= this.limits.heavy)) {
      const what = heavy && this.heavyTotal >= this.limits.heavy ? `${this.limits.heavy} heavy requests (batches, reports, replays)` : `${this.limits.inFlight} requests`
      return { _tag: "Busy", retryAfterSeconds: 1, message: `The service is at its limit of ${what} in flight; try again shortly.` }
    }
    const mine = this.perCaller.get(caller) ?? 0
    if (mine >= this.limits.inFlightPerCaller) {
      return { _tag: "RateLimited", retryAfterSeconds: 1, message: `This key already has ${mine} requests in flight (the limit); wait for them, then try again.` }
    }
    const mineHeavy = this.heavyPerCaller.get(caller) ?? 0
    if (heavy && mineHeavy >= this.limits.heavyPerCaller) {
      return { _tag: "RateLimited", retryAfterSeconds: 1, message: `This key already has ${mineHeavy} heavy requests (batches, reports, replays) in flight (the limit); wait for them, then try again.` }
    }
    const wait = this.limiter.take(caller, now)
    if (wait > 0) {
      return { _tag: "RateLimited", retryAfterSeconds: Math.ceil(wait / 1000), message: `Rate limit of ${this.limits.perSecond} requests per second for this key exceeded.` }
    }
    this.total++
    this.perCaller.set(caller, mine + 1)
    if (heavy) {
      this.heavyTotal++
      this.heavyPerCaller.set(caller, mineHeavy + 1)
    }
    let left = false
    return {
      _tag: "Admitted",
      leave: () => {
        if (left) return
        left = true
        this.total--
        decrement(this.perCaller, caller)
        if (heavy) {
          this.heavyTotal--
          decrement(this.heavyPerCaller, caller)
        }
      }
    }
  }
}

const decrement = (counts: Map<string, number>, caller: string): void => {
  const n = (counts.get(caller) ?? 1) - 1
  if (n <= 0) counts.delete(caller)
  else counts.set(caller, n)
}
