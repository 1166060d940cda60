/**
 * The served OpenAPI document works with the tools integrators point at it: Redocly's
 * recommended rules find nothing to report, and a client generated from it by
 * openapi-typescript (used through openapi-fetch) compiles under strict options and hands a
 * lead to a rep on the running service — create the rep, post a hot lead, accept it.
 *
 * Everything is made from the document the service serves at `/openapi.json` during the
 * test, never from a copy kept in the repository.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createConfig, lint } from "@redocly/openapi-core"
import type { ManagedRuntime } from "effect"
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import openapiTS, { astToString } from "openapi-typescript"
import ts from "typescript"
import { createApiKey } from "../src/auth.ts"
import { handoffApp } from "../src/index.ts"
import { silentLogger } from "../src/log.ts"
import { type ApiServices, makeRuntime, shiftedClock } from "../src/runtime.ts"
import { lastWednesdayOffset } from "./harness.ts"
import { listen, type Served } from "./serve.ts"

let runtime: ManagedRuntime.ManagedRuntime<ApiServices, never>
let served: Served
let adminKey: string
let dir: string
let docText: string

beforeAll(async () => {
  // An empty team (not the harness's): the rep the client creates is the only one a lead can
  // go to. Hot leads go to reps on shift, and a rep created with only a name, a role and pods
  // works the agreement calendar's hours: the API's clock is set to a Wednesday morning in New York.
  runtime = await makeRuntime({ dataDir: "memory://" }, shiftedClock(lastWednesdayOffset()))
  adminKey = (await runtime.runPromise(createApiKey("openapi tools test", "admin"))).key
  served = await listen(handoffApp(runtime, { logger: silentLogger }).app)
  const res = await fetch(`${served.url}/openapi.json`)
  expect(res.status).toBe(200)
  docText = await res.text()
  dir = await mkdtemp(join(tmpdir(), "handoff-openapi-"))
})
afterAll(async () => {
  await served?.close()
  await runtime?.dispose()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

describe("the served /openapi.json", () => {
  it("passes redocly lint with the recommended rules: no error, no warning", async () => {
    const file = join(dir, "openapi.json")
    await writeFile(file, docText)
    const config = await createConfig({ extends: ["recommended"] })
    const problems = await lint({ ref: file, config })
    const found = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} (at ${p.location.map((l) => l.pointer ?? "").join(", ")})`)
    if (found.length > 0) console.error(`redocly lint found ${found.length} problem(s):\n${found.join("\n")}`)
    expect(found).toEqual([])
  })

  it("generates a typed client (openapi-typescript, openapi-fetch) that compiles under strict options and hands a lead to the rep it creates", async () => {
    // 1. types from the served document
    const ast = await openapiTS(JSON.parse(docText), { silent: true })
    const schemaFile = join(dir, "schema.ts")
    await writeFile(schemaFile, astToString(ast))

    // 2. a program that uses them, resolving openapi-fetch as an installed dependency would
    const require = createRequire(import.meta.url)
    await mkdir(join(dir, "node_modules"), { recursive: true })
    await symlink(dirname(require.resolve("openapi-fetch/package.json")), join(dir, "node_modules", "openapi-fetch"), "dir")
    const clientFile = join(dir, "handOff.ts")
    await writeFile(clientFile, clientProgram)

    // 3. it type-checks, the generated schema with it
    const program = ts.createProgram([clientFile], {
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      moduleDetection: ts.ModuleDetectionKind.Force,
      types: [],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      noFallthroughCasesInSwitch: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      skipLibCheck: true,
      noEmit: true
    })
    expect(program.getSourceFiles().map((f) => f.fileName)).toContain(schemaFile)
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) =>
      `${d.file === undefined ? "" : `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
    )
    expect(diagnostics).toEqual([])

    // 4. and it works against the running service
    const { handOff } = await import(pathToFileURL(clientFile).href) as { handOff: HandOff }
    const out = await handOff(served.url, adminKey, "ana")
    expect(out.repStatus).toBe(201)
    expect(out.leadStatus).toBe(201)
    expect(out.routedTo).toBe("ana")
    expect(out.accepted).toMatchObject({ stage: "sal", tier: "hot", owner: { repId: "ana" } })
    expect(out.accepted.sla.acceptedAt).not.toBeNull()
  })

  it("the 4xx answers documented for the open routes are real: 431 from the HTTP server, 429 for callers without a key", async () => {
    const doc = JSON.parse(docText)
    // oversized headers are refused by Node's HTTP server before the app, on any route
    const big = await fetch(`${served.url}/healthz`, { headers: { "x-padding": "x".repeat(20_000) } })
    expect(big.status).toBe(431)
    expect(doc.paths["/healthz"].get.responses["431"]).toEqual({ $ref: "#/components/responses/HeadersTooLarge" })
    expect(doc.components.responses.HeadersTooLarge.content).toBeUndefined()
    // callers without a key share one rate allowance: the open routes admission control guards answer 429 past it
    const tight = handoffApp(runtime, { logger: silentLogger, rateLimit: { perSecond: 1, burst: 1 } }).app
    expect((await tight.request("/openapi.json")).status).toBe(200)
    const limited = await tight.request("/openapi.json")
    expect(limited.status).toBe(429)
    expect(limited.headers.get("content-type")).toContain("application/problem+json")
    expect(doc.paths["/openapi.json"].get.responses["429"]).toEqual({ $ref: "#/components/responses/RateLimited" })
    // the liveness probe is never turned away, and does not claim it could be
    expect((await tight.request("/healthz")).status).toBe(200)
    expect((await tight.request("/healthz")).status).toBe(200)
    expect(doc.paths["/healthz"].get.responses["429"]).toBeUndefined()
  })
})

/** What the generated program exports (the test cannot import its types before it exists). */
type HandOff = (baseUrl: string, apiKey: string, repId: string) => Promise<{
  readonly repStatus: number
  readonly leadStatus: number
  readonly routedTo: string | null
  readonly accepted: { readonly stage: string; readonly sla: { readonly acceptedAt: string | null } }
}>

