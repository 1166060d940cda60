/**
 * ISO 8601 durations as the agreement writes them (`PT2M`, `PT24H`, `P30D`, `P1W`).
 *
 * The agreement keeps durations as the strings people wrote, so a stored version reads
 * exactly as it was signed; these helpers turn them into milliseconds where a decision
 * needs arithmetic. Calendar units are fixed-length on purpose: `P1D` is 24 hours,
 * `P1W` 7 days, `P1M` 30 days and `P1Y` 365 days. Business time (working hours,
 * holidays) is a separate question answered by `BusinessTime`.
 */
import { Schema } from "effect"

const pattern =
  /^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?!$)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const unitMillis = [365 * DAY, 30 * DAY, 7 * DAY, DAY, HOUR, MINUTE, SECOND] as const

const cache = new Map<string, number>()

/** Milliseconds of an ISO 8601 duration, or `undefined` when the text is not one. */
export const parseIsoDuration = (text: string): number | undefined => {
  const hit = cache.get(text)
  if (hit !== undefined) return hit
  const m = pattern.exec(text)
  if (m === null) return undefined
  let ms = 0
  for (let i = 0; i < unitMillis.length; i++) {
    const part = m[i + 1]
    if (part !== undefined) ms += Number(part) * unitMillis[i]!
  }
  ms = Math.round(ms)
  cache.set(text, ms)
  return ms
}

/** A duration written in ISO 8601 (`PT5M`, `P30D`); kept as text, validated on decode. */
export const IsoDuration = Schema.String.pipe(
  Schema.filter((s) => parseIsoDuration(s) !== undefined || `"${s}" is not an ISO 8601 duration (e.g. PT5M, PT24H, P30D)`),
  Schema.brand("IsoDuration"),
  Schema.annotations({
    identifier: "IsoDuration",
    description: "An ISO 8601 duration such as PT2M, PT24H or P30D",
    jsonSchema: { type: "string", pattern: pattern.source }
  })
)
export type IsoDuration = typeof IsoDuration.Type

/** Milliseconds of a duration that was already validated by the schema. */
export const durationMillis = (d: IsoDuration | string): number => {
  const ms = parseIsoDuration(d)
  if (ms === undefined) throw new Error(`invalid ISO 8601 duration: ${d}`)
  return ms
}

/** Build an `IsoDuration` in code (tests, defaults) without going through decode. */
export const isoDuration = (text: string): IsoDuration => Schema.decodeSync(IsoDuration)(text)

/** A short human form for explanations: `2 min`, `24 h`, `30 days`. */
export const formatMillis = (ms: number): string => {
  const abs = Math.abs(ms)
  if (abs >= DAY && abs % DAY === 0) return `${ms / DAY} day${abs === DAY ? "" : "s"}`
  if (abs >= HOUR && abs % HOUR === 0) return `${ms / HOUR} h`
  if (abs >= MINUTE && abs % MINUTE === 0) return `${ms / MINUTE} min`
  if (abs >= DAY) return `${(ms / DAY).toFixed(1)} days`
  if (abs >= HOUR) return `${(ms / HOUR).toFixed(1)} h`
  if (abs >= MINUTE) return `${(ms / MINUTE).toFixed(1)} min`
  return `${(ms / SECOND).toFixed(1)} s`
}
