/** Administration over HTTP: reps, accounts, pods' rotation ledgers, API keys, webhook subscriptions. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
beforeAll(async () => {
  api = await startTestApi()
})
afterAll(async () => {
  await api?.close()
})

/** The paths of a problem's faults, each once (a field can fail several ways). */
const paths = (res: { body: { errors?: Array<{ path: string }> } }) => [...new Set((res.body.errors ?? []).map((e) => e.path))]

/** On shift around the clock (UTC), like the harness team. */
const allDay = { timezone: "UTC", workingHours: { "mon-sun": ["00:00", "24:00"] } }

const hotLead = (email: string) =>
  api.call("POST", "/v1/leads", { body: { email, title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" } })

describe("reps", () => {
  it("PUT creates a rep with defaults (201), then replaces it (200); GET reads and lists it", async () => {
    const created = await api.call("PUT", "/v1/reps/sdr-fr", {
      body: { name: "Camille", email: "camille@seller.example", role: "sdr", pods: ["sdr"], timezone: "Europe/Paris", workingHours: { "mon-fri": ["09:00", "18:00"] }, territories: ["FR", "BE"] }
    })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      id: "sdr-fr",
      name: "Camille",
      email: "camille@seller.example",
      role: "sdr",
      pods: ["sdr"],
      timezone: "Europe/Paris",
      workingHours: { "mon-fri": ["09:00", "18:00"] },
      capacity: {},
      weight: 1,
      active: true,
      outOfOffice: [],
      territories: ["FR", "BE"],
      segments: []
    })
    const replaced = await api.call("PUT", "/v1/reps/sdr-fr", {
      body: {
        name: "Camille D.", role: "sdr", pods: ["sdr"], timezone: "Europe/Paris", workingHours: { "mon-fri": ["08:00", "17:00"] },
        capacity: { maxOpen: 40, maxPerDay: 12 }, weight: 2, outOfOffice: [{ from: "2026-08-01T00:00:00.000Z", to: "2026-08-15T00:00:00.000Z" }],
        bookingUrl: "https://cal.example/camille"
      }
    })
    expect(replaced.status).toBe(200)
    expect(replaced.body).toMatchObject({ name: "Camille D.", capacity: { maxOpen: 40, maxPerDay: 12 }, weight: 2, territories: [], bookingUrl: "https://cal.example/camille" })
    expect(replaced.body.email).toBeUndefined()
    const read = await api.call("GET", "/v1/reps/sdr-fr", { key: api.keys.read })
    expect(read.status).toBe(200)
    expect(read.body).toEqual(replaced.body)
    const list = await api.call("GET", "/v1/reps", { key: api.keys.read })
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(["ae-1", "ae-2", "sdr-us", "sdr-fr"]))
    const sdrs = await api.call("GET", "/v1/reps?pod=sdr")
    expect(sdrs.body.items.map((r: { id: string }) => r.id).sort()).toEqual(["sdr-de", "sdr-fr", "sdr-us"])
    expect((await api.call("GET", "/v1/reps?role=manager")).body.items).toEqual([])
  })

  it("an invalid time zone and working hours are reported at their paths, with the structural faults, as one 422", async () => {
    const res = await api.call("PUT", "/v1/reps/x-1", {
      body: { name: "X", role: "ae", timezone: "Mars/Olympus_Mons", workingHours: { "mon-fry": ["09:00", "18:00"], sat: ["25:00", "10:00"], sun: ["12:00", "11:00"] } }
    })
    expect(res.status).toBe(422)
    expect(res.body.type).toMatch(/validation/)
    expect(paths(res)).toEqual(["timezone", "workingHours.mon-fry", "workingHours.sat.0", "workingHours.sun"])
    const structural = await api.call("PUT", "/v1/reps/x-1", { body: { name: "", role: "boss", timezone: "UTC", workingHours: { mon: ["09:00", "17:00"] }, weight: 0, bookingUrl: "javascript:alert(1)", outOfOffice: [{ from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }] } })
    expect(structural.status).toBe(422)
    expect(paths(structural)).toEqual(expect.arrayContaining(["name", "role", "weight", "bookingUrl", "outOfOffice.0.to"]))
    expect(structural.body.errors.find((e: { path: string }) => e.path === "role").message).toBe("must be one of: ae, sdr, manager")
    expect((await api.call("GET", "/v1/reps/x-1")).status).toBe(404)
  })

  it("a manager must exist before a rep points at them", async () => {
    const orphan = await api.call("PUT", "/v1/reps/ae-7", { body: { name: "Ae7", role: "ae", pods: ["ae-backup"], ...allDay, managerId: "mgr-1" } })
    expect(orphan.status).toBe(422)
    expect(paths(orphan)).toEqual(["managerId"])
    expect((await api.call("PUT", "/v1/reps/mgr-1", { body: { name: "Morgan", role: "manager", ...allDay } })).status).toBe(201)
    const ok = await api.call("PUT", "/v1/reps/ae-7", { body: { name: "Ae7", role: "ae", pods: ["ae-backup"], ...allDay, managerId: "mgr-1" } })
    expect(ok.status).toBe(201)
    expect(ok.body.managerId).toBe("mgr-1")
    const self = await api.call("PUT", "/v1/reps/mgr-1", { body: { name: "Morgan", role: "manager", ...allDay, managerId: "mgr-1" } })
    expect(self.status).toBe(422)
  })

  it("routing follows the reps: an inactive AE is skipped (the skip is in the pod's ledger with its reason)", async () => {
    const off = await api.call("PUT", "/v1/reps/ae-1", { body: { name: "AE-1", role: "ae", pods: ["ae-direct"], ...allDay, active: false } })
    expect(off.status).toBe(200)
    const owners: Array<string> = []
    for (const i of [1, 2, 3]) owners.push((await hotLead(`vp${i}@inactive-test.com`)).body.owner.repId)
    expect(owners).toEqual(["ae-2", "ae-2", "ae-2"])
    const ledger = await api.call("GET", "/v1/pods/ae-direct/ledger?limit=1000", { key: api.keys.read })
    expect(ledger.body.entries.some((e: { kind: string; repId: string; reason: string }) => e.kind === "skip" && e.repId === "ae-1" && e.reason === "inactive")).toBe(true)
    await api.call("PUT", "/v1/reps/ae-1", { body: { name: "AE-1", role: "ae", pods: ["ae-direct"], ...allDay } })
  })

  it("404 for an unknown rep; 403 for keys without the role", async () => {
    const missing = await api.call("GET", "/v1/reps/nobody")
    expect(missing.status).toBe(404)
    expect(missing.body.title).toBe("Rep not found")
    expect((await api.call("PUT", "/v1/reps/ae-1", { key: api.keys.sales, body: { name: "AE-1", role: "ae", ...allDay } })).status).toBe(403)
    expect((await api.call("GET", "/v1/reps", { key: api.keys.ingest })).status).toBe(403)
  })
})

