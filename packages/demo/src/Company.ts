/**
 * Seed 001's "Company A" as data: a B2B SaaS company generating about 4,000 inbound leads
 * a month from organic, content syndication, email, webinars, paid search (AdWords) and
 * LinkedIn, worked by 6 SDRs divided by territory, a handful of AEs taking the hot
 * hand-raises (AE-direct, with an AE backup pod), an SDR backup, and two managers.
 *
 * Everything here is a pure function of a seed (and the period simulated): the reps with
 * their time zones, working hours, capacity and out-of-office days; ~300 accounts, some
 * named with an owner AE and a handful in an active outbound ABM play; and the lead
 * stream — arrival times following business days and hours with weekend dips, the
 * channel mix with campaigns, personas whose fit and intent vary by channel (content
 * syndication mostly low intent, paid search mostly demo requests), form data, the
 * enrichment that follows a few minutes later, and each lead's follow-up behaviour (email
 * opens, site visits, pricing page views, case studies, product usage after a trial, a
 * later hand-raise for some).
 */
import type { Account, Enrichment, LeadProfile, Rep, RepId } from "@handoff/domain"
import { instantFromWallClock } from "@handoff/domain"
import { Rng } from "./Random.ts"

// ---------------------------------------------------------------------------
// Channels, campaigns, countries
// ---------------------------------------------------------------------------

/** The six inbound channels of seed 001. */
export const channels = ["organic", "content_syndication", "email", "webinar", "paid_search", "linkedin"] as const
export type Channel = typeof channels[number]

/** Share of inbound leads per channel (sums to 1). */
export const channelMix: Readonly<Record<Channel, number>> = {
  organic: 0.24,
  content_syndication: 0.26,
  email: 0.12,
  webinar: 0.14,
  paid_search: 0.14,
  linkedin: 0.10
}

/** Inbound leads per 30.44-day month (seed 001: "about 4,000 inbound leads per month"). */
export const leadsPerMonth = 4000

export const campaigns: Readonly<Record<Channel, ReadonlyArray<string>>> = {
  organic: ["website", "blog-speed-to-lead", "seo-lead-routing"],
  content_syndication: ["cs-state-of-revops-2026", "cs-lead-routing-guide", "cs-benchmark-report"],
  email: ["email-monthly-newsletter", "email-product-launch", "email-nurture-track"],
  webinar: ["webinar-speed-to-lead", "webinar-abm-playbook", "webinar-revops-roundtable"],
  paid_search: ["adwords-brand", "adwords-lead-routing", "adwords-competitor"],
  linkedin: ["linkedin-abm-target-accounts", "linkedin-lead-gen-guide", "linkedin-retargeting"]
}

interface CountryInfo {
  readonly code: string
  readonly weight: number
  readonly zones: ReadonlyArray<string>
}

