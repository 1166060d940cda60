/**
 * Bad input, route by route: for every route of the table (`allRoutes`) that takes a key, a
 * body, path parameters or a query — no key, a bad key, the wrong role, a missing body,
 * malformed JSON, wrong JSON types (derived from the documented schema), a body over the
 * limit, path parameters that are invalid or name nothing, and invalid query values. Each
 * answer has the expected status, is `application/problem+json` with `type`, `title`,
 * `status`, `detail`, is one of the statuses the OpenAPI document gives for the route, and is
 * never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { AnyRoute } from "../src/http.ts"
import { Metrics } from "../src/metrics.ts"
import { openApiPath, pathParams } from "../src/openapi.ts"
import { allRoutes } from "../src/routes/index.ts"
import { makeConformance } from "./conformance.ts"
import { startTestApi, type TestApi } from "./harness.ts"

const bodyLimit = 64 * 1024
let api: TestApi
let doc: any
let conformance: ReturnType<typeof makeConformance>
const routes = allRoutes(new Metrics())
const seen: Array<string> = []

beforeAll(async () => {
  // a generous rate limit: the matrix sends hundreds of requests per key
  api = await startTestApi([], { bodyLimit, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } })
  doc = (await api.call("GET", "/openapi.json", { key: null })).body
  conformance = makeConformance(doc, routes)
})
afterAll(async () => {
  await api?.close()
})

type Role = "admin" | "ingest" | "sales" | "read"

/** A key the route accepts (its own role rather than admin, when it has one). */
const allowedKey = (r: AnyRoute): string => api.keys[(r.roles.find((x) => x !== "admin") ?? "admin") as Role]
/** A key whose role the route refuses, if there is one. */
const refusedRole = (r: AnyRoute): Role | undefined => (["read", "ingest", "sales"] as const).find((x) => !r.roles.includes(x))

/** A value for each path parameter that decodes but names nothing. */
const unknownValue = (name: string): string => name === "domain" ? "no-such-domain.example" : name === "version" ? "999999" : "no-such-id-999999"
const concretePath = (r: AnyRoute, value: (name: string) => string = unknownValue): string =>
  r.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => encodeURIComponent(value(name)))

/**
 * Bodies that decode, for the routes whose path names a resource: with them, an unknown
 * resource is reached by the handler and must be a 404. Every such route needs an entry.
 */
const validBodies: Record<string, unknown> = {
  "POST /v1/leads/:id/enrichment": { title: "VP Sales" },
  "POST /v1/leads/:id/accept": { repId: "ae-1" },
  "POST /v1/leads/:id/reject": { repId: "ae-1", reason: "premature" },
  "POST /v1/leads/:id/activities": { repId: "ae-1", kind: "call" },
  "POST /v1/leads/:id/qualify": { repId: "ae-1", framework: "BANT" },
  "POST /v1/opportunities/:id/close": { won: true, amount: 1000 }
}
/** Bodies that decode but refer to a resource that does not exist. */
const unknownReferences: Record<string, unknown> = {
  "POST /v1/opportunities": { leadId: "no-such-lead-999999", amount: 1000 }
}

interface Sent {
  readonly status: number
  readonly body: any
  readonly contentType: string | null
}

/** Send one request and check its answer against the OpenAPI document. */
const send = async (method: string, path: string, options: { key?: string | null; raw?: string; headers?: Record<string, string> } = {}): Promise<Sent> => {
  const headers: Record<string, string> = { ...options.headers }
  if (options.key !== null && options.key !== undefined) headers.authorization = `Bearer ${options.key}`
  if (options.raw !== undefined) headers["content-type"] ??= "application/json"
  const res = await api.app.request(path, { method, headers, ...(options.raw === undefined ? {} : { body: options.raw }) })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // kept as text
  }
  const contentType = res.headers.get("content-type")
  seen.push(`${method} ${path.slice(0, 60)} → ${res.status}`)
  expect(res.status, `${method} ${path}`).toBeLessThan(500)
  expect(conformance.check(method, path, res.status, contentType, body), `${method} ${path} → ${res.status}: ${text.slice(0, 300)}`).toEqual([])
  return { status: res.status, body, contentType }
}

const expectProblem = (res: Sent, status: number, what: string) => {
  expect(res.status, `${what}: ${JSON.stringify(res.body).slice(0, 400)}`).toBe(status)
  expect(res.contentType).toBe("application/problem+json")
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^https:\/\//), title: expect.any(String), detail: expect.any(String) })
}

// --- wrong types, from the documented JSON Schema ---------------------------------------------

const resolve = (s: any): any => {
  for (let i = 0; i < 10 && typeof s?.$ref === "string"; i++) s = doc.components.schemas[s.$ref.split("/").pop()]
  return s
}

