/**
 * The tables, as Kysely sees them. JSON columns hold the *encoded* forms of the domain's
 * schemas (dates as ISO strings) and are decoded with those schemas when read; the plain
 * columns beside them exist for the queries, indexes and reports that need them.
 */
import type { ColumnType, Generated, JSONColumnType } from "kysely"

type Timestamp = ColumnType<Date, Date | string, Date | string>
type Json<T extends object | null = object> = JSONColumnType<T, string, string>
/** `bigserial` ids: pg returns int8 as a string, PGlite as a number; read with `Number()`. */
type BigId = ColumnType<string | number, never, never>

export interface LeadsTable {
  id: string
  email: string
  account_domain: string | null
  stage: string
  owner_id: string | null
  queue: string | null
  tier: string | null
  score_total: number | null
  /** The next SLA instant still to act on (accept or first touch): what the breach sweep scans. */
  next_deadline_at: Timestamp | null
  /** The latest behavioral event: what the decay sweep scans. */
  last_event_at: Timestamp | null
  /** (2026-11-22-0003-sweeps) When the score of a lead marketing holds can next change by itself: the decay sweep's key. */
  rescore_at: Timestamp | null
  /** (2026-11-22-0003-sweeps) When a recycled lead's hold ends: the re-evaluation sweep's key. */
  reevaluate_at: Timestamp | null
  /** (2026-11-22-0003-sweeps) The later of assignment and last sales activity of a lead sales holds: the inactivity sweep's key. */
  sales_touched_at: Timestamp | null
  /** (2026-11-22-0003-sweeps) When the SLA sweep looks at the lead's cadence again. */
  cadence_check_at: Timestamp | null
  /** (2026-11-22-0003-sweeps) Generated: least(next_deadline_at, cadence_check_at), the SLA sweep's key. */
  sla_sweep_at: ColumnType<Date | null, never, never>
  mql_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
  agreement_version: number
  profile: Json
  state: Json
  score: Json | null
  routing: Json | null
  assignment: Json | null
  flags: Json<ReadonlyArray<string>>
  enriched_at: Timestamp | null
}

export interface LeadEventsTable {
  id: Generated<BigId>
  /** Null while the event waits for its lead (pending identity). */
  lead_id: string | null
  email: string | null
  type: string
  occurred_at: Timestamp
  properties: Json
  channel: string | null
  campaign: string | null
  received_at: Generated<Timestamp>
  /** The event's identity (unique by md5): null for events stored before keys. */
  dedupe_key: string | null
}

export interface AccountsTable {
  domain: string
  name: string | null
  named: boolean
  owner_rep_id: string | null
  active_outbound: boolean
  segment: string | null
  updated_at: Timestamp
}

export interface RepsTable {
  id: string
  name: string
  email: string | null
  role: string
  active: boolean
  /** The whole encoded `Rep`. */
  data: Json
  updated_at: Timestamp
}

export interface RepPodsTable {
  rep_id: string
  pod: string
}

export interface RotationLedgerTable {
  seq: Generated<BigId>
  pod: string
  at: Timestamp
  kind: string
  rep_id: string | null
  lead_id: string | null
  reason: string | null
  members: Json<ReadonlyArray<string>> | null
}

export interface AssignmentsTable {
  id: Generated<BigId>
  lead_id: string
  rep_id: string
  pod: string
  tier: string
  t0: Timestamp
  routed_at: Timestamp
  accept_by: Timestamp | null
  first_touch_by: Timestamp | null
  accepted_at: Timestamp | null
  first_touch_at: Timestamp | null
  reassignments: number
  agreement_version: number
}

export interface ActivitiesTable {
  id: Generated<BigId>
  lead_id: string
  rep_id: string
  kind: string
  connected: boolean
  occurred_at: Timestamp
  created_at: Generated<Timestamp>
}

export interface LeadTimelineTable {
  id: Generated<BigId>
  lead_id: string
  at: Timestamp
  stage: string
  from_stage: string
  cause: string
  reason: string | null
  actor_kind: string
  actor_id: string
  /** (2026-12-02-0002-key-binding) The API key that made the entry; null for the system's own. */
  actor_key_id: string | null
  agreement_version: number
  explanation: string
  data: Json | null
}

export interface OpportunitiesTable {
  id: string
  lead_id: string
  /** numeric(14,2): pg returns it as a string; read with `Number()`. */
  amount: ColumnType<string | number, number, number>
  opened_at: Timestamp
  closed_at: Timestamp | null
  won: boolean | null
}

export interface AgreementVersionsTable {
  version: number
  document: Json
  created_at: Timestamp
  created_by: string
  active: boolean
}

export interface ApiKeysTable {
  id: string
  name: string
  role: string
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  key_hash: string
  /** The first characters of the key, to recognise it in lists. */
  key_prefix: string
  /** (2026-12-02-0002-key-binding) The rep a sales key is bound to; null: unbound. */
  rep_id: string | null
  created_at: Timestamp
  last_used_at: Timestamp | null
  revoked_at: Timestamp | null
}

export interface WebhookSubscriptionsTable {
  id: string
  url: string
  topics: Json<ReadonlyArray<string>>
  format: string
  /** The signing secret (HMAC-SHA256); needed in clear to sign deliveries, never returned after creation. */
  secret: string
  active: boolean
  created_at: Timestamp
}

export interface OutboxTable {
  id: Generated<BigId>
  topic: string
  key: string
  payload: Json
  at: Timestamp
  created_at: Generated<Timestamp>
  dispatched_at: Timestamp | null
}

/** (2026-11-22-0002-deliveries) One delivery of an outbox message to one webhook subscription. */
export interface WebhookDeliveriesTable {
  id: Generated<BigId>
  subscription_id: string
  outbox_id: ColumnType<string, string | number, never>
  key: string
  topic: string
  /** pending | delivered | dead */
  status: string
  attempts: Generated<number>
  next_attempt_at: Timestamp
  first_attempt_at: Timestamp | null
  last_attempt_at: Timestamp | null
  last_status: number | null
  last_error: string | null
  delivered_at: Timestamp | null
  created_at: Timestamp
}

export interface IdempotencyKeysTable {
  api_key_id: string
  key: string
  request_hash: string
  status: number | null
  response: Json | null
  created_at: Timestamp
}

export interface ReportSnapshotsTable {
  week_start: string
  generated_at: Timestamp
  data: Json
}

export interface DB {
  leads: LeadsTable
  lead_events: LeadEventsTable
  accounts: AccountsTable
  reps: RepsTable
  rep_pods: RepPodsTable
  rotation_ledger: RotationLedgerTable
  assignments: AssignmentsTable
  activities: ActivitiesTable
  lead_timeline: LeadTimelineTable
  opportunities: OpportunitiesTable
  agreement_versions: AgreementVersionsTable
  api_keys: ApiKeysTable
  webhook_subscriptions: WebhookSubscriptionsTable
  outbox: OutboxTable
  webhook_deliveries: WebhookDeliveriesTable
  idempotency_keys: IdempotencyKeysTable
  report_snapshots: ReportSnapshotsTable
}