describe("accounts", () => {
  it("PUT normalizes the domain (201 new, 200 replaced), and an account in an active outbound play takes its inbound leads", async () => {
    const created = await api.call("PUT", "/v1/accounts/WWW.Target.io", { body: { name: "Target", named: true, activeOutbound: true, ownerRepId: "ae-9", segment: "enterprise" } })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({ domain: "target.io", name: "Target", named: true, ownerRepId: "ae-9", activeOutbound: true, segment: "enterprise" })
    expect((await api.call("GET", "/v1/accounts/target.io", { key: api.keys.read })).body).toEqual(created.body)
    const lead = await api.call("POST", "/v1/leads", { body: { email: "buyer@target.io", title: "Director", employees: 900, intent: "contact_sales" } })
    expect(lead.body.owner.repId).toBe("ae-9")
    expect(lead.body.flags).toEqual(expect.arrayContaining(["abm_suppressed", "named_account"]))
    const replaced = await api.call("PUT", "/v1/accounts/target.io", { body: { name: "Target Inc" } })
    expect(replaced.status).toBe(200)
    expect(replaced.body).toEqual({ domain: "target.io", name: "Target Inc", named: false, ownerRepId: null, activeOutbound: false, segment: null })
  })

  it("422 for a free-mail or malformed domain and for an unknown owner; 404 for an unknown account; 403 for a sales key", async () => {
    const free = await api.call("PUT", "/v1/accounts/gmail.com", { body: {} })
    expect(free.status).toBe(422)
    expect(paths(free)).toEqual(["path.domain"])
    expect(free.body.errors[0].message).toMatch(/free-mail/)
    const bad = await api.call("PUT", "/v1/accounts/not_a_domain", { body: { ownerRepId: "ghost" } })
    expect(bad.status).toBe(422)
    expect(paths(bad)).toEqual(["path.domain", "ownerRepId"])
    expect((await api.call("GET", "/v1/accounts/nowhere.example")).status).toBe(404)
    expect((await api.call("PUT", "/v1/accounts/acme.com", { key: api.keys.sales, body: {} })).status).toBe(403)
  })

  it("a bulk import stores every account in one unit and counts what it created and updated", async () => {
    await api.call("PUT", "/v1/accounts/existing.com", { body: { named: false } })
    const accounts = [
      { domain: "https://www.Existing.com/", named: true, ownerRepId: "ae-1" },
      ...Array.from({ length: 499 }, (_, i) => ({ domain: `bulk${i}.example.com`, segment: i % 2 === 0 ? "smb" : "mid" }))
    ]
    const res = await api.call("POST", "/v1/accounts/bulk", { body: { accounts } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ total: 500, created: 499, updated: 1 })
    expect((await api.call("GET", "/v1/accounts/existing.com")).body).toMatchObject({ named: true, ownerRepId: "ae-1" })
    expect((await api.call("GET", "/v1/accounts/bulk497.example.com")).body.segment).toBe("mid")
    const page = await api.call("GET", "/v1/accounts?limit=2&after=bulk0.example.com", { key: api.keys.read })
    expect(page.body.items.map((a: { domain: string }) => a.domain)).toEqual(["bulk1.example.com", "bulk10.example.com"])
    expect(page.body.nextAfter).toBe("bulk10.example.com")
  })

  it("a bulk import with faults stores nothing and lists each fault by its index", async () => {
    const res = await api.call("POST", "/v1/accounts/bulk", {
      body: { accounts: [{ domain: "fine-one.com" }, { domain: "yahoo.com" }, { domain: "www.fine-one.com" }, { domain: "other.com", ownerRepId: "ghost" }, { domain: "x.com", named: "yes" }] }
    })
    expect(res.status).toBe(422)
    expect(paths(res)).toEqual(["accounts.4.named"])
    const semantic = await api.call("POST", "/v1/accounts/bulk", {
      body: { accounts: [{ domain: "fine-one.com" }, { domain: "yahoo.com" }, { domain: "www.fine-one.com" }, { domain: "other.com", ownerRepId: "ghost" }] }
    })
    expect(semantic.status).toBe(422)
    expect(paths(semantic)).toEqual(["accounts.1.domain", "accounts.2.domain", "accounts.3.ownerRepId"])
    expect(semantic.body.detail).toMatch(/nothing was stored/)
    expect((await api.call("GET", "/v1/accounts/fine-one.com")).status).toBe(404)
    const tooMany = await api.call("POST", "/v1/accounts/bulk", { body: { accounts: Array.from({ length: 10_001 }, (_, i) => ({ domain: `d${i}.com` })) } })
    expect(tooMany.status).toBe(422)
    expect(tooMany.body.errors).toEqual([{ path: "accounts", message: "at most 10000 accounts per import: split the list" }])
    expect((await api.call("POST", "/v1/accounts/bulk", { body: { accounts: [] } })).status).toBe(422)
  })
})

