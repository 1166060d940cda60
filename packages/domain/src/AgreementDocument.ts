/**
 * Reading and writing agreement documents (YAML or JSON).
 *
 * An invalid document is refused with every fault at once — path and reason — so the
 * person editing it fixes the whole list in one pass. Structural faults (wrong types,
 * unknown keys, bad durations, bad regular expressions, unknown lead fields, ...) are
 * all reported together; the cross-reference checks (unknown pods, cadences, duplicate
 * ids, backup loops, the catch-all tier) run on a structurally valid document and are
 * likewise reported together.
 */
import { Data, Either, JSONSchema, ParseResult, Schema } from "effect"
import { isMap, isSeq, parseDocument, stringify, visit, type Node as YamlNode } from "yaml"
import { Agreement } from "./Agreement.ts"

export interface AgreementFault {
  /** Where the fault is, e.g. `scoring.fit[2].points`; empty for the whole document. */
  readonly path: string
  readonly message: string
  /** 1-based line and column in the source text, when known. */
  readonly line?: number
  readonly column?: number
}

export class AgreementInvalid extends Data.TaggedError("AgreementInvalid")<{
  readonly errors: ReadonlyArray<AgreementFault>
  readonly message: string
}> {}

const parseOptions = { errors: "all", onExcessProperty: "error" } as const

