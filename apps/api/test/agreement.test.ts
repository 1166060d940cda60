/** The agreement over HTTP: reading versions, previewing decisions (no writes), proposing new versions. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { defaultAgreement, defaultAgreementYaml, encodeAgreement } from "@handoff/domain"
import { parse as parseYaml } from "yaml"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
beforeAll(async () => {
  api = await startTestApi()
})
afterAll(async () => {
  await api?.close()
})

/** The default agreement as a JSON document, to edit. */
const defaultDocument = (): any => structuredClone(encodeAgreement(defaultAgreement))

/** The default agreement with an MQL threshold of 5 (its "top-of-funnel download is nurture" example no longer holds). */
const lowThreshold = (keepTests = false) => {
  const doc = defaultDocument()
  doc.scoring.mqlThreshold = 5
  if (!keepTests) doc.tests = doc.tests.filter((t: { expect: { tier?: string } }) => t.expect.tier !== "nurture")
  return doc
}

const paths = (res: { body: { errors?: Array<{ path: string }> } }) => [...new Set((res.body.errors ?? []).map((e) => e.path))]

/** What the store holds that a preview must not touch. */
const snapshot = async () => ({
  aeLedger: (await api.call("GET", "/v1/pods/ae-direct/ledger?limit=1000")).body.entries,
  sdrLedger: (await api.call("GET", "/v1/pods/sdr/ledger?limit=1000")).body.entries,
  leads: (await api.call("GET", "/v1/leads?limit=100")).body.items.map((l: { id: string; stage: string; updatedAt: string }) => [l.id, l.stage, l.updatedAt])
})

const analyst = (email: string) => ({ email, title: "Analyst", employees: 300, intent: "content_download" })

describe("reading the agreement", () => {
  it("GET /v1/agreement: the active version with its document; as YAML on request", async () => {
    const res = await api.call("GET", "/v1/agreement", { key: api.keys.read })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ version: 1, active: true, createdBy: "handoff (default agreement)" })
    expect(res.body.agreement).toEqual(encodeAgreement(defaultAgreement))
    const yaml = await api.call("GET", "/v1/agreement?format=yaml", { key: api.keys.read })
    expect(yaml.status).toBe(200)
    expect(yaml.headers.get("content-type")).toMatch(/^application\/yaml/)
    expect(yaml.headers.get("x-agreement-version")).toBe("1")
    expect(parseYaml(yaml.body as string)).toEqual(res.body.agreement)
  })

  it("versions: the list, one version, 404 for an unknown one, 422 for a non-number; 403 for an ingest key", async () => {
    const list = await api.call("GET", "/v1/agreement/versions", { key: api.keys.read })
    expect(list.body.items).toEqual([{ version: 1, createdAt: expect.any(String), createdBy: "handoff (default agreement)", active: true, name: "Inbound handoff SLA" }])
    const one = await api.call("GET", "/v1/agreement/versions/1")
    expect(one.body).toMatchObject({ version: 1, active: true, agreement: { name: "Inbound handoff SLA" } })
    expect((await api.call("GET", "/v1/agreement/versions/99")).status).toBe(404)
    const bad = await api.call("GET", "/v1/agreement/versions/latest")
    expect(bad.status).toBe(422)
    expect(paths(bad)).toEqual(["path.version"])
    expect((await api.call("GET", "/v1/agreement", { key: api.keys.ingest })).status).toBe(403)
  })
})

