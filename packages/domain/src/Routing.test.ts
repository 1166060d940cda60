import { describe, expect, it } from "@effect/vitest"
import { FastCheck, Schema } from "effect"
import { Agreement, type Tier } from "./Agreement.ts"
import { defaultAgreement } from "./DefaultAgreement.ts"
import { type Account, LeadProfile, Rep, type RepId, type RepLoad } from "./Lead.ts"
import { LedgerEntry, route, summarizeLedger, type RouteDecision, type RoutingInput } from "./Routing.ts"

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

type RepInput = Partial<Omit<typeof Rep.Type, "id">>

const makeRep = (id: string, over: RepInput = {}): Rep =>
  Schema.decodeUnknownSync(Schema.typeSchema(Rep))({
    id,
    name: id,
    role: "ae",
    pods: ["ae"],
    timezone: "UTC",
    workingHours: { "mon-sun": ["00:00", "24:00"] },
    capacity: {},
    weight: 1,
    active: true,
    outOfOffice: [],
    territories: [],
    segments: [],
    ...over
  })

const agreementOf = (routing: unknown, onShiftOnly = false): Agreement =>
  Schema.decodeUnknownSync(Agreement)({
    name: "Routing test",
    scoring: { fit: [], intent: [] },
    handRaise: [],
    tiers: [
      { name: "hot", when: { handRaise: true }, route: { pod: "ae", onShiftOnly } },
      { name: "nurture" }
    ],
    routing,
    calendar: { timezone: "UTC", workingHours: { "mon-fri": ["09:00", "17:00"] } }
  })

const hot = (a: Agreement): Tier => a.tiers[0]
const profileOf = (over: Record<string, unknown> = {}): LeadProfile =>
  Schema.decodeUnknownSync(LeadProfile)({ email: "jane@acme.com", ...over })

const account = (over: Partial<Account> = {}): Account => ({ domain: "acme.com", named: false, activeOutbound: false, ...over })

// Tuesday 2026-01-06 15:00 UTC
const NOW = new Date("2026-01-06T15:00:00Z")

const baseInput = (agreement: Agreement, reps: ReadonlyArray<Rep>, over: Partial<RoutingInput> = {}): RoutingInput => ({
  leadId: "lead-1",
  profile: profileOf(),
  tier: hot(agreement),
  reps,
  loads: new Map(),
  ledger: [],
  now: NOW,
  ...over
})

type Assigned = Extract<RouteDecision, { _tag: "Assigned" }>
type Queued = Extract<RouteDecision, { _tag: "Queued" }>

const assigned = (d: RouteDecision): Assigned => {
  if (d._tag !== "Assigned") throw new Error(`expected Assigned, got ${d._tag}: ${JSON.stringify(d)}`)
  return d
}
const queued = (d: RouteDecision): Queued => {
  if (d._tag !== "Queued") throw new Error(`expected Queued, got ${d._tag}: ${JSON.stringify(d)}`)
  return d
}

/** Route `n` leads one after the other, appending each decision's ledger entries like the store would. */
const simulate = (
  agreement: Agreement,
  input: Omit<RoutingInput, "leadId" | "ledger">,
  n: number,
  ledger: Array<LedgerEntry> = [],
  onEach?: (d: RouteDecision, counts: Map<string, number>) => void
): { readonly counts: Map<string, number>; readonly ledger: Array<LedgerEntry>; readonly order: Array<string> } => {
  const counts = new Map<string, number>()
  const order: Array<string> = []
  for (let i = 0; i < n; i++) {
    const d = route(agreement, { ...input, leadId: `lead-${ledger.length}-${i}`, ledger })
    if (d._tag !== "NotRouted") ledger.push(...d.ledger)
    if (d._tag === "Assigned") {
      counts.set(d.repId, (counts.get(d.repId) ?? 0) + 1)
      order.push(d.repId)
    }
    onEach?.(d, counts)
  }
  return { counts, ledger, order }
}

const spread = (counts: Map<string, number>, ids: ReadonlyArray<string>): number => {
  const xs = ids.map((id) => counts.get(id) ?? 0)
  return Math.max(...xs) - Math.min(...xs)
}

const ids = (n: number): Array<string> => Array.from({ length: n }, (_, i) => `rep-${String.fromCharCode(97 + i)}`)

// --- an independent "is this rep available now" oracle --------------------------------

const shiftFormatters = new Map<string, Intl.DateTimeFormat>()
const localWeekdayMinute = (timezone: string, at: Date): { weekday: string; minute: number } => {
  let f = shiftFormatters.get(timezone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: timezone, weekday: "short", hour: "numeric", minute: "numeric", hourCycle: "h23" })
    shiftFormatters.set(timezone, f)
  }
  const parts = f.formatToParts(at)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ""
  return { weekday: get("weekday"), minute: Number(get("hour")) * 60 + Number(get("minute")) }
}

/** Reps in the oracle tests work mon-fri [start, end) whole hours. */
const oracleOnShift = (rep: Rep, at: Date): boolean => {
  const hours = rep.workingHours["mon-fri"]
  if (hours === undefined) return false
  const { minute, weekday } = localWeekdayMinute(rep.timezone, at)
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5))
  return ["Mon", "Tue", "Wed", "Thu", "Fri"].includes(weekday) && minute >= toMin(hours[0]) && minute < toMin(hours[1])
}

const oracleEligible = (rep: Rep, load: RepLoad | undefined, now: Date, onShiftOnly: boolean, exclude: ReadonlyArray<string>): boolean =>
  rep.active &&
  !exclude.includes(rep.id) &&
  !rep.outOfOffice.some((o) => o.from <= now && now < o.to) &&
  (rep.capacity.maxOpen === undefined || (load?.open ?? 0) < rep.capacity.maxOpen) &&
  (rep.capacity.maxPerDay === undefined || (load?.today ?? 0) < rep.capacity.maxPerDay) &&
  (!onShiftOnly || oracleOnShift(rep, now))

