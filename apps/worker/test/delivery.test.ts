/**
 * Outbox delivery against a real receiver (a local HTTP server): signatures, retries
 * through failures and timeouts, order per lead, exactly-once acknowledgement by event id,
 * dead letters, Slack messages, the address guard — on PGlite and on PostgreSQL.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Db, DeliveryQueries, DeliveryQueriesLive, StoreAdmin, storeLayer, WebhookStore, WebhookStoreLive } from "@handoff/db"
import { type Actor, Handoff, HandoffLive, type Rep, type RepId } from "@handoff/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { createHmac, randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type Server } from "node:http"
import { type AddressInfo, createServer as createNetServer } from "node:net"
import pg from "pg"
import { deliverOnce, type DeliveryConfig, makeDispatcher, post, retryDelay, signature } from "../src/delivery.ts"
import { slackMessage } from "../src/slack.ts"
import { isPrivateAddress, webhookUrlFault } from "../src/ssrf.ts"
import { postgresAvailable, postgresUrl } from "./fixtures.ts"

const actor: Actor = { kind: "api_key", id: "forms" }
const ae: Rep = {
  id: "ae-1" as RepId, name: "Ada AE", role: "ae", pods: ["ae-direct"], timezone: "UTC", workingHours: { "mon-sun": ["00:00", "24:00"] },
  capacity: { maxOpen: 10_000, maxPerDay: 10_000 }, weight: 1, active: true, outOfOffice: [], territories: [], segments: [], bookingUrl: "https://cal.example/ada"
}

const layer = (options: { url?: string; schema?: string; dataDir?: string }) =>
  Layer.mergeAll(HandoffLive, DeliveryQueriesLive, WebhookStoreLive).pipe(
    Layer.provideMerge(storeLayer),
    Layer.provideMerge(Db.layer(options)),
    Layer.orDie
  )
type Runtime = ManagedRuntime.ManagedRuntime<Layer.Layer.Success<ReturnType<typeof layer>>, never>

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined)
})

const openStore = async (engine: "pglite" | "postgres"): Promise<{ runtime: Runtime; schema?: string }> => {
  let options: { url?: string; schema?: string; dataDir?: string } = { dataDir: "memory://" }
  let schema: string | undefined
  if (engine === "postgres") {
    schema = `t_${randomBytes(6).toString("hex")}`
    const c = new pg.Client({ connectionString: postgresUrl })
    await c.connect()
    await c.query(`create schema ${schema}`)
    await c.end()
    options = { url: postgresUrl, schema }
    closers.push(async () => {
      const d = new pg.Client({ connectionString: postgresUrl })
      await d.connect()
      await d.query(`drop schema if exists ${schema} cascade`)
      await d.end()
    })
  }
  const runtime: Runtime = ManagedRuntime.make(layer(options))
  closers.push(() => runtime.dispose())
  await runtime.runPromise(Effect.gen(function*() {
    const admin = yield* StoreAdmin
    yield* admin.ensureAgreement(new Date())
    yield* admin.upsertRep(ae, new Date())
  }))
  return { runtime, ...(schema === undefined ? {} : { schema }) }
}

interface Received {
  readonly eventId: string
  readonly topic: string
  readonly leadId: string
  readonly outboxId: number
  readonly signed: boolean
  readonly answered: number
}

/** A receiver answering with `answer(n)` for the n-th request (a status, or "hang"). */
const receiver = async (secret: string, answer: (n: number) => number | "hang") => {
  const received: Array<Received> = []
  let n = 0
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = ""
    req.on("data", (c: Buffer) => { body += c.toString() })
    req.on("end", () => {
      const what = answer(n++)
      const header = String(req.headers["handoff-signature"] ?? "")
      const [t, v1] = header.split(",").map((p) => p.split("=")[1])
      const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")
      const parsed = JSON.parse(body) as { id: string; topic: string; data: { leadId: string } }
      received.push({
        eventId: String(req.headers["handoff-event-id"]),
        topic: parsed.topic,
        leadId: parsed.data.leadId,
        outboxId: Number(parsed.id),
        signed: v1 === expected && String(parsed.id) === req.headers["handoff-event-id"],
        answered: what === "hang" ? 0 : what
      })
      if (what === "hang") return // the client times out
      res.statusCode = what
      res.end(what >= 300 ? "nope" : "ok")
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  closers.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received }
}

const subscribe = (runtime: Runtime, url: string, secret: string, topics: ReadonlyArray<string> = ["*"], format: "json" | "slack" = "json") =>
  runtime.runPromise(Effect.flatMap(WebhookStore, (w) => w.create({ id: `whk_${randomBytes(4).toString("hex")}`, url, topics, format, active: true, createdAt: new Date(), secret })))

const hotLeads = (runtime: Runtime, n: number, tag: string) =>
  runtime.runPromise(Effect.gen(function*() {
    const h = yield* Handoff
    const ids: Array<string> = []
    for (let i = 0; i < n; i++) {
      const out = yield* h.ingest({ profile: { email: `vp${i}.${tag}@bigco${i}.example`, title: "VP Sales", company: `BigCo ${i}`, employees: 800, industry: "software", estimatedAcv: 90_000 }, intent: "demo_request" }, actor)
      ids.push(out.lead.id)
    }
    return ids
  }))

const config = (over: Partial<DeliveryConfig> = {}): DeliveryConfig => ({ batchSize: 50, timeoutMs: 300, allowPrivate: true, maxAgeMs: 60_000, baseDelayMs: 20, maxDelayMs: 100, ...over })

const drain = async (runtime: Runtime, cfg: DeliveryConfig, until: () => boolean, ms = 20_000) => {
  const started = Date.now()
  while (!until()) {
    if (Date.now() - started > ms) throw new Error("deliveries did not settle in time")
    await runtime.runPromise(deliverOnce(cfg))
    await new Promise((r) => setTimeout(r, 25))
  }
}

const outboxIds = (runtime: Runtime) =>
  runtime.runPromise(Effect.flatMap(Db, ({ kysely }) => Effect.promise(() => kysely.selectFrom("outbox").select(["id", "key"]).orderBy("id").execute())))

describe("signing, backoff, the address guard, Slack", () => {
  it("the signature is HMAC-SHA256 over `<t>.<body>` and verifies independently", () => {
    const at = new Date("2026-11-22T10:00:00Z")
    const sig = signature("whsec_test", '{"a":1}', at)
    expect(sig).toBe(`t=${at.getTime() / 1000},v1=${createHmac("sha256", "whsec_test").update(`${at.getTime() / 1000}.{"a":1}`).digest("hex")}`)
    expect(signature("whsec_other", '{"a":1}', at)).not.toBe(sig)
  })

  it("retry delays grow exponentially under full jitter and stop at the cap", () => {
    expect(retryDelay(1, 10_000, 3_600_000, () => 0.999)).toBeLessThan(10_000)
    expect(retryDelay(4, 10_000, 3_600_000, () => 0.999)).toBeGreaterThan(70_000)
    expect(retryDelay(30, 10_000, 3_600_000, () => 0.999)).toBeLessThan(3_600_000)
    expect(retryDelay(30, 10_000, 3_600_000, () => 0)).toBe(0)
  })

  it("classifies private, loopback, link-local and mapped addresses as refused, public ones as allowed", () => {
    const refused = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "not-an-ip"]
    const allowed = ["8.8.8.8", "172.32.0.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"]
    expect(refused.filter((a) => !isPrivateAddress(a))).toEqual([])
    expect(allowed.filter((a) => isPrivateAddress(a))).toEqual([])
  })

  // loopback, private and metadata addresses dressed in every IPv6 form that reaches an IPv4 host
  const hiddenPrivate = [
    "::7f00:1", "::127.0.0.1", "0:0:0:0:0:0:7f00:1", // IPv4-compatible
    "::ffff:7f00:1", "::FFFF:7F00:0001", "0000:0000:0000:0000:0000:ffff:127.0.0.1", "::ffff:a9fe:a9fe", // IPv4-mapped
    "::ffff:0:7f00:1", "::ffff:0:10.0.0.1", // SIIT
    "64:ff9b::7f00:1", "64:ff9b::10.1.2.3", "64:ff9b:1::a00:1", // NAT64, well-known and local-use
    "2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:c0a8:0101::", // 6to4 of loopback, metadata, 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo whose client is 127.0.0.1 (stored inverted)
    "2001:db8::1", "fec0::1", "100::1", "ff02::1", "fe80::1%eth0"
  ]

  it("refuses every IPv6 form of a private, loopback or link-local address; allows the public ones", () => {
    expect(hiddenPrivate.filter((a) => !isPrivateAddress(a))).toEqual([])
    const publicForms = ["2606:4700:4700::1111", "2a00:1450:4001:81c::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]
    expect(publicForms.filter((a) => isPrivateAddress(a))).toEqual([])
  })

  it("refuses those forms as webhook URLs, and on the address a delivery would connect to", async () => {
    for (const address of ["::7f00:1", "::ffff:0:7f00:1", "2002:7f00:1::", "64:ff9b::7f00:1", "::ffff:7f00:1"]) {
      expect(await webhookUrlFault(`http://[${address}]/hook`, false), address).toMatch(/private or loopback/)
      const attempt = await post(`http://[${address}]:9/hook`, "{}", {}, { timeoutMs: 500, allowPrivate: false })
      expect(attempt.error, address).toMatch(/private or loopback/)
    }
  })

  it("refuses private and loopback webhook URLs unless allowed, and non-http schemes always", async () => {
    expect(await webhookUrlFault("http://127.0.0.1:9/x", false)).toMatch(/private or loopback/)
    expect(await webhookUrlFault("http://localhost:9/x", false)).toMatch(/private or loopback/)
    expect(await webhookUrlFault("http://[::1]:9/x", false)).toMatch(/private or loopback/)
    expect(await webhookUrlFault("http://169.254.169.254/latest/meta-data", false)).toMatch(/private or loopback/)
    expect(await webhookUrlFault("http://127.0.0.1:9/x", true)).toBeUndefined()
    expect(await webhookUrlFault("ftp://example.com/x", true)).toMatch(/http or https/)
    expect(await webhookUrlFault("https://user:pw@example.com/x", true)).toMatch(/credentials/)
    // and at delivery time, on the address actually connected to
    const attempt = await post("http://127.0.0.1:9/x", "{}", {}, { timeoutMs: 500, allowPrivate: false })
    expect(attempt).toMatchObject({ ok: false, status: null })
    expect(attempt.error).toMatch(/private or loopback/)
  })

  it("a Slack message carries the handoff context in Block Kit", () => {
    const msg = slackMessage("lead.routed", {
      leadId: "lead_1", agreementVersion: 3,
      handoff: {
        leadId: "lead_1", name: "Dana Lee", title: "VP Sales", company: "BigCo", email: "dana@bigco.com", phone: "+1 555 0100",
        score: { total: 85, fit: 35, intent: 50, threshold: 50 }, drivers: ["+50 demo: demo_request", "+15 title-exec: VP"],
        raisedHand: true, how: "raised a hand (demo_request)", content: [{ type: "content_download", kind: "case_study", title: "Acme" }],
        pages: [{ category: "pricing" }], emails: [], formAnswers: { seats: 40 }, tier: "hot",
        sla: { acceptBy: "2026-11-22T10:02:00.000Z", firstTouchBy: "2026-11-22T10:05:00.000Z" },
        owner: { repId: "ae-1", name: "Ada AE", bookingUrl: "https://cal.example/ada" }, flags: [], recommendedApproach: "Call now."
      }
    }) as { text: string; blocks: Array<any> }
    expect(msg.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text", text: "New hot lead: Dana Lee" } })
    const all = JSON.stringify(msg.blocks)
    for (const needle of ["VP Sales", "BigCo", "dana@bigco.com", "85 (fit 35, intent 50", "+50 demo", "raised a hand", "case_study: Acme", "pricing", "seats: 40", "Call now.", "cal.example/ada", "2026-11-22T10:05:00.000Z"]) {
      expect(all).toContain(needle)
    }
    expect(slackMessage("sla.breached", { leadId: "lead_2", kind: "accept", dueAt: "2026-11-22T10:02:00Z", repId: "ae-1" }).text).toMatch(/SLA breached: accept/)
  })
})

const engines: Array<["pglite" | "postgres"]> = [["pglite"], ...(postgresAvailable ? [["postgres"] as ["postgres"]] : [])]
describe.each(engines)("delivery on %s", (engine) => {
  it("a receiver that fails and times out for a while, then recovers: every message arrives once, signed, in order per lead", async () => {
    const { runtime } = await openStore(engine)
    const secret = "whsec_receiver"
    // 6 failures (500s), then 2 hangs past the timeout, then a 503, then healthy
    const r = await receiver(secret, (n) => (n < 6 ? 500 : n < 8 ? "hang" : n === 8 ? 503 : 200))
    await subscribe(runtime, r.url, secret)
    await subscribe(runtime, r.url.replace("/hook", "/mql-only"), secret, ["lead.mql"])
    const leads = await hotLeads(runtime, 4, `recv-${engine}`)
    const messages = await outboxIds(runtime)
    const expected = messages.length + leads.length // every message to "*", the MQLs once more
    const acknowledged = () => r.received.filter((x) => x.answered >= 200 && x.answered < 300)
    await drain(runtime, config(), () => acknowledged().length >= expected)
    await runtime.runPromise(deliverOnce(config())) // and once more: nothing is sent again

    const acks = acknowledged()
    expect(acks).toHaveLength(expected)
    expect(r.received.every((x) => x.signed)).toBe(true)
    expect(r.received.length).toBeGreaterThan(expected) // the failures were retried
    // each message acknowledged exactly once per subscription (by event id and path)
    expect(new Set(acks.map((x) => x.eventId)).size).toBe(messages.length)
    // per lead, the messages were received (and acknowledged) in outbox order
    for (const lead of leads) {
      const seq = acks.filter((x) => x.leadId === lead && x.topic !== "lead.mql").map((x) => x.outboxId)
      expect(seq).toEqual([...seq].sort((a, b) => a - b))
      const attempts = r.received.filter((x) => x.leadId === lead).map((x) => x.outboxId)
      for (let i = 1; i < attempts.length; i++) {
        // a later message for a lead is never tried before an earlier one went through
        if (attempts[i]! < attempts[i - 1]!) expect(acks.some((a) => a.outboxId === attempts[i]!)).toBe(true)
      }
    }
    const delivered = await runtime.runPromise(Effect.gen(function*() {
      const q = yield* DeliveryQueries
      const subs = yield* (yield* WebhookStore).list()
      const lists = yield* Effect.forEach(subs, (s) => q.list(s.id, { limit: 1000 }))
      return lists.flat()
    }))
    expect(delivered.every((d) => d.status === "delivered")).toBe(true)
    expect(delivered).toHaveLength(expected)
    expect(Math.max(...delivered.map((d) => d.attempts))).toBeGreaterThan(1)
  })

  it("a receiver that never recovers: dead-lettered after the retry window, with the last error; a retry puts it back", async () => {
    const { runtime } = await openStore(engine)
    const r = await receiver("whsec_dead", () => 500)
    const sub = await subscribe(runtime, r.url, "whsec_dead", ["lead.routed"])
    await hotLeads(runtime, 2, `dead-${engine}`)
    const cfg = config({ maxAgeMs: 1_000 }) // a window several attempts wide, even on a busy machine
    const dead = () => runtime.runPromise(Effect.flatMap(DeliveryQueries, (q) => q.list(sub.id, { status: "dead", limit: 100 })))
    const started = Date.now()
    for (;;) {
      await runtime.runPromise(deliverOnce(cfg))
      if ((await dead()).length === 2) break
      if (Date.now() - started > 15_000) throw new Error("not dead-lettered")
      await new Promise((res) => setTimeout(res, 30))
    }
    const letters = await dead()
    expect(letters.every((d) => d.lastStatus === 500 && d.attempts >= 2 && /HTTP 500/.test(d.lastError ?? ""))).toBe(true)
    const tries = r.received.length
    await runtime.runPromise(deliverOnce(cfg))
    expect(r.received.length).toBe(tries) // dead letters are not attempted
    const retried = await runtime.runPromise(Effect.flatMap(DeliveryQueries, (q) => q.retry(sub.id, letters[0]!.id, new Date())))
    expect(retried._tag).toBe("Some")
    await runtime.runPromise(deliverOnce(cfg))
    expect(r.received.length).toBe(tries + 1)
  })
})

/** A receiver that reads the request, then sends its answer's status line a byte every 200 ms, for ever (a tarpit). */
const tarpit = async () => {
  let connections = 0
  const timers = new Set<NodeJS.Timeout>()
  const server = createNetServer((socket) => {
    connections++
    socket.on("error", () => undefined)
    const line = "HTTP/1.1 200 OK\r\nX-Slow: " + ".".repeat(10_000)
    let i = 0
    const t = setInterval(() => socket.write(line[i++ % line.length]!), 200)
    timers.add(t)
    socket.on("close", () => {
      clearInterval(t)
      timers.delete(t)
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  closers.push(() => new Promise((r) => {
    for (const t of timers) clearInterval(t)
    server.close(() => r())
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tarpit`, connections: () => connections }
}

const deliveries = (runtime: Runtime, urlPart: string) =>
  runtime.runPromise(Effect.flatMap(Db, ({ kysely }) => Effect.promise(() =>
    kysely.selectFrom("webhook_deliveries as d").innerJoin("webhook_subscriptions as s", "s.id", "d.subscription_id")
      .select(["d.id", "d.status", "d.attempts", "d.last_error", "d.next_attempt_at"]).where("s.url", "like", `%${urlPart}%`).execute())))

describe.each(engines)("one slow receiver never delays another (%s)", (engine) => {
  it("a tarpit trickling bytes and a healthy receiver: the healthy one gets each lead.routed within 1 s; the tarpit is cut at the deadline; stop aborts and puts its deliveries back in line", async () => {
    const { runtime } = await openStore(engine)
    const slow = await tarpit()
    const healthy = await receiver("whsec_healthy", () => 200)
    await subscribe(runtime, slow.url, "whsec_tarpit", ["lead.routed"])
    await subscribe(runtime, healthy.url, "whsec_healthy", ["lead.routed"])
    const cfg = config({ timeoutMs: 1_500, concurrency: 8, perSubscription: 2, maxAgeMs: 3_600_000, baseDelayMs: 10, maxDelayMs: 20 })
    const dispatcher = makeDispatcher(cfg)
    let passing = true
    const passes = (async () => {
      while (passing) {
        await runtime.runPromise(dispatcher.pass)
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    try {
      // lead after lead while the tarpit holds its slots: every routed lead reaches the healthy receiver at once
      const waits: Array<number> = []
      for (let i = 0; i < 6; i++) {
        const [id] = await hotLeads(runtime, 1, `tarpit-${engine}-${i}`)
        const t0 = Date.now()
        while (!healthy.received.some((x) => x.leadId === id && x.topic === "lead.routed")) {
          if (Date.now() - t0 > 5_000) throw new Error(`lead ${i} did not reach the healthy receiver`)
          await new Promise((r) => setTimeout(r, 10))
        }
        waits.push(Date.now() - t0)
        await new Promise((r) => setTimeout(r, 300))
      }
      console.log(`[figures] healthy receiver beside a tarpit (${engine}): lead.routed after ${waits.join(", ")} ms`)
      for (const w of waits) expect(w).toBeLessThan(1_000)
      expect(slow.connections()).toBeGreaterThan(0)
      // the tarpit's attempts were cut at the 1.5 s deadline although it kept sending bytes
      await new Promise((r) => setTimeout(r, 1_600))
      const cut = await deliveries(runtime, "/tarpit")
      expect(cut.some((d) => d.last_error === "timed out after 1500 ms")).toBe(true)
      expect(cut.every((d) => d.status === "pending")).toBe(true)
    } finally {
      passing = false
      await passes
    }
    // stop while tarpit attempts are in flight: they are aborted at once and due again, not lost or dead
    await runtime.runPromise(dispatcher.pass)
    const t0 = Date.now()
    await runtime.runPromise(dispatcher.stop)
    expect(Date.now() - t0).toBeLessThan(500)
    const after = await deliveries(runtime, "/tarpit")
    expect(after.every((d) => d.status === "pending")).toBe(true)
    expect(after.some((d) => String(d.last_error).startsWith("aborted: the worker is stopping"))).toBe(true)
  }, 60_000)
})

describe.skipIf(!postgresAvailable)("two workers delivering at once (PostgreSQL)", () => {
  it("never deliver one message twice", async () => {
    const { runtime, schema } = await openStore("postgres")
    const r = await receiver("whsec_two", () => 200)
    await subscribe(runtime, r.url, "whsec_two")
    await hotLeads(runtime, 40, "two")
    const messages = (await outboxIds(runtime)).length
    const second: Runtime = ManagedRuntime.make(layer({ url: postgresUrl, schema: schema! }))
    closers.push(() => second.dispose())
    const cfg = config({ batchSize: 7 })
    const acknowledged = () => r.received.length >= messages
    const started = Date.now()
    while (!acknowledged() && Date.now() - started < 30_000) {
      await Promise.all([runtime.runPromise(deliverOnce(cfg)), second.runPromise(deliverOnce(cfg))])
    }
    await Promise.all([runtime.runPromise(deliverOnce(cfg)), second.runPromise(deliverOnce(cfg))])
    expect(r.received).toHaveLength(messages)
    expect(new Set(r.received.map((x) => x.eventId)).size).toBe(messages)
  })
})
