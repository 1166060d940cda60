/**
 * Ingest over HTTP: POST /v1/leads against the real service on PostgreSQL (validate,
 * dedupe, score, tier, route, persist, outbox), beside a bare Hono endpoint doing one
 * INSERT of the same row — the ceiling. Both at a fixed offered load (latency) and flat out
 * (throughput), with autocannon; the ratio is measured in the same run.
 */
import autocannon from "autocannon"
import { randomBytes } from "node:crypto"
import { type Child, fmt, freshDatabase, putTeam, type Row, startListening } from "./util.ts"

const adminKey = `hk_admin_${randomBytes(24).toString("base64url")}`

let counter = 0
/** A realistic mix: 1 in 5 a hot demo request, 1 in 4 a warm-plus hand-raise, the rest content downloads. */
const leadBody = (): string => {
  const n = counter++
  const kind = n % 20
  const email = `bench${n}.${randomBytes(3).toString("hex")}@company${n % 997}.example`
  if (kind < 4) return JSON.stringify({ email, title: "VP Sales", company: `Co ${n % 997}`, employees: 800, industry: "software", estimatedAcv: 90000, country: "US", intent: "demo_request", source: { channel: "paid_search", campaign: "brand" } })
  if (kind < 9) return JSON.stringify({ email, title: "Marketing Manager", employees: 120, industry: "software", estimatedAcv: 20000, country: kind % 2 === 0 ? "US" : "DE", intent: "pricing_request", source: { channel: "organic" } })
  return JSON.stringify({ email, title: "Analyst", employees: 300, country: "US", intent: "content_download", properties: { kind: "whitepaper" }, source: { channel: "content_syndication", campaign: "syn-1" } })
}

const load = (url: string, opts: { rate?: number; seconds: number; connections: number }) =>
  autocannon({
    url: `${url}/v1/leads`,
    method: "POST",
    connections: opts.connections,
    duration: opts.seconds,
    ...(opts.rate === undefined ? {} : { overallRate: opts.rate }),
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    requests: [{ method: "POST", setupRequest: (req: any) => ({ ...req, body: leadBody() }) }]
  })

interface Figures {
  readonly p50: number
  readonly p99: number
  readonly offered: number
  readonly achieved: number
  readonly maxPerSecond: number
  readonly errors: number
}

const measure = async (label: string, child: Child, fixedRate: number): Promise<Figures> => {
  // warm up: JIT, pool connections, the agreement cache
  await load(child.url, { seconds: 3, connections: 8 })
  const fixed = await load(child.url, { rate: fixedRate, seconds: 10, connections: 64 })
  const flat = await load(child.url, { seconds: 10, connections: 64 })
  const errors = fixed.non2xx + fixed.errors + fixed.timeouts + flat.non2xx + flat.errors + flat.timeouts
  console.log(`  ${label}: at ${fmt(fixedRate)}/s offered → ${fmt(fixed.requests.average)}/s served, p50 ${fmt(fixed.latency.p50, 1)} ms, p99 ${fmt(fixed.latency.p99, 1)} ms; flat out ${fmt(flat.requests.average)}/s (p99 ${fmt(flat.latency.p99, 1)} ms); errors ${errors}`)
  return { p50: fixed.latency.p50, p99: fixed.latency.p99, offered: fixedRate, achieved: fixed.requests.average, maxPerSecond: flat.requests.average, errors }
}

export const benchIngest = async (): Promise<ReadonlyArray<Row>> => {
  const fixedRate = Number(process.env.HANDOFF_BENCH_RATE ?? "1000")
  console.log(`\n## Ingest over HTTP (fixed load ${fmt(fixedRate)}/s for 10 s, then flat out for 10 s; 64 connections)`)
  const handoffDb = await freshDatabase("handoff_bench_ingest")
  const bareDb = await freshDatabase("handoff_bench_bare")
  let handoff: Child | undefined
  let bare: Child | undefined
  try {
    handoff = await startListening(["apps/api/src/main.ts"], {
      DATABASE_URL: handoffDb.url, PORT: "0", HANDOFF_ADMIN_KEY: adminKey, HANDOFF_RATE_LIMIT: "1000000"
    })
    await putTeam(handoff.url, adminKey)
    const h = await measure("handoff POST /v1/leads", handoff, fixedRate)
    await handoff.stop()
    handoff = undefined
    bare = await startListening(["tooling/bench/src/bare.ts"], { DATABASE_URL: bareDb.url })
    const b = await measure("bare Hono + one INSERT", bare, fixedRate)
    const ratio = h.maxPerSecond / b.maxPerSecond
    console.log(`  ratio handoff / bare (flat out): ${fmt(ratio, 2)}`)
    return [
      { what: "ingest flat out (leads/s)", figure: fmt(h.maxPerSecond), target: "≥ 5,000", met: h.maxPerSecond >= 5000 },
      { what: `ingest p99 at ${fmt(fixedRate)}/s offered (ms)`, figure: `${fmt(h.p99, 1)} (p50 ${fmt(h.p50, 1)}; served ${fmt(h.achieved)}/s)`, target: "≤ 5", met: h.p99 <= 5 && h.achieved >= fixedRate * 0.98 },
      { what: "bare Hono + one INSERT flat out (req/s)", figure: `${fmt(b.maxPerSecond)} (p99 at ${fmt(fixedRate)}/s: ${fmt(b.p99, 1)} ms)`, target: "ceiling", met: null },
      { what: "ingest / bare ratio", figure: fmt(ratio, 2), target: "≥ 0.5", met: ratio >= 0.5 },
      { what: "ingest errors (non-2xx, timeouts)", figure: fmt(h.errors), target: "0", met: h.errors === 0 }
    ]
  } finally {
    await handoff?.stop()
    await bare?.stop()
    await handoffDb.drop()
    await bareDb.drop()
  }
}