// --- arbitraries -------------------------------------------------------------------------

const zones = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "America/Los_Angeles"] as const
const HOUR = 3_600_000
const nowArb = FastCheck.integer({ min: 0, max: 60 * 24 * 14 }).map((m) => new Date(Date.UTC(2026, 0, 5) + m * 60_000))

/** A random rep and their load around `now` (some OOO, full, inactive, off shift). */
const repSpecArb = FastCheck.record({
  active: FastCheck.boolean(),
  zone: FastCheck.constantFrom(...zones),
  start: FastCheck.integer({ min: 0, max: 23 }),
  length: FastCheck.integer({ min: 1, max: 24 }),
  // OOO interval relative to now, in hours
  ooo: FastCheck.option(FastCheck.tuple(FastCheck.integer({ min: -72, max: 72 }), FastCheck.integer({ min: 1, max: 96 })), { nil: undefined }),
  maxOpen: FastCheck.option(FastCheck.integer({ min: 0, max: 5 }), { nil: undefined }),
  maxPerDay: FastCheck.option(FastCheck.integer({ min: 0, max: 5 }), { nil: undefined }),
  open: FastCheck.integer({ min: 0, max: 6 }),
  today: FastCheck.integer({ min: 0, max: 6 }),
  pods: FastCheck.subarray(["ae", "ae-backup"]),
  weight: FastCheck.integer({ min: 1, max: 3 })
})
type RepSpec = typeof repSpecArb extends FastCheck.Arbitrary<infer A> ? A : never

const hh = (h: number) => `${String(h).padStart(2, "0")}:00`
const buildReps = (specs: ReadonlyArray<RepSpec>, now: Date): { reps: Array<Rep>; loads: Map<string, RepLoad> } => {
  const loads = new Map<string, RepLoad>()
  const reps = specs.map((s, i) => {
    const id = `rep-${i}`
    loads.set(id, { open: s.open, today: s.today })
    return makeRep(id, {
      active: s.active,
      timezone: s.zone,
      workingHours: { "mon-fri": [hh(s.start), hh(Math.min(24, s.start + s.length))] },
      outOfOffice: s.ooo === undefined
        ? []
        : [{ from: new Date(now.getTime() + s.ooo[0] * HOUR), to: new Date(now.getTime() + (s.ooo[0] + s.ooo[1]) * HOUR) }],
      capacity: { ...(s.maxOpen === undefined ? {} : { maxOpen: s.maxOpen }), ...(s.maxPerDay === undefined ? {} : { maxPerDay: s.maxPerDay }) },
      pods: s.pods,
      weight: s.weight
    })
  })
  return { reps, loads }
}

const withBackup = (strategy: "round_robin" | "weighted", onShiftOnly: boolean) =>
  agreementOf({ pods: [{ id: "ae", strategy, backup: "ae-backup" }, { id: "ae-backup", strategy: "round_robin" }] }, onShiftOnly)

// ---------------------------------------------------------------------------
// Rotation
// ---------------------------------------------------------------------------