/** The JSON types a schema admits; undefined when it admits anything. */
const typesOf = (schema: any): Set<string> | undefined => {
  const s = resolve(schema)
  if (s === undefined || s === true) return undefined
  const union = s.anyOf ?? s.oneOf
  if (Array.isArray(union)) {
    const out = new Set<string>()
    for (const m of union) {
      const t = typesOf(m)
      if (t === undefined) return undefined
      for (const x of t) out.add(x)
    }
    return out
  }
  if (Array.isArray(s.enum)) return new Set(s.enum.map((v: unknown) => v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? "number" : typeof v))
  if ("const" in s) return new Set([s.const === null ? "null" : typeof s.const])
  if (Array.isArray(s.type)) return new Set(s.type.map((t: string) => t === "integer" ? "number" : t))
  if (typeof s.type === "string") return new Set([s.type === "integer" ? "number" : s.type])
  if (s.properties !== undefined) return new Set(["object"])
  return undefined
}

const samples: ReadonlyArray<[string, unknown]> = [["number", 12345], ["string", "not the right type"], ["boolean", true], ["array", [1, 2]], ["object", { nested: 1 }], ["null", null]]

/** A body with every documented field set to a value of a type the field does not admit. */
const wrongTypedBody = (schema: any): Record<string, unknown> | undefined => {
  const s = resolve(schema)
  if (s?.properties === undefined) return undefined
  const out: Record<string, unknown> = {}
  for (const [name, p] of Object.entries<any>(s.properties)) {
    const admitted = typesOf(p)
    if (admitted === undefined) continue
    const wrong = samples.find(([t]) => !admitted.has(t))
    if (wrong !== undefined) out[name] = wrong[1]
  }
  return Object.keys(out).length > 0 ? out : undefined
}

// --- the matrix ---------------------------------------------------------------------------------

const label = (r: AnyRoute) => `${r.method.toUpperCase()} ${r.path}`

describe("the route table", () => {
  it("has routes with keys, bodies, path parameters and queries to test, and a valid body for each POST that names a resource", () => {
    expect(routes.filter((r) => r.body !== undefined).length).toBeGreaterThan(5)
    expect(routes.filter((r) => r.params !== undefined).length).toBeGreaterThan(5)
    expect(routes.filter((r) => r.query !== undefined).length).toBeGreaterThan(3)
    for (const r of routes) {
      if (pathParams(r.path).length > 0 && r.body !== undefined && r.method === "post") expect(validBodies[label(r)], `add a decodable body for ${label(r)} to validBodies`).toBeDefined()
    }
  })
})

