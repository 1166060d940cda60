/**
 * Fuzzing over a real socket: the app served on a random loopback port over an in-memory
 * PGlite store, hit with 10,000+ random requests — routes from the table with inputs
 * generated from their documented schemas and then mangled, random paths and methods, random
 * headers and keys, and bodies of random JSON, truncated JSON, deep nesting, huge strings,
 * out-of-range numbers, unicode and prototype-pollution keys — 16 at a time, to 127.0.0.1
 * only. No answer may be a 5xx; every answer must match the OpenAPI document (status,
 * media type, schema). Set FUZZ_SEED to replay a run, FUZZ_REQUESTS to change its size, and
 * FUZZ_TRACE=<file> to log every request as it goes (to find one that stalls).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { appendFileSync } from "node:fs"
import { Agent, fetch as clientFetch } from "undici"
import type { AnyRoute } from "../src/http.ts"
import { handoffApp } from "../src/index.ts"
import { jsonLogger } from "../src/log.ts"
import { Metrics } from "../src/metrics.ts"
import { openApiPath } from "../src/openapi.ts"
import { allRoutes } from "../src/routes/index.ts"
import { makeConformance } from "./conformance.ts"
import { startTestApi, type TestApi } from "./harness.ts"
import { listen, type Served } from "./serve.ts"

const total = Number(process.env.FUZZ_REQUESTS ?? 10_000)
const concurrency = 16
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
const bodyLimit = 1_000_000
/** A file to write each request to as it goes (to find one that stalls the server). */
const trace = process.env.FUZZ_TRACE

let api: TestApi
let served: Served
let routes: ReadonlyArray<AnyRoute>
let doc: any
const defects: Array<string> = []

beforeAll(async () => {
  api = await startTestApi([{ domain: "target.com", named: true, activeOutbound: true }])
  // the fuzzer's own app on the same runtime: a rate limit it will not reach (so requests get
  // past the key check), and the defects' stacks kept for the report
  const logger = jsonLogger((line) => {
    if (line.includes("\"level\":\"error\"") && defects.length < 20) defects.push(line.slice(0, 4000))
  })
  // it fuzzes input, not load: admission bounds stay out of its way (the admission and chaos tests cover them)
  const { app } = handoffApp(api.runtime, { logger, bodyLimit, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 }, inFlight: { perKey: 64, total: 128, heavyPerKey: 64, heavy: 64 } })
  routes = allRoutes(new Metrics())
  served = await listen(app)
  doc = await (await fetch(`${served.url}/openapi.json`)).json()
})
afterAll(async () => {
  await served?.close()
  await api?.close()
})

// --- randomness (seeded, so a failing run can be replayed) -----------------------------------

const mulberry32 = (a: number) => () => {
  a |= 0
  a = (a + 0x6d2b79f5) | 0
  let t = Math.imul(a ^ (a >>> 15), 1 | a)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const rnd = mulberry32(seed)
const chance = (p: number) => rnd() < p
const int = (min: number, max: number) => min + Math.floor(rnd() * (max - min + 1))
const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(rnd() * xs.length)]!

const weird = [
  "", " ", "null", "undefined", "NaN", "0", "-1", "1e309", "true", "[]", "{}", "__proto__", "constructor", "prototype",
  "../../etc/passwd", "%00", "\u0000", "\u202e", "Ω≈ç√∫", "😀🚀", "𝕳𝖆𝖓𝖉𝖔𝖋𝖋", "日本語", "\ud800", "' OR 1=1 --", "\"; DROP TABLE leads; --",
  "<script>alert(1)</script>", "${7*7}", "{{7*7}}", "a".repeat(300), "\n\r\t", "é", "x@y", "@", "mailto:x@y.com"
]
const words = ["ae-1", "ae-2", "sdr-us", "sdr-de", "mgr-1", "ae-direct", "sdr", "hot", "warm", "mql", "sal", "demo_request", "pricing_request", "page_view", "content_download", "call", "email", "wrong_icp", "premature", "BANT", "target.com", "organic", "US", "DE", "software", "VP Sales", "Europe/Berlin"]
const emails = ["a@b.com", "vp@bigsoft.com", "ceo@tiny.io", "ops@midco.com", "someone@target.com", "x@gmail.com", "UPPER@Case.COM"]