describe("rotation from the ledger", () => {
  it.prop(
    "with equal weights and everyone eligible, credit counts never differ by more than 1",
    {
      n: FastCheck.integer({ min: 1, max: 8 }),
      leads: FastCheck.integer({ min: 1, max: 120 }),
      weighted: FastCheck.boolean(),
      weight: FastCheck.integer({ min: 1, max: 4 })
    },
    ({ leads, n, weight, weighted }) => {
      const agreement = agreementOf({ pods: [{ id: "ae", strategy: weighted ? "weighted" : "round_robin" }] })
      const reps = ids(n).map((id) => makeRep(id, { weight }))
      simulate(agreement, baseInput(agreement, reps), leads, [], (d, counts) => {
        expect(d._tag).toBe("Assigned")
        expect(spread(counts, reps.map((r) => r.id))).toBeLessThanOrEqual(1)
      })
    },
    { fastCheck: { numRuns: 100 } }
  )

  it("weights 1, 2, 3: after 600 leads each share is within 2 points of weight / Σweights", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "weighted" }] })
    const reps = [makeRep("rep-a", { weight: 1 }), makeRep("rep-b", { weight: 2 }), makeRep("rep-c", { weight: 3 })]
    const { counts } = simulate(agreement, baseInput(agreement, reps), 600)
    expect((counts.get("rep-a") ?? 0) / 600).toBeCloseTo(1 / 6, 1)
    for (const r of reps) expect(Math.abs((counts.get(r.id) ?? 0) / 600 - r.weight / 6)).toBeLessThanOrEqual(0.02)
  })

  it.prop(
    "weighted shares converge to weight / Σweights (±2 points after 600 leads)",
    { weights: FastCheck.array(FastCheck.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 6 }) },
    ({ weights }) => {
      const agreement = agreementOf({ pods: [{ id: "ae", strategy: "weighted" }] })
      const reps = weights.map((w, i) => makeRep(`rep-${i}`, { weight: w }))
      const total = weights.reduce((a, b) => a + b, 0)
      const { counts } = simulate(agreement, baseInput(agreement, reps), 600)
      for (const r of reps) expect(Math.abs((counts.get(r.id) ?? 0) / 600 - r.weight / total)).toBeLessThanOrEqual(0.02)
    },
    { fastCheck: { numRuns: 30 } }
  )

  it("round robin ignores weights", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const reps = [makeRep("rep-a", { weight: 1 }), makeRep("rep-b", { weight: 5 })]
    const { counts } = simulate(agreement, baseInput(agreement, reps), 10)
    expect(counts.get("rep-a")).toBe(5)
    expect(counts.get("rep-b")).toBe(5)
  })

  it("the first decision starts the round with a reset listing the members, then a credit", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const reps = [makeRep("rep-b"), makeRep("rep-a")]
    const d = assigned(route(agreement, baseInput(agreement, reps)))
    expect(d.ledger.map((e) => e.kind)).toEqual(["reset", "credit"])
    expect([...(d.ledger[0]?.members ?? [])].sort()).toEqual(["rep-a", "rep-b"])
    // members are ordered by rep id: rep-a goes first on a fresh rotation
    expect(d.repId).toBe("rep-a")
    expect(d.ledger[1]).toMatchObject({ pod: "ae", kind: "credit", repId: "rep-a", leadId: "lead-1", at: NOW })
    // the next decision, fed that ledger, does not reset again and gives rep-b its turn
    const next = assigned(route(agreement, baseInput(agreement, reps, { leadId: "lead-2", ledger: d.ledger })))
    expect(next.ledger.map((e) => e.kind)).toEqual(["credit"])
    expect(next.repId).toBe("rep-b")
  })

  it("explains the turn the way ops reads it", () => {
    const reps = [
      makeRep("rep-maria", { name: "maria", pods: ["ae-direct"] }),
      makeRep("rep-tom", { name: "tom", pods: ["ae-direct"] })
    ]
    const input = { ...baseInput(defaultAgreement, reps), tier: defaultAgreement.tiers[0], now: NOW }
    const { ledger } = simulate(defaultAgreement, input, 6)
    const d = assigned(route(defaultAgreement, { ...input, leadId: "lead-7", ledger }))
    expect(d.repId).toBe("rep-maria")
    expect(d.explanation).toContain("pod ae-direct (round_robin): maria's turn (3 turns since reset)")
  })

  it("a new member triggers a reset and gets normal turns, not every lead until caught up", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const two = [makeRep("rep-a"), makeRep("rep-b")]
    const { ledger } = simulate(agreement, baseInput(agreement, two), 40)
    const three = [...two, makeRep("rep-c")]
    const first = assigned(route(agreement, baseInput(agreement, three, { ledger })))
    expect(first.ledger[0]).toMatchObject({ kind: "reset" })
    expect([...(first.ledger[0]?.members ?? [])].sort()).toEqual(["rep-a", "rep-b", "rep-c"])
    expect(first.explanation.some((l) => l.includes("members changed"))).toBe(true)
    const after = simulate(agreement, baseInput(agreement, three), 30, [...ledger])
    expect(after.counts.get("rep-c")).toBe(10)
    expect(spread(after.counts, ["rep-a", "rep-b", "rep-c"])).toBe(0)
  })

  it("after a reset, whoever waited longest goes first (the last lead's rep does not get the next one)", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const two = [makeRep("rep-a"), makeRep("rep-b")]
    const { ledger, order } = simulate(agreement, baseInput(agreement, two), 3)
    expect(order).toEqual(["rep-a", "rep-b", "rep-a"])
    const three = [...two, makeRep("rep-c")]
    expect(simulate(agreement, baseInput(agreement, three), 3, ledger).order).toEqual(["rep-c", "rep-b", "rep-a"])
  })

  it("entries of other pods do not count", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const reps = [makeRep("rep-a"), makeRep("rep-b")]
    const foreign: Array<LedgerEntry> = [
      { pod: "other", at: NOW, kind: "reset", members: ["rep-b"] },
      ...Array.from({ length: 5 }, (): LedgerEntry => ({ pod: "other", at: NOW, kind: "credit", repId: "rep-a" }))
    ]
    const d = assigned(route(agreement, baseInput(agreement, reps, { ledger: foreign })))
    expect(d.repId).toBe("rep-a")
    expect(d.ledger[0]).toMatchObject({ kind: "reset", pod: "ae" })
  })

  it("the ledger stored as JSON and read back gives the same next decision (no hidden counters)", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "weighted" }] })
    const reps = [makeRep("rep-a", { weight: 2 }), makeRep("rep-b", { weight: 1 }), makeRep("rep-c", { weight: 1 })]
    const { ledger } = simulate(agreement, baseInput(agreement, reps), 7)
    const codec = Schema.parseJson(Schema.Array(LedgerEntry))
    const read = Schema.decodeUnknownSync(codec)(Schema.encodeSync(codec)(ledger))
    expect(read).toEqual(ledger)
    const a = route(agreement, baseInput(agreement, reps, { ledger }))
    const b = route(agreement, baseInput(agreement, reps, { ledger: read }))
    expect(b).toEqual(a)
  })
})

// ---------------------------------------------------------------------------
// Skips and eligibility
// ---------------------------------------------------------------------------

