/**
 * The people and things a handoff is about: leads (with their firmographic profile),
 * the behavioral events they generate, the accounts they belong to and the reps who
 * work them. Every shape here is an `effect/Schema`, so edges decode into them.
 */
import { domainToASCII } from "node:url"
import { Schema } from "effect"

// ---------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------

export const LeadId = Schema.NonEmptyTrimmedString.pipe(Schema.brand("LeadId"))
export type LeadId = typeof LeadId.Type
export const RepId = Schema.NonEmptyTrimmedString.pipe(Schema.brand("RepId"))
export type RepId = typeof RepId.Type
export const PodId = Schema.NonEmptyTrimmedString.pipe(Schema.brand("PodId"))
export type PodId = typeof PodId.Type
export const AccountId = Schema.NonEmptyTrimmedString.pipe(Schema.brand("AccountId"))
export type AccountId = typeof AccountId.Type

// ---------------------------------------------------------------------------
// Email identity
// ---------------------------------------------------------------------------

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/**
 * Text as identity compares it: Unicode NFKC, lower case, trimmed. NFKC rather than NFC
 * because it also folds compatibility forms — fullwidth `ｄａｎａ＠ａｃｍｅ．ｃｏｍ` typed with
 * an East Asian input method, ligatures — into the letters they stand for; it composes
 * like NFC, so `zoë` typed as `e` + combining diaeresis is the same as `ë`. (RFC 6532 asks
 * only for NFC in the local part, so in principle `ｄａｎａ@` and `dana@` could be different
 * mailboxes; no mail system hands those out separately, and the identity would split
 * every time a form is filled in with a different keyboard.)
 */
const foldText = (s: string): string => s.normalize("NFKC").toLowerCase().normalize("NFKC").trim()

/** An email address as given on a form; validated loosely (`x@y.z`, after folding fullwidth forms). */
export const Email = Schema.Trimmed.pipe(
  Schema.filter((s) => emailPattern.test(s.normalize("NFKC")) || "must be an email address like jane@acme.com"),
  Schema.annotations({ identifier: "Email" })
)

/**
 * The canonical form of a domain name, the one key accounts and leads are matched by:
 * NFKC, then IDNA (UTS #46) to its ASCII form — `bücher.de` and `xn--bcher-kva.de` are
 * both `xn--bcher-kva.de` — lower case, without the trailing dot of a fully qualified
 * name (`acme.com.`). The ASCII form, not the Unicode one, because it is what DNS and
 * mail use, because every domain already stored as an account is ASCII, and because it
 * shows a look-alike (`аcme.com` with a Cyrillic `а` is `xn--cme-5cd.com`) for what it
 * is. A name IDNA refuses (spaces, `a_b` labels that are not host names) keeps its folded
 * text, so nothing is lost; the account API refuses those anyway.
 */
export const normalizeDomain = (name: string): string => {
  const folded = foldText(name)
  const ascii = domainToASCII(folded)
  return (ascii === "" ? folded : ascii).replace(/\.+$/, "")
}

/**
 * The domain a website or domain field names: `https://www.Acme.com/about` → `acme.com`
 * (scheme, `www.`, path, query and fragment dropped, then `normalizeDomain`).
 */
export const domainOfWebsite = (raw: string): string =>
  normalizeDomain(foldText(raw).replace(/^[a-z][a-z0-9+.-]*:\/\//, "").replace(/[/?#].*$/, "").replace(/^www\./, ""))

/**
 * The dedupe key of a lead: the address folded (`foldText`: NFKC, lower case, trimmed)
 * and its domain in canonical form (`normalizeDomain`). For gmail (and googlemail, the
 * same mailboxes), which ignore dots and `+tags`, those are removed too, so
 * `Jane.Doe+webinar@GMail.com` and `janedoe@gmail.com` are one lead. Every other address
 * keeps its local part as written: other providers' `+tags` and company addresses are
 * not folded (some companies route `first.last` and `firstlast` to different people).
 */
export const normalizeEmail = (email: string): string => {
  const folded = foldText(email)
  const at = folded.lastIndexOf("@")
  if (at < 0) return folded
  let local = folded.slice(0, at)
  let domain = normalizeDomain(folded.slice(at + 1))
  if (domain === "googlemail.com") domain = "gmail.com"
  if (domain === "gmail.com") local = local.split("+")[0]!.replaceAll(".", "")
  return `${local}@${domain}`
}

/** The domain part of an email address, in canonical form (`normalizeDomain`). */
export const emailDomain = (email: string): string => {
  const folded = foldText(email)
  return normalizeDomain(folded.slice(folded.lastIndexOf("@") + 1))
}

/**
 * Free-mail and ISP domains: an address there says nothing about the company, so such
 * leads are never matched to an account by domain. Compared in canonical form.
 */
export const freeMailDomains: ReadonlySet<string> = new Set([
  "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "hotmail.com",
  "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com",
  "mac.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com",
  "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "zoho.com", "fastmail.com",
  "hey.com", "tutanota.com", "orange.fr", "free.fr", "laposte.net", "comcast.net", "verizon.net",
  "att.net", "sbcglobal.net", "btinternet.com", "rediffmail.com"
])

/** The account domain a lead should be matched by, or `undefined` for free-mail addresses. */
export const accountDomainOf = (email: string, declaredDomain?: string): string | undefined => {
  const fromEmail = emailDomain(email)
  if (!freeMailDomains.has(fromEmail)) return fromEmail
  if (declaredDomain === undefined) return undefined
  const d = domainOfWebsite(declaredDomain)
  return d === "" || freeMailDomains.has(d) ? undefined : d
}

// ---------------------------------------------------------------------------
// Lead profile (what forms and enrichment tell us)
// ---------------------------------------------------------------------------

/** A form answer or event property value. */
export const Scalar = Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.Null)
export type Scalar = typeof Scalar.Type

export const LeadSource = Schema.Struct({
  channel: Schema.optional(Schema.String),
  campaign: Schema.optional(Schema.String),
  form: Schema.optional(Schema.String)
})
export type LeadSource = typeof LeadSource.Type

/**
 * What we know about the person and their company. Every field but `email` may be
 * missing: a provisional score runs on form data alone, enrichment fills the rest.
 */
export const LeadProfile = Schema.Struct({
  email: Email,
  firstName: Schema.optional(Schema.String),
  lastName: Schema.optional(Schema.String),
  title: Schema.optional(Schema.String),
  seniority: Schema.optional(Schema.String),
  company: Schema.optional(Schema.String),
  domain: Schema.optional(Schema.String),
  country: Schema.optional(Schema.String),
  region: Schema.optional(Schema.String),
  employees: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative())),
  industry: Schema.optional(Schema.String),
  estimatedAcv: Schema.optional(Schema.Number.pipe(Schema.nonNegative())),
  phone: Schema.optional(Schema.String),
  source: Schema.optional(LeadSource),
  fields: Schema.optional(Schema.Record({ key: Schema.String, value: Scalar }))
})
export type LeadProfile = typeof LeadProfile.Type