const randomString = (): string => {
  const r = rnd()
  if (r < 0.3) return pick(words)
  if (r < 0.45) return pick(emails)
  if (r < 0.7) return pick(weird)
  if (r < 0.8) return new Date(Date.now() + int(-90, 30) * 86_400_000 + int(0, 86_400_000)).toISOString()
  if (r < 0.99) return Array.from({ length: int(0, 40) }, () => String.fromCharCode(int(32, 0x2fff))).join("")
  return "x".repeat(int(1000, 200_000))
}

const randomNumber = (): number =>
  pick([0, -0, 1, -1, 2, 7, 49, 50, 51, 100, 1000, 90000, 1e6, 1e12, 1e13, 2 ** 31, -(2 ** 31), Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 5e-324, 0.1, 3.5, -42.42, int(-1e6, 1e6)])

/** Any JSON value, of some depth. */
const randomJson = (depth = 0): unknown => {
  const r = rnd()
  if (depth > 3 || r < 0.2) return randomString()
  if (r < 0.35) return randomNumber()
  if (r < 0.42) return chance(0.5)
  if (r < 0.47) return null
  if (r < 0.7) return Array.from({ length: int(0, 4) }, () => randomJson(depth + 1))
  return randomObject(depth + 1)
}

const pollution = ["__proto__", "constructor", "prototype", "hasOwnProperty", "toString", "valueOf", "__defineGetter__"]

const randomObject = (depth: number): Record<string, unknown> => {
  const o: Record<string, unknown> = {}
  for (let i = int(0, 4); i > 0; i--) {
    const key = chance(0.15) ? pick(pollution) : chance(0.5) ? pick(words) : randomString().slice(0, 50)
    Object.defineProperty(o, key, { value: randomJson(depth), enumerable: true, configurable: true, writable: true })
  }
  return o
}

// --- values from the documented schemas --------------------------------------------------------

const resolve = (s: any): any => {
  for (let i = 0; i < 10 && typeof s?.$ref === "string"; i++) s = doc.components.schemas[s.$ref.split("/").pop()]
  return s
}

/** A value the schema probably admits — or, now and then, one it does not. */
const fromSchema = (schema: any, depth = 0): unknown => {
  if (chance(0.04) || depth > 6) return randomJson(depth)
  const s = resolve(schema)
  if (s === undefined || s === true || typeof s !== "object") return randomJson(depth)
  const union = s.anyOf ?? s.oneOf
  if (Array.isArray(union) && union.length > 0) return fromSchema(pick(union), depth + 1)
  if (Array.isArray(s.enum)) return chance(0.95) ? pick(s.enum) : randomString()
  if ("const" in s) return s.const
  const type = Array.isArray(s.type) ? pick(s.type) : s.type ?? (s.properties !== undefined ? "object" : undefined)
  switch (type) {
    case "string":
      if (s.format === "date-time") return chance(0.9) ? new Date(Date.now() - int(0, 60 * 86_400_000)).toISOString() : randomString()
      if (typeof s.pattern === "string" && /@/.test(String(s.pattern) + String(s.description ?? ""))) return pick(emails)
      return chance(0.6) ? pick(words) : chance(0.2) ? pick(emails) : randomString().slice(0, typeof s.maxLength === "number" && chance(0.9) ? s.maxLength : undefined)
    case "integer":
    case "number": {
      if (chance(0.8) && typeof s.minimum === "number") {
        const max = typeof s.maximum === "number" ? s.maximum : typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum - 1 : s.minimum + 1e6
        const v = s.minimum + rnd() * Math.min(max - s.minimum, 1e7)
        return type === "integer" ? Math.floor(v) : v
      }
      return chance(0.5) ? int(0, 1000) : randomNumber()
    }
    case "boolean":
      return chance(0.5)
    case "null":
      return null
    case "array": {
      const n = Math.min(int(0, 3), typeof s.maxItems === "number" ? s.maxItems : 3)
      const len = Math.max(n, typeof s.minItems === "number" ? Math.min(s.minItems, 5) : 0)
      return Array.from({ length: len }, () => fromSchema(s.items ?? true, depth + 1))
    }
    case "object": {
      const o: Record<string, unknown> = {}
      const required = new Set<string>(Array.isArray(s.required) ? s.required : [])
      for (const [k, p] of Object.entries<any>(s.properties ?? {})) {
        if ((required.has(k) && chance(0.97)) || chance(0.4)) o[k] = fromSchema(p, depth + 1)
      }
      const values = typeof s.additionalProperties === "object" ? s.additionalProperties : s.patternProperties !== undefined ? Object.values<any>(s.patternProperties)[0] : undefined
      if (values !== undefined) for (let i = int(0, 3); i > 0; i--) o[pick(words)] = fromSchema(values, depth + 1)
      if (chance(0.05)) Object.defineProperty(o, pick([...pollution, "unexpectedField"]), { value: randomJson(depth + 1), enumerable: true, configurable: true, writable: true })
      return o
    }
    default:
      return randomJson(depth)
  }
}

