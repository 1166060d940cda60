/** An API on an in-memory PGlite store (or the store given) with the seed team, and helpers to call it. */
import { type DatabaseOptions, StoreAdmin } from "@handoff/db"
import type { Account, Rep, RepId } from "@handoff/domain"
import { Effect, type ManagedRuntime } from "effect"
import { createApiKey } from "../src/auth.ts"
import { handoffApp } from "../src/index.ts"
import { silentLogger } from "../src/log.ts"
import { type ApiServices, makeRuntime, shiftedClock } from "../src/runtime.ts"

export const rep = (id: string, pods: Array<string>, extra: Partial<Rep> = {}): Rep => ({
  id: id as RepId,
  name: id.toUpperCase(),
  role: pods.some((p) => p.startsWith("ae")) ? "ae" : "sdr",
  pods,
  timezone: "UTC",
  workingHours: { "mon-sun": ["00:00", "24:00"] },
  capacity: { maxOpen: 5000, maxPerDay: 5000 },
  weight: 1,
  active: true,
  outOfOffice: [],
  territories: [],
  segments: [],
  bookingUrl: `https://cal.example/${id}`,
  managerId: "mgr-1" as RepId,
  ...extra
})

/** Reps on shift around the clock, so tests do not depend on the hour they run at. */
export const team: ReadonlyArray<Rep> = [
  rep("ae-1", ["ae-direct"]),
  rep("ae-2", ["ae-direct"]),
  rep("ae-9", ["ae-backup"]),
  rep("sdr-us", ["sdr"], { territories: ["US", "CA"] }),
  rep("sdr-de", ["sdr"], { territories: ["DE", "AT", "CH"] }),
  rep("sdr-b", ["sdr-backup"])
]

export interface TestApi {
  readonly runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>
  readonly app: ReturnType<typeof handoffApp>["app"]
  readonly keys: Readonly<Record<"admin" | "ingest" | "sales" | "read", string>>
  readonly call: (method: string, path: string, options?: { body?: unknown; key?: string | null; headers?: Record<string, string>; raw?: string }) => Promise<{ status: number; body: any; headers: Headers }>
  /** The API's clock, in epoch ms (the real time unless started with `clockOffsetMs`). */
  readonly now: () => number
  readonly close: () => Promise<void>
}

/**
 * An API on a fresh in-memory store. `clockOffsetMs` runs it that far from the real time
 * (`api.now()` is its clock): tests whose figures depend on business hours pin it.
 */
export const startTestApi = async (
  accounts: ReadonlyArray<Account> = [],
  options: Parameters<typeof handoffApp>[1] = {},
  clock: { readonly clockOffsetMs?: number; readonly store?: DatabaseOptions } = {}
): Promise<TestApi> => {
  const offset = clock.clockOffsetMs ?? 0
  const runtime = await makeRuntime(clock.store ?? { dataDir: "memory://" }, offset === 0 ? undefined : shiftedClock(offset))
  const keys = await runtime.runPromise(Effect.gen(function*() {
    const admin = yield* StoreAdmin
    for (const r of team) yield* admin.upsertRep(r, new Date())
    for (const a of accounts) yield* admin.upsertAccount(a, new Date())
    const out: Record<string, string> = {}
    for (const role of ["admin", "ingest", "sales", "read"] as const) out[role] = (yield* createApiKey(`${role} test key`, role)).key
    return out as TestApi["keys"]
  }))
  const { app } = handoffApp(runtime, { logger: silentLogger, ...options })
  const call: TestApi["call"] = async (method, path, opts = {}) => {
    const key = opts.key === undefined ? keys.admin : opts.key
    const headers: Record<string, string> = { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...opts.headers }
    let body: string | undefined
    if (opts.raw !== undefined) body = opts.raw
    else if (opts.body !== undefined) body = JSON.stringify(opts.body)
    if (body !== undefined) headers["content-type"] ??= "application/json"
    const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON (metrics): keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers }
  }
  return { runtime, app, keys, call, now: () => Date.now() + offset, close: () => runtime.dispose() }
}

/**
 * How far back the last `weekday` (0 Sunday … 6 Saturday) at `hour`:00 in New York (EST or
 * EDT) is: a clock offset that runs a test in business hours, whatever the real time.
 */
export const lastWeekdayOffset = (weekday: number, hour: number): number => {
  const now = Date.now()
  for (let days = 1; days <= 8; days++) {
    const d = new Date(now - days * 86_400_000)
    if (d.getUTCDay() !== weekday) continue
    // New York is 5 (EST) or 4 (EDT) hours behind UTC: pick the instant that reads `hour` there
    for (const utcHour of [hour + 4, hour + 5]) {
      const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), utcHour)
      if (Number(new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hour: "numeric", hourCycle: "h23" }).format(t)) === hour) return t - now
    }
  }
  throw new Error(`no such weekday in the last week`)
}

/** The last Wednesday 11:00 in New York: mid-week, in business hours. */
export const lastWednesdayOffset = (): number => lastWeekdayOffset(3, 11)