describe("skips", () => {
  const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })

  it("an out-of-office rep is skipped with the reason, in the ledger and the explanation", () => {
    const jon = makeRep("rep-a", {
      name: "jon",
      outOfOffice: [{ from: new Date("2026-01-02T00:00:00Z"), to: new Date("2026-01-09T00:00:00Z") }]
    })
    const reps = [jon, makeRep("rep-b", { name: "maria" })]
    const d = assigned(route(agreement, baseInput(agreement, reps)))
    expect(d.repId).toBe("rep-b")
    expect(d.ledger.map((e) => [e.kind, e.repId, e.reason])).toEqual([
      ["reset", undefined, undefined],
      ["skip", "rep-a", "out_of_office"],
      ["credit", "rep-b", undefined]
    ])
    expect(d.explanation).toContain("skipped jon: out of office until 2026-01-09")
  })

  it("a skip consumes the turn: no catch-up flood when the rep comes back", () => {
    const back = new Date("2026-01-07T00:00:00Z")
    const jon = makeRep("rep-a", { outOfOffice: [{ from: new Date("2026-01-01T00:00:00Z"), to: back }] })
    const reps = [jon, makeRep("rep-b"), makeRep("rep-c")]
    const away = simulate(agreement, baseInput(agreement, reps), 30)
    expect(away.counts.get("rep-a") ?? 0).toBe(0)
    expect(away.ledger.filter((e) => e.kind === "skip" && e.repId === "rep-a").length).toBeGreaterThan(0)
    const returned = simulate(agreement, baseInput(agreement, reps, { now: back }), 30, [...away.ledger])
    // a third of the leads after coming back, not the 15 missed ones first
    expect(returned.counts.get("rep-a")).toBe(10)
    expect(returned.order.slice(0, 3).filter((r) => r === "rep-a")).toHaveLength(1)
  })

  it.each([
    ["inactive", { active: false }, undefined, "inactive"],
    ["at capacity", { capacity: { maxOpen: 3 } }, { open: 3, today: 0 }, "at capacity (3/3 open leads)"],
    ["at the daily cap", { capacity: { maxPerDay: 2 } }, { open: 0, today: 2 }, "daily cap reached (2/2 leads today)"]
  ] as const)("%s reps are skipped", (_, over, load, text) => {
    const reps = [makeRep("rep-a", { name: "jon", ...over }), makeRep("rep-b")]
    const loads = new Map(load === undefined ? [] : [["rep-a", load]])
    const d = assigned(route(agreement, baseInput(agreement, reps, { loads })))
    expect(d.repId).toBe("rep-b")
    expect(d.explanation).toContain(`skipped jon: ${text}`)
  })

  it("off-shift reps are skipped only when the tier needs someone now", () => {
    const night = new Date("2026-01-06T03:00:00Z") // 04:00 in Berlin, 22:00 in New York
    const reps = [
      makeRep("rep-a", { name: "anna", timezone: "Europe/Berlin", workingHours: { "mon-fri": ["09:00", "18:00"] } }),
      makeRep("rep-b", { name: "lee", timezone: "Asia/Tokyo", workingHours: { "mon-fri": ["09:00", "18:00"] } }) // 12:00 in Tokyo
    ]
    const strict = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] }, true)
    const d = assigned(route(strict, baseInput(strict, reps, { now: night })))
    expect(d.repId).toBe("rep-b")
    expect(d.ledger.find((e) => e.kind === "skip")).toMatchObject({ repId: "rep-a", reason: "outside_hours" })
    expect(d.explanation).toContain("skipped anna: off shift (works mon-fri 09:00–18:00 Europe/Berlin)")
    const lax = assigned(route(agreement, baseInput(agreement, reps, { now: night })))
    expect(lax.repId).toBe("rep-a")
  })

  it("the rep a lead is reassigned away from never gets it back", () => {
    const reps = [makeRep("rep-a"), makeRep("rep-b")]
    const d = assigned(route(agreement, baseInput(agreement, reps, { exclude: ["rep-a"] })))
    expect(d.repId).toBe("rep-b")
    expect(d.ledger.find((e) => e.kind === "skip")).toMatchObject({ repId: "rep-a", reason: "excluded" })
  })

  it.prop(
    "the chosen rep is never excluded, inactive, out of office, over capacity or off shift when the tier needs someone now",
    {
      specs: FastCheck.array(repSpecArb, { minLength: 0, maxLength: 8 }),
      now: nowArb,
      onShiftOnly: FastCheck.boolean(),
      weighted: FastCheck.boolean(),
      excluded: FastCheck.subarray(["rep-0", "rep-1", "rep-2"])
    },
    ({ excluded, now, onShiftOnly, specs, weighted }) => {
      const agreement = withBackup(weighted ? "weighted" : "round_robin", onShiftOnly)
      const { loads, reps } = buildReps(specs, now)
      const d = route(agreement, baseInput(agreement, reps, { loads, now, exclude: excluded }))
      const eligible = (r: Rep) => oracleEligible(r, loads.get(r.id), now, onShiftOnly, excluded)
      const primary = reps.filter((r) => r.pods.includes("ae"))
      const backup = reps.filter((r) => r.pods.includes("ae-backup"))
      if (d._tag === "Assigned") {
        const rep = reps.find((r) => r.id === d.repId)!
        expect(eligible(rep)).toBe(true)
        expect(d.pod).toBe(d.viaBackup ? "ae-backup" : "ae")
        expect((d.viaBackup ? backup : primary).map((r) => r.id)).toContain(d.repId)
        // the backup is only used when nobody in the primary pod could take it
        expect(d.viaBackup).toBe(!primary.some(eligible))
      } else {
        expect(d._tag).toBe("Queued")
        expect(primary.some(eligible) || backup.some(eligible)).toBe(false)
        expect(queued(d).queue).toBe("ae")
      }
      // every skip names a rep who really could not take it, with the right kind of reason
      for (const e of d._tag === "NotRouted" ? [] : d.ledger) {
        if (e.kind !== "skip") continue
        const rep = reps.find((r) => r.id === e.repId)!
        expect(eligible(rep)).toBe(false)
        if (e.reason === "inactive") expect(rep.active).toBe(false)
        if (e.reason === "outside_hours") expect(oracleOnShift(rep, now)).toBe(false)
      }
    },
    { fastCheck: { numRuns: 300 } }
  )
})

// ---------------------------------------------------------------------------
// Backup chain and queue
// ---------------------------------------------------------------------------