/** An integrator's first program, written against the generated types only. */
const clientProgram = `import createClient from "openapi-fetch"
import type { components, paths } from "./schema"

type Lead = components["schemas"]["LeadView"]

const fail = (what: string, response: Response, problem: { readonly detail?: string } | undefined): never => {
  throw new Error(\`\${what}: \${response.status} \${problem?.detail ?? ""}\`)
}

/** Creates a rep, posts a hot lead and accepts it as that rep. */
export const handOff = async (baseUrl: string, apiKey: string, repId: string): Promise<{
  readonly repStatus: number
  readonly leadStatus: number
  readonly routedTo: string | null
  readonly accepted: Lead
}> => {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${apiKey}\` } })

  const rep = await client.PUT("/v1/reps/{id}", {
    params: { path: { id: repId } },
    body: { name: "Ana Example", role: "ae", pods: ["ae-direct"] }
  })
  if (rep.data === undefined) return fail("PUT /v1/reps/{id}", rep.response, rep.error)

  const lead = await client.POST("/v1/leads", {
    body: { email: "dana@bigsoft-tools.com", title: "VP Sales", company: "BigSoft", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" }
  })
  if (lead.data === undefined) return fail("POST /v1/leads", lead.response, lead.error)
  // an admin key gets the lead view (an ingest key a receipt without the rep's id)
  const routedTo = "email" in lead.data ? lead.data.owner?.repId ?? null : null

  const accepted = await client.POST("/v1/leads/{id}/accept", {
    params: { path: { id: lead.data.id } },
    body: { repId }
  })
  if (accepted.data === undefined) return fail("POST /v1/leads/{id}/accept", accepted.response, accepted.error)

  return { repStatus: rep.response.status, leadStatus: lead.response.status, routedTo, accepted: accepted.data }
}
`
