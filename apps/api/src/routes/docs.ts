/**
 * The OpenAPI document (`GET /openapi.json`) and the API reference page (`GET /docs`), both
 * open (no key). The document is generated from the route declarations (see `openapi.ts`);
 * the page is rendered on the server from the document — plain HTML and a little CSS, no
 * script and nothing fetched from elsewhere, so it works offline and behind a strict CSP.
 */
import { Effect, Schema } from "effect"
import { createHash } from "node:crypto"
import { type AnyRoute, route } from "../http.ts"
import { type Json, openApiDocument } from "../openapi.ts"

type JsonObject = { readonly [key: string]: Json }

/** The reference's own routes; `routes` is every other route of the API. */
export const docsRoutes = (routes: () => ReadonlyArray<AnyRoute>): ReadonlyArray<AnyRoute> => {
  let document: JsonObject | undefined
  let page: string | undefined
  // built on first use: the route table is complete by then, this module's routes included
  const doc = () => document ??= openApiDocument([...routes(), ...self])
  const html = () => page ??= renderReference(doc())

  const self: ReadonlyArray<AnyRoute> = [
    route({
      method: "get",
      path: "/openapi.json",
      roles: [],
      tag: "Reference",
      summary: "The OpenAPI 3.1 document",
      description: "This API described in OpenAPI 3.1, generated from the same Schemas the server decodes requests and encodes responses with.",
      response: Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({ description: "An OpenAPI 3.1 document." }),
      status: 200,
      handler: () => Effect.sync(() => ({ body: doc(), headers: { "cache-control": "no-cache" } }))
    }),
    route({
      method: "get",
      path: "/docs",
      roles: [],
      tag: "Reference",
      summary: "The API reference page",
      description: "Every operation with its roles, parameters, request and response schemas, grouped by tag; rendered from `/openapi.json`.",
      response: Schema.String.annotations({ jsonSchema: { type: "string", contentMediaType: "text/html" } }),
      status: 200,
      handler: () =>
        Effect.sync(() => ({
          body: html(),
          headers: {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": `default-src 'none'; style-src '${styleHash}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
            "x-content-type-options": "nosniff",
            "cache-control": "no-cache"
          }
        }))
    })
  ]
  return self
}

// --- rendering ---------------------------------------------------------------------------

const css = `
:root{--fg:#1d2330;--muted:#5b6474;--line:#dfe3ea;--bg:#fff;--soft:#f5f7fa;--accent:#2456c7}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.layout{display:grid;grid-template-columns:290px 1fr;min-height:100vh}
nav{border-right:1px solid var(--line);padding:20px 16px;background:var(--soft);position:sticky;top:0;height:100vh;overflow:auto;font-size:13px}
nav h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:18px 0 6px}
nav ul{list-style:none;margin:0;padding:0}nav li{margin:2px 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
main{padding:24px 40px;max-width:1100px}
h1{margin:0 0 4px}h2.tag{margin-top:48px;border-bottom:2px solid var(--line);padding-bottom:6px}
.op{border:1px solid var(--line);border-radius:8px;margin:18px 0;padding:14px 18px}
.op h3{margin:0 0 6px;font-size:17px}
.method{display:inline-block;min-width:62px;text-align:center;border-radius:4px;padding:1px 6px;color:#fff;font-size:12px;font-weight:700;vertical-align:2px}
.get{background:#2f7d4f}.post{background:#2456c7}.put{background:#a4661a}.delete{background:#b3352f}
.roles{color:var(--muted);font-size:13px}
.summary{font-weight:600;margin:4px 0}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
th,td{border-top:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.name{white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace}
.req{color:#b3352f;font-size:11px;margin-left:4px}
.type{color:#6a3fb0;font-family:ui-monospace,Menlo,Consolas,monospace}
.c{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:3px;padding:0 4px;margin:1px 2px;font-size:11px;color:var(--muted)}
.nested{margin-left:14px;border-left:2px solid var(--line);padding-left:8px}
h4{margin:12px 0 4px;font-size:14px}
.status{font-weight:700;font-family:ui-monospace,Menlo,Consolas,monospace}
.muted{color:var(--muted)}
`
const styleHash = `sha256-${createHash("sha256").update(css).digest("base64")}`

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

