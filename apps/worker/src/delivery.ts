/**
 * Outbox delivery (placeholder signature; the delivery engineer replaces the body).
 */
import { Effect } from "effect"

export interface DeliveryConfig {
  /** Outbox rows / deliveries claimed per pass. */
  readonly batchSize: number
  /** Per-request timeout. */
  readonly timeoutMs: number
  /** Allow webhook URLs that resolve to private or loopback addresses (tests, local dev). */
  readonly allowPrivate: boolean
  /** Give up (dead-letter) after this long since the first attempt; default 24 h. */
  readonly maxAgeMs: number
}

export interface DeliverySummary {
  readonly fannedOut: number
  readonly delivered: number
  readonly retried: number
  readonly deadLettered: number
}

/** One pass: fan new outbox rows out to matching subscriptions, then attempt due deliveries. */
export const deliverOnce = (_config: DeliveryConfig): Effect.Effect<DeliverySummary> =>
  Effect.succeed({ fannedOut: 0, delivered: 0, retried: 0, deadLettered: 0 })
