/** Shared fixtures of the persistence suites: a team of reps, seeding, the services on a store. */
import { type Account, HandoffLive, type Rep, type RepId } from "@handoff/domain"
import { Effect, Layer } from "effect"
import { Db } from "../src/Database.ts"
import { StoreAdmin, storeLayer } from "../src/Store.ts"
import type { TestStore } from "./engines.ts"

/** A Tuesday, 10:00 in New York: everybody on shift. */
export const tuesday10am = new Date("2026-01-06T15:00:00Z")
export const api = { kind: "api_key", id: "key_test" } as const

export const rep = (id: string, pods: Array<string>, extra: Partial<Rep> = {}): Rep => ({
  id: id as RepId,
  name: id.toUpperCase(),
  role: pods.some((p) => p.startsWith("ae")) ? "ae" : "sdr",
  pods,
  timezone: "America/New_York",
  workingHours: { "mon-fri": ["09:00", "18:00"] },
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

export const team: ReadonlyArray<Rep> = [
  rep("ae-1", ["ae-direct"]),
  rep("ae-2", ["ae-direct"]),
  rep("ae-9", ["ae-backup"]),
  rep("sdr-us", ["sdr"], { territories: ["US", "CA"] }),
  rep("sdr-de", ["sdr"], { territories: ["DE", "AT", "CH"] }),
  rep("sdr-b", ["sdr-backup"])
]

/** The domain services on an open store. */
export const handoffOn = (db: TestStore) => HandoffLive.pipe(Layer.provideMerge(storeLayer), Layer.provideMerge(Db.fromOpen(db)))

/** The default agreement, the team, and any accounts. */
export const seed = (accounts: ReadonlyArray<Account> = []) =>
  Effect.gen(function*() {
    const admin = yield* StoreAdmin
    yield* admin.ensureAgreement(tuesday10am)
    for (const r of team) yield* admin.upsertRep(r, tuesday10am)
    for (const a of accounts) yield* admin.upsertAccount(a, tuesday10am)
  })

/** A VP at an 800-person software company asking for a demo with $90K estimated ACV. */
export const hot = (email: string) => ({
  profile: { email, firstName: "Dana", title: "VP Sales", company: "BigCo", employees: 800, industry: "software", estimatedAcv: 90000, country: "US" },
  intent: "demo_request"
})
