/**
 * Hostile input to the agreement and to identity, over HTTP: patterns built to backtrack
 * forever, patterns RE2 cannot run, YAML alias bombs, days the calendar lacks, and one
 * person's address written four ways.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { defaultAgreement, encodeAgreement } from "@handoff/domain"
import { stringify } from "yaml"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
beforeAll(async () => {
  api = await startTestApi()
})
afterAll(async () => {
  await api?.close()
})

const defaultDocument = (): any => structuredClone(encodeAgreement(defaultAgreement))
const paths = (res: { body: { errors?: Array<{ path: string }> } }) => [...new Set((res.body.errors ?? []).map((e) => e.path))]

/** The default agreement whose exec-title rule is the catastrophic `(a+)+$`. */
const catastrophic = () => {
  const doc = defaultDocument()
  doc.name = "Catastrophic title rule"
  doc.scoring.fit[0].when = { title: { matches: "(a+)+$" } }
  return doc
}
/** A title on which a backtracking engine tries 2^n ways before it gives up (n = 36 already takes hours). */
const evilTitle = `${"a".repeat(299)}!`

/** An alias bomb: nine levels of nine aliases each, a few hundred bytes that expand to 9^9 strings. */
const aliasBomb = (() => {
  const lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
  for (let i = 1; i < 9; i++) lines.push(`lol${i}: &lol${i} [${Array(9).fill(`*lol${i - 1}`).join(", ")}]`)
  return `name: bomb\n${lines.join("\n")}\n`
})()

describe("agreement patterns run in linear time", () => {
  it("preview: a draft with (a+)+$ decides a lead with a 300-character title at once", { timeout: 10_000 }, async () => {
    const res = await api.call("POST", "/v1/agreement/preview", { key: api.keys.read, body: { agreement: catastrophic(), lead: { email: "a@evil-title.com", title: evilTitle, employees: 800 } } })
    expect(res.status).toBe(200)
    expect(res.body.score.drivers.map((d: { rule: string }) => d.rule)).not.toContain("title-exec")
  })

  it("ingest: an active agreement with (a+)+$ takes the lead at once; the rule holds where it should", { timeout: 10_000 }, async () => {
    const applied = await api.call("POST", "/v1/agreement", { body: catastrophic() })
    expect(applied.status).toBe(201)
    try {
      const evil = await api.call("POST", "/v1/leads", { key: api.keys.admin, body: { email: "b@evil-title.com", title: evilTitle, employees: 800 } })
      expect(evil.status).toBe(201)
      expect(evil.body.score.drivers.map((d: { rule: string }) => d.rule)).not.toContain("title-exec")
      const fine = await api.call("POST", "/v1/leads", { key: api.keys.admin, body: { email: "c@evil-title.com", title: "AAAA", employees: 800 } })
      expect(fine.body.score.drivers.map((d: { rule: string }) => d.rule)).toContain("title-exec")
    } finally {
      await api.call("POST", "/v1/agreement", { body: defaultDocument() })
    }
  })

  it("a lookahead pattern is a 422 with the rule's path: in a new version and in a preview's draft", async () => {
    const doc = defaultDocument()
    doc.scoring.fit[0].when.title.matches = "vp(?!.*assistant)"
    const proposed = await api.call("POST", "/v1/agreement", { body: doc })
    expect(proposed.status).toBe(422)
    expect(proposed.body.type).toMatch(/invalid-agreement/)
    expect(proposed.body.errors).toContainEqual({ path: "scoring.fit[0].when.title.matches", message: expect.stringMatching(/lookahead and lookbehind .* not supported/) })
    const previewed = await api.call("POST", "/v1/agreement/preview", { body: { agreement: doc, lead: { email: "x@lookahead.com" } } })
    expect(previewed.status).toBe(422)
    expect(paths(previewed)).toEqual(["agreement.scoring.fit[0].when.title.matches"])
    const yaml = await api.call("POST", "/v1/agreement", { raw: stringify(doc), headers: { "content-type": "application/yaml" } })
    expect(yaml.status).toBe(422)
    expect(paths(yaml)).toEqual(["scoring.fit[0].when.title.matches"])
  })
})

