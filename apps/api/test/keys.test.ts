/**
 * Least-privilege keys over HTTP: a public form's ingest key writes leads and learns nothing
 * about anyone; a sales key bound to a rep acts only as that rep; every timeline entry
 * records the key that made it.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
let keyIds: Record<string, string>
beforeAll(async () => {
  api = await startTestApi()
  const keys = await api.call("GET", "/v1/keys")
  keyIds = Object.fromEntries(keys.body.items.map((k: { name: string; id: string }) => [k.name.split(" ")[0], k.id]))
})
afterAll(async () => {
  await api?.close()
})

const hot = { title: "VP Sales", company: "BigSoft", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" }

const timeline = async (id: string) => (await api.call("GET", `/v1/leads/${id}/timeline`, { key: api.keys.read })).body.entries as Array<any>

describe("ingest keys (public forms) write leads and learn nothing about anyone", () => {
  it("the answer to a hand-raise is id, created, tier and the owner's name and bookingUrl — nothing else", async () => {
    const res = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "val@bigsoft.com", firstName: "Val", lastName: "Stone", phone: "+1 555 0100", ...hot } })
    expect(res.status).toBe(201)
    const stored = await api.call("GET", `/v1/leads/${res.body.id}`, { key: api.keys.read })
    const owner = stored.body.owner
    expect(["ae-1", "ae-2"]).toContain(owner.repId)
    expect(res.body).toEqual({ id: stored.body.id, created: true, tier: "hot", owner: { name: owner.name, bookingUrl: `https://cal.example/${owner.repId}` } })
  })

  it("without a hand-raise the answer names no owner", async () => {
    const res = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "reader@quiet.io", firstName: "Rea", title: "Analyst", employees: 300, intent: "content_download" } })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ id: expect.any(String), created: true, tier: "nurture", owner: null })
  })

  it("a repeat inquiry in other case keeps the stored name and phone, fills a blank field, and the timeline keeps what the form said", async () => {
    const first = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "robin@midco.com", firstName: "Robin", phone: "+1 555 0100", ...hot } })
    const again = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "ROBIN@MidCo.com", firstName: "Mallory", phone: "+1 555 0199", lastName: "Hale", intent: "pricing_request" } })
    expect(again.status).toBe(200)
    expect(again.body.id).toBe(first.body.id)
    expect(again.body.created).toBe(false)
    // the merged answer says nothing of the stored person
    expect(Object.keys(again.body).sort()).toEqual(["created", "id", "owner", "tier"])
    expect(JSON.stringify(again.body)).not.toContain("Robin")
    const stored = await api.call("GET", `/v1/leads/${first.body.id}`, { key: api.keys.read })
    expect(stored.body).toMatchObject({ firstName: "Robin", phone: "+1 555 0100", lastName: "Hale" })
    const merged = (await timeline(first.body.id)).find((e) => e.explanation.includes("merged"))
    expect(merged.explanation).toContain("The form said firstName: Mallory, phone: +1 555 0199")
    expect(merged.data).toMatchObject({ formSaid: { firstName: "Mallory", phone: "+1 555 0199" }, filled: ["lastName"] })
  })

  it("an admin key's repeat inquiry corrects the stored identity and gets the full view", async () => {
    await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "kim@fixme.io", firstName: "Kym", intent: "content_download" } })
    const fixed = await api.call("POST", "/v1/leads", { body: { email: "kim@fixme.io", firstName: "Kim", intent: "content_download" } })
    expect(fixed.status).toBe(200)
    expect(fixed.body).toMatchObject({ firstName: "Kim", email: "kim@fixme.io", created: false })
  })

  it("an ingest key cannot read a lead, its timeline or the list (403)", async () => {
    const lead = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "secret@corp.io", firstName: "Sec", intent: "content_download" } })
    for (const path of [`/v1/leads/${lead.body.id}`, `/v1/leads/${lead.body.id}/timeline`, "/v1/leads"]) {
      const res = await api.call("GET", path, { key: api.keys.ingest })
      expect(res.status, path).toBe(403)
      expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/)
    }
    expect((await api.call("GET", `/v1/leads/${lead.body.id}`, { key: api.keys.read })).status).toBe(200)
  })

  it("enrichment through an ingest key answers id and tier, not the lead", async () => {
    const lead = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "enrich@corp.io", firstName: "En", intent: "content_download" } })
    const res = await api.call("POST", `/v1/leads/${lead.body.id}/enrichment`, { key: api.keys.ingest, body: { title: "Analyst", employees: 300 } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ id: lead.body.id, tier: "nurture", owner: null })
  })
})

describe("sales keys bound to a rep", () => {
  it("POST /v1/keys binds a sales key to an existing rep; GET /v1/keys shows repId (null: unbound)", async () => {
    const bound = await api.call("POST", "/v1/keys", { body: { name: "ae-1 phone", role: "sales", repId: "ae-1" } })
    expect(bound.status).toBe(201)
    expect(bound.body.repId).toBe("ae-1")
    const list = await api.call("GET", "/v1/keys")
    const byId = new Map(list.body.items.map((k: { id: string; repId: string | null }) => [k.id, k.repId]))
    expect(byId.get(bound.body.id)).toBe("ae-1")
    expect(byId.get(keyIds.sales)).toBeNull()
  })

  it("binding is refused (422, path repId) for an unknown rep or a key that is not a sales key", async () => {
    const unknown = await api.call("POST", "/v1/keys", { body: { name: "ghost", role: "sales", repId: "nobody" } })
    expect(unknown.status).toBe(422)
    expect(unknown.body.errors).toEqual([{ path: "repId", message: expect.stringContaining("nobody") }])
    const ingest = await api.call("POST", "/v1/keys", { body: { name: "form", role: "ingest", repId: "ae-1" } })
    expect(ingest.status).toBe(422)
    expect(ingest.body.errors[0].path).toBe("repId")
  })

  it("a bound key acting as another rep is 403 (path repId); as itself it works, and the timeline records rep and key", async () => {
    const lead = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "cto@bound.io", ...hot } })
    const owner = (await api.call("GET", `/v1/leads/${lead.body.id}`, { key: api.keys.read })).body.owner.repId as string
    const other = owner === "ae-1" ? "ae-2" : "ae-1"
    const mine = await api.call("POST", "/v1/keys", { body: { name: `${owner} only`, role: "sales", repId: owner } })
    const theirs = await api.call("POST", "/v1/keys", { body: { name: `${other} only`, role: "sales", repId: other } })
    // another rep's key naming the owner: refused before anything is written
    for (const path of ["accept", "reject", "activities", "qualify"]) {
      const body = path === "reject" ? { repId: owner, reason: "other" } : path === "activities" ? { repId: owner, kind: "call" } : path === "qualify" ? { repId: owner, framework: "BANT" } : { repId: owner }
      const res = await api.call("POST", `/v1/leads/${lead.body.id}/${path}`, { key: theirs.body.key, body })
      expect(res.status, path).toBe(403)
      expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/)
      expect(res.body.errors).toEqual([{ path: "repId", message: expect.stringContaining(other) }])
    }
    const ok = await api.call("POST", `/v1/leads/${lead.body.id}/accept`, { key: mine.body.key, body: { repId: owner } })
    expect(ok.status).toBe(200)
    expect(ok.body.stage).toBe("sal")
    const entries = await timeline(lead.body.id)
    expect(entries.find((e) => e.cause === "Accept").actor).toEqual({ kind: "rep", id: owner, keyId: mine.body.id })
    expect(entries[0].actor).toEqual({ kind: "api_key", id: keyIds.ingest, keyId: keyIds.ingest })
    expect(entries.filter((e) => e.cause === "Reject")).toHaveLength(0)
  })

  it("an unbound sales key (a CRM integration) still acts for any rep, and the timeline records its key", async () => {
    const lead = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "crm@bound.io", ...hot } })
    const owner = (await api.call("GET", `/v1/leads/${lead.body.id}`, { key: api.keys.read })).body.owner.repId as string
    const ok = await api.call("POST", `/v1/leads/${lead.body.id}/accept`, { key: api.keys.sales, body: { repId: owner } })
    expect(ok.status).toBe(200)
    expect((await timeline(lead.body.id)).find((e) => e.cause === "Accept").actor).toEqual({ kind: "rep", id: owner, keyId: keyIds.sales })
  })
})