describe("backup pods and the queue", () => {
  const unavailable = FastCheck.constantFrom<RepInput>(
    { active: false },
    { outOfOffice: [{ from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-02-01T00:00:00Z") }] },
    { capacity: { maxOpen: 0 } },
    { capacity: { maxPerDay: 0 } }
  )

  it.prop(
    "the backup pod takes the lead when nobody in the primary can",
    {
      primary: FastCheck.array(unavailable, { minLength: 0, maxLength: 5 }),
      backup: FastCheck.array(FastCheck.boolean(), { minLength: 1, maxLength: 5 }).filter((xs) => xs.includes(true))
    },
    ({ backup, primary }) => {
      const agreement = withBackup("round_robin", false)
      const reps = [
        ...primary.map((over, i) => makeRep(`p-${i}`, { ...over, pods: ["ae"] })),
        ...backup.map((ok, i) => makeRep(`b-${i}`, { active: ok, pods: ["ae-backup"] }))
      ]
      const d = assigned(route(agreement, baseInput(agreement, reps)))
      expect(d.viaBackup).toBe(true)
      expect(d.pod).toBe("ae-backup")
      expect(d.repId.startsWith("b-")).toBe(true)
      expect(d.ledger.filter((e) => e.pod === "ae" && e.kind === "skip")).toHaveLength(primary.length)
      expect(d.explanation).toContain(primary.length === 0 ? "pod ae has no members" : "pod ae: nobody can take it now → backup pod ae-backup")
    },
    { fastCheck: { numRuns: 100 } }
  )

  it("a backup chain is followed in order, each pod with its own strategy", () => {
    const agreement = agreementOf({
      pods: [
        { id: "ae", strategy: "round_robin", backup: "b1" },
        { id: "b1", strategy: "territory", backup: "b2" },
        { id: "b2", strategy: "weighted" }
      ]
    })
    const reps = [
      makeRep("a", { pods: ["ae"], active: false }),
      makeRep("t", { pods: ["b1"], territories: ["FR"] }),
      makeRep("w", { pods: ["b2"] })
    ]
    const d = assigned(route(agreement, baseInput(agreement, reps, { profile: profileOf({ country: "DE" }) })))
    expect(d).toMatchObject({ pod: "b2", repId: "w", strategy: "weighted", viaBackup: true })
    expect(d.explanation).toContain("territory DE: no rep in b1 covers it and no catch-all rep (* or none listed) in b1")
  })

  it.prop(
    "when nobody is eligible the decision is Queued in the tier's pod, with the reason",
    {
      primary: FastCheck.array(unavailable, { minLength: 0, maxLength: 4 }),
      backup: FastCheck.array(unavailable, { minLength: 0, maxLength: 4 })
    },
    ({ backup, primary }) => {
      const agreement = withBackup("round_robin", false)
      const reps = [
        ...primary.map((over, i) => makeRep(`p-${i}`, { ...over, pods: ["ae"] })),
        ...backup.map((over, i) => makeRep(`b-${i}`, { ...over, pods: ["ae-backup"] }))
      ]
      const d = queued(route(agreement, baseInput(agreement, reps)))
      expect(d.queue).toBe("ae")
      expect(d.reason).toBe("nobody in pod ae nor its backup chain [ae-backup] can take it now")
      expect(d.explanation.at(-1)).toBe("queued in ae until a rep can take it")
      expect(d.ledger.filter((e) => e.kind === "skip")).toHaveLength(primary.length + backup.length)
      expect(d.ledger.some((e) => e.kind === "credit")).toBe(false)
    },
    { fastCheck: { numRuns: 100 } }
  )

  it("queueing keeps the rotation order: everyone skipped loses one turn", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const reps = [makeRep("rep-a"), makeRep("rep-b"), makeRep("rep-c")]
    const { ledger } = simulate(agreement, baseInput(agreement, reps), 1) // rep-a had a lead
    const capped = reps.map((r) => makeRep(r.id, { capacity: { maxPerDay: 0 } }))
    const q = queued(route(agreement, baseInput(agreement, capped, { ledger })))
    expect(q.ledger.map((e) => e.repId)).toEqual(["rep-b", "rep-c", "rep-a"])
    ledger.push(...q.ledger)
    expect(simulate(agreement, baseInput(agreement, reps), 3, ledger).order).toEqual(["rep-b", "rep-c", "rep-a"])
  })
})

// ---------------------------------------------------------------------------
// ABM suppression
// ---------------------------------------------------------------------------

describe("ABM suppression", () => {
  it.prop(
    "a lead from an account in an active outbound play goes to the account owner, flagged, without a rotation credit",
    {
      n: FastCheck.integer({ min: 1, max: 6 }),
      ownerIndex: FastCheck.nat(),
      ownerActive: FastCheck.boolean(),
      ownerInPod: FastCheck.boolean(),
      ownerOoo: FastCheck.boolean(),
      abm: FastCheck.boolean(),
      activeOutbound: FastCheck.boolean(),
      history: FastCheck.integer({ min: 0, max: 10 }),
      ownerless: FastCheck.boolean()
    },
    ({ abm, activeOutbound, history, n, ownerActive, ownerInPod, ownerIndex, ownerless, ownerOoo }) => {
      const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }], abmSuppression: abm })
      const others = ids(n).map((id) => makeRep(id))
      const ownerId = `owner-${ownerIndex % 3}`
      const owner = makeRep(ownerId, {
        active: ownerActive,
        pods: ownerInPod ? ["ae"] : ["elsewhere"],
        outOfOffice: ownerOoo ? [{ from: new Date(NOW.getTime() - HOUR), to: new Date(NOW.getTime() + HOUR) }] : []
      })
      const reps = [...others, owner]
      const { ledger } = simulate(agreement, baseInput(agreement, others), history)
      const acct = account({ activeOutbound, ...(ownerless ? {} : { ownerRepId: owner.id }) })
      const d = route(agreement, baseInput(agreement, reps, { account: acct, ledger }))
      const suppressed = abm && activeOutbound
      if (suppressed && ownerActive && !ownerless) {
        const a = assigned(d)
        expect(a.repId).toBe(ownerId)
        expect(a.strategy).toBe("abm_owner")
        expect(a.pod).toBe("ae")
        expect(a.flags).toContain("abm_suppressed")
        expect(a.ledger.some((e) => e.kind === "credit")).toBe(false)
      } else if (d._tag !== "NotRouted") {
        if (d._tag === "Assigned") {
          expect(d.strategy).toBe("round_robin")
          // an inactive owner cannot get it; without an owner the rep is just a pod member
          if (suppressed && !ownerless) expect(d.repId).not.toBe(ownerId)
        }
        expect(d.flags.includes("abm_suppressed")).toBe(suppressed)
      } else {
        throw new Error("a routed tier is never NotRouted")
      }
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("an owner being reassigned away from does not get the lead back", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const reps = [makeRep("owner"), makeRep("rep-a")]
    const d = assigned(route(agreement, baseInput(agreement, reps, {
      account: account({ activeOutbound: true, ownerRepId: "owner" as RepId }),
      exclude: ["owner"]
    })))
    expect(d.repId).toBe("rep-a")
    expect(d.flags).toEqual(["abm_suppressed"])
  })
})

