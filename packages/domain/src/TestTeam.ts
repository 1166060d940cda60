/**
 * The team the domain's tests route to: two AEs in `ae-direct`, a backup AE, SDRs by
 * territory and a backup SDR, on New York hours — and a Tuesday 10:00 there to run at.
 */
import type { Rep, RepId } from "./Lead.ts"

/** 10:00 on a Tuesday in New York: everyone on shift. */
export const tuesday10am = new Date("2026-01-06T15:00:00Z")

export const testRep = (id: string, pods: Array<string>, extra: Partial<Rep> = {}): Rep => ({
  id: id as RepId,
  name: id.toUpperCase(),
  role: pods.some((p) => p.startsWith("ae")) ? "ae" : "sdr",
  pods,
  timezone: "America/New_York",
  workingHours: { "mon-fri": ["09:00", "18:00"] },
  capacity: { maxOpen: 50, maxPerDay: 20 },
  weight: 1,
  active: true,
  outOfOffice: [],
  territories: [],
  segments: [],
  bookingUrl: `https://cal.example/${id}`,
  managerId: "mgr-1" as RepId,
  ...extra
})

export const testTeam: ReadonlyArray<Rep> = [
  testRep("ae-1", ["ae-direct"]),
  testRep("ae-2", ["ae-direct"]),
  testRep("ae-9", ["ae-backup"]),
  testRep("sdr-us", ["sdr"], { territories: ["US", "CA"] }),
  testRep("sdr-de", ["sdr"], { territories: ["DE", "AT", "CH"] }),
  testRep("sdr-b", ["sdr-backup"])
]