/** A little Markdown: paragraphs and `code`. */
const prose = (s: string): string =>
  s.split(/\n{2,}/).map((p) => `<p>${esc(p).replace(/`([^`]+)`/g, "<code>$1</code>")}</p>`).join("")

const inline = (s: string): string => esc(s).replace(/`([^`]+)`/g, "<code>$1</code>")

const isObj = (u: Json | undefined): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)
const anchor = (prefix: string, name: string) => `${prefix}-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`

/** An object's own named fields, when it has any. */
const fieldsOf = (s: JsonObject): JsonObject | undefined => isObj(s.properties) && Object.keys(s.properties).length > 0 ? s.properties : undefined

/** The schema of a map's values (`additionalProperties` or a `patternProperties` entry). */
const mapValues = (s: JsonObject): Json | undefined =>
  isObj(s.additionalProperties) ? s.additionalProperties : isObj(s.patternProperties) ? Object.values(s.patternProperties)[0] : undefined

const refName = (s: JsonObject): string | undefined =>
  typeof s.$ref === "string" && s.$ref.startsWith("#/components/schemas/") ? s.$ref.slice("#/components/schemas/".length) : undefined

/** A schema's type in one line: `string`, `array of Lead`, `"a" | "b"`, `Rep | null`. */
const typeLabel = (s: Json | undefined): string => {
  if (s === true || s === undefined || (isObj(s) && Object.keys(s).every((k) => k === "title" || k === "description"))) return "<span class=\"type\">any</span>"
  if (!isObj(s)) return "<span class=\"type\">never</span>"
  const ref = refName(s)
  if (ref !== undefined) return `<a class="type" href="#${anchor("schema", ref)}">${esc(ref)}</a>`
  const union = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined
  if (union !== undefined) return union.map((m) => typeLabel(m)).join(" | ")
  if (Array.isArray(s.enum)) return `<span class="type">${s.enum.map((v) => esc(JSON.stringify(v))).join(" | ")}</span>`
  if ("const" in s) return `<span class="type">${esc(JSON.stringify(s.const))}</span>`
  const type = Array.isArray(s.type) ? s.type.join(" | ") : typeof s.type === "string" ? s.type : isObj(s.properties) ? "object" : "any"
  const values = mapValues(s)
  if (type === "object" && fieldsOf(s) === undefined && values !== undefined) return `<span class="type">map of</span> ${typeLabel(values)}`
  if (type === "array") {
    if (Array.isArray(s.prefixItems)) return `<span class="type">[</span>${s.prefixItems.map((i) => typeLabel(i)).join(", ")}<span class="type">]</span>`
    return `<span class="type">array of</span> ${typeLabel(s.items)}`
  }
  return `<span class="type">${esc(type)}${typeof s.format === "string" ? ` (${esc(s.format)})` : ""}</span>`
}

const constraintKeys = ["minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "pattern", "multipleOf", "contentMediaType"] as const

const constraints = (s: Json | undefined): string => {
  if (!isObj(s)) return ""
  const chips = constraintKeys.filter((k) => s[k] !== undefined).map((k) => `<span class="c">${k} ${esc(String(s[k]))}</span>`)
  if (s.default !== undefined) chips.push(`<span class="c">default ${esc(JSON.stringify(s.default))}</span>`)
  if (Array.isArray(s.examples) && s.examples.length > 0) chips.push(`<span class="c">e.g. ${esc(JSON.stringify(s.examples[0]))}</span>`)
  return chips.join("")
}

/** effect's default descriptions that only repeat a length constraint, shown as a chip already. */
const restatesConstraint = /^an? (string|array|non empty string) (of )?(at most|at least) \d+ (character|item)\(s\)( long)?$/

const description = (s: Json | undefined): string =>
  isObj(s) && typeof s.description === "string" && !restatesConstraint.test(s.description) ? inline(s.description) : ""

/** The operation's description without the roles paragraph, which the page shows as its own line. */
const withoutRolesNote = (d: string): string => d.split(/\n{2,}/).filter((p) => !/^(Needs an API key|No API key needed)/.test(p)).join("\n\n")

/** The inline object schemas inside a schema (not references): they are expanded in place. */
const inlineObjects = (s: Json | undefined): ReadonlyArray<JsonObject> => {
  if (!isObj(s) || refName(s) !== undefined) return []
  if (fieldsOf(s) !== undefined) return [s]
  const values = mapValues(s)
  if (s.type === "object" && values !== undefined) return inlineObjects(values)
  if (s.type === "array") return inlineObjects(s.items)
  const union = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : []
  return union.flatMap((m) => inlineObjects(m))
}

/** A schema as a table of its properties, nested objects expanded (up to a depth). */
const schemaBlock = (s: Json | undefined, depth = 0): string => {
  if (!isObj(s)) return `<p>${typeLabel(s)}</p>`
  const props = fieldsOf(s)
  if (props === undefined) {
    const inner = inlineObjects(s).filter((o) => o !== s)
    return `<p>${typeLabel(s)} ${constraints(s)}${description(s) === "" ? "" : ` — ${description(s)}`}</p>` +
      (depth < 6 ? inner.map((o) => `<div class="nested">${schemaBlock(o, depth + 1)}</div>`).join("") : "")
  }
  const required = new Set(Array.isArray(s.required) ? s.required : [])
  const rows = Object.entries(props).map(([name, p]) => {
    const nested = depth < 6 ? inlineObjects(p).map((o) => `<div class="nested">${schemaBlock(o, depth + 1)}</div>`).join("") : ""
    return `<tr><td class="name">${esc(name)}${required.has(name) ? "<span class=\"req\">required</span>" : ""}</td><td>${typeLabel(p)}</td><td>${description(p)} ${constraints(p)}${nested}</td></tr>`
  })
  if (mapValues(s) !== undefined) rows.push(`<tr><td class="name muted">(any other name)</td><td>${typeLabel(mapValues(s))}</td><td>${description(mapValues(s))}</td></tr>`)
  const head = description(s) === "" ? "" : `<p>${description(s)}</p>`
  return `${head}<table><thead><tr><th>field</th><th>type</th><th>notes</th></tr></thead><tbody>${rows.join("")}</tbody></table>`
}

/** A request or response body: its media type and schema, a named schema expanded in place. */
const contentBlock = (content: Json | undefined, schemas: JsonObject): string => {
  if (!isObj(content)) return ""
  return Object.entries(content).map(([media, m]) => {
    const schema = isObj(m) ? m.schema : undefined
    const name = isObj(schema) ? refName(schema) : undefined
    const target = name === undefined ? undefined : schemas[name]
    return `<div class="muted"><code>${esc(media)}</code>${name === undefined ? "" : ` · ${typeLabel(schema)}`}</div>${schemaBlock(target ?? schema)}`
  }).join("")
}

const methods = ["get", "post", "put", "delete", "patch"] as const

interface Operation {
  readonly method: string
  readonly path: string
  readonly op: JsonObject
}

const operationHtml = (responseOf: (r: Json | undefined) => JsonObject, schemas: JsonObject) => ({ method, op, path }: Operation): string => {
  const id = typeof op.operationId === "string" ? op.operationId : `${method}-${path}`
  const roles = Array.isArray(op["x-roles"]) ? op["x-roles"] as ReadonlyArray<string> : []
  const params = Array.isArray(op.parameters) ? op.parameters.filter(isObj) : []
  const paramRows = params.map((p) =>
    `<tr><td class="name">${esc(String(p.name))}${p.required === true ? "<span class=\"req\">required</span>" : ""}</td><td>${esc(String(p.in))}</td><td>${typeLabel(p.schema)}</td><td>${typeof p.description === "string" && !restatesConstraint.test(p.description) ? inline(p.description) : ""} ${constraints(p.schema)}</td></tr>`
  ).join("")
  const body = isObj(op.requestBody) ? op.requestBody : undefined
  const responses = Object.entries(isObj(op.responses) ? op.responses : {}).map(([status, r]) => [status, responseOf(r)] as const)
  const success = responses.filter(([status]) => Number(status) < 400)
  const errors = responses.filter(([status]) => Number(status) >= 400)
  return `<section class="op" id="${esc(anchor("op", id))}">
<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<div class="summary">${esc(String(op.summary ?? ""))}</div>
<div class="roles">${roles.length === 0 ? "No API key needed." : `Roles: ${roles.map((r) => `<code>${esc(r)}</code>`).join(", ")} — <code>Authorization: Bearer &lt;key&gt;</code>`}</div>
${typeof op.description === "string" ? prose(withoutRolesNote(op.description)) : ""}
${params.length > 0 ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>notes</th></tr></thead><tbody>${paramRows}</tbody></table>` : ""}
${body !== undefined ? `<h4>Request body</h4>${contentBlock(body.content, schemas)}` : ""}
<h4>Response</h4>
${success.map(([status, r]) => `<div><span class="status">${esc(status)}</span> ${typeof r.description === "string" ? inline(r.description) : ""}</div>${contentBlock(r.content, schemas)}`).join("")}
${errors.length > 0 ? `<h4>Errors</h4><table><tbody>${errors.map(([status, r]) => `<tr><td class="status">${esc(status)}</td><td>${typeof r.description === "string" ? inline(r.description) : ""}${isObj(r.content) ? ` <a href="#${anchor("schema", "Problem")}">Problem</a>` : ""}</td></tr>`).join("")}</tbody></table>` : ""}
</section>`
}

/** The API reference page for an OpenAPI document. */
export const renderReference = (doc: JsonObject): string => {
  const info = isObj(doc.info) ? doc.info : {}
  const title = typeof info.title === "string" ? info.title : "API"
  const paths = isObj(doc.paths) ? doc.paths : {}
  const ops: Array<Operation> = []
  for (const [path, item] of Object.entries(paths)) {
    if (!isObj(item)) continue
    for (const method of methods) {
      const op = item[method]
      if (isObj(op)) ops.push({ method, path, op })
    }
  }
  const tagOf = (o: Operation) => Array.isArray(o.op.tags) && typeof o.op.tags[0] === "string" ? o.op.tags[0] : "Other"
  const tagNames = [
    ...(Array.isArray(doc.tags) ? doc.tags.filter(isObj).map((t) => String(t.name)) : []),
    ...ops.map(tagOf)
  ].filter((t, i, all) => all.indexOf(t) === i)
  const groups = tagNames.map((tag) => ({ tag, ops: ops.filter((o) => tagOf(o) === tag) })).filter((g) => g.ops.length > 0)
  const opId = (o: Operation) => anchor("op", typeof o.op.operationId === "string" ? o.op.operationId : `${o.method}-${o.path}`)
  const components = isObj(doc.components) && isObj(doc.components.schemas) ? doc.components.schemas : {}
  const sharedResponses = isObj(doc.components) && isObj(doc.components.responses) ? doc.components.responses : {}
  const responseOf = (r: Json | undefined): JsonObject => {
    if (!isObj(r)) return {}
    const ref = typeof r.$ref === "string" && r.$ref.startsWith("#/components/responses/") ? sharedResponses[r.$ref.slice("#/components/responses/".length)] : r
    return isObj(ref) ? ref : {}
  }

  const nav = groups.map((g) =>
    `<h2>${esc(g.tag)}</h2><ul>${g.ops.map((o) => `<li><a href="#${esc(opId(o))}"><b>${esc(o.method.toUpperCase())}</b> ${esc(o.path)}</a></li>`).join("")}</ul>`
  ).join("") + `<h2>Schemas</h2><ul>${Object.keys(components).map((n) => `<li><a href="#${esc(anchor("schema", n))}">${esc(n)}</a></li>`).join("")}</ul>`

  const body = groups.map((g) => `<h2 class="tag" id="${esc(anchor("tag", g.tag))}">${esc(g.tag)}</h2>${g.ops.map(operationHtml(responseOf, components)).join("\n")}`).join("\n")
  const schemas = Object.entries(components).map(([name, s]) =>
    `<section class="op" id="${esc(anchor("schema", name))}"><h3><code>${esc(name)}</code></h3>${schemaBlock(s)}</section>`
  ).join("\n")

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — reference</title>
<link rel="icon" href="data:,">
<style>${css}</style>
</head>
<body>
<div class="layout">
<nav aria-label="Operations"><strong>${esc(title)}</strong> <span class="muted">${esc(String(info.version ?? ""))}</span>${nav}</nav>
<main>
<h1>${esc(title)}</h1>
<p class="muted">OpenAPI ${esc(String(doc.openapi ?? ""))} · <a href="/openapi.json">openapi.json</a></p>
${typeof info.description === "string" ? prose(info.description) : ""}
${body}
<h2 class="tag" id="schemas">Schemas</h2>
${schemas}
</main>
</div>
</body>
</html>
`
}