describe("YAML bombs and impossible dates are 422 with the path", () => {
  it("an alias bomb sent as the agreement is refused, and the active version stays", { timeout: 10_000 }, async () => {
    const before = (await api.call("GET", "/v1/agreement")).body.version
    const res = await api.call("POST", "/v1/agreement", { raw: aliasBomb, headers: { "content-type": "application/yaml" } })
    expect(res.status).toBe(422)
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "", message: expect.stringMatching(/alias bomb/), line: 3 })])
    expect((await api.call("GET", "/v1/agreement")).body.version).toBe(before)
  })

  it("a holiday on February 30th and a signature in month 13 are refused with their paths", async () => {
    const doc = defaultDocument()
    doc.calendar.holidays = ["2026-02-30"]
    doc.signatures = [{ role: "VP Sales", name: "Dana", signedAt: "2026-13-01" }, { role: "CRO", name: "Sam", signedAt: "2026-02-30" }]
    const res = await api.call("POST", "/v1/agreement", { body: doc })
    expect(res.status).toBe(422)
    expect(paths(res).sort()).toEqual(["calendar.holidays[0]", "signatures[0].signedAt", "signatures[1].signedAt"])
  })

  it("a date in an API body on a day that does not exist is a 422 with its path, not a day in March", async () => {
    const lead = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "feb30@dates.com", occurredAt: "2026-02-30T10:00:00Z" } })
    expect(lead.status).toBe(422)
    expect(paths(lead)).toEqual(["occurredAt"])
    const dayOnly = await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "feb30@dates.com", occurredAt: "2026-02-30" } })
    expect(dayOnly.status).toBe(422)
    const rep = await api.call("PUT", "/v1/reps/ooo-1", {
      body: { name: "Ooo", role: "sdr", pods: ["sdr"], timezone: "UTC", workingHours: { "mon-fri": ["09:00", "17:00"] }, outOfOffice: [{ from: "2026-02-30", to: "2026-03-05" }] }
    })
    expect(rep.status).toBe(422)
    expect(paths(rep)).toContain("outOfOffice.0.from")
    const preview = await api.call("POST", "/v1/agreement/preview", { body: { lead: { email: "p@dates.com" }, at: "2026-13-01T00:00:00Z" } })
    expect(preview.status).toBe(422)
    expect(paths(preview)).toEqual(["at"])
  })
})

describe("one identity per person", () => {
  const nfc = "zo\u00eb@b\u00fccher.de"

  it("NFC and NFD, Unicode and punycode, a trailing dot and fullwidth letters are one lead, matched to one account", async () => {
    const account = await api.call("PUT", `/v1/accounts/${encodeURIComponent("Bücher.de")}`, { body: { name: "Bücher", named: true } })
    expect(account.status).toBe(201)
    expect(account.body.domain).toBe("xn--bcher-kva.de")
    for (const same of ["xn--bcher-kva.de", "www.b%C3%BCcher.de.", encodeURIComponent("ｂüｃｈｅｒ．ｄｅ")]) {
      const again = await api.call("PUT", `/v1/accounts/${same}`, { body: { name: "Bücher", named: true } })
      expect(again.status, same).toBe(200)
    }
    const accounts = await api.call("GET", "/v1/accounts?limit=100")
    expect(accounts.body.items.filter((a: { name: string | null }) => a.name === "Bücher")).toHaveLength(1)

    const first = await api.call("POST", "/v1/leads", { key: api.keys.admin, body: { email: nfc, title: "Analyst" } })
    expect(first.status).toBe(201)
    expect(first.body.accountId).toBe("xn--bcher-kva.de")
    for (const same of ["zoe\u0308@b\u00fccher.de", "zo\u00eb@xn--bcher-kva.de", "Zo\u00cb@B\u00dcCHER.DE.", "ｚｏë@ｂüｃｈｅｒ.de"]) {
      const again = await api.call("POST", "/v1/leads", { key: api.keys.admin, body: { email: same, title: "Analyst" } })
      expect(again.status, same).toBe(200)
      expect(again.body.id).toBe(first.body.id)
      expect(again.body.accountId).toBe("xn--bcher-kva.de")
    }
  })

  it("account matching and the free-mail check see through the same forms", async () => {
    await api.call("PUT", "/v1/accounts/acme-identity.com", { body: { name: "Acme" } })
    const fullwidth = await api.call("POST", "/v1/leads", { key: api.keys.admin, body: { email: "ｄａｎａ@ａｃｍｅ-ｉｄｅｎｔｉｔｙ.com" } })
    expect(fullwidth.status).toBe(201)
    expect(fullwidth.body.accountId).toBe("acme-identity.com")
    expect((await api.call("POST", "/v1/leads", { key: api.keys.ingest, body: { email: "dana@acme-identity.com." } })).status).toBe(200)
    const freeMail = await api.call("POST", "/v1/leads", { key: api.keys.admin, body: { email: "someone@ＧＭＡＩＬ.com." } })
    expect(freeMail.body.accountId).toBeNull()
    expect((await api.call("PUT", `/v1/accounts/${encodeURIComponent("ｇｍａｉｌ.com.")}`, { body: {} })).status).toBe(422)
  })
})