/** `["scoring", "fit", 2, "points"]` → `scoring.fit[2].points` */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`
    else out += out === "" ? String(p) : `.${String(p)}`
  }
  return out
}

const invalid = (errors: ReadonlyArray<AgreementFault>): AgreementInvalid =>
  new AgreementInvalid({
    errors,
    message: `The agreement is invalid (${errors.length} ${errors.length === 1 ? "fault" : "faults"}): ` +
      errors.slice(0, 3).map((e) => (e.path === "" ? e.message : `${e.path}: ${e.message}`)).join("; ") +
      (errors.length > 3 ? "; …" : "")
  })

/**
 * Limits on the document itself, before its content is looked at. A real agreement is a
 * few kilobytes, about eight levels deep, and uses an alias or two if any; these leave it
 * ample room and refuse documents built to exhaust memory or the stack.
 */
export const agreementLimits = {
  /** Characters of YAML or JSON text. */
  maxLength: 1_000_000,
  /** Nesting of mappings and lists. */
  maxDepth: 32,
  /**
   * Alias expansions (`*name`) in a YAML document, counting what each expands to: an
   * "alias bomb" (billion laughs) of a few hundred bytes expands into billions of nodes.
   */
  maxAliasCount: 100
} as const

/**
 * How deep the text's `[`/`{` brackets go, outside quotes and comments. The YAML parser
 * recurses per level and spends seconds before it gives up on a megabyte of `[[[[…`; this
 * scan is linear and stops early. It is a guard, not a parser: brackets inside a plain
 * scalar count too, which is why the bound it is held to is far above `maxDepth`.
 */
const bracketDepthOver = (text: string, bound: number): boolean => {
  let depth = 0
  let quote = ""
  let comment = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (comment) {
      if (c === "\n") comment = false
    } else if (quote !== "") {
      if (c === "\\" && quote === '"') i++
      else if (c === quote) quote = ""
    } else if (c === '"' || c === "'") quote = c
    else if (c === "#") comment = true
    else if (c === "[" || c === "{") {
      if (++depth > bound) return true
    } else if ((c === "]" || c === "}") && depth > 0) depth--
  }
  return false
}

/** The first path deeper than `maxDepth`, or undefined. Iterative: the value may be deeper than the stack. */
const tooDeep = (input: unknown, maxDepth: number): ReadonlyArray<PropertyKey> | undefined => {
  const stack: Array<{ value: unknown; path: ReadonlyArray<PropertyKey> }> = [{ value: input, path: [] }]
  while (stack.length > 0) {
    const { path, value } = stack.pop()!
    if (value === null || typeof value !== "object") continue
    if (path.length >= maxDepth) return path
    if (Array.isArray(value)) value.forEach((v, i) => stack.push({ value: v, path: [...path, i] }))
    else for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: [...path, k] })
  }
  return undefined
}

/** Decode an already-parsed value (JSON body, YAML tree) into an agreement. */
export const decodeAgreement = (input: unknown): Either.Either<Agreement, AgreementInvalid> => {
  const deep = tooDeep(input, agreementLimits.maxDepth)
  if (deep !== undefined) {
    return Either.left(invalid([{ path: formatPath(deep), message: `the document is nested more than ${agreementLimits.maxDepth} levels deep` }]))
  }
  return Schema.decodeUnknownEither(Agreement, parseOptions)(input).pipe(
    Either.mapLeft((error) =>
      invalid(ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => ({ path: formatPath(i.path), message: i.message })))
    )
  )
}

const lineCol = (text: string, offset: number): { line: number; column: number } => {
  let line = 1
  let last = -1
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      last = i
    }
  }
  return { line, column: offset - last }
}

/** Find the YAML node at a decoded path, to point at its line. */
const nodeAt = (root: YamlNode | null, path: string): YamlNode | undefined => {
  if (root === null || path === "") return undefined
  const keys: Array<string | number> = []
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) keys.push(m[2] !== undefined ? Number(m[2]) : m[1]!)
  let node: unknown = root
  for (const k of keys) {
    if (isMap(node)) node = node.get(k, true) ?? node.items.find((p) => (p.key as { value?: unknown } | null)?.value === k)?.key
    else if (isSeq(node) && typeof k === "number") node = node.get(k, true)
    else return undefined
    if (node === undefined) return undefined
  }
  return node as YamlNode
}

/**
 * Parse agreement text. JSON is valid YAML, so one parser reads both; syntax errors
 * come back with their line and column, schema faults with their path (and line).
 */
export const parseAgreement = (text: string): Either.Either<Agreement, AgreementInvalid> => {
  if (text.length > agreementLimits.maxLength) {
    return Either.left(invalid([{ path: "", message: `the document is ${text.length} characters long, more than the ${agreementLimits.maxLength} an agreement may have` }]))
  }
  if (bracketDepthOver(text, 8 * agreementLimits.maxDepth)) {
    return Either.left(invalid([{ path: "", message: `the document is nested too deeply (an agreement needs at most ${agreementLimits.maxDepth} levels)` }]))
  }
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return Either.left(invalid(doc.errors.map((e) => {
      const at = lineCol(text, e.pos[0])
      // the parser is recursive: it reports a document nested past the stack as this
      const message = /maximum call stack/i.test(e.message)
        ? `the document is nested too deeply (an agreement needs at most ${agreementLimits.maxDepth} levels)`
        : `YAML syntax: ${e.message.split("\n")[0]}`
      return { path: "", message, line: at.line, column: at.column }
    })))
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: agreementLimits.maxAliasCount })
  } catch (e) {
    // the only error toJS raises on a document that parsed is the alias limit
    let first: YamlNode | undefined
    visit(doc, { Alias: (_, node) => {
      first = node
      return visit.BREAK
    } })
    const range = first?.range
    return Either.left(invalid([{
      path: "",
      message: `the document's aliases (*name) expand to more than ${agreementLimits.maxAliasCount} copies; refused as an alias bomb ("billion laughs"): write the values out (${(e as Error).message})`,
      ...(range === undefined || range === null ? {} : lineCol(text, range[0]))
    }]))
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return Either.left(invalid([{ path: "", message: "an agreement is a mapping (name, scoring, handRaise, tiers, routing, calendar, ...)" }]))
  }
  return decodeAgreement(value).pipe(
    Either.mapLeft((e) =>
      invalid(e.errors.map((f) => {
        const node = nodeAt(doc.contents as YamlNode | null, f.path)
        const range = node?.range
        return range === undefined || range === null ? f : { ...f, ...lineCol(text, range[0]) }
      }))
    )
  )
}

/** The agreement as its encoded (document) form, e.g. to store as JSON. */
export const encodeAgreement = (agreement: Agreement): typeof Agreement.Encoded => Schema.encodeSync(Agreement)(agreement)

const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

/**
 * Do two agreements say the same thing? Compared as documents with keys in a fixed order
 * (a stored copy — Postgres jsonb — does not keep the order the file was written in).
 */
export const sameAgreement = (a: Agreement, b: Agreement): boolean =>
  canonicalJson(encodeAgreement(a)) === canonicalJson(encodeAgreement(b))

/** The agreement as YAML text. */
export const agreementToYaml = (agreement: Agreement): string => stringify(encodeAgreement(agreement), { lineWidth: 120 })

/**
 * A JSON Schema (2019-09 / OpenAPI 3.1 compatible) of the agreement document, for editors
 * validating YAML (`# yaml-language-server: $schema=...`) and for the API's OpenAPI document.
 */
export const agreementJsonSchema = (): JSONSchema.JsonSchema7Root =>
  JSONSchema.make(Schema.encodedSchema(Agreement), { target: "jsonSchema2019-09" })