describe("pod ledgers", () => {
  it("reads a pod's rotation ledger oldest first, with pages that continue from nextAfter", async () => {
    await hotLead("vp@ledger-a.com")
    await hotLead("vp@ledger-b.com")
    const all = await api.call("GET", "/v1/pods/ae-direct/ledger", { key: api.keys.read })
    expect(all.status).toBe(200)
    expect(all.body).toMatchObject({ pod: "ae-direct", strategy: "round_robin", nextAfter: null })
    const entries = all.body.entries as Array<{ seq: number; kind: string; repId: string | null; leadId: string | null; members: Array<string> | null; at: string }>
    expect(entries[0]).toMatchObject({ kind: "reset", repId: null })
    expect(entries[0]!.members).toEqual(expect.arrayContaining(["ae-1", "ae-2"]))
    expect(entries.filter((e) => e.kind === "credit").length).toBeGreaterThanOrEqual(2)
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => a - b))
    const walked: Array<number> = []
    let after: number | null = 0
    while (after !== null) {
      const page: { body: { entries: Array<{ seq: number }>; nextAfter: number | null } } = await api.call("GET", `/v1/pods/ae-direct/ledger?limit=2&after=${after}`)
      walked.push(...page.body.entries.map((e) => e.seq))
      after = page.body.nextAfter
    }
    expect(walked).toEqual(entries.map((e) => e.seq))
  })

  it("404 for a pod that is not in the active agreement; 422 for a bad limit; 403 for an ingest key", async () => {
    const missing = await api.call("GET", "/v1/pods/no-such-pod/ledger")
    expect(missing.status).toBe(404)
    expect(missing.body.detail).toMatch(/ae-direct/)
    const bad = await api.call("GET", "/v1/pods/sdr/ledger?limit=0")
    expect(bad.status).toBe(422)
    expect(paths(bad)).toEqual(["query.limit"])
    expect((await api.call("GET", "/v1/pods/sdr/ledger", { key: api.keys.ingest })).status).toBe(403)
  })
})