// ---------------------------------------------------------------------------
// Territory, segment, named account
// ---------------------------------------------------------------------------

describe("territory and segment matching", () => {
  it("territory DE goes to the reps covering DE, case-insensitively", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "territory" }], territoryField: "country" })
    const reps = [
      makeRep("rep-1", { name: "anna", territories: ["de", "AT"] }),
      makeRep("rep-2", { name: "lukas", territories: ["DE"] }),
      makeRep("rep-3", { name: "zoe", territories: ["FR", "*"] })
    ]
    const { counts, ledger } = simulate(agreement, baseInput(agreement, reps, { profile: profileOf({ country: "DE" }) }), 6)
    expect(counts.get("rep-1")).toBe(3)
    expect(counts.get("rep-2")).toBe(3)
    expect(counts.get("rep-3")).toBeUndefined()
    const d = assigned(route(agreement, baseInput(agreement, reps, { profile: profileOf({ country: "DE" }), ledger })))
    expect(d.explanation).toContain("territory DE → reps [anna, lukas]")
    const br = assigned(route(agreement, baseInput(agreement, reps, { profile: profileOf({ country: "BR" }) })))
    expect(br.repId).toBe("rep-3")
    expect(br.explanation).toContain("territory BR: no rep in ae covers it → catch-all reps (* or none listed) [zoe]")
  })

  it("reps who list no territories are the pod's catch-all: they share what no territory claims, before any backup pod", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "territory", backup: "b" }, { id: "b", strategy: "round_robin" }], territoryField: "country" })
    const reps = [
      makeRep("de", { pods: ["ae"], territories: ["DE"] }),
      makeRep("new-1", { pods: ["ae"], territories: [] }),
      makeRep("new-2", { pods: ["ae"], territories: [] }),
      makeRep("backup", { pods: ["b"] })
    ]
    const { counts } = simulate(agreement, baseInput(agreement, reps, { profile: profileOf({ country: "US" }) }), 4)
    expect(counts.get("new-1")).toBe(2)
    expect(counts.get("new-2")).toBe(2)
    expect(counts.get("backup")).toBeUndefined()
    // a territory someone covers still goes to them only
    const de = assigned(route(agreement, baseInput(agreement, reps, { profile: profileOf({ country: "DE" }) })))
    expect(de.repId).toBe("de")
    const unknown = assigned(route(agreement, baseInput(agreement, reps, { profile: profileOf({}) })))
    expect(unknown.pod).toBe("ae")
  })

  it("the territory field is configurable (a form answer here)", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "territory" }], territoryField: "fields.state" })
    const reps = [makeRep("rep-1", { territories: ["CA"] }), makeRep("rep-2", { territories: ["NY"] })]
    const d = assigned(route(agreement, baseInput(agreement, reps, { profile: profileOf({ fields: { state: "ny" } }) })))
    expect(d.repId).toBe("rep-2")
  })

  const territoryArb = FastCheck.constantFrom("DE", "de", "FR", "Us", "*")
  it.prop(
    "territory: the chosen rep covers the lead's value, else is a catch-all; nobody → Queued",
    {
      territories: FastCheck.array(FastCheck.subarray(["DE", "de", "FR", "Us", "*"]), { minLength: 1, maxLength: 6 }),
      country: FastCheck.option(FastCheck.constantFrom("DE", "de", "fr", "US", "BR"), { nil: undefined }),
      history: FastCheck.array(territoryArb, { maxLength: 10 })
    },
    ({ country, history, territories }) => {
      const agreement = agreementOf({ pods: [{ id: "ae", strategy: "territory" }] })
      const reps = territories.map((t, i) => makeRep(`rep-${i}`, { territories: t }))
      // earlier leads from random territories
      const ledger: Array<LedgerEntry> = []
      for (const h of history) {
        const d = route(agreement, baseInput(agreement, reps, { profile: profileOf({ country: h }), ledger }))
        if (d._tag !== "NotRouted") ledger.push(...d.ledger)
      }
      const profile = profileOf(country === undefined ? {} : { country })
      const d = route(agreement, baseInput(agreement, reps, { profile, ledger }))
      const covers = (r: Rep) => country !== undefined && r.territories.some((t) => t.toLowerCase() === country.toLowerCase())
      const catchAll = (r: Rep) => r.territories.length === 0 || r.territories.includes("*")
      if (reps.some(covers)) expect(covers(reps.find((r) => r.id === assigned(d).repId)!)).toBe(true)
      else if (reps.some(catchAll)) expect(catchAll(reps.find((r) => r.id === assigned(d).repId)!)).toBe(true)
      else expect(queued(d).queue).toBe("ae")
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("segment: the account's segment wins, else the first routing segment the lead matches, else catch-all", () => {
    const agreement = agreementOf({
      pods: [{ id: "ae", strategy: "segment" }],
      segments: [
        { id: "smb", when: { employees: { lt: 200 } } },
        { id: "mid-market", when: { employees: { between: [200, 1999] } } },
        { id: "enterprise", when: { employees: { gte: 2000 } } }
      ]
    })
    const reps = [
      makeRep("rep-1", { name: "sam", segments: ["SMB"] }),
      makeRep("rep-2", { name: "mia", segments: ["mid-market"] }),
      makeRep("rep-3", { name: "eve", segments: ["enterprise"] }),
      makeRep("rep-4", { name: "any", segments: ["*"] })
    ]
    const pick = (profile: LeadProfile, acct?: Account) =>
      assigned(route(agreement, baseInput(agreement, reps, { profile, ...(acct === undefined ? {} : { account: acct }) })))
    expect(pick(profileOf({ employees: 50 })).repId).toBe("rep-1")
    expect(pick(profileOf({ employees: 800 })).repId).toBe("rep-2")
    expect(pick(profileOf({ employees: 9000 })).repId).toBe("rep-3")
    const byAccount = pick(profileOf({ employees: 50 }), account({ segment: "enterprise" }))
    expect(byAccount.repId).toBe("rep-3")
    expect(byAccount.explanation).toContain("segment enterprise (account acme.com) → reps [eve]")
    const unknown = pick(profileOf())
    expect(unknown.repId).toBe("rep-4")
    expect(unknown.explanation).toContainEqual(expect.stringMatching(/^segment unknown .* → catch-all reps \(\* or none listed\) \[any\]$/))
  })

  it.prop(
    "segment: the chosen rep serves the lead's segment (account first), else is a catch-all",
    {
      segments: FastCheck.array(FastCheck.subarray(["smb", "mid-market", "enterprise", "*"]), { minLength: 1, maxLength: 6 }),
      employees: FastCheck.option(FastCheck.integer({ min: 1, max: 10000 }), { nil: undefined }),
      accountSegment: FastCheck.option(FastCheck.constantFrom("smb", "Enterprise", "strategic"), { nil: undefined })
    },
    ({ accountSegment, employees, segments }) => {
      const agreement = agreementOf({
        pods: [{ id: "ae", strategy: "segment" }],
        segments: [{ id: "smb", when: { employees: { lt: 200 } } }, { id: "mid-market", when: { employees: { lt: 2000 } } }, { id: "enterprise", when: { employees: { gte: 2000 } } }]
      })
      const reps = segments.map((s, i) => makeRep(`rep-${i}`, { segments: s }))
      const expected = accountSegment?.toLowerCase() ??
        (employees === undefined ? undefined : employees < 200 ? "smb" : employees < 2000 ? "mid-market" : "enterprise")
      const d = route(agreement, baseInput(agreement, reps, {
        profile: profileOf(employees === undefined ? {} : { employees }),
        ...(accountSegment === undefined ? {} : { account: account({ segment: accountSegment }) })
      }))
      const serves = (r: Rep) => expected !== undefined && r.segments.includes(expected)
      const catchAll = (r: Rep) => r.segments.length === 0 || r.segments.includes("*")
      if (reps.some(serves)) expect(serves(reps.find((r) => r.id === assigned(d).repId)!)).toBe(true)
      else if (reps.some(catchAll)) expect(catchAll(reps.find((r) => r.id === assigned(d).repId)!)).toBe(true)
      else expect(queued(d).queue).toBe("ae")
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("the default agreement routes a warm lead from DE to the SDR covering DE", () => {
    const reps = [
      makeRep("sdr-1", { role: "sdr", pods: ["sdr"], territories: ["US", "CA"] }),
      makeRep("sdr-2", { role: "sdr", pods: ["sdr"], territories: ["DE", "AT", "CH"] })
    ]
    const warm = defaultAgreement.tiers.find((t) => t.name === "warm")!
    const d = assigned(route(defaultAgreement, { ...baseInput(defaultAgreement, reps), tier: warm, profile: profileOf({ country: "de" }) }))
    expect(d).toMatchObject({ pod: "sdr", repId: "sdr-2", strategy: "territory", viaBackup: false })
  })
})

describe("named accounts", () => {
  const agreement = agreementOf({ pods: [{ id: "ae", strategy: "named_account" }], abmSuppression: false })
  const reps = [makeRep("rep-a"), makeRep("rep-b", { name: "maria" }), makeRep("rep-c")]
  const acct = account({ named: true, ownerRepId: "rep-b" as RepId })

  it("the account owner gets the lead when a member and available, without a rotation credit", () => {
    for (let i = 0; i < 3; i++) {
      const d = assigned(route(agreement, baseInput(agreement, reps, { account: acct })))
      expect(d).toMatchObject({ repId: "rep-b", strategy: "named_account", ledger: [] })
    }
  })

  it("an unavailable owner, or no owner, falls back to the pod's rotation", () => {
    const away = reps.map((r) => (r.id === "rep-b" ? makeRep("rep-b", { name: "maria", active: false }) : r))
    const d = assigned(route(agreement, baseInput(agreement, away, { account: acct })))
    expect(d.repId).toBe("rep-a")
    expect(d.explanation[0]).toBe("named account: the owner of acme.com, maria, cannot take it: inactive → round robin over pod ae")
    const none = assigned(route(agreement, baseInput(agreement, reps)))
    expect(none.ledger.some((e) => e.kind === "credit")).toBe(true)
  })
})

// ---------------------------------------------------------------------------
// Tiers without a route, determinism
// ---------------------------------------------------------------------------

describe("decisions", () => {
  it("a tier without a route is not routed: marketing keeps it", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const d = route(agreement, { ...baseInput(agreement, [makeRep("rep-a")]), tier: agreement.tiers[1]! })
    expect(d._tag).toBe("NotRouted")
  })

  it("ABM: an inquiry of a tier without a route from an account in active outbound is owned by the account owner, with no rotation", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const reps = [makeRep("rep-a"), makeRep("owner", { name: "Olga", pods: [], outOfOffice: [{ from: new Date(NOW.getTime() - 3_600_000), to: new Date(NOW.getTime() + 3_600_000) }] })]
    const input = { ...baseInput(agreement, reps), tier: agreement.tiers[1]!, account: account({ activeOutbound: true, ownerRepId: "owner" as RepId }) }
    const d = assigned(route(agreement, input))
    expect(d).toMatchObject({ pod: "account:acme.com", repId: "owner", strategy: "abm_owner", viaBackup: false, ledger: [], flags: ["abm_suppressed"] })
    expect(d.explanation[0]).toBe("ABM: acme.com is in an active outbound play → its owner Olga (ABM-suppressed: no SDR cadence, no rotation credit)")
    // their account: out of office does not take it from them (the explanation notes it)
    expect(d.explanation.some((l) => l.startsWith("note: Olga is out of office"))).toBe(true)
    expect(d.explanation[d.explanation.length - 1]).toContain("not an MQL, so no speed-to-lead SLA")
  })

  it("ABM without an owner who can take it, or with suppression off: a tier without a route stays with marketing, and the reason says why", () => {
    const agreement = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }] })
    const reps = [makeRep("rep-a"), makeRep("gone", { active: false })]
    const base = { ...baseInput(agreement, reps), tier: agreement.tiers[1]! }
    const reasonOf = (d: RouteDecision) => (d._tag === "NotRouted" ? d.reason : `${d._tag}!`)
    expect(reasonOf(route(agreement, { ...base, account: account({ activeOutbound: true }) })))
      .toBe("tier nurture has no route: marketing keeps the lead in nurture (ABM: acme.com is in an active outbound play, but the account has no owner)")
    expect(reasonOf(route(agreement, { ...base, account: account({ activeOutbound: true, ownerRepId: "gone" as RepId }) }))).toContain("its owner gone is inactive")
    expect(reasonOf(route(agreement, { ...base, account: account({ activeOutbound: true, ownerRepId: "nobody" as RepId }) }))).toContain("its owner nobody is not a known rep")
    const off = agreementOf({ pods: [{ id: "ae", strategy: "round_robin" }], abmSuppression: false })
    expect(reasonOf(route(off, { ...base, tier: off.tiers[1]!, account: account({ activeOutbound: true, ownerRepId: "rep-a" as RepId }) })))
      .toBe("tier nurture has no route: marketing keeps the lead in nurture")
    expect(reasonOf(route(agreement, { ...base, account: account({ activeOutbound: false, ownerRepId: "rep-a" as RepId }) })))
      .toBe("tier nurture has no route: marketing keeps the lead in nurture")
  })

  it.prop(
    "deterministic: the same input gives the same decision",
    {
      specs: FastCheck.array(repSpecArb, { maxLength: 6 }),
      now: nowArb,
      onShiftOnly: FastCheck.boolean(),
      history: FastCheck.integer({ min: 0, max: 20 })
    },
    ({ history, now, onShiftOnly, specs }) => {
      const agreement = withBackup("weighted", onShiftOnly)
      const { loads, reps } = buildReps(specs, now)
      const { ledger } = simulate(agreement, baseInput(agreement, reps, { loads, now }), history)
      const input = baseInput(agreement, reps, { loads, now, ledger })
      const a = route(agreement, input)
      const b = route(agreement, { ...input, reps: reps.map((r) => Schema.decodeUnknownSync(Rep)(Schema.encodeSync(Rep)(r))), ledger: [...ledger], loads: new Map(loads) })
      expect(b).toEqual(a)
    },
    { fastCheck: { numRuns: 100 } }
  )

  it.prop(
    "a store's condensed ledger summary (with its own sequence numbers) decides exactly as the full ledger",
    {
      specs: FastCheck.array(repSpecArb, { minLength: 1, maxLength: 6 }),
      now: nowArb,
      onShiftOnly: FastCheck.boolean(),
      history: FastCheck.integer({ min: 0, max: 30 })
    },
    ({ history, now, onShiftOnly, specs }) => {
      const agreement = withBackup("weighted", onShiftOnly)
      const { loads, reps } = buildReps(specs, now)
      const { ledger } = simulate(agreement, baseInput(agreement, reps, { loads, now }), history)
      const input = baseInput(agreement, reps, { loads, now, ledger })
      // sequence numbers as a database would give them: increasing, with gaps
      const seqOf = (i: number) => 1000 + i * 7
      const rotation = new Map(agreement.routing.pods.map((p) => {
        const s = summarizeLedger(p.id, ledger)
        return [p.id, { ...s, lastTurn: new Map([...s.lastTurn].map(([rep, i]) => [rep, seqOf(i)])) }] as const
      }))
      expect(route(agreement, { ...input, ledger: [], rotation })).toEqual(route(agreement, input))
    },
    { fastCheck: { numRuns: 100 } }
  )
})