describe("POST /v1/agreement/preview", () => {
  it("an inline lead gets the full decision trace, nothing is written, and the real inquiry then lands exactly as previewed", async () => {
    const before = await snapshot()
    const at = new Date(Math.floor(Date.now() / 1000) * 1000)
    const lead = { email: "vp@preview-hot.com", title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" }
    const res = await api.call("POST", "/v1/agreement/preview", { key: api.keys.read, body: { lead, at: at.toISOString() } })
    expect(res.status).toBe(200)
    const p = res.body
    expect(p.agreement).toEqual({ version: 1, name: "Inbound handoff SLA", draft: false })
    expect(p.lead).toMatchObject({ id: null, email: "vp@preview-hot.com", stage: "inquiry", accountDomain: "preview-hot.com", events: 1 })
    expect(p.score.drivers.map((d: { rule: string }) => d.rule)).toEqual(expect.arrayContaining(["title-exec", "size-target", "industry-match", "demo"]))
    expect(p.score).toMatchObject({ mql: true, icpFit: true, handRaise: { type: "demo_request" } })
    expect(p.tier).toMatchObject({ name: "hot", index: 0, handedTo: "sales" })
    expect(p.tier.reasons.length).toBeGreaterThan(0)
    expect(p.flags).toContain("hand_raise")
    expect(p.handoff).toMatchObject({ wouldHandOff: true, via: "hand_raise" })
    expect(p.routing).toMatchObject({ outcome: "assigned", pod: "ae-direct", strategy: "round_robin", viaBackup: false })
    expect(["ae-1", "ae-2"]).toContain(p.routing.repId)
    expect(p.routing.owner.bookingUrl).toBe(`https://cal.example/${p.routing.repId}`)
    expect(p.routing.ledger.map((e: { kind: string }) => e.kind)).toContain("credit")
    expect(Date.parse(p.sla.acceptBy)).toBe(at.getTime() + 2 * 60_000)
    expect(Date.parse(p.sla.firstTouchBy)).toBe(at.getTime() + 5 * 60_000)
    expect(p.sla.cadence).toBe("speed-to-lead")
    expect(p.sla.steps.length).toBeGreaterThan(0)
    expect(p.tests).toBeNull()

    expect(await snapshot()).toEqual(before)
    const real = await api.call("POST", "/v1/leads", { body: lead })
    expect(real.body.owner.repId).toBe(p.routing.repId)
    expect(real.body.tier).toBe("hot")
  })

  it("a stored lead under a draft: the decision it would get, the draft's own test results, and the lead left as it was", async () => {
    const stored = await api.call("POST", "/v1/leads", { body: { ...analyst("reader@preview-warm.com"), country: "US" } })
    expect(stored.body.tier).toBe("nurture")
    const timelineBefore = (await api.call("GET", `/v1/leads/${stored.body.id}/timeline`)).body.entries
    const before = await snapshot()
    const res = await api.call("POST", "/v1/agreement/preview", { body: { agreement: lowThreshold(true), lead: { leadId: stored.body.id } } })
    expect(res.status).toBe(200)
    const p = res.body
    expect(p.agreement).toEqual({ version: null, name: "Inbound handoff SLA", draft: true })
    expect(p.lead).toMatchObject({ id: stored.body.id, stage: "inquiry" })
    expect(p.score).toMatchObject({ threshold: 5, mql: true })
    expect(p.tier.name).toBe("warm")
    expect(p.handoff).toMatchObject({ wouldHandOff: true, via: "score" })
    expect(p.routing).toMatchObject({ outcome: "assigned", pod: "sdr", repId: "sdr-us" })
    expect(p.sla.firstTouchBy).not.toBeNull()
    expect(p.tests.filter((t: { passed: boolean }) => !t.passed).map((t: { index: number }) => t.index)).toEqual([4])
    expect(await snapshot()).toEqual(before)
    expect((await api.call("GET", `/v1/leads/${stored.body.id}/timeline`)).body.entries).toEqual(timelineBefore)
    // under the active agreement the same lead stays with marketing
    const active = await api.call("POST", "/v1/agreement/preview", { body: { lead: { leadId: stored.body.id } } })
    expect(active.body.tier.name).toBe("nurture")
    expect(active.body.handoff.wouldHandOff).toBe(false)
    expect(active.body.routing).toBeNull()
    expect(active.body.sla).toBeNull()
  })

  it("422 with paths for an invalid draft or lead, 404 for an unknown lead, 403 for an ingest key", async () => {
    const draft = defaultDocument()
    draft.scoring.mqlThreshold = "fifty"
    draft.routing.pods[0].strategy = "random"
    const invalidDraft = await api.call("POST", "/v1/agreement/preview", { body: { agreement: draft, lead: analyst("a@b-preview.com") } })
    expect(invalidDraft.status).toBe(422)
    expect(invalidDraft.body.type).toMatch(/invalid-agreement/)
    expect(paths(invalidDraft)).toEqual(expect.arrayContaining(["agreement.scoring.mqlThreshold", "agreement.routing.pods[0].strategy"]))
    const badLead = await api.call("POST", "/v1/agreement/preview", { body: { lead: { email: "nope", employees: -1 } } })
    expect(badLead.status).toBe(422)
    expect(paths(badLead)).toEqual(expect.arrayContaining(["lead.email", "lead.employees"]))
    const unknown = await api.call("POST", "/v1/agreement/preview", { body: { lead: { leadId: "lead_nope" } } })
    expect(unknown.status).toBe(404)
    expect((await api.call("POST", "/v1/agreement/preview", { key: api.keys.ingest, body: { lead: analyst("x@y-preview.com") } })).status).toBe(403)
  })
})

describe("POST /v1/agreement", () => {
  it("an invalid document is refused with every fault and its path at once", async () => {
    const doc = defaultDocument()
    doc.scoring.mqlThreshold = "fifty"
    doc.tiers[0].sla.accept = "soon"
    doc.routing.pods[1].strategy = "random"
    doc.surprise = true
    const res = await api.call("POST", "/v1/agreement", { body: doc })
    expect(res.status).toBe(422)
    expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/)
    expect(res.body).toMatchObject({ type: "https://handoff.dev/problems/invalid-agreement", title: "Invalid agreement", status: 422 })
    expect(paths(res)).toEqual(expect.arrayContaining(["scoring.mqlThreshold", "tiers[0].sla.accept", "routing.pods[1].strategy", "surprise"]))
    const crossRefs = defaultDocument()
    crossRefs.tiers[0].route.pod = "nowhere"
    crossRefs.tiers[1].cadence = "none-such"
    const refs = await api.call("POST", "/v1/agreement", { body: crossRefs })
    expect(refs.status).toBe(422)
    expect(paths(refs)).toEqual(expect.arrayContaining(["tiers[0].route.pod", "tiers[1].cadence"]))
    expect((await api.call("POST", "/v1/agreement", { body: [] })).status).toBe(422)
    expect((await api.call("GET", "/v1/agreement/versions")).body.items).toHaveLength(1)
  })

  it("a document whose own tests fail is refused, pointing at tests[i]", async () => {
    const res = await api.call("POST", "/v1/agreement", { body: lowThreshold(true) })
    expect(res.status).toBe(422)
    expect(res.body.type).toMatch(/invalid-agreement/)
    expect(paths(res)).toEqual(["tests[4]"])
    expect(res.body.errors[0].message).toMatch(/tier: expected "nurture", got "warm"/)
    expect((await api.call("GET", "/v1/agreement")).body.version).toBe(1)
  })

  it("a valid document becomes version 2: new leads are decided under it, earlier leads keep version 1", async () => {
    const earlier = await api.call("POST", "/v1/leads", { body: analyst("early@versions.com") })
    expect(earlier.body).toMatchObject({ tier: "nurture", agreementVersion: 1 })
    const res = await api.call("POST", "/v1/agreement", { body: lowThreshold() })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ version: 2, active: true, created: true, createdBy: "admin test key", warnings: [] })
    expect(res.body.agreement.scoring.mqlThreshold).toBe(5)
    const later = await api.call("POST", "/v1/leads", { body: { ...analyst("late@versions.com"), country: "DE" } })
    expect(later.body).toMatchObject({ tier: "warm", stage: "mql", agreementVersion: 2 })
    expect(later.body.owner.repId).toBe("sdr-de")
    const kept = await api.call("GET", `/v1/leads/${earlier.body.id}`)
    expect(kept.body).toMatchObject({ tier: "nurture", agreementVersion: 1 })
    expect((await api.call("GET", "/v1/agreement")).body.version).toBe(2)
    const versions = await api.call("GET", "/v1/agreement/versions")
    expect(versions.body.items.map((v: { version: number; active: boolean }) => [v.version, v.active])).toEqual([[1, false], [2, true]])
    expect((await api.call("GET", "/v1/agreement/versions/1")).body).toMatchObject({ version: 1, active: false, agreement: { scoring: { mqlThreshold: 50 } } })
  })

  it("posting the active document again changes nothing (200); an Idempotency-Key replay makes one version only", async () => {
    const same = await api.call("POST", "/v1/agreement", { body: lowThreshold() })
    expect(same.status).toBe(200)
    expect(same.body).toMatchObject({ version: 2, created: false })
    const doc = lowThreshold()
    doc.scoring.mqlThreshold = 40
    doc.routing.pods.push({ id: "partners", strategy: "round_robin" })
    const first = await api.call("POST", "/v1/agreement", { body: doc, headers: { "idempotency-key": "agreement-v3" } })
    const again = await api.call("POST", "/v1/agreement", { body: doc, headers: { "idempotency-key": "agreement-v3" } })
    expect(first.status).toBe(201)
    expect(first.body.version).toBe(3)
    expect(first.body.warnings).toEqual(["pod partners has no reps: leads routed there wait in its queue"])
    expect(again.status).toBe(201)
    expect(again.body.version).toBe(3)
    expect(again.headers.get("idempotent-replayed")).toBe("true")
    expect((await api.call("GET", "/v1/agreement/versions")).body.items).toHaveLength(3)
  })

  it("takes the document as YAML too: a valid one becomes a version, a broken one is refused with paths and lines", async () => {
    const yaml = defaultAgreementYaml.replace("mqlThreshold: 50", "mqlThreshold: 45")
    const res = await api.call("POST", "/v1/agreement", { raw: yaml, headers: { "content-type": "application/yaml" } })
    expect(res.status).toBe(201)
    expect(res.body.agreement.scoring.mqlThreshold).toBe(45)
    expect((await api.call("GET", "/v1/agreement")).body.version).toBe(res.body.version)

    const broken = yaml.replace("mqlThreshold: 45", "mqlThreshold: lots").replace("strategy: territory", "strategy: random")
    const refused = await api.call("POST", "/v1/agreement", { raw: broken, headers: { "content-type": "application/yaml; charset=utf-8" } })
    expect(refused.status).toBe(422)
    const threshold = refused.body.errors.find((e: { path: string }) => e.path === "scoring.mqlThreshold")
    expect(threshold.line).toBe(broken.split("\n").findIndex((l) => l.includes("mqlThreshold: lots")) + 1)
    expect(paths(refused)).toContain("routing.pods[2].strategy")
    const notYaml = await api.call("POST", "/v1/agreement", { raw: "scoring: [unclosed", headers: { "content-type": "text/yaml" } })
    expect(notYaml.status).toBe(422)
    expect(notYaml.body.errors[0].line).toBe(1)
    // the same text sent as JSON is a JSON parse error, not silently read as YAML
    expect((await api.call("POST", "/v1/agreement", { raw: yaml, headers: { "content-type": "application/json" } })).status).toBe(400)
    expect((await api.call("GET", "/v1/agreement/versions")).body.items).toHaveLength(4)
  })

  it("only admin keys may propose a version", async () => {
    for (const key of [api.keys.read, api.keys.sales, api.keys.ingest]) {
      expect((await api.call("POST", "/v1/agreement", { key, body: defaultDocument() })).status).toBe(403)
    }
  })
})
