/**
 * Chaos: the rest of the attacker's table, against a real server on each store — patterns
 * built to backtrack, YAML bombs and impossible dates, instants PostgreSQL cannot hold, a
 * batch with a bad item and its retry, a sender's clock ahead of ours, a public form key
 * trying to read or rewrite a lead, a sales key acting as another rep, webhook URLs in
 * loopback's IPv6 disguises, and one person's address written four ways.
 */
import { postgresAvailable } from "@handoff/db/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChaosServer, dropDatabases, figure, killAll, probeHealth, startFresh, type StoreKind } from "./server.ts"

const stores: Array<StoreKind> = ["pglite", ...(await postgresAvailable() ? ["postgres" as const] : [])]

const rep = (id: string, pods: Array<string>, role: "ae" | "sdr") => ({
  name: id.toUpperCase(), email: `${id}@seller.example`, role, pods, timezone: "UTC",
  workingHours: { "mon-sun": ["00:00", "24:00"] }, capacity: { maxOpen: 1000, maxPerDay: 1000 }, weight: 1, active: true,
  outOfOffice: [], territories: [], segments: [], bookingUrl: `https://cal.example/${id}`
})

describe.each(stores)("chaos: hostile input (%s)", (store) => {
  let server: ChaosServer
  let keys: Record<"ingest" | "read" | "sales", string>
  beforeAll(async () => {
    server = await startFresh(store)
    for (const [id, pods, role] of [["ae-1", ["ae-direct"], "ae"], ["ae-2", ["ae-direct"], "ae"], ["sdr-1", ["sdr"], "sdr"]] as const) {
      expect((await server.call("PUT", `/v1/reps/${id}`, { body: rep(id, [...pods], role) })).status).toBeLessThan(300)
    }
    keys = { ingest: await server.key("ingest"), read: await server.key("read"), sales: await server.key("sales") }
  }, 120_000)
  afterAll(async () => {
    if (server !== undefined) expect((await server.stop()).code).toBe(0)
    killAll()
    await dropDatabases()
  })

  it("a draft with (a+)+$ against 36 × a + ! decides at once with a read key; /healthz never waits", async () => {
    const active = (await server.call("GET", "/v1/agreement", { key: keys.read })).body
    const draft = structuredClone(active.agreement)
    draft.scoring.fit[0].when = { title: { matches: "(a+)+$" } }
    const probed = await probeHealth(server.base, () =>
      server.call("POST", "/v1/agreement/preview", { key: keys.read, body: { agreement: draft, lead: { email: "a@evil.example", title: `${"a".repeat(36)}!`, employees: 800 } } }))
    figure("catastrophic pattern preview", store, { ms: probed.result.ms, healthzP99Ms: probed.p99 })
    expect(probed.result.status).toBe(200)
    expect(probed.result.ms).toBeLessThan(5_000)
    expect(probed.failed).toBe(0)
    // a pattern RE2 cannot run is refused with the rule's path
    draft.scoring.fit[0].when = { title: { matches: "(?=vp)vp" } }
    const refused = await server.call("POST", "/v1/agreement", { body: draft })
    expect(refused.status).toBe(422)
    expect(JSON.stringify(refused.body.errors)).toContain("scoring.fit[0].when.title.matches")
  })

  it("a YAML alias bomb and 2026-02-30 are 422, not 500", async () => {
    const lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for (let i = 1; i < 9; i++) lines.push(`lol${i}: &lol${i} [${Array(9).fill(`*lol${i - 1}`).join(", ")}]`)
    const bomb = await server.call("POST", "/v1/agreement", { raw: `name: bomb\n${lines.join("\n")}\n`, headers: { "content-type": "application/yaml" } })
    expect(bomb.status).toBe(422)
    const feb30 = await server.call("POST", "/v1/leads", { key: keys.ingest, body: { email: "feb30@dates.example", occurredAt: "2026-02-30T10:00:00Z" } })
    expect(feb30.status).toBe(422)
    expect(feb30.body.errors.map((e: { path: string }) => e.path)).toContain("occurredAt")
  })

  it("instants PostgreSQL cannot store are 422 with the path; a batch [good, bad, good] stores two, and its retry nothing twice", async () => {
    for (const bad of ["-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00Z"]) {
      const res = await server.call("POST", "/v1/leads", { key: keys.ingest, body: { email: "range@dates.example", occurredAt: bad } })
      expect(res.status, bad).toBe(422)
    }
    const at = new Date(Date.now() - 60_000).toISOString()
    const batch = { events: [
      { email: "batch@bigco.example", type: "page_view", occurredAt: at, properties: { category: "pricing" } },
      { email: "batch@bigco.example", type: "page_view", occurredAt: "-271821-04-20T00:00:00Z" },
      { email: "batch@bigco.example", type: "email_open", occurredAt: at }
    ] }
    const first = await server.call("POST", "/v1/events", { key: keys.ingest, body: batch })
    expect(first.status).toBe(200)
    expect(first.body.results.map((r: { status: string }) => r.status)).toEqual(["pending", "rejected", "pending"])
    expect(first.body.results[1].errors[0].path).toBe("events.1.occurredAt")
    const retry = await server.call("POST", "/v1/events", { key: keys.ingest, body: batch })
    expect(retry.body.results.map((r: { status: string }) => r.status)).toEqual(["duplicate", "rejected", "duplicate"])
  })

  it("a hot demo request stamped 2 s, 1 min and 1 h ahead of our clock is routed hot at receipt", async () => {
    for (const [i, aheadMs] of [2_000, 60_000, 3_600_000].entries()) {
      const res = await server.call("POST", "/v1/leads", {
        key: keys.ingest,
        body: { email: `future${i}@bigco.example`, title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90_000, intent: "demo_request", occurredAt: new Date(Date.now() + aheadMs).toISOString() }
      })
      expect(res.status).toBe(201)
      expect(res.body.tier).toBe("hot")
      expect(res.body.owner?.bookingUrl).toMatch(/^https:\/\/cal\.example\/ae-/)
    }
  })

  it("the ingest key learns and rewrites nothing about a known person, and cannot read leads", async () => {
    const first = await server.call("POST", "/v1/leads", { key: keys.ingest, body: { email: "dana@private.example", firstName: "Dana", lastName: "Lee", title: "VP Sales", phone: "+1 555 0100" } })
    expect(first.status).toBe(201)
    const again = await server.call("POST", "/v1/leads", { key: keys.ingest, body: { email: "DANA@Private.example", firstName: "Mallory", phone: "+1 555 0199" } })
    expect(again.status).toBe(200)
    expect(Object.keys(again.body).sort()).toEqual(["created", "id", "owner", "tier"])
    expect(JSON.stringify(again.body)).not.toMatch(/Lee|VP Sales|0100/)
    expect((await server.call("GET", `/v1/leads/${first.body.id}`, { key: keys.ingest })).status).toBe(403)
    const stored = await server.call("GET", `/v1/leads/${first.body.id}`, { key: keys.read })
    expect(stored.body).toMatchObject({ firstName: "Dana", phone: "+1 555 0100" })
  })

  it("a sales key bound to a rep cannot act as another rep; the timeline records the key", async () => {
    const bound = await server.key("sales", { repId: "ae-1" })
    const lead = await server.call("POST", "/v1/leads", { body: { email: "bound@bigco.example", title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90_000, intent: "demo_request" } })
    const owner = lead.body.owner.repId as string
    // bound to ae-1, it names ae-2 (whoever owns the lead)
    const impostor = await server.call("POST", `/v1/leads/${lead.body.id}/accept`, { key: bound, body: { repId: "ae-2" } })
    expect(impostor.status, JSON.stringify(impostor.body)).toBe(403)
    if (owner === "ae-1") {
      expect((await server.call("POST", `/v1/leads/${lead.body.id}/accept`, { key: bound, body: { repId: "ae-1" } })).status).toBe(200)
      const timeline = await server.call("GET", `/v1/leads/${lead.body.id}/timeline`, { key: keys.read })
      expect(JSON.stringify(timeline.body)).toContain("keyId")
    }
  })

  it("webhook URLs in loopback's IPv6 disguises are refused", async () => {
    for (const url of ["http://[::7f00:1]/", "http://[::ffff:0:7f00:1]/", "http://[2002:7f00:1::]/", "http://[64:ff9b::7f00:1]/"]) {
      const res = await server.call("POST", "/v1/webhooks", { body: { url, topics: ["lead.routed"] } })
      expect(res.status, url).toBe(422)
    }
  })

  it("one person's address written four ways is one lead", async () => {
    for (const [a, b] of [
      ["zo\u00eb@identity.example", "zoe\u0308@identity.example"],
      ["max@b\u00fccher.de", "max@xn--bcher-kva.de"],
      ["kim@identity.example", "kim@identity.example."],
      ["dana@identity.example", "\uff44\uff41\uff4e\uff41@identity.example"]
    ]) {
      expect((await server.call("POST", "/v1/leads", { key: keys.ingest, body: { email: a } })).status, a).toBe(201)
      const second = await server.call("POST", "/v1/leads", { key: keys.ingest, body: { email: b } })
      expect(second.status, b).toBe(200)
      expect(second.body.created).toBe(false)
    }
  })
})
