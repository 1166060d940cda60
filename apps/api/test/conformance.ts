/**
 * Checks a real response against the OpenAPI document: its status is one the operation
 * documents (errors) or its declared success, its media type is the documented one, and its
 * body validates against the documented JSON Schema (ajv, draft 2020-12 — the dialect of
 * OpenAPI 3.1). Used by the OpenAPI test on a scripted session and by the fuzzer on every
 * response.
 */
import { Ajv2020 } from "ajv/dist/2020.js"
import addFormatsModule from "ajv-formats"
import type { ValidateFunction } from "ajv"
import type { AnyRoute } from "../src/http.ts"
import { openApiPath } from "../src/openapi.ts"

// ajv-formats is CommonJS: its default export arrives as the module or as the function
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020

/** The route a request reaches, as Hono would pick it: static segments beat parameters. */
export const matchRoute = (routes: ReadonlyArray<AnyRoute>, method: string, path: string): AnyRoute | undefined => {
  const segments = path.split("?")[0]!.split("/")
  const candidates = routes.filter((r) => {
    if (r.method.toUpperCase() !== (method === "HEAD" ? "GET" : method)) return false
    const p = r.path.split("/")
    return p.length === segments.length && p.every((seg, i) => seg.startsWith(":") ? segments[i] !== "" : seg === segments[i])
  })
  const statics = (r: AnyRoute) => r.path.split("/").filter((s) => s !== "" && !s.startsWith(":")).length
  return candidates.sort((a, b) => statics(b) - statics(a))[0]
}

export const makeConformance = (doc: any, routes: ReadonlyArray<AnyRoute>) => {
  const toDefs = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll("\"#/components/schemas/", "\"#/$defs/"))
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true })
  addFormats(ajv)
  const defs = toDefs(doc.components.schemas)
  const cache = new Map<string, ValidateFunction>()
  const validator = (key: string, schema: unknown): ValidateFunction => {
    let v = cache.get(key)
    if (v === undefined) {
      v = ajv.compile({ ...toDefs(schema), $defs: defs })
      cache.set(key, v)
    }
    return v
  }
  const responseOf = (r: any) => typeof r?.$ref === "string" ? doc.components.responses[r.$ref.split("/").pop()] : r

  /** The ways this response departs from the document; empty when it conforms. */
  const check = (method: string, path: string, status: number, contentType: string | null, body: unknown): Array<string> => {
    const issues: Array<string> = []
    if (status >= 500) issues.push(`status ${status}`)
    const def = matchRoute(routes, method, path)
    const isProblem = (contentType ?? "").startsWith("application/problem+json")
    if (status >= 400 && !isProblem) issues.push(`error ${status} is not application/problem+json but ${contentType}`)
    if (status >= 400 && method !== "HEAD") {
      const problem = body as Record<string, unknown>
      if (typeof problem !== "object" || problem === null || typeof problem.type !== "string" || typeof problem.title !== "string" || problem.status !== status || typeof problem.detail !== "string") {
        issues.push(`problem without type, title, status (${status}), detail: ${JSON.stringify(body).slice(0, 200)}`)
      }
    }
    if (def === undefined) {
      if (status !== 404 && status !== 405) issues.push(`no route for ${method} ${path} but status ${status}`)
      return issues
    }
    const op = doc.paths[openApiPath(def.path)]?.[def.method]
    if (op === undefined) return [...issues, `${def.method} ${def.path} is not documented`]
    const documented = op.responses[String(status)] !== undefined
    // alternative successes (200 for a merged lead, 201 for a new rep) share the declared one's schema
    const response = responseOf(op.responses[String(status)] ?? (status < 300 ? op.responses[String(def.status)] : undefined))
    if (!documented && status >= 400) issues.push(`${status} is not documented for ${def.method.toUpperCase()} ${def.path} (documented: ${Object.keys(op.responses).join(", ")})`)
    if (response === undefined || method === "HEAD") return issues
    const content = response.content as Record<string, { schema: unknown }> | undefined
    if (content === undefined) {
      if (body !== "" && body !== undefined && body !== null) issues.push(`${status} should have no body`)
      return issues
    }
    const media = Object.keys(content).find((m) => (contentType ?? "").startsWith(m))
    if (media === undefined) issues.push(`${status} is ${contentType}, documented as ${Object.keys(content).join(" or ")}`)
    else if (media.endsWith("json")) {
      const validate = validator(`${def.method} ${def.path} ${status in op.responses ? status : def.status}`, content[media]!.schema)
      if (!validate(body)) issues.push(`${status} body does not match the documented schema: ${ajv.errorsText(validate.errors)}`)
    }
    return issues
  }
  return { check }
}