/** Firmographic enrichment (Clearbit / 6sense / ZoomInfo style): the second scoring stage. */
export const Enrichment = Schema.Struct({
  title: Schema.optional(Schema.String),
  seniority: Schema.optional(Schema.String),
  company: Schema.optional(Schema.String),
  domain: Schema.optional(Schema.String),
  country: Schema.optional(Schema.String),
  region: Schema.optional(Schema.String),
  employees: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative())),
  industry: Schema.optional(Schema.String),
  estimatedAcv: Schema.optional(Schema.Number.pipe(Schema.nonNegative())),
  fields: Schema.optional(Schema.Record({ key: Schema.String, value: Scalar }))
})
export type Enrichment = typeof Enrichment.Type

/**
 * Merge enrichment into a profile. Enrichment vendors are the better source for
 * firmographics, so their values win; form-only fields (name, phone, source) stay.
 */
export const applyEnrichment = (profile: LeadProfile, enrichment: Enrichment): LeadProfile => {
  const merged: Record<string, unknown> = { ...profile }
  for (const [k, v] of Object.entries(enrichment)) {
    if (v === undefined || k === "fields") continue
    merged[k] = v
  }
  if (enrichment.fields !== undefined) merged.fields = { ...profile.fields, ...enrichment.fields }
  return merged as LeadProfile
}

/** The fields that decide fit: a change in any of them lifts a `wrong_icp` block. */
export const fitSignature = (p: LeadProfile): string =>
  JSON.stringify([p.title ?? null, p.seniority ?? null, p.employees ?? null, p.industry ?? null, p.country ?? null, p.estimatedAcv ?? null])

// ---------------------------------------------------------------------------
// Behavioral and product events
// ---------------------------------------------------------------------------

/** Event types: lower snake case, e.g. `page_view`, `demo_request`, `integration_connected`. */
export const EventType = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_.]*$/, { message: () => "event types are lower snake case, e.g. demo_request" }),
  Schema.annotations({ identifier: "EventType" })
)

/** Something a lead did: a page view, a download, a demo request, an in-product milestone. */
export const LeadEvent = Schema.Struct({
  type: EventType,
  occurredAt: Schema.Date,
  properties: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Scalar }), { default: () => ({}) }),
  channel: Schema.optional(Schema.String),
  campaign: Schema.optional(Schema.String)
})
export type LeadEvent = typeof LeadEvent.Type

// ---------------------------------------------------------------------------
// Accounts and reps
// ---------------------------------------------------------------------------

/** A company, matched to leads by email domain. */
export const Account = Schema.Struct({
  domain: Schema.String,
  name: Schema.optional(Schema.String),
  /** On sales' target ("named") list: any inbound response notifies the owner at once. */
  named: Schema.Boolean,
  ownerRepId: Schema.optional(RepId),
  /** In an active outbound (ABM) play: inbound goes to the owner, never into an SDR cadence. */
  activeOutbound: Schema.Boolean,
  segment: Schema.optional(Schema.String)
})
export type Account = typeof Account.Type

export const RepRole = Schema.Literal("ae", "sdr", "manager")
export type RepRole = typeof RepRole.Type

export const WorkingHours = Schema.Record({ key: Schema.String, value: Schema.Tuple(Schema.String, Schema.String) })

/** A sales rep as routing sees them: pods, hours, capacity, weight, time off. */
export const Rep = Schema.Struct({
  id: RepId,
  name: Schema.String,
  email: Schema.optional(Schema.String),
  role: RepRole,
  pods: Schema.Array(Schema.String),
  timezone: Schema.String,
  workingHours: WorkingHours,
  capacity: Schema.Struct({
    maxOpen: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative())),
    maxPerDay: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative()))
  }),
  weight: Schema.Number.pipe(Schema.positive()),
  active: Schema.Boolean,
  outOfOffice: Schema.Array(Schema.Struct({ from: Schema.Date, to: Schema.Date })),
  territories: Schema.Array(Schema.String),
  segments: Schema.Array(Schema.String),
  bookingUrl: Schema.optional(Schema.String),
  managerId: Schema.optional(RepId),
  notify: Schema.optional(Schema.Struct({ email: Schema.optional(Schema.Boolean), slack: Schema.optional(Schema.String) }))
})
export type Rep = typeof Rep.Type

/** A rep's current load, as counted by the store: open leads and leads assigned today. */
export interface RepLoad {
  readonly open: number
  readonly today: number
}
