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
 * - Every attempt has a total deadline (`timeoutMs`: connect, headers and body together), so
 *   a receiver that trickles a byte at a time is cut like one that never answers. The
 *   worker's dispatcher (`makeDispatcher`) runs attempts in the background with bounded
 *   concurrency, overall and per subscription: a slow or hanging receiver holds its own
 *   slots, never another subscriber's deliveries. Stopping aborts attempts in flight; they
 *   are put back in line, to be sent again.
 */
import { DeliveryQueries, type ClaimedDelivery } from "@handoff/db"
import { Clock, Effect, Fiber } from "effect"
import { createHmac } from "node:crypto"
import { request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import { isIP } from "node:net"
import { guardedLookup, isPrivateAddress, UrlRefused } from "./ssrf.ts"
import { slackMessage } from "./slack.ts"

export interface DeliveryConfig {
  /** Outbox rows / deliveries claimed per pass. */
  readonly batchSize: number
  /** Total deadline of one attempt: connecting, sending, and reading the answer. */
  readonly timeoutMs: number
  /** Allow webhook URLs that resolve to private or loopback addresses (tests, local dev). */
  readonly allowPrivate: boolean
  /** Give up (dead-letter) after this long since the first attempt; default 24 h. */
  readonly maxAgeMs: number
  /** First retry delay before jitter (default 10 s); doubles per attempt up to `maxDelayMs` (default 1 h). */
  readonly baseDelayMs?: number
  readonly maxDelayMs?: number
  /** The dispatcher's bounds: attempts in flight at once (default 16), and per subscription (default 2). */
  readonly concurrency?: number
  readonly perSubscription?: number
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

/**
 * POST `body` to `url` (no redirects; the connected address is checked unless private
 * addresses are allowed), cut at `timeoutMs` whatever the socket does, or when `signal` aborts.
 */
export const post = (url: string, body: string, headers: Record<string, string>, options: { readonly timeoutMs: number; readonly allowPrivate: boolean; readonly signal?: AbortSignal }): Promise<Attempt> =>
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
    // the deadline covers the whole attempt; a socket timeout alone resets with every byte
    const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs)
    const onAbort = () => req.destroy(new Error("aborted: the worker is stopping (it will be sent again)"))
    const done = (a: Attempt) => {
      if (!settled) {
        settled = true
        clearTimeout(deadline)
        options.signal?.removeEventListener("abort", onAbort)
        resolve(a)
      }
    }
    const req = send(parsed, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "Handoff-Webhooks/1" },
      ...(options.allowPrivate ? {} : { lookup: guardedLookup })
    }, (res) => {
      const status = res.statusCode ?? 0
      if (status >= 200 && status < 300) {
        // the receiver has the message: its answer's body is not waited for (a trickled one would only run into the deadline)
        done({ ok: true, status, error: "" })
        res.destroy()
        return
      }
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        if (text.length < 500) text += chunk
      })
      res.on("end", () => done(status >= 200 && status < 300 ? { ok: true, status, error: "" } : { ok: false, status, error: `HTTP ${status}${status >= 300 && status < 400 ? " (redirects are not followed)" : ""}${text === "" ? "" : `: ${text.slice(0, 200)}`}` }))
      res.on("error", (e) => done({ ok: false, status, error: e.message }))
    })
    req.on("error", (e) => done({ ok: false, status: null, error: e instanceof UrlRefused ? e.message : e.message || String(e) }))
    if (options.signal?.aborted === true) onAbort()
    else options.signal?.addEventListener("abort", onAbort, { once: true })
    req.end(body)
  })

type Outcome = "delivered" | "retry" | "dead"

/** The lease a claim takes: the attempt's deadline and a margin, so a worker that dies mid-call frees it for a retry. */
const leaseMs = (config: DeliveryConfig): number => config.timeoutMs * 2 + 5_000

/** One attempt of a claimed delivery, and its outcome recorded: delivered, retry later (with backoff), or dead-lettered. */
const attempt = (d: ClaimedDelivery, config: DeliveryConfig, signal?: AbortSignal): Effect.Effect<Outcome, never, DeliveryQueries> =>
  Effect.gen(function*() {
    const queries = yield* DeliveryQueries
    const sentAt = new Date(yield* Clock.currentTimeMillis)
    const body = d.format === "slack" ? JSON.stringify(slackMessage(d.topic, d.payload)) : deliveryBody(d)
    const result = yield* Effect.promise(() =>
      post(d.url, body, { "handoff-signature": signature(d.secret, body, sentAt), "handoff-event-id": d.outboxId, "handoff-topic": d.topic }, { ...config, ...(signal === undefined ? {} : { signal }) })
    )
    const at = new Date(yield* Clock.currentTimeMillis)
    if (result.ok) {
      yield* queries.delivered(d.id, at, result.status ?? 200)
      return "delivered" as const
    }
    if (signal?.aborted === true) {
      // not the receiver's fault: back in line at once, no backoff, nothing dead-lettered
      yield* queries.failed(d.id, at, { status: null, error: result.error, retryAt: at })
      return "retry" as const
    }
    const retryAt = new Date(at.getTime() + retryDelay(d.attempts, config.baseDelayMs ?? 10_000, config.maxDelayMs ?? 3_600_000))
    const expired = retryAt.getTime() - d.firstAttemptAt.getTime() > config.maxAgeMs
    yield* queries.failed(d.id, at, { status: result.status, error: result.error, retryAt: expired ? null : retryAt })
    return expired ? "dead" as const : "retry" as const
  })