for (const r of routes) {
  const hasInput = r.body !== undefined || r.params !== undefined || r.query !== undefined
  if (!hasInput && r.roles.length === 0) continue

  describe(label(r), () => {
    if (r.roles.length > 0) {
      it("no key → 401; a malformed, unknown or revoked-looking key → 401", async () => {
        const path = concretePath(r)
        expectProblem(await send(r.method.toUpperCase(), path, { key: null, ...(r.body === undefined ? {} : { raw: "{}" }) }), 401, "no key")
        for (const authorization of ["Bearer", "Basic dXNlcjpwYXNz", "Bearer hk_admin_not-a-real-key", `Bearer ${api.keys.admin}x`, `Token ${api.keys.admin}`]) {
          expectProblem(await send(r.method.toUpperCase(), path, { key: null, headers: { authorization } }), 401, authorization)
        }
      })

      const refused = refusedRole(r)
      if (refused !== undefined) {
        it(`a ${refused} key → 403`, async () => {
          const res = await send(r.method.toUpperCase(), concretePath(r), { key: api.keys[refused], ...(r.body === undefined ? {} : { raw: "{}" }) })
          expectProblem(res, 403, "wrong role")
          expect(res.body.allowed).toEqual(expect.arrayContaining([...r.roles, "admin"]))
        })
      }
    }

    if (r.body !== undefined) {
      it("a missing or blank body → 400", async () => {
        for (const raw of [undefined, "", "   \n"]) {
          expectProblem(await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), ...(raw === undefined ? {} : { raw }) }), 400, `body ${JSON.stringify(raw)}`)
        }
      })

      it("malformed JSON → 400", async () => {
        for (const raw of ["{", "{\"a\":", "{'single': 'quotes'}", "[1,2", "nul", "{\"a\":1}}", "\u0000", "{\"a\": NaN}", "\"unterminated"]) {
          const res = await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), raw })
          expectProblem(res, 400, `malformed ${JSON.stringify(raw)}`)
        }
      })

      it("wrong JSON types → 422 with the faulty fields", async () => {
        for (const value of [null, 42, "a string", true, [1, 2, 3]]) {
          const res = await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), raw: JSON.stringify(value) })
          expectProblem(res, 422, `body ${JSON.stringify(value)}`)
          expect(res.body.errors.length).toBeGreaterThan(0)
        }
        const documented = doc.paths[openApiPath(r.path)][r.method].requestBody.content["application/json"].schema
        const wrong = wrongTypedBody(documented)
        if (wrong !== undefined) {
          const res = await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), raw: JSON.stringify(wrong) })
          expectProblem(res, 422, `body ${JSON.stringify(wrong)}`)
          expect(res.body.errors.length).toBeGreaterThan(0)
          // the faults are reported by field, and name at least one of the fields sent
          expect(res.body.errors.some((e: { path: string }) => Object.keys(wrong).some((k) => e.path === k || e.path.startsWith(`${k}.`)))).toBe(true)
        }
      })

      it("bodies nested too deeply, or with text the store cannot hold (NUL, lone surrogates) → 422", async () => {
        const deep = (n: number) => "[".repeat(n) + "]".repeat(n)
        for (const raw of [
          deep(65),
          deep(20_000),
          `{"a":${"{\"a\":".repeat(5_000)}1${"}".repeat(5_000)}}`,
          JSON.stringify({ email: "nul\u0000@example.com", repId: "a\u0000" }),
          "{\"email\": \"x\\ud800@example.com\", \"repId\": \"\\udc00\"}",
          JSON.stringify({ ["key\u0000"]: 1 })
        ]) {
          const res = await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), raw })
          expectProblem(res, 422, raw.slice(0, 40))
          expect(res.body.errors[0].message).toMatch(/nested more than 64 levels|NUL character/)
        }
      })

      it(`a body over the limit (${bodyLimit} bytes) → 413, declared or not`, async () => {
        const raw = JSON.stringify({ email: "big@example.com", note: "x".repeat(bodyLimit + 10) })
        expectProblem(await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), raw }), 413, "undeclared size")
        expectProblem(await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), raw, headers: { "content-length": String(Buffer.byteLength(raw)) } }), 413, "declared size")
        const res = await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), raw: JSON.stringify({ s: "é".repeat(bodyLimit / 2 + 10) }) })
        expectProblem(res, 413, "multi-byte characters counted as bytes")
        expect(res.body.limit).toBe(bodyLimit)
      })

      const reference = unknownReferences[label(r)]
      if (reference !== undefined) {
        it("a body that refers to an unknown resource → 404", async () => {
          expectProblem(await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), raw: JSON.stringify(reference) }), 404, "unknown reference")
        })
      }
    }

    if (pathParams(r.path).length > 0) {
      it("path parameters that do not decode or cannot be stored → 422", async () => {
        for (const bad of ["x".repeat(1001), "nul\u0000", " padded "]) {
          const path = concretePath(r, () => bad)
          const res = await send(r.method.toUpperCase(), path, { key: allowedKey(r), ...(r.body === undefined ? {} : { raw: JSON.stringify(validBodies[label(r)] ?? {}) }) })
          if (bad === " padded " && res.status !== 422) {
            // padding is allowed where the id is free text: it must then simply name nothing
            expect([404, 422], `${path} → ${res.status}`).toContain(res.status)
            continue
          }
          expectProblem(res, 422, `param ${JSON.stringify(bad.slice(0, 20))}`)
          expect(res.body.errors.some((e: { path: string }) => e.path.startsWith("path."))).toBe(true)
        }
      })

      if (r.method !== "put") {
        it("path parameters that name nothing → 404", async () => {
          const body = validBodies[label(r)]
          const res = await send(r.method.toUpperCase(), concretePath(r), { key: allowedKey(r), ...(r.body === undefined ? {} : { raw: JSON.stringify(body ?? {}) }) })
          expectProblem(res, 404, "unknown id")
        })
      }
    }

    if (r.query !== undefined) {
      const query = () => (doc.paths[openApiPath(r.path)][r.method].parameters ?? []).filter((p: any) => p.in === "query")
      it("invalid query values and unknown query parameters → 422, each naming the parameter", async () => {
        const cases: Array<[string, string]> = []
        for (const p of query()) {
          const s = resolve(p.schema)
          if (Array.isArray(s.enum)) cases.push([p.name, "not-one-of-them"])
          if (typeof s.maxLength === "number") cases.push([p.name, "x".repeat(s.maxLength + 1)])
          if (typeof s.description === "string" && s.description.includes("decoded into a number")) cases.push([p.name, "not-a-number"])
        }
        // a parameter the route does not know is refused, not silently ignored (a typo in a filter would otherwise widen it)
        cases.push(["noSuchParameter", "1"])
        for (const [name, value] of cases) {
          const path = `${concretePath(r)}?${new URLSearchParams({ [name]: value })}`
          const res = await send(r.method.toUpperCase(), path, { key: allowedKey(r), ...(r.body === undefined ? {} : { raw: JSON.stringify(validBodies[label(r)] ?? {}) }) })
          expectProblem(res, 422, `${name}=${value.slice(0, 20)}`)
          expect(res.body.errors.map((e: { path: string }) => e.path).join(" ")).toContain(name)
        }
      })
    }
  })
}

describe("the matrix", () => {
  it("sent hundreds of bad requests, none answered with a 5xx", () => {
    expect(seen.length).toBeGreaterThan(300)
    expect(seen.filter((s) => / → 5\d\d$/.test(s))).toEqual([])
  })
})