// --- bodies ------------------------------------------------------------------------------------

const deepNesting = (): string => {
  const n = int(100, 50_000)
  const open = pick(["[", "{\"a\":"])
  const close = open === "[" ? "]" : "}"
  return open.repeat(n) + "1" + (chance(0.8) ? close.repeat(n) : "")
}

const mangle = (text: string): string => {
  const r = rnd()
  if (r < 0.4) return text.slice(0, int(0, text.length))
  if (r < 0.6) return text.replace(/"/, "'")
  if (r < 0.8) return text.replace(/:\s*"[^"]*"/, `: ${pick(["1e309", "-1e309", "NaN", "undefined", "0x10", "01", ".5", "+1", "\"\\ud800\"", "\"\\u0000\""])}`)
  return text + pick(["}", "]", ",", " garbage", "\u0000"])
}

const bodyFor = (def: AnyRoute | undefined): string | undefined => {
  const schema = def === undefined ? undefined : doc.paths[openApiPath(def.path)]?.[def.method]?.requestBody?.content?.["application/json"]?.schema
  const r = rnd()
  if (schema !== undefined && r < 0.55) return JSON.stringify(fromSchema(schema))
  if (schema !== undefined && r < 0.65) return mangle(JSON.stringify(fromSchema(schema)))
  if (r < 0.75) return JSON.stringify(randomJson())
  if (r < 0.8) return deepNesting()
  if (r < 0.85) return `{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "email": "${pick(emails)}"}`
  if (r < 0.87) return JSON.stringify({ email: pick(emails), title: "x".repeat(pick([bodyLimit - 100, bodyLimit + 100, 300_000])) })
  if (r < 0.9) return pick(["", " ", "null", "[]", "{}", "\"\"", "0", "true"])
  if (r < 0.95) return mangle(JSON.stringify(randomJson()))
  return Array.from({ length: int(0, 200) }, () => String.fromCharCode(int(0, 0xffff))).join("")
}

// --- requests ----------------------------------------------------------------------------------

interface Request {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: string
}

const known = { leads: [] as Array<string>, opportunities: [] as Array<string>, keys: [] as Array<string>, webhooks: [] as Array<string> }

const paramValue = (name: string, path: string): string => {
  const r = rnd()
  if (r < 0.5) {
    if (name === "domain") return pick(["target.com", "bigsoft.com", "example.org", "no-such.example"])
    if (name === "version") return pick(["1", "2", "0", "-1", "999999"])
    if (path.startsWith("/v1/leads") && known.leads.length > 0) return pick(known.leads)
    if (path.startsWith("/v1/reps")) return pick(["ae-1", "ae-2", "sdr-us", "mgr-1", "new-rep"])
    if (path.startsWith("/v1/pods")) return pick(["ae-direct", "sdr", "ae-backup", "sdr-backup", "nope"])
    if (path.startsWith("/v1/opportunities") && known.opportunities.length > 0) return pick(known.opportunities)
    if (path.startsWith("/v1/keys") && known.keys.length > 0) return pick(known.keys)
    if (path.startsWith("/v1/webhooks") && known.webhooks.length > 0) return pick(known.webhooks)
  }
  return r < 0.8 ? randomString().slice(0, 200) : pick(weird)
}

const encodeSegment = (s: string): string => {
  try {
    return chance(0.9) ? encodeURIComponent(s) : s.replace(/[/?#\s]/g, "_")
  } catch {
    return "lone-surrogate"
  }
}

const queryFor = (def: AnyRoute): string => {
  const params = (doc.paths[openApiPath(def.path)]?.[def.method]?.parameters ?? []).filter((p: any) => p.in === "query")
  const q = new URLSearchParams()
  for (const p of params) {
    if (!chance(0.3)) continue
    const s = resolve(p.schema)
    const v = chance(0.6) && Array.isArray(s?.enum) ? String(pick(s.enum)) : chance(0.5) && /number/.test(String(s?.description)) ? String(int(-5, 2000)) : chance(0.3) ? new Date(Date.now() - int(0, 30) * 86_400_000).toISOString().slice(0, pick([10, 24])) : randomString().slice(0, 120)
    q.append(p.name, v)
    if (chance(0.05)) q.append(p.name, v) // repeated
  }
  if (chance(0.05)) q.append(pick([...pollution, "bogus"]), pick(weird))
  const text = q.toString()
  return text === "" ? "" : `?${chance(0.97) ? text : text + "&%E0%A4%A&=&&"}`
}

const keyHeader = (def: AnyRoute | undefined): Record<string, string> => {
  const r = rnd()
  const role = def?.roles.find((x) => x !== "admin")
  if (r < 0.55 && role !== undefined) return { authorization: `Bearer ${api.keys[role as keyof TestApi["keys"]]}` }
  if (r < 0.7) return { authorization: `Bearer ${api.keys.admin}` }
  if (r < 0.8) return { authorization: `Bearer ${pick(Object.values(api.keys))}` }
  if (r < 0.85) return {}
  return { authorization: pick(["Bearer", "Bearer ", "Basic YTpi", `bearer ${api.keys.read}`, `Bearer ${api.keys.admin} extra`, "Bearer hk_admin_0000000000000000", "Bearer " + "k".repeat(5000), "Bearer \u00e9".replace(/[^\x20-\x7e]/g, "?")]) }
}

const randomHeaders = (): Record<string, string> => {
  const h: Record<string, string> = {}
  if (chance(0.9)) h["content-type"] = chance(0.85) ? "application/json" : pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "*/*", ""])
  if (chance(0.15)) h["idempotency-key"] = chance(0.9) ? `k-${int(0, 40)}` : "i".repeat(int(150, 400))
  if (chance(0.1)) h["x-request-id"] = chance(0.5) ? "r".repeat(int(0, 500)) : pick(["", "id with spaces", "<b>", "%00"])
  if (chance(0.05)) h.accept = pick(["text/html", "application/xml", "*/*", ""])
  return h
}

const randomPath = (): string => {
  const r = rnd()
  if (r < 0.3) {
    const def = pick(routes)
    return def.path.replace(/:([A-Za-z0-9_]+)/g, () => encodeSegment(pick(weird)))
  }
  if (r < 0.5) return pick(["/", "/v1", "/v1/", "/v2/leads", "/v1/leads/", "/v1//leads", "/V1/LEADS", "/v1/leads/a/b/c/d", "/docs/", "/openapi.yaml", "/.env", "/v1/leads/%2e%2e/%2e%2e", "/v1/leads/%", "/v1/leads/%E0%A4%A", "/v1/leads/%00", "/favicon.ico", "/metrics/", "/v1/agreement/versions/1.5", "/v1/reports/unknown"])
  return "/" + Array.from({ length: int(1, 6) }, () => encodeSegment(randomString().slice(0, 80))).join("/")
}

const nextRequest = (): Request => {
  const headers = randomHeaders()
  if (chance(0.75)) {
    const def = pick(routes)
    const method = chance(0.93) ? def.method.toUpperCase() : pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
    const path = def.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => encodeSegment(paramValue(name, def.path))) + (def.query !== undefined || chance(0.05) ? queryFor(def) : "")
    const body = method === "GET" || method === "HEAD" ? undefined : def.body !== undefined || chance(0.1) ? bodyFor(def) : undefined
    return { method, path, headers: { ...headers, ...keyHeader(def) }, ...(body === undefined ? {} : { body }) }
  }
  const method = pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
  const body = method === "GET" || method === "HEAD" || chance(0.3) ? undefined : bodyFor(undefined)
  return { method, path: randomPath(), headers: { ...headers, ...keyHeader(undefined) }, ...(body === undefined ? {} : { body }) }
}

/** Remember ids the API hands out, so later requests reach existing resources too. */
const learn = (path: string, status: number, body: any) => {
  if (status >= 300 || typeof body !== "object" || body === null || typeof body.id !== "string") return
  if (path.startsWith("/v1/leads") && known.leads.length < 200) known.leads.push(body.id)
  else if (path.startsWith("/v1/opportunities") && known.opportunities.length < 100) known.opportunities.push(body.id)
  else if (path.startsWith("/v1/keys") && known.keys.length < 50) known.keys.push(body.id)
  else if (path.startsWith("/v1/webhooks") && known.webhooks.length < 50) known.webhooks.push(body.id)
}

describe("fuzzing the API over a socket", () => {
  it("answers of different lengths on one connection each carry their own Content-Length", async () => {
    // regression: a headers object shared between problem responses got node-server's
    // Content-Length of the first 404 written into it, and later 404s hung or were cut short
    for (const path of ["/no", "/nothing-here-at-all", "/n", "/v1/leads/x/y/z/w"]) {
      const res = await fetch(`${served.url}${path}`, { method: "POST", body: "{}", signal: AbortSignal.timeout(5_000) })
      const text = await res.text()
      expect(res.status).toBe(404)
      expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(text))
      expect(JSON.parse(text)).toMatchObject({ status: 404, instance: path })
    }
  })

  it(`${total} random requests, ${concurrency} at a time: no 5xx, every answer as documented`, async () => {
    expect(new URL(served.url).hostname).toBe("127.0.0.1")
    const conformance = makeConformance(doc, routes)
    // a few real leads first, so ids in paths sometimes exist
    for (const email of emails.slice(0, 5)) {
      const res = await fetch(`${served.url}/v1/leads`, { method: "POST", headers: { authorization: `Bearer ${api.keys.ingest}`, "content-type": "application/json" }, body: JSON.stringify({ email, title: "VP Sales", employees: 500, intent: "demo_request", estimatedAcv: 60000 }) })
      learn("/v1/leads", res.status, await res.json())
    }
    expect(known.leads.length).toBe(5)

    const byClass: Record<string, number> = { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 }
    const byStatus = new Map<number, number>()
    const issues = new Map<string, string>()
    const failures: Array<string> = []
    let sent = 0
    const started = performance.now()
    // The client closes its idle sockets after 5 s, far inside the server's 65 s keep-alive.
    // With the default, it keeps one up to the server's advertised 65 s minus 1 s, and on a
    // loaded machine an event loop lag over that second made it reuse a socket the server
    // had just closed ("other side closed"): a race between the two timers, not an answer.
    const agent = new Agent({ keepAliveTimeout: 5_000, keepAliveMaxTimeout: 5_000, connections: concurrency })

    const worker = async () => {
      while (sent < total) {
        sent++
        const req = nextRequest()
        const url = new URL(served.url + req.path)
        if (url.hostname !== "127.0.0.1") throw new Error(`refusing to send to ${url.host}`)
        const n = sent
        if (trace !== undefined) appendFileSync(trace, `> ${n} ${Math.round(performance.now() - started)} ${req.method} ${req.path.slice(0, 300)} ${JSON.stringify(req.headers).slice(0, 300)} ${(req.body ?? "").length} [${(req.body ?? "").slice(0, 300)}]\n`)
        let res: Response
        let text: string
        try {
          res = await clientFetch(url, { method: req.method, headers: req.headers, ...(req.body === undefined ? {} : { body: req.body }), redirect: "manual", signal: AbortSignal.timeout(10_000), dispatcher: agent }) as unknown as Response
          text = await res.text()
        } catch (e) {
          const cause = (e as Error & { cause?: Error }).cause
          failures.push(`${req.method} ${req.path.slice(0, 100)} ${JSON.stringify(req.headers).slice(0, 300)} [${(req.body ?? "").slice(0, 200)}]: ${(e as Error).message}${cause === undefined ? "" : ` (${cause.message})`}`)
          continue
        }
        if (trace !== undefined) appendFileSync(trace, `< ${n} ${Math.round(performance.now() - started)} ${res.status}\n`)
        byClass[`${Math.floor(res.status / 100)}xx`] = (byClass[`${Math.floor(res.status / 100)}xx`] ?? 0) + 1
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1)
        const contentType = res.headers.get("content-type")
        let body: unknown = text
        if ((contentType ?? "").includes("json") && req.method !== "HEAD") {
          try {
            body = JSON.parse(text)
          } catch {
            issues.set(`unparseable ${contentType}`, `${req.method} ${req.path.slice(0, 100)} → ${res.status}: ${text.slice(0, 200)}`)
          }
        }
        learn(req.path, res.status, body)
        for (const issue of conformance.check(req.method, req.path.split("?")[0]!, res.status, contentType, body)) {
          const kind = issue.slice(0, 160)
          if (!issues.has(kind)) issues.set(kind, `${req.method} ${req.path.slice(0, 120)} [${(req.body ?? "").slice(0, 160)}] → ${res.status}: ${text.slice(0, 300)}`)
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    await agent.close()
    const seconds = (performance.now() - started) / 1000

    const statuses = [...byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(" ")
    console.log(`[figures] fuzz seed=${seed} requests=${sent} in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s, concurrency ${concurrency}): 2xx=${byClass["2xx"]} 3xx=${byClass["3xx"]} 4xx=${byClass["4xx"]} 5xx=${byClass["5xx"]}; by status ${statuses}; client errors ${failures.length}`)
    if (issues.size > 0) console.log(`[fuzz] departures from the document:\n${[...issues.entries()].map(([k, v]) => `- ${k}\n    e.g. ${v}`).join("\n")}`)
    if (defects.length > 0) console.log(`[fuzz] server defects (FUZZ_SEED=${seed} replays):\n${defects.slice(0, 5).join("\n")}`)

    expect(sent).toBeGreaterThanOrEqual(total)
    if (failures.length > 0) console.log(`[fuzz] requests that got no answer:\n${failures.slice(0, 10).join("\n")}`)
    expect(failures.slice(0, 5)).toEqual([])
    expect(byClass["5xx"]).toBe(0)
    expect(defects).toEqual([])
    expect([...issues.keys()]).toEqual([])
    // the requests reached the handlers, not only the edge's checks
    expect(byClass["2xx"]).toBeGreaterThan(total / 20)
    expect(byStatus.get(422) ?? 0).toBeGreaterThan(0)
    // prototype-pollution keys in bodies changed nothing in this process
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty("polluted")
  })
})
