/**
 * What the system accepts as an instant, and how an instant a sender gives is taken in:
 *
 * - **Storable instants.** A JavaScript `Date` reaches ±275,760 years; PostgreSQL's
 *   `timestamptz` stores 4713 BC … 294276 AD and the ISO 8601 text form most senders mean
 *   has a four-digit year. Every date-time the API accepts is held to years 0001 … 9999
 *   (UTC), so an out-of-range one is refused where it is decoded, with its path, instead of
 *   failing (and rolling back) a write later.
 * - **Clock skew.** `occurredAt` comes from the sender's clock. Up to `clockSkewTolerance`
 *   ahead of ours is skew: the time is kept and the decision at receipt counts the event.
 *   Further ahead is not a time the event can have happened at: it is clamped to the
 *   receipt time (T0 is when we heard of it) and flagged.
 * - **Event identity.** Each event stored once: by the sender's own `id` when given (like
 *   Segment's `messageId`), otherwise by what it says (who, type, time as sent, properties,
 *   channel, campaign), so a retried batch stores nothing twice.
 */
import { Schema } from "effect"
import type { LeadEvent } from "./Lead.ts"

/** The first instant accepted: 0001-01-01T00:00:00Z. */
export const earliestInstant = new Date(Date.parse("0001-01-01T00:00:00.000Z"))
/** The last instant accepted: 9999-12-31T23:59:59.999Z. */
export const latestInstant = new Date(Date.parse("9999-12-31T23:59:59.999Z"))

/** Whether PostgreSQL (and an ISO 8601 four-digit year) can hold this instant. */
export const isStorableInstant = (d: Date): boolean => {
  const t = d.getTime()
  return !Number.isNaN(t) && t >= earliestInstant.getTime() && t <= latestInstant.getTime()
}

/** A `Date` between years 0001 and 9999 (UTC). */
export const StorableDateFromSelf = Schema.DateFromSelf.pipe(
  Schema.filter((d) => isStorableInstant(d) || "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z"),
  Schema.annotations({ identifier: "StorableDate" })
)

/** An ISO 8601 date-time string decoded to a `Date` between years 0001 and 9999 (UTC). */
export const StorableDate = Schema.Date.pipe(
  Schema.filter((d) => isStorableInstant(d) || "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z")
)

/** How far ahead of our clock a sender's `occurredAt` may be and still be believed. */
export const clockSkewTolerance = 5 * 60 * 1000

/** An `occurredAt` as taken in at `receivedAt`. */
export interface ReceivedInstant {
  /** The time to store: the given one, or the receipt time when it was too far ahead. */
  readonly occurredAt: Date
  /** The given time was more than `clockSkewTolerance` ahead and was replaced. */
  readonly clamped: boolean
  /** When the clocks (SLA, speed-to-lead) start: never later than the receipt. */
  readonly t0: Date
}

/** Take in a sender's `occurredAt` (default: the receipt time) received at `receivedAt`. */
export const receiveInstant = (given: Date | undefined, receivedAt: Date): ReceivedInstant => {
  if (given === undefined) return { occurredAt: receivedAt, clamped: false, t0: receivedAt }
  const ahead = given.getTime() - receivedAt.getTime()
  if (ahead > clockSkewTolerance) return { occurredAt: receivedAt, clamped: true, t0: receivedAt }
  return { occurredAt: given, clamped: false, t0: ahead > 0 ? receivedAt : given }
}

/**
 * Events as the decision at `now` sees them: those up to `clockSkewTolerance` ahead count as
 * happening now (a sender's clock a little fast must not hide a hand-raise until it catches
 * up); those further ahead have not happened yet and are left out.
 */
export const eventsAsOf = <E extends LeadEvent>(events: ReadonlyArray<E>, now: Date): ReadonlyArray<E> => {
  const nowMs = now.getTime()
  const out: Array<E> = []
  for (const e of events) {
    const t = e.occurredAt.getTime()
    if (t <= nowMs) out.push(e)
    else if (t - nowMs <= clockSkewTolerance) out.push({ ...e, occurredAt: now })
  }
  return out
}

/** An event with the identity it is stored under (at most one stored event per identity). */
export type KeyedEvent = LeadEvent & { readonly key?: string }

/** Who an event is for: a lead id, or a normalized email. */
export type EventTarget = { readonly leadId: string } | { readonly email: string }

const targetOf = (t: EventTarget): string => "leadId" in t ? `lead:${t.leadId}` : `email:${t.email}`

/** JSON with object keys sorted, so the same properties in another order are the same event. */
const canonical = (v: unknown): string => {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null"
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`
  const o = v as Record<string, unknown>
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`
}

/**
 * The identity an event is stored under. With the sender's `id`: that id, for this lead or
 * email (one sender's ids never collide with another lead's events). Without: the event's
 * content as sent — target, type, `occurredAt` as given (before any clamping, so a retry
 * of a clamped event is the same event), properties, channel and campaign.
 */
export const eventIdentity = (
  target: EventTarget,
  event: { readonly type: string; readonly occurredAt: Date; readonly properties: Readonly<Record<string, unknown>>; readonly channel?: string | undefined; readonly campaign?: string | undefined },
  clientId?: string
): string =>
  clientId !== undefined
    ? canonical(["id", targetOf(target), clientId])
    : canonical(["event", targetOf(target), event.type, event.occurredAt.toISOString(), event.properties, event.channel ?? null, event.campaign ?? null])