const summarize = (fannedOut: number, outcomes: ReadonlyArray<Outcome>): DeliverySummary => ({
  fannedOut,
  delivered: outcomes.filter((o) => o === "delivered").length,
  retried: outcomes.filter((o) => o === "retry").length,
  deadLettered: outcomes.filter((o) => o === "dead").length
})

/**
 * One pass that waits for its attempts: fan new outbox rows out to matching subscriptions,
 * then attempt due deliveries (for one-off runs and tests; the worker runs `makeDispatcher`).
 */
export const deliverOnce = (config: DeliveryConfig): Effect.Effect<DeliverySummary, never, DeliveryQueries> =>
  Effect.gen(function*() {
    const queries = yield* DeliveryQueries
    const now = new Date(yield* Clock.currentTimeMillis)
    const fan = yield* queries.fanOut(now, config.batchSize)
    const claimed = yield* queries.claim(now, config.batchSize, leaseMs(config))
    const outcomes = yield* Effect.forEach(claimed, (d) => attempt(d, config), { concurrency: config.concurrency ?? 16 })
    return summarize(fan.deliveries, outcomes)
  })

export interface DeliverySummaryInFlight extends DeliverySummary {
  /** Attempts started by this pass, and still running after it. */
  readonly started: number
  readonly inFlight: number
}

/** The worker's delivery loop: passes that start attempts in the background and return at once. */
export interface Dispatcher {
  /** Fan out, then claim and start as many due deliveries as there are free slots; the outcomes counted are those finished since the last pass. */
  readonly pass: Effect.Effect<DeliverySummaryInFlight, never, DeliveryQueries>
  /** Abort every attempt in flight and wait until each is put back in line. */
  readonly stop: Effect.Effect<void>
}

export const makeDispatcher = (config: DeliveryConfig): Dispatcher => {
  const concurrency = config.concurrency ?? 16
  const perSubscription = config.perSubscription ?? 2
  const running = new Map<string, { readonly subscriptionId: string; readonly abort: AbortController; fiber?: Fiber.RuntimeFiber<Outcome> }>()
  let finished: Array<Outcome> = []

  const pass: Dispatcher["pass"] = Effect.gen(function*() {
    const queries = yield* DeliveryQueries
    const now = new Date(yield* Clock.currentTimeMillis)
    const fan = yield* queries.fanOut(now, config.batchSize)
    const free = Math.min(config.batchSize, concurrency - running.size)
    let started = 0
    if (free > 0) {
      const busy = new Map<string, number>()
      for (const r of running.values()) busy.set(r.subscriptionId, (busy.get(r.subscriptionId) ?? 0) + 1)
      const claimed = yield* queries.claim(now, free, leaseMs(config), { perSubscription, busy })
      for (const d of claimed) {
        const entry: { subscriptionId: string; abort: AbortController; fiber?: Fiber.RuntimeFiber<Outcome> } = { subscriptionId: d.subscriptionId, abort: new AbortController() }
        running.set(d.id, entry)
        // each attempt on a fiber of its own, outside the pass (and interruptible, whatever the pass is)
        entry.fiber = yield* Effect.forkDaemon(Effect.interruptible(attempt(d, config, entry.abort.signal)).pipe(
          Effect.tap((o) => Effect.sync(() => finished.push(o))),
          Effect.ensuring(Effect.sync(() => running.delete(d.id)))
        ))
        started++
      }
    }
    const outcomes = finished
    finished = []
    return { ...summarize(fan.deliveries, outcomes), started, inFlight: running.size }
  })

  const stop: Dispatcher["stop"] = Effect.gen(function*() {
    const entries = [...running.values()]
    for (const e of entries) e.abort.abort()
    // each aborted attempt records itself as due again, then ends
    yield* Effect.forEach(entries, (e) => (e.fiber === undefined ? Effect.void : Fiber.await(e.fiber)), { discard: true })
  })

  return { pass, stop }
}