describe("API keys", () => {
  it("creates a key shown once, lists keys without secrets, and revokes one (it stops working at once)", async () => {
    const created = await api.call("POST", "/v1/keys", { body: { name: "website forms", role: "ingest" } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: "website forms", role: "ingest", revokedAt: null, lastUsedAt: null })
    expect(created.body.key).toMatch(/^hk_ingest_/)
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true)
    const used = await api.call("POST", "/v1/leads", { key: created.body.key, body: { email: "via@newkey.com" } })
    expect(used.status).toBe(201)
    const list = await api.call("GET", "/v1/keys")
    expect(list.status).toBe(200)
    expect(list.body.items.map((k: { id: string }) => k.id)).toContain(created.body.id)
    expect(JSON.stringify(list.body)).not.toContain(created.body.key)
    expect(list.body.items.every((k: Record<string, unknown>) => !("key" in k))).toBe(true)
    const revoked = await api.call("DELETE", `/v1/keys/${created.body.id}`)
    expect(revoked.status).toBe(204)
    expect((await api.call("POST", "/v1/leads", { key: created.body.key, body: { email: "again@newkey.com" } })).status).toBe(401)
    const after = await api.call("GET", "/v1/keys")
    expect(after.body.items.find((k: { id: string }) => k.id === created.body.id).revokedAt).not.toBeNull()
    expect((await api.call("DELETE", `/v1/keys/${created.body.id}`)).status).toBe(404)
    expect((await api.call("DELETE", "/v1/keys/key_unknown")).status).toBe(404)
  })

  it("the last live admin key cannot be revoked (409); with a second admin key it can", async () => {
    const list = await api.call("GET", "/v1/keys")
    const admin = list.body.items.find((k: { role: string; revokedAt: string | null }) => k.role === "admin" && k.revokedAt === null)
    const refused = await api.call("DELETE", `/v1/keys/${admin.id}`)
    expect(refused.status).toBe(409)
    expect(refused.body.reason).toBe("last_admin_key")
    const second = await api.call("POST", "/v1/keys", { body: { name: "second admin", role: "admin" } })
    expect((await api.call("DELETE", `/v1/keys/${second.body.id}`, { key: second.body.key })).status).toBe(204)
    expect((await api.call("GET", "/v1/keys", { key: second.body.key })).status).toBe(401)
  })

  it("422 for an unknown role, 403 for a non-admin key", async () => {
    const bad = await api.call("POST", "/v1/keys", { body: { name: "x", role: "root" } })
    expect(bad.status).toBe(422)
    expect(bad.body.errors).toEqual([{ path: "role", message: "must be one of: ingest, sales, admin, read" }])
    expect((await api.call("POST", "/v1/keys", { key: api.keys.read, body: { name: "x", role: "read" } })).status).toBe(403)
    expect((await api.call("GET", "/v1/keys", { key: api.keys.read })).status).toBe(403)
  })
})