/** Where inbound comes from, and the local time zones the arrival hours follow. */
export const countries: ReadonlyArray<CountryInfo> = [
  { code: "US", weight: 52, zones: ["America/New_York", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Los_Angeles"] },
  { code: "CA", weight: 7, zones: ["America/Toronto", "America/Vancouver"] },
  { code: "GB", weight: 10, zones: ["Europe/London"] },
  { code: "IE", weight: 2, zones: ["Europe/Dublin"] },
  { code: "DE", weight: 6, zones: ["Europe/Berlin"] },
  { code: "AT", weight: 1, zones: ["Europe/Vienna"] },
  { code: "CH", weight: 1.5, zones: ["Europe/Zurich"] },
  { code: "NL", weight: 3, zones: ["Europe/Amsterdam"] },
  { code: "BE", weight: 1.5, zones: ["Europe/Brussels"] },
  { code: "SE", weight: 2, zones: ["Europe/Stockholm"] },
  { code: "NO", weight: 1, zones: ["Europe/Oslo"] },
  { code: "DK", weight: 1, zones: ["Europe/Copenhagen"] },
  { code: "FI", weight: 0.8, zones: ["Europe/Helsinki"] },
  { code: "FR", weight: 3, zones: ["Europe/Paris"] },
  { code: "ES", weight: 1.5, zones: ["Europe/Madrid"] },
  { code: "AU", weight: 2.5, zones: ["Australia/Sydney"] },
  { code: "IN", weight: 2, zones: ["Asia/Kolkata"] },
  { code: "SG", weight: 1, zones: ["Asia/Singapore"] },
  { code: "MX", weight: 0.9, zones: ["America/Mexico_City"] },
  { code: "BR", weight: 1.2, zones: ["America/Sao_Paulo"] }
]
const countryByCode = new Map(countries.map((c) => [c.code, c]))

const industries: ReadonlyArray<readonly [string, number]> = [
  ["software", 24], ["saas", 14], ["fintech", 7], ["financial services", 10], ["information technology", 10],
  ["healthcare", 8], ["manufacturing", 8], ["retail", 6], ["education", 5], ["media", 5], ["logistics", 3]
]

// ---------------------------------------------------------------------------
// The sales team
// ---------------------------------------------------------------------------

/** The territories the SDR team is divided by (routing reads the lead's `country`). */
export const sdrTerritories = [
  { id: "sdr-us-east", name: "Jordan Ellis", label: "US-East", territories: ["US"], timezone: "America/New_York", hours: ["08:30", "17:30"] },
  { id: "sdr-us-west", name: "Priya Raman", label: "US-West", territories: ["US"], timezone: "America/Los_Angeles", hours: ["08:00", "17:00"] },
  { id: "sdr-canada", name: "Marc Tremblay", label: "Canada & LatAm", territories: ["CA", "MX", "BR"], timezone: "America/Toronto", hours: ["08:30", "17:30"] },
  { id: "sdr-uki", name: "Aoife Byrne", label: "UK/IE & rest of world", territories: ["GB", "IE", "*"], timezone: "Europe/London", hours: ["08:30", "17:30"] },
  { id: "sdr-dach", name: "Lena Vogel", label: "DACH", territories: ["DE", "AT", "CH"], timezone: "Europe/Berlin", hours: ["08:30", "17:30"] },
  { id: "sdr-nordics", name: "Sven Lindqvist", label: "Nordics/Benelux", territories: ["SE", "NO", "DK", "FI", "NL", "BE", "LU"], timezone: "Europe/Stockholm", hours: ["08:30", "17:00"] }
] as const

const aeDefs = [
  { id: "ae-east", name: "Maya Chen", pods: ["ae-direct"], timezone: "America/New_York", hours: { "mon-fri": ["08:00", "18:00"] }, region: "us" },
  { id: "ae-central", name: "Daniel Brooks", pods: ["ae-direct"], timezone: "America/Chicago", hours: { "mon-fri": ["08:00", "18:00"] }, region: "us" },
  { id: "ae-west", name: "Sofia Alvarez", pods: ["ae-direct"], timezone: "America/Los_Angeles", hours: { "mon-fri": ["08:00", "18:00"] }, region: "us" },
  { id: "ae-emea", name: "Oliver Hughes", pods: ["ae-direct"], timezone: "Europe/London", hours: { "mon-fri": ["08:00", "18:00"] }, region: "emea" },
  // the backup pod: a long-hours AE with the weekend on-call, and one in Europe
  { id: "ae-backup-1", name: "Rachel Kim", pods: ["ae-backup"], timezone: "America/Denver", hours: { "mon-fri": ["07:00", "20:00"], "sat-sun": ["09:00", "17:00"] }, region: "us" },
  { id: "ae-backup-2", name: "Tobias Fischer", pods: ["ae-backup"], timezone: "Europe/Berlin", hours: { "mon-fri": ["08:00", "19:00"] }, region: "emea" }
] as const

export type AeRegion = "us" | "emea"

export interface CompanyOptions {
  readonly seed: number
  /** The first instant simulated. */
  readonly start: Date
  /** The last instant simulated (exclusive). */
  readonly end: Date
}

const DAY = 86_400_000

const slug = (name: string) => name.toLowerCase().replace(/[^a-z]+/g, ".").replace(/^\.|\.$/g, "")

/**
 * The reps: 6 SDRs by territory (pod `sdr`), an SDR backup (`sdr-backup`, catch-all), 4
 * AEs in `ae-direct`, 2 in `ae-backup`, a VP Sales and an SDR manager (managerId links),
 * with capacity, booking URLs on example domains and a few out-of-office spans placed in
 * the simulated period.
 */
export const makeReps = (opts: CompanyOptions): ReadonlyArray<Rep> => {
  const rng = Rng.of(opts.seed, "reps")
  const span = opts.end.getTime() - opts.start.getTime()
  const ooo = (from: number, days: number) => {
    const f = new Date(Math.floor((opts.start.getTime() + from * span) / DAY) * DAY + 4 * 3_600_000)
    return [{ from: f, to: new Date(f.getTime() + days * DAY) }]
  }
  const base = (id: string, name: string, extra: Partial<Rep>): Rep => ({
    id: id as RepId,
    name,
    email: `${slug(name)}@company-a.example`,
    role: "sdr",
    pods: [],
    timezone: "America/New_York",
    workingHours: { "mon-fri": ["09:00", "17:00"] },
    capacity: {},
    weight: 1,
    active: true,
    outOfOffice: [],
    territories: [],
    segments: [],
    bookingUrl: `https://meet.company-a.example/${id}`,
    notify: { email: true, slack: `#handoff-${id}` },
    ...extra
  })
  // out-of-office spans, as fractions of the period (so a two-week run has some too)
  const oooByRep: Record<string, ReturnType<typeof ooo>> = {
    "sdr-dach": ooo(0.3 + rng.between(0, 0.1), 5),
    "ae-west": ooo(0.55 + rng.between(0, 0.1), 3),
    "sdr-us-east": ooo(0.75 + rng.between(0, 0.1), 2),
    "ae-emea": ooo(0.1 + rng.between(0, 0.1), 4)
  }
  const managers: Array<Rep> = [
    base("mgr-sales", "Elena Petrova", { role: "manager", capacity: {}, territories: [], notify: { email: true, slack: "#sales-leadership" } }),
    base("mgr-sdr", "Marcus Reed", { role: "manager", managerId: "mgr-sales" as RepId, notify: { email: true, slack: "#sdr-team" } })
  ]
  const sdrs = sdrTerritories.map((t) =>
    base(t.id, t.name, {
      role: "sdr",
      pods: ["sdr"],
      timezone: t.timezone,
      workingHours: { "mon-fri": [t.hours[0], t.hours[1]] },
      capacity: { maxOpen: 400, maxPerDay: 40 },
      territories: [...t.territories],
      managerId: "mgr-sdr" as RepId,
      outOfOffice: oooByRep[t.id] ?? []
    })
  )
  const floater = base("sdr-floater", "Chris Okafor", {
    role: "sdr",
    pods: ["sdr-backup"],
    timezone: "America/Chicago",
    workingHours: { "mon-fri": ["08:00", "18:00"] },
    capacity: { maxOpen: 500, maxPerDay: 60 },
    territories: ["*"],
    managerId: "mgr-sdr" as RepId
  })
  const aes = aeDefs.map((a) =>
    base(a.id, a.name, {
      role: "ae",
      pods: [...a.pods],
      timezone: a.timezone,
      workingHours: Object.fromEntries(Object.entries(a.hours).map(([k, v]) => [k, [v[0], v[1]] as const])),
      capacity: { maxOpen: 150, maxPerDay: 15 },
      segments: ["mid-market", "enterprise"],
      managerId: "mgr-sales" as RepId,
      outOfOffice: oooByRep[a.id] ?? []
    })
  )
  return [...managers, ...sdrs, floater, ...aes]
}

/** The AEs who own named accounts, by region. */
export const accountOwners: Readonly<Record<AeRegion, ReadonlyArray<string>>> = {
  us: ["ae-east", "ae-central", "ae-west"],
  emea: ["ae-emea"]
}

// ---------------------------------------------------------------------------
// Companies and accounts
// ---------------------------------------------------------------------------

const prefixes = [
  "North", "Bright", "Blue", "Iron", "Silver", "Cedar", "Summit", "Harbor", "Nova", "Apex", "Pine", "Atlas", "Clear", "Red",
  "Stone", "Swift", "Quantum", "Vertex", "Lumen", "Orbit", "Maple", "Falcon", "Granite", "Coral", "Aspen", "Delta", "Ember",
  "Fjord", "Glacier", "Horizon", "Indigo", "Juniper", "Kestrel", "Lattice", "Meridian", "Nimbus", "Onyx", "Prairie", "Quarry", "Ridge"
]
const suffixes = [
  "wind", "path", "field", "works", "logic", "stack", "labs", "ware", "point", "bridge", "scale", "metrics", "cloud", "forge",
  "line", "grid", "data", "flow", "loop", "base", "signal", "sphere", "craft", "mind", "ledger", "hub", "gate", "vale", "ops", "wave"
]
const qualifiers = ["", "-group", "-systems", "-global", "-hq"]

/** A company leads can come from: an account in the directory or one of the long tail. */
export interface Company {
  readonly index: number
  readonly name: string
  readonly domain: string
  readonly country: string
  readonly industry: string
  readonly employees: number
  readonly segment: "smb" | "mid-market" | "enterprise"
}

export const segmentOf = (employees: number): Company["segment"] =>
  employees < 200 ? "smb" : employees < 2000 ? "mid-market" : "enterprise"

/** The seed's company names, shuffled: the first `accountCount` are accounts, the rest the long tail. */
const companyNames = (seed: number): ReadonlyArray<{ name: string; domain: string }> => {
  const all: Array<{ name: string; domain: string }> = []
  for (const q of qualifiers) {
    for (const p of prefixes) {
      for (const s of suffixes) {
        const base = `${p}${s}`
        const name = q === "" ? base : `${base} ${q.slice(1).replace(/^./, (c) => c.toUpperCase())}`
        all.push({ name, domain: `${base.toLowerCase()}${q}.example` })
      }
    }
  }
  const rng = Rng.of(seed, "company-names")
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    const t = all[i]!
    all[i] = all[j]!
    all[j] = t
  }
  return all
}

const employeesFor = (rng: Rng, bands: ReadonlyArray<readonly [readonly [number, number], number]>): number => {
  const [lo, hi] = rng.weighted(bands)
  return Math.round(Math.exp(rng.between(Math.log(lo), Math.log(hi))))
}

const makeCompany = (seed: number, index: number, named: { name: string; domain: string }, isAccount: boolean): Company => {
  const rng = Rng.of(seed, "company", index)
  const country = rng.weighted(countries.map((c) => [c.code, c.weight] as const))
  const employees = isAccount
    ? employeesFor(rng, [[[20, 49], 8], [[50, 199], 22], [[200, 1999], 42], [[2000, 30000], 28]])
    : employeesFor(rng, [[[3, 49], 36], [[50, 199], 30], [[200, 1999], 24], [[2000, 30000], 10]])
  return { index, name: named.name, domain: named.domain, country, industry: rng.weighted(industries), employees, segment: segmentOf(employees) }
}

export interface CompanyAccounts {
  /** The accounts in the directory (named ones with an owner AE; a few in an ABM play). */
  readonly accounts: ReadonlyArray<Account>
  /** The companies behind them, same order. */
  readonly accountCompanies: ReadonlyArray<Company>
  /** A long-tail company by index (not in the account directory). */
  readonly tail: (index: number) => Company
  readonly tailSize: number
}

/** Number of accounts in the directory. */
export const accountCount = 300

/**
 * ~300 accounts: the biggest fifth named (sales' target list) with an owner AE of their
 * region; 12 of those in an active outbound ABM play (inbound goes to the owner,
 * `abm_suppressed`). The long tail of other companies is generated on demand.
 */
export const makeAccounts = (seed: number): CompanyAccounts => {
  const names = companyNames(seed)
  const accountCompanies = names.slice(0, accountCount).map((n, i) => makeCompany(seed, i, n, true))
  const rng = Rng.of(seed, "accounts")
  const bySize = [...accountCompanies].sort((a, b) => b.employees - a.employees || a.index - b.index)
  const named = new Set(bySize.slice(0, 60).map((c) => c.index))
  const abm = new Set(bySize.slice(0, 60).filter(() => true).map((c) => c.index).filter((_, i) => i % 5 === 2).slice(0, 12))
  const owners = new Map<number, string>()
  for (const c of accountCompanies) {
    if (!named.has(c.index)) continue
    const emea = !["US", "CA", "MX", "BR"].includes(c.country)
    owners.set(c.index, emea ? "ae-emea" : rng.pick(accountOwners.us))
  }
  const accounts: Array<Account> = accountCompanies.map((c) => ({
    domain: c.domain,
    name: c.name,
    named: named.has(c.index),
    ...(owners.has(c.index) ? { ownerRepId: owners.get(c.index) as RepId } : {}),
    activeOutbound: abm.has(c.index),
    segment: c.segment
  }))
  const tailNames = names.slice(accountCount)
  const cache = new Map<number, Company>()
  const tail = (index: number): Company => {
    let c = cache.get(index)
    if (c === undefined) {
      c = makeCompany(seed, accountCount + index, tailNames[index % tailNames.length]!, false)
      cache.set(index, c)
    }
    return c
  }
  return { accounts, accountCompanies, tail, tailSize: tailNames.length }
}

// ---------------------------------------------------------------------------
// Personas
// ---------------------------------------------------------------------------

export type Seniority = "exec" | "director" | "manager" | "ic" | "other"

const titles: Readonly<Record<Seniority, ReadonlyArray<string>>> = {
  exec: ["VP Sales", "VP Marketing", "Chief Revenue Officer", "CMO", "Head of Sales Operations", "Head of Growth", "VP Revenue Operations", "CEO", "COO"],
  director: ["Director of Sales", "Director of Marketing Operations", "Director of Demand Generation", "Sales Director", "Director of Revenue Operations"],
  manager: ["Marketing Manager", "Sales Operations Manager", "Demand Generation Manager", "SDR Manager", "Revenue Operations Manager", "Growth Manager"],
  ic: ["Marketing Specialist", "Sales Development Representative", "Account Executive", "Marketing Coordinator", "Business Analyst", "Operations Analyst"],
  other: ["Student", "Consultant", "Freelancer", "Intern"]
}

/** Seniority mix by channel: content syndication brings the most junior audience, paid search and LinkedIn the most senior. */
const seniorityMix: Readonly<Record<Channel, ReadonlyArray<readonly [Seniority, number]>>> = {
  organic: [["exec", 15], ["director", 20], ["manager", 30], ["ic", 28], ["other", 7]],
  content_syndication: [["exec", 8], ["director", 14], ["manager", 30], ["ic", 37], ["other", 11]],
  email: [["exec", 15], ["director", 22], ["manager", 33], ["ic", 25], ["other", 5]],
  webinar: [["exec", 12], ["director", 22], ["manager", 33], ["ic", 28], ["other", 5]],
  paid_search: [["exec", 22], ["director", 25], ["manager", 30], ["ic", 20], ["other", 3]],
  linkedin: [["exec", 20], ["director", 26], ["manager", 30], ["ic", 21], ["other", 3]]
}

/** Share of leads from a company in the account directory, by channel (LinkedIn targets the named list). */
const accountShare: Readonly<Record<Channel, number>> = {
  organic: 0.22, content_syndication: 0.12, email: 0.32, webinar: 0.28, paid_search: 0.22, linkedin: 0.45
}

/** Share of free-mail addresses by channel. */
const freeMailShare: Readonly<Record<Channel, number>> = {
  organic: 0.12, content_syndication: 0.03, email: 0.07, webinar: 0.1, paid_search: 0.1, linkedin: 0.04
}

const freeMailDomains = ["gmail.com", "gmail.com", "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "gmx.de", "web.de"]

const firstNames = [
  "Dana", "Alex", "Sam", "Jamie", "Taylor", "Morgan", "Chris", "Pat", "Robin", "Casey", "Avery", "Riley", "Jordan", "Drew", "Quinn",
  "Noah", "Emma", "Liam", "Olivia", "Mia", "Lucas", "Sophie", "Ava", "Ethan", "Isla", "Leon", "Hannah", "Felix", "Nora", "Arjun",
  "Priya", "Mateo", "Lucia", "Yuki", "Kenji", "Aisha", "Omar", "Freya", "Lars", "Ingrid", "Sean", "Niamh", "Chloe", "Hugo", "Elif"
]
const lastNames = [
  "Lee", "Smith", "Garcia", "Miller", "Brown", "Nguyen", "Patel", "Johnson", "Martin", "Schmidt", "Muller", "Jansen", "Larsen",
  "Nielsen", "Murphy", "Kelly", "Dubois", "Rossi", "Silva", "Kim", "Tanaka", "Singh", "Cohen", "Walsh", "Berg", "Novak", "Evans",
  "Wright", "Lopez", "Clark", "Young", "Hall", "Allen", "King", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell"
]

/** The ACV band a company's size suggests (what the demo form's "company size" maps to, refined by enrichment). */
export const acvFor = (employees: number, rng: Rng): number => {
  const base = employees < 50 ? 8_000 : employees < 200 ? 18_000 : employees < 500 ? 36_000 : employees < 2000 ? 62_000 : employees < 5000 ? 95_000 : 150_000
  return Math.round(base * rng.logNormal(1, 0.22) / 500) * 500
}

// ---------------------------------------------------------------------------
// The lead stream
// ---------------------------------------------------------------------------

/** An inquiry type with its event properties. */
interface InquiryKind {
  readonly intent: string
  readonly properties: Readonly<Record<string, string>>
  readonly form: string
}

const content = (kind: string, title: string): InquiryKind => ({ intent: "content_download", properties: { kind, title }, form: `download-${kind}` })
const caseStudies = ["How Northwind cut speed-to-lead to 4 minutes", "Atlasdata: 2x pipeline from the same inbound", "Brightpath's signed SLA"]
const guides = ["The lead routing playbook", "Speed-to-lead benchmarks", "The MQL definition worksheet", "Demand waterfall template"]

/** Inquiry mix by channel: content syndication is nearly all downloads, paid search mostly demo and pricing requests and trials. */
const inquiryMix: Readonly<Record<Channel, ReadonlyArray<readonly [(rng: Rng) => InquiryKind, number]>>> = {
  organic: [
    [() => ({ intent: "demo_request", properties: {}, form: "demo" }), 10],
    [() => ({ intent: "pricing_request", properties: {}, form: "pricing" }), 4],
    [() => ({ intent: "contact_sales", properties: {}, form: "contact-sales" }), 4],
    [() => ({ intent: "trial_signup", properties: { plan: "trial" }, form: "trial" }), 14],
    [(r) => content("case_study", r.pick(caseStudies)), 8],
    [(r) => content(r.pick(["ebook", "guide"]), r.pick(guides)), 40],
    [() => ({ intent: "newsletter_signup", properties: {}, form: "newsletter" }), 20]
  ],
  content_syndication: [
    [(r) => content(r.pick(["whitepaper", "report"]), r.pick(guides)), 93],
    [(r) => content("case_study", r.pick(caseStudies)), 7]
  ],
  email: [
    [(r) => content("guide", r.pick(guides)), 45],
    [() => ({ intent: "webinar_registration", properties: { webinar: "Speed-to-lead live" }, form: "webinar" }), 30],
    [() => ({ intent: "demo_request", properties: {}, form: "demo" }), 8],
    [() => ({ intent: "pricing_request", properties: {}, form: "pricing" }), 4],
    [(r) => content("case_study", r.pick(caseStudies)), 10],
    [() => ({ intent: "contact_sales", properties: {}, form: "contact-sales" }), 3]
  ],
  webinar: [
    [(r) => ({ intent: "webinar_registration", properties: { webinar: r.pick(["Speed-to-lead live", "The ABM playbook", "RevOps roundtable"]) }, form: "webinar" }), 95],
    [() => ({ intent: "demo_request", properties: {}, form: "demo" }), 3],
    [() => ({ intent: "contact_sales", properties: {}, form: "contact-sales" }), 2]
  ],
  paid_search: [
    [() => ({ intent: "demo_request", properties: {}, form: "demo" }), 32],
    [() => ({ intent: "pricing_request", properties: {}, form: "pricing" }), 10],
    [() => ({ intent: "contact_sales", properties: {}, form: "contact-sales" }), 5],
    [() => ({ intent: "trial_signup", properties: { plan: "trial" }, form: "trial" }), 23],
    [(r) => content("guide", r.pick(guides)), 25],
    [(r) => content("case_study", r.pick(caseStudies)), 5]
  ],
  linkedin: [
    [(r) => content(r.pick(["guide", "report"]), r.pick(guides)), 62],
    [() => ({ intent: "webinar_registration", properties: { webinar: "The ABM playbook" }, form: "linkedin-lead-gen" }), 18],
    [() => ({ intent: "demo_request", properties: {}, form: "linkedin-demo" }), 12],
    [(r) => content("case_study", r.pick(caseStudies)), 8]
  ]
}

/** Hand-raise inquiry types (the default agreement's `handRaise.events`). */
export const handRaiseIntents: ReadonlySet<string> = new Set(["demo_request", "pricing_request", "contact_sales"])

/** Something a lead does after (or, for a few, before) the first form fill. */
export type FollowUp =
  | { readonly kind: "event"; readonly at: Date; readonly type: string; readonly properties: Readonly<Record<string, string | number>>; readonly channel?: string; readonly campaign?: string }
  | { readonly kind: "inquiry"; readonly at: Date; readonly intent: string; readonly channel: Channel; readonly campaign: string; readonly form: string }

/** One inbound lead of the stream: who, from where, when, and what they will do next. */
export interface LeadPlan {
  /** Position in the stream (arrival order): the lead's identity across runs. */
  readonly index: number
  readonly t0: Date
  readonly channel: Channel
  readonly campaign: string
  readonly intent: string
  readonly properties: Readonly<Record<string, string>>
  readonly seniority: Seniority
  readonly company: Company
  readonly fromAccount: boolean
  readonly freeMail: boolean
  /** What the form sent. */
  readonly profile: LeadProfile
  /** The firmographic enrichment (most leads), and when it lands. */
  readonly enrichment?: { readonly at: Date; readonly data: Enrichment }
  /** The ACV a deal with this lead's company would be worth. */
  readonly acv: number
  /** How ready to buy the person is, 0..1: drives follow-ups and sales outcomes. */
  readonly readiness: number
  /** Events before the form fill (known by email later: held, then attached). */
  readonly before: ReadonlyArray<FollowUp>
  /** Events and later inquiries after T0, in time order. */
  readonly after: ReadonlyArray<FollowUp>
  /** The same person under another address at the same company: sales rejects it as a duplicate of that lead. */
  readonly duplicateOf?: number
}

const dayWeight = (weekday: number): number => (weekday === 0 ? 0.22 : weekday === 6 ? 0.28 : 1)
/** Arrivals by local hour: business hours, an evening tail, quiet nights. */
const hourWeights: ReadonlyArray<number> = [
  0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.2, 2.2, 3.2, 3.5, 3.4, 3, 3.2, 3.3, 3.1, 2.7, 2.1, 1.5, 1.2, 1.0, 0.9, 0.7, 0.45
]

const at = (t: number) => new Date(t)
const MIN = 60_000
const HOUR = 3_600_000

/**
 * The lead stream between `start` and `end`: about 4,000 leads per month (±5% month to
 * month), each an arrival time (business days and hours in the lead's own time zone,
 * weekend dips), a channel, a campaign, a persona and company, the form it filled, its
 * enrichment, and what it does next. Sorted by arrival; `index` is the position.
 */
export const planLeads = (opts: CompanyOptions, accounts: CompanyAccounts): ReadonlyArray<LeadPlan> => {
  const { seed } = opts
  const startMs = opts.start.getTime()
  const endMs = opts.end.getTime()
  const days = (endMs - startMs) / DAY
  const rng = Rng.of(seed, "stream")
  const volume = Math.round(leadsPerMonth * (days / 30.44) * rng.between(0.96, 1.04))

  // Arrival day weights (in UTC days; the hour is then drawn in the lead's local zone).
  const dayStarts: Array<number> = []
  const dayWeights: Array<number> = []
  for (let d = Math.floor(startMs / DAY) * DAY; d < endMs; d += DAY) {
    dayStarts.push(d)
    dayWeights.push(dayWeight(new Date(d + 12 * HOUR).getUTCDay()))
  }
  const dayEntries = dayStarts.map((d, i) => [d, dayWeights[i]!] as const)
  const hourEntries = hourWeights.map((w, h) => [h, w] as const)
  const channelEntries = channels.map((c) => [c, channelMix[c]] as const)
  const countryEntries = countries.map((c) => [c.code, c.weight] as const)

  // Arrivals: a calendar day (weekend dip), then an hour of that day in the lead's own zone.
  const arrivals: Array<{ readonly t0: number; readonly draw: number; readonly country: string }> = []
  for (let draw = 0; arrivals.length < volume && draw < volume * 3; draw++) {
    const r = Rng.of(seed, "arrival", draw)
    const day = new Date(r.weighted(dayEntries))
    const country = countryByCode.get(r.weighted(countryEntries))!
    const zone = r.pick(country.zones)
    const hour = r.weighted(hourEntries)
    const t = instantFromWallClock(zone, {
      year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour, minute: r.int(0, 59), second: r.int(0, 59)
    }).getTime()
    if (t >= startMs && t < endMs) arrivals.push({ t0: t, draw, country: country.code })
  }
  arrivals.sort((a, b) => a.t0 - b.t0 || a.draw - b.draw)

  const plans: Array<LeadPlan> = []
  const recentCorporate: Array<number> = []
  for (const [index, arrival] of arrivals.entries()) {
    const r = Rng.of(seed, "lead", arrival.draw)
    const t0 = arrival.t0
    const channel = r.weighted(channelEntries)
    const campaign = r.pick(campaigns[channel])
    const seniority = r.weighted(seniorityMix[channel])
    const fromAccount = r.chance(accountShare[channel])
    let company: Company
    if (fromAccount) {
      // LinkedIn's ABM campaign and the email database lean to the named list
      const named = accounts.accounts.map((a, i) => [i, a.activeOutbound ? (channel === "linkedin" ? 12 : 4) : a.named ? 3 : 1] as const)
      company = accounts.accountCompanies[r.weighted(named)]!
    } else {
      company = accounts.tail(r.int(0, accounts.tailSize - 1))
    }
    // the person lives where the arrival hour was drawn; their company may be elsewhere
    const country = arrival.country
    const first = r.pick(firstNames)
    const last = r.pick(lastNames)
    const freeMail = r.chance(freeMailShare[channel])
    const title = r.pick(titles[seniority])
    const inquiry = r.weighted(inquiryMix[channel])(r)

    // a duplicate: the same person at the same company under another address
    let duplicateOf: number | undefined
    let email: string
    let person = { first, last, title, seniority }
    if (!freeMail && recentCorporate.length > 20 && r.chance(0.02)) {
      const orig = plans[r.pick(recentCorporate.slice(-400))]!
      duplicateOf = orig.index
      company = orig.company
      person = { first: orig.profile.firstName ?? first, last: orig.profile.lastName ?? last, title: orig.profile.title ?? title, seniority: orig.seniority }
      email = `${person.first.slice(0, 1).toLowerCase()}${person.last.toLowerCase()}${index % 7}@${company.domain}`
    } else {
      email = freeMail
        ? `${first.toLowerCase()}.${last.toLowerCase()}${r.int(1, 9999)}@${r.pick(freeMailDomains)}`
        : `${first.toLowerCase()}.${last.toLowerCase()}.${index}@${company.domain}`
    }
    const acv = acvFor(company.employees, Rng.of(seed, "acv", company.index))
    const handRaise = handRaiseIntents.has(inquiry.intent)
    const longForm = handRaise || inquiry.intent === "trial_signup"
    const profile: LeadProfile = {
      email,
      firstName: person.first,
      lastName: person.last,
      ...(r.chance(longForm ? 0.97 : 0.8) ? { title: person.title } : {}),
      company: company.name,
      ...(freeMail && r.chance(0.5) ? { domain: company.domain } : {}),
      ...(r.chance(longForm ? 0.95 : 0.65) ? { country } : {}),
      // the demo, pricing and trial forms ask company size; the form backend maps it to an ACV band
      ...(longForm ? { employees: company.employees, estimatedAcv: acv } : {}),
      ...(longForm ? { phone: `+1-555-${String(r.int(100, 999))}-${String(r.int(1000, 9999))}` } : {}),
      source: { channel, campaign, form: inquiry.form },
      ...(longForm ? { fields: { use_case: r.pick(["lead routing", "speed-to-lead", "SLA reporting", "attribution"]), timeline: r.pick(["this quarter", "next quarter", "researching"]) } } : {})
    }
    const enrichment: LeadPlan["enrichment"] = r.chance(freeMail ? 0.55 : 0.9)
      ? {
        at: at(t0 + Math.min(14 * MIN, Math.max(40_000, r.logNormal(3 * MIN, 0.7)))),
        data: {
          title: person.title,
          seniority: person.seniority,
          company: company.name,
          domain: company.domain,
          country: company.country,
          employees: company.employees,
          industry: company.industry,
          estimatedAcv: acv
        }
      }
      : undefined

    // readiness: low for most, higher for hand-raisers, paid search and seniors
    const lift = (handRaise ? 0.35 : 0) + (channel === "paid_search" ? 0.1 : channel === "content_syndication" ? -0.12 : 0) +
      (seniority === "exec" || seniority === "director" ? 0.08 : seniority === "other" ? -0.1 : 0)
    const readiness = Math.min(1, Math.max(0, Math.pow(r.float(), 1.6) + lift))
    const { before, after } = followUps(r, { t0, endMs, channel, campaign, intent: inquiry.intent, readiness, handRaise })

    plans.push({
      index,
      t0: at(t0),
      channel,
      campaign,
      intent: inquiry.intent,
      properties: inquiry.properties,
      seniority: person.seniority,
      company,
      fromAccount,
      freeMail,
      profile,
      ...(enrichment === undefined ? {} : { enrichment }),
      acv,
      readiness,
      before,
      after,
      ...(duplicateOf === undefined ? {} : { duplicateOf })
    })
    if (!freeMail && duplicateOf === undefined) recentCorporate.push(index)
  }
  return plans
}

/** What a lead does around its first form fill: engagement in proportion to its readiness. */
const followUps = (
  r: Rng,
  p: { t0: number; endMs: number; channel: Channel; campaign: string; intent: string; readiness: number; handRaise: boolean }
): { before: ReadonlyArray<FollowUp>; after: ReadonlyArray<FollowUp> } => {
  const { t0, readiness: x } = p
  const before: Array<FollowUp> = []
  const after: Array<FollowUp> = []
  const ev = (offset: number, type: string, properties: Record<string, string | number> = {}, channel?: string, campaign?: string): FollowUp => ({
    kind: "event",
    at: at(t0 + offset),
    type,
    properties,
    ...(channel === undefined ? {} : { channel }),
    ...(campaign === undefined ? {} : { campaign })
  })
  // a few visited the site before filling a form (known by cookie, attached when the lead appears)
  if (r.chance(0.1)) {
    const n = r.int(1, 3)
    for (let i = 0; i < n; i++) before.push(ev(-r.between(2 * HOUR, 6 * DAY), "site_visit", { page: r.pick(["/", "/product", "/blog"]) }, "organic"))
  }
  // nurture email opens over the next month
  const opens = Math.floor(x * 5 + r.float() * (p.channel === "email" ? 2.5 : 1.5))
  for (let i = 0; i < opens; i++) after.push(ev(r.between(1 * DAY, 32 * DAY), "email_open", { email: r.pick(["nurture-1", "nurture-2", "newsletter", "product-update"]) }, "email", "email-nurture-track"))
  // return visits, bunched into one week for the engaged
  const visits = Math.floor(x * 4.5 * r.float() + (r.chance(0.2) ? 1 : 0))
  const week = r.between(0, 20 * DAY)
  for (let i = 0; i < visits; i++) after.push(ev(r.chance(x) ? week + r.between(0, 6 * DAY) : r.between(HOUR, 30 * DAY), "site_visit", { page: r.pick(["/", "/product", "/integrations", "/customers"]) }, "organic"))
  if (r.chance(0.08 + 0.45 * x)) after.push(ev(r.between(10 * MIN, 20 * DAY), "page_view", { category: "pricing", path: "/pricing" }, "organic"))
  if (r.chance(0.04 + 0.3 * x)) after.push(ev(r.between(HOUR, 25 * DAY), "content_download", { kind: "case_study", title: r.pick(caseStudies) }, "email", "email-nurture-track"))
  if (r.chance(0.12 * x)) after.push(ev(r.between(HOUR, 25 * DAY), "content_download", { kind: "case_study", title: r.pick(caseStudies) }, "organic"))
  if (r.chance(0.03)) after.push(ev(r.between(HOUR, 20 * DAY), "page_view", { category: "careers", path: "/careers" }, "organic"))
  if (r.chance(0.05 * (1 - x))) after.push(ev(r.between(2 * DAY, 30 * DAY), "unsubscribe", {}, "email"))
  if (p.intent === "webinar_registration" && r.chance(0.55)) after.push(ev(r.between(1 * DAY, 10 * DAY), "webinar_attended", {}, "webinar", p.campaign))
  // a trial: product usage (PQL signals in ICP accounts)
  if (p.intent === "trial_signup") {
    if (r.chance(0.75)) after.push(ev(r.between(5 * MIN, 3 * HOUR), "workspace_created", {}, "product"))
    if (r.chance(0.3)) after.push(ev(r.between(1 * DAY, 6 * DAY), "seat_invited", { seats: r.int(2, 6) }, "product"))
    if (r.chance(0.2)) after.push(ev(r.between(1 * DAY, 8 * DAY), "integration_connected", { integration: r.pick(["salesforce", "hubspot", "slack"]) }, "product"))
  }
  // some raise a hand later: a second form fill
  if (!p.handRaise && r.chance(0.015 + 0.1 * x)) {
    const intent = r.weighted([["demo_request", 6], ["pricing_request", 3], ["contact_sales", 1]] as const)
    const channel = r.weighted([["organic", 5], ["paid_search", 3], ["email", 2]] as const)
    after.push({ kind: "inquiry", at: at(t0 + r.between(2 * DAY, 45 * DAY)), intent, channel, campaign: r.pick(campaigns[channel]), form: intent === "pricing_request" ? "pricing" : "demo" })
  }
  return {
    before: before.filter((f) => f.at.getTime() < p.endMs).sort((a, b) => a.at.getTime() - b.at.getTime()),
    after: after.filter((f) => f.at.getTime() < p.endMs).sort((a, b) => a.at.getTime() - b.at.getTime())
  }
}

/** The whole company for a period: reps, accounts and the lead stream. */
export interface CompanyModel {
  readonly seed: number
  readonly start: Date
  readonly end: Date
  readonly reps: ReadonlyArray<Rep>
  readonly accounts: CompanyAccounts
  readonly leads: ReadonlyArray<LeadPlan>
}

/** Company A for `seed` between `start` and `end`. Pure: same inputs, same company. */
export const makeCompany_ = (opts: CompanyOptions): CompanyModel => {
  const accounts = makeAccounts(opts.seed)
  return { seed: opts.seed, start: opts.start, end: opts.end, reps: makeReps(opts), accounts, leads: planLeads(opts, accounts) }
}

export { makeCompany_ as companyA }
