/**
 * The default agreement: the seeds' numbers, ready to sign or to edit.
 *
 * Scoring is seed 002's example model; the tiers are seed 000's hot-vs-warm flowchart;
 * the hot cadence is seed 000's speed-to-lead ladder; response targets by inquiry type
 * come from seed 004; recycling follows seed 002's rejection categories and seed 001's
 * closed loop. Numbers the seeds do not give (waterfall targets other than the
 * MQL→SQL band) are left for you to set.
 */
import { Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { Agreement } from "./Agreement.ts"

export const defaultAgreementYaml = `# Handoff agreement — the one page marketing and sales sign.
name: Inbound handoff SLA
description: >
  One MQL definition, one hot-vs-warm routing rule, a 5-minute speed-to-lead SLA,
  shared MQL → SAL → SQL math and one attribution split (seeds 000–004).

scoring:
  mqlThreshold: 50          # seed 002: "MQL threshold: 50 points"
  minFit: 10                # intent won't matter if it's not the right person (seed 001)
  fit:
    - { id: title-exec, when: { title: { matches: "\\\\b(vp|vice president|chief|c[eiotfmr]o|head of)\\\\b" } }, points: 15 }
    - { id: size-target, when: { employees: { between: [50, 5000] } }, points: 10 }
    - { id: industry-match, when: { industry: { in: [software, saas, "information technology", "computer software", fintech, "financial services"] } }, points: 10 }
    - { id: too-small, when: { employees: { lt: 50 } }, points: -30, disqualify: wrong_icp }
  intent:
    - { id: pricing, event: page_view, where: { category: { eq: pricing } }, points: 20, max: 20 }
    - { id: case-study, event: content_download, where: { kind: { eq: case_study } }, points: 15 }
    - { id: demo, event: demo_request, points: 50, instantMql: true }
    - { id: email-engaged, event: email_open, count: { atLeast: 3, within: P30D }, points: 10 }
    - { id: return-visits, event: site_visit, count: { atLeast: 3, within: P7D }, points: 15 }
    - { id: careers, event: page_view, where: { category: { eq: careers } }, points: -10 }
    - { id: unsubscribed, event: unsubscribe, points: -20 }
  decay:                    # seed 002: reduce scores after 30, 60, 90 days without engagement
    basis: inactivity
    steps:
      - { after: P30D, factor: 0.5 }
      - { after: P60D, factor: 0.25 }
      - { after: P90D, factor: 0 }
  provisional: { enabled: true, enrichWithin: PT15M }   # seed 000 FAQ: two-stage score

handRaise:                  # always handed to sales, whatever the score
  events: [demo_request, pricing_request, contact_sales]
  pql:                      # seed 000 FAQ: in-product events equal a demo request in ICP accounts
    - { event: workspace_created }
    - { event: seat_invited, where: { seats: { gte: 2 } } }
    - { event: integration_connected }
    - { event: usage_threshold_reached }
  pqlRequiresIcpFit: true
  within: P30D

tiers:                      # seed 000 flowchart, first match wins
  - name: hot
    description: Demo or pricing request, ACV band above $50K and ICP fit → AE-direct, 5-minute SLA
    when: { handRaise: true, estimatedAcv: { gt: 50000 }, icpFit: true }
    route: { pod: ae-direct, onShiftOnly: true }
    sla: { accept: PT2M, firstTouch: PT5M }
    cadence: speed-to-lead
  - name: warm-plus
    description: Hand-raise that is not hot → SDR, same-business-day first touch, 3 touches in 3 business days
    when: { handRaise: true }
    route: { pod: sdr }
    sla: { firstTouch: same-business-day, businessHours: true, byIntent: { trial_signup: PT1H } }
    cadence: sdr-3x3
  - name: warm
    description: MQL without a hand-raise → SDR qualify queue, 24 business hours, 8 touches in 10 business days
    when: { mql: true }
    route: { pod: sdr }
    sla: { firstTouch: PT24H, businessHours: true, byIntent: { trial_signup: PT1H, content_download: PT4H } }
    cadence: sdr-8x10
  - name: nurture
    description: Everything else — marketing keeps it, no owner, no timer

cadences:
  speed-to-lead:            # seed 000 section 4
    businessHours: false
    steps:
      - { id: attempt-1, kinds: [call], after: t0, within: PT5M }
      - { id: voicemail-email, kinds: [voicemail, email], match: all, after: attempt-1, within: PT3M, when: missed_connect }
      - { id: attempt-2, kinds: [call], after: attempt-1, within: PT1H }
      - { id: attempt-3-linkedin, kinds: [call, linkedin], match: all, after: t0, within: end-of-business-day }
  sdr-3x3: { touches: 3, overBusinessDays: 3 }
  sdr-8x10: { touches: 8, overBusinessDays: 10 }

routing:
  pods:
    - { id: ae-direct, name: AE direct, strategy: round_robin, backup: ae-backup }
    - { id: ae-backup, name: AE backup, strategy: round_robin }
    - { id: sdr, name: SDR by territory, strategy: territory, backup: sdr-backup }
    - { id: sdr-backup, name: SDR backup, strategy: round_robin }
  abmSuppression: true      # seed 000 FAQ: accounts in active outbound stay with the AE
  namedAccountNotify: true  # seed 003: a named account's inbound notifies its owner at once
  territoryField: country
  segments:
    - { id: smb, when: { employees: { lt: 200 } } }
    - { id: mid-market, when: { employees: { between: [200, 1999] } } }
    - { id: enterprise, when: { employees: { gte: 2000 } } }

calendar:
  timezone: America/New_York
  workingHours: { mon-fri: ["09:00", "18:00"] }
  holidays: []

recycle:                    # seed 002: what happens to leads sales rejects
  wrong_icp: { track: none }
  premature: { reevaluateAfter: P30D, track: education }
  unreachable: { reevaluateAfter: P90D, track: low_frequency }
  other: { track: education }
  inactivity: { after: P14D }          # seed 001: reassign to marketing after X days
  closed_lost: { reevaluateAfter: P90D, track: closed_lost }
  cadence_exhausted: { reevaluateAfter: P60D, track: low_frequency }

escalation:
  acceptMissed: reassign_backup        # seed 000: auto-reassign to backup AE / SDR pod
  firstTouchMissed: notify_manager     # seed 002: flagged for manager review
  maxReassignments: 2

attribution:
  model: w_shaped                      # first touch 30, lead creation 30, opportunity 30, rest 10
  halfLife: P7D

waterfall:
  targets:
    - { from: inquiry, to: mql, owner: marketing }
    - { from: mql, to: sal, owner: sdr }
    - { from: sal, to: sql, owner: sdr }
    - { from: mql, to: sql, rate: 0.55, owner: marketing }
    - { from: sql, to: opportunity, owner: ae }
    - { from: opportunity, to: won, owner: ae }
  mqlToSqlBand: [0.40, 0.70]           # seed 002: healthy MQL→SQL conversion
  alarms: { rejectRate: 0.20, mqlToSqlDrift: 0.05 }   # seed 000 FAQ

signatures: []

tests:
  - name: VP with a demo request at a large account is hot, AE-direct
    lead: { title: VP Sales, employees: 800, industry: software, estimatedAcv: 90000, intent: demo_request }
    expect: { tier: hot, pod: ae-direct, mql: true, sla: { accept: PT2M, firstTouch: PT5M } }
  - name: A demo request below the ACV band is warm-plus
    lead: { title: Marketing Manager, employees: 120, industry: software, estimatedAcv: 20000, intent: demo_request }
    expect: { tier: warm-plus, pod: sdr, sla: { firstTouch: same-business-day } }
  - name: A 20-person company asking for pricing still reaches sales, not hot
    lead: { title: CEO, employees: 20, estimatedAcv: 80000, intent: pricing_request }
    expect: { tier: warm-plus, pod: sdr, disqualified: true }
  - name: Accumulated intent past 50 with fit is warm
    lead:
      title: Head of Sales Ops
      employees: 300
      industry: saas
      intent: content_download
      events:
        - { type: page_view, properties: { category: pricing }, ago: P2D }
        - { type: content_download, properties: { kind: case_study }, ago: P1D }
    expect: { tier: warm, pod: sdr, mql: true }
  - name: A single top-of-funnel download is nurture
    lead: { title: Analyst, employees: 300, intent: content_download }
    expect: { tier: nurture, pod: null, mql: false }
`

/** The default agreement, decoded (and so validated) once. */
export const defaultAgreement: Agreement = Schema.decodeUnknownSync(Agreement)(parseYaml(defaultAgreementYaml))