describe("webhook subscriptions", () => {
  it("subscribes (secret shown once), lists without secrets, and removes a subscription", async () => {
    const created = await api.call("POST", "/v1/webhooks", { body: { url: "https://hooks.example.com/handoff", topics: ["lead.routed", "sla.breached", "lead.routed"] } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ url: "https://hooks.example.com/handoff", topics: ["lead.routed", "sla.breached"], format: "json", active: true })
    expect(created.body.id).toMatch(/^whk_/)
    expect(created.body.secret).toMatch(/^whsec_.{20,}/)
    const slack = await api.call("POST", "/v1/webhooks", { body: { url: "https://hooks.slack.com/services/T0/B0/xyz", topics: ["*"], format: "slack" } })
    expect(slack.status).toBe(201)
    expect(slack.body.secret).not.toBe(created.body.secret)
    const list = await api.call("GET", "/v1/webhooks")
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([created.body.id, slack.body.id])
    expect(JSON.stringify(list.body)).not.toContain("whsec_")
    expect((await api.call("DELETE", `/v1/webhooks/${created.body.id}`)).status).toBe(204)
    expect((await api.call("GET", "/v1/webhooks")).body.items.map((s: { id: string }) => s.id)).toEqual([slack.body.id])
    const all = await api.call("GET", "/v1/webhooks?includeInactive=true")
    expect(all.body.items.find((s: { id: string }) => s.id === created.body.id).active).toBe(false)
    expect((await api.call("DELETE", `/v1/webhooks/${created.body.id}`)).status).toBe(404)
    expect((await api.call("DELETE", "/v1/webhooks/whk_unknown")).status).toBe(404)
  })

  it("422 for a non-http URL, an unknown topic, no topics or an unknown format; 403 for a non-admin key", async () => {
    const bad = await api.call("POST", "/v1/webhooks", { body: { url: "ftp://files.example.com/x", topics: ["lead.routed", "lead.nope"], format: "xml" } })
    expect(bad.status).toBe(422)
    expect(paths(bad)).toEqual(expect.arrayContaining(["url", "topics.1", "format"]))
    expect(bad.body.errors.find((e: { path: string }) => e.path === "topics.1").message).toMatch(/^must be one of: lead\.created, .*\*$/)
    const none = await api.call("POST", "/v1/webhooks", { body: { url: "https://hooks.example.com/x", topics: [] } })
    expect(none.status).toBe(422)
    expect(paths(none)).toEqual(["topics"])
    expect((await api.call("POST", "/v1/webhooks", { key: api.keys.sales, body: { url: "https://hooks.example.com/x", topics: ["*"] } })).status).toBe(403)
    expect((await api.call("GET", "/v1/webhooks", { key: api.keys.read })).status).toBe(403)
  })
})
