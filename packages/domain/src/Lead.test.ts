import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck, Schema } from "effect"
import { accountDomainOf, domainOfWebsite, Email, emailDomain, normalizeDomain, normalizeEmail } from "./Lead.ts"

describe("one identity per person: the email dedupe key", () => {
  it("the same address in NFC and NFD (zoë typed as e + combining diaeresis) is one key", () => {
    const nfc = "zo\u00eb@acme.com"
    const nfd = "zoe\u0308@acme.com"
    expect(nfc).not.toBe(nfd)
    expect(normalizeEmail(nfd)).toBe(normalizeEmail(nfc))
  })

  it("a domain in Unicode and in punycode is one key, in its ASCII form", () => {
    expect(normalizeEmail("jan@bücher.de")).toBe("jan@xn--bcher-kva.de")
    expect(normalizeEmail("jan@XN--BCHER-KVA.de")).toBe("jan@xn--bcher-kva.de")
    expect(normalizeEmail("jan@BÜCHER.DE")).toBe("jan@xn--bcher-kva.de")
  })

  it("a fully qualified domain's trailing dot is dropped", () => {
    expect(normalizeEmail("dana@acme.com.")).toBe("dana@acme.com")
  })

  it("fullwidth letters (an East Asian input method) fold to ASCII, @ and dot included", () => {
    expect(normalizeEmail("ｄａｎａ@ａｃｍｅ.com")).toBe("dana@acme.com")
    expect(normalizeEmail("ＤＡＮＡ＠ＡＣＭＥ．ＣＯＭ")).toBe("dana@acme.com")
    expect(Either.isRight(Schema.decodeUnknownEither(Email)("ＤＡＮＡ＠ＡＣＭＥ．ＣＯＭ"))).toBe(true)
  })

  it("keeps what it always did: lower case; gmail's dots and +tags folded, no one else's", () => {
    expect(normalizeEmail("  Jane.Doe+webinar@GoogleMail.com ")).toBe("janedoe@gmail.com")
    expect(normalizeEmail("Jane.Doe+webinar@outlook.com")).toBe("jane.doe+webinar@outlook.com")
    expect(normalizeEmail("first.last@acme.com")).not.toBe(normalizeEmail("firstlast@acme.com"))
  })

  it.prop(
    "normalizing twice changes nothing, and the key does not depend on case or normal form",
    { local: FastCheck.string({ unit: "grapheme", minLength: 1, maxLength: 12 }), domain: FastCheck.domain() },
    ({ domain, local }) => {
      const clean = local.replace(/[@\s]/g, "x")
      const key = normalizeEmail(`${clean}@${domain}`)
      expect(normalizeEmail(key)).toBe(key)
      expect(normalizeEmail(`${clean.normalize("NFD")}@${domain.toUpperCase()}.`)).toBe(key)
    },
    { fastCheck: { numRuns: 300 } }
  )
})

describe("one account per company: the domain key", () => {
  it("every form of a domain is one key, the same one the email's domain gives", () => {
    for (const d of ["bücher.de", "xn--bcher-kva.de", "BÜCHER.de.", "ｂüｃｈｅｒ．ｄｅ"]) expect(normalizeDomain(d)).toBe("xn--bcher-kva.de")
    expect(emailDomain("jan@Bücher.de.")).toBe(normalizeDomain("xn--bcher-kva.de"))
  })

  it("a website is reduced to its domain: scheme, www., path and trailing dot go", () => {
    expect(domainOfWebsite("https://www.Acme.com./about?x=1")).toBe("acme.com")
    expect(domainOfWebsite("http://bücher.de/")).toBe("xn--bcher-kva.de")
  })

  it("account matching: by email domain in canonical form; free mail in any form is no account", () => {
    expect(accountDomainOf("dana@ＡＣＭＥ.com.")).toBe("acme.com")
    expect(accountDomainOf("dana@GMAIL.com.")).toBeUndefined()
    expect(accountDomainOf("dana@ｇｍａｉｌ.com", "https://www.Bücher.de")).toBe("xn--bcher-kva.de")
  })
})
