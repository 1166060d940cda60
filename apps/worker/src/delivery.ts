/**
 * Outbox delivery: every message the use cases wrote to the outbox reaches each webhook
 * subscription whose topics match it — signed, retried with exponential backoff and full
 * jitter for up to `maxAgeMs` (24 h), then dead-lettered where the API shows it.
 *
 * - JSON subscriptions get `{ id, topic, occurredAt, data }` with the headers
 *   `Handoff-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
 *   `Handoff-Event-Id` (the outbox message id: the same on every retry, so a receiver that
 *   remembers it applies each message once) and `Handoff-Topic`.
 * - Slack subscriptions get an incoming-webhook message in Block Kit carrying the handoff
 *   context (seed 002: who, score and why, what they read, form answers, deadlines, how to
 *   open the call).
 * - URLs resolving to private, loopback or link-local addresses are refused unless
 *   `allowPrivate`; the check is made on the address actually connected to (no DNS
 *   rebinding), and redirects are not followed.
 */
import { DeliveryQueries, type ClaimedDelivery } from "@handoff/db"
import { Clock, Effect } from "effect"
import { createHmac } from "node:crypto"
import { request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import { isIP } from "node:net"
import { guardedLookup, isPrivateAddress, UrlRefused } from "./ssrf.ts"
import { slackMessage } from "./slack.ts"

export interface DeliveryConfig {
  /** Outbox rows / deliveries claimed per pass. */
  readonly batchSize: number
  /** Per-request timeout. */
  readonly timeoutMs: number
  /** Allow webhook URLs that resolve to private or loopback addresses (tests, local dev). */
  readonly allowPrivate: boolean
  /** Give up (dead-letter) after this long since the first attempt; default 24 h. */
  readonly maxAgeMs: number
  /** First retry delay before jitter (default 10 s); doubles per attempt up to `maxDelayMs` (default 1 h). */
  readonly baseDelayMs?: number
  readonly maxDelayMs?: number
}

export interface DeliverySummary {
  readonly fannedOut: number
  readonly delivered: number
  readonly retried: number
  readonly deadLettered: number
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<body>")>`: what receivers verify. */
export const signature = (secret: string, body: string, at: Date): string => {
  const t = Math.floor(at.getTime() / 1000)
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`
}

/** The delay before attempt `attempts + 1`: full jitter over an exponential ceiling. */
export const retryDelay = (attempts: number, base: number, cap: number, random: () => number = Math.random): number =>
  Math.floor(random() * Math.min(cap, base * 2 ** Math.max(0, attempts - 1)))

/** The JSON body of a delivery (also what the signature covers). */
export const deliveryBody = (d: Pick<ClaimedDelivery, "outboxId" | "topic" | "at" | "payload">): string =>
  JSON.stringify({ id: d.outboxId, topic: d.topic, occurredAt: d.at.toISOString(), data: d.payload })

interface Attempt {
  readonly ok: boolean
  readonly status: number | null
  readonly error: string
}

/** POST `body` to `url` (no redirects; the connected address is checked unless private addresses are allowed). */
export const post = (url: string, body: string, headers: Record<string, string>, options: { readonly timeoutMs: number; readonly allowPrivate: boolean }): Promise<Attempt> =>
  new Promise((resolve) => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return resolve({ ok: false, status: null, error: "invalid URL" })
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return resolve({ ok: false, status: null, error: `unsupported scheme ${parsed.protocol}` })
    // an address literal is connected to without a lookup: check it here
    const literal = parsed.hostname.replace(/^\[|\]$/g, "")
    if (!options.allowPrivate && isIP(literal) !== 0 && isPrivateAddress(literal)) {
      return resolve({ ok: false, status: null, error: `${literal} is a private or loopback address: refused (HANDOFF_WEBHOOK_ALLOW_PRIVATE=true allows it)` })
    }
    const send = parsed.protocol === "https:" ? httpsRequest : httpRequest
    let settled = false
    const done = (a: Attempt) => {
      if (!settled) {
        settled = true
        resolve(a)
      }
    }
    const req = send(parsed, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "Handoff-Webhooks/1" },
      timeout: options.timeoutMs,
      ...(options.allowPrivate ? {} : { lookup: guardedLookup })
    }, (res) => {
      const status = res.statusCode ?? 0
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        if (text.length < 500) text += chunk
      })
      res.on("end", () => done(status >= 200 && status < 300 ? { ok: true, status, error: "" } : { ok: false, status, error: `HTTP ${status}${status >= 300 && status < 400 ? " (redirects are not followed)" : ""}${text === "" ? "" : `: ${text.slice(0, 200)}`}` }))
      res.on("error", (e) => done({ ok: false, status, error: e.message }))
    })
    req.on("timeout", () => {
      req.destroy(new Error(`timed out after ${options.timeoutMs} ms`))
    })
    req.on("error", (e) => done({ ok: false, status: null, error: e instanceof UrlRefused ? e.message : e.message || String(e) }))
    req.end(body)
  })

/** One pass: fan new outbox rows out to matching subscriptions, then attempt due deliveries. */
export const deliverOnce = (config: DeliveryConfig): Effect.Effect<DeliverySummary, never, DeliveryQueries> =>
  Effect.gen(function*() {
    const queries = yield* DeliveryQueries
    const now = new Date(yield* Clock.currentTimeMillis)
    const fan = yield* queries.fanOut(now, config.batchSize)
    // the lease covers the call and its timeout: a worker that dies mid-call frees it for a retry
    const claimed = yield* queries.claim(now, config.batchSize, config.timeoutMs * 2 + 5_000)
    const base = config.baseDelayMs ?? 10_000
    const cap = config.maxDelayMs ?? 3_600_000
    const outcomes = yield* Effect.forEach(claimed, (d) =>
      Effect.gen(function*() {
        const sentAt = new Date(yield* Clock.currentTimeMillis)
        const body = d.format === "slack" ? JSON.stringify(slackMessage(d.topic, d.payload)) : deliveryBody(d)
        const attempt = yield* Effect.promise(() =>
          post(d.url, body, { "handoff-signature": signature(d.secret, body, sentAt), "handoff-event-id": d.outboxId, "handoff-topic": d.topic }, config)
        )
        const at = new Date(yield* Clock.currentTimeMillis)
        if (attempt.ok) {
          yield* queries.delivered(d.id, at, attempt.status ?? 200)
          return "delivered" as const
        }
        const retryAt = new Date(at.getTime() + retryDelay(d.attempts, base, cap))
        const expired = retryAt.getTime() - d.firstAttemptAt.getTime() > config.maxAgeMs
        yield* queries.failed(d.id, at, { status: attempt.status, error: attempt.error, retryAt: expired ? null : retryAt })
        return expired ? "dead" as const : "retry" as const
      }), { concurrency: 8 })
    return {
      fannedOut: fan.deliveries,
      delivered: outcomes.filter((o) => o === "delivered").length,
      retried: outcomes.filter((o) => o === "retry").length,
      deadLettered: outcomes.filter((o) => o === "dead").length
    }
  })
