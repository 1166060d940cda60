/**
 * The rule predicate language of the agreement.
 *
 * A *condition* tests one value: `{ matches: "vp|chief" }`, `{ between: [50, 5000] }`,
 * `{ in: [US, CA] }`, `{ gt: 50000 }`, `{ exists: true }`. Several keys in one condition
 * must all hold. A *field predicate* maps names to conditions and holds when every
 * named condition holds: `{ title: { matches: "vp" }, employees: { gte: 50 } }`.
 *
 * Missing values fail every test except `{ exists: false }` and `ne`/`notIn` — a lead
 * we know nothing about is neither "in the target range" nor "too small". Text
 * comparisons are case-insensitive; `matches` is a case-insensitive regular expression
 * searched anywhere in the text (anchor it with ^ and $ to match the whole value).
 *
 * `matches` uses RE2 syntax and runs on an RE2 engine (re2js), not on JavaScript's
 * backtracking `RegExp`: the agreement is written by people and drafts come over the
 * API, and a backtracking engine lets one pattern like `(a+)+$` freeze the process on a
 * 40-character title. RE2 decides in time linear in the text, and has no backreferences
 * or lookaround (those are what make linear time impossible), so such patterns are
 * refused when the agreement is decoded rather than failing later.
 */
import { Schema } from "effect"
import { LRUCache } from "lru-cache"
import { RE2JS } from "re2js"

const Literal = Schema.Union(Schema.String, Schema.Number, Schema.Boolean)

/** The longest `matches` pattern, in characters. */
export const maxPatternLength = 1000
/**
 * The most instructions a compiled pattern may have. Matching is linear in the text, but
 * the factor is the program's size: a short pattern such as `.{0,1000}x` compiles to
 * 2,000 instructions and would take a third of a second on a 10,000-character value. A
 * plain alternation of words compiles to about one instruction per character, so this
 * leaves room for every pattern the length limit allows, except ones that blow up through
 * large repeat counts.
 */
export const maxPatternProgram = 2000
/**
 * How many compiled patterns are kept. An agreement has a few dozen; previews and
 * simulations of drafts add theirs, and a caller sending a new pattern with every
 * request must not grow the process without bound: the least recently used ones go.
 */
export const patternCacheLimit = 500

const patternCache = new LRUCache<string, RE2JS>({ max: patternCacheLimit })

/** How many compiled patterns are held now (at most `patternCacheLimit`). */
export const patternCacheSize = (): number => patternCache.size

/**
 * Compile a `matches` pattern (case-insensitive), or say why it cannot be one. Compiled
 * patterns are cached, so a pattern checked when the agreement is decoded is not
 * compiled again when leads are scored.
 */
export const compilePattern = (source: string): RE2JS | string => {
  const cached = patternCache.get(source)
  if (cached !== undefined) return cached
  if (source.length > maxPatternLength) {
    return `a pattern is at most ${maxPatternLength} characters (this one has ${source.length})`
  }
  let compiled: RE2JS
  try {
    compiled = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE)
  } catch (e) {
    const why = unsupportedFeature(source) ?? (e as Error).message.replace(/^error parsing regexp: /, "")
    return `invalid regular expression (RE2 syntax, linear-time: https://github.com/google/re2/wiki/Syntax): ${why}`
  }
  const size = programSize(compiled)
  if (size !== undefined && size > maxPatternProgram) {
    return `the pattern is too complex: it compiles to ${size} instructions, more than ${maxPatternProgram} (large repeat counts such as {500} or .{0,1000} multiply its size)`
  }
  patternCache.set(source, compiled)
  return compiled
}

/**
 * The feature RE2 refuses that a pattern uses, for a clearer message than the parser's
 * (which calls `(?<=x)` an "invalid named capture"). A plain scan, outside character classes.
 */
const unsupportedFeature = (source: string): string | undefined => {
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c === "\\") {
      const next = source[i + 1] ?? ""
      if (!inClass && next >= "1" && next <= "9") return "backreferences (\\1, \\2, …) are not supported"
      i++
    } else if (inClass) {
      if (c === "]") inClass = false
    } else if (c === "[") {
      inClass = true
      if (source[i + 1] === "]") i++
    } else if (c === "(" && source[i + 1] === "?") {
      const after = source.slice(i + 2, i + 4)
      if (after[0] === "=" || after[0] === "!" || after === "<=" || after === "<!") {
        return "lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not supported"
      }
    }
  }
  return undefined
}

/** The compiled program's instruction count; re2js does not type it, so it is read with care. */
const programSize = (compiled: RE2JS): number | undefined => {
  const prog = (compiled.re2() as { prog?: { numInst?: () => number } }).prog
  return typeof prog?.numInst === "function" ? prog.numInst() : undefined
}

const validPattern = (s: string): boolean | string => {
  const compiled = compilePattern(s)
  return typeof compiled === "string" ? compiled : true
}

export const Condition = Schema.Struct({
  eq: Schema.optional(Literal),
  ne: Schema.optional(Literal),
  in: Schema.optional(Schema.Array(Literal)),
  notIn: Schema.optional(Schema.Array(Literal)),
  matches: Schema.optional(Schema.String.pipe(Schema.filter(validPattern))),
  lt: Schema.optional(Schema.Number),
  lte: Schema.optional(Schema.Number),
  gt: Schema.optional(Schema.Number),
  gte: Schema.optional(Schema.Number),
  between: Schema.optional(
    Schema.Tuple(Schema.Number, Schema.Number).pipe(
      Schema.filter(([lo, hi]) => lo <= hi || `between: the low bound ${lo} is above the high bound ${hi}`)
    )
  ),
  exists: Schema.optional(Schema.Boolean)
}).pipe(
  Schema.filter((c) => Object.keys(c).length > 0 || "a condition needs at least one test (eq, in, matches, lt, gt, between, exists, ...)"),
  Schema.annotations({ identifier: "Condition", description: "Tests on one value; every key given must hold" })
)
export type Condition = typeof Condition.Type

/** A map of names to conditions; holds when each holds. */
export const FieldPredicate = <K extends Schema.Schema<string, string, never>>(key: K) =>
  Schema.Record({ key, value: Condition })

export type FieldPredicate = Readonly<Record<string, Condition>>

/** A decoded condition's pattern, compiled; a pattern that never went through the schema throws here. */
const patternOf = (source: string): RE2JS => {
  const compiled = compilePattern(source)
  if (typeof compiled === "string") throw new Error(`matches /${source}/: ${compiled}`)
  return compiled
}

const same = (a: unknown, b: string | number | boolean): boolean =>
  typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b

const asNumber = (v: unknown): number | undefined => {
  if (typeof v === "number" && Number.isFinite(v)) return v
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

/** Does `value` satisfy every test of `c`? */
export const testCondition = (c: Condition, value: unknown): boolean => {
  const present = value !== undefined && value !== null && value !== ""
  if (c.exists !== undefined && c.exists !== present) return false
  if (c.ne !== undefined && present && same(value, c.ne)) return false
  if (c.notIn !== undefined && present && c.notIn.some((x) => same(value, x))) return false
  const needsValue =
    c.eq !== undefined || c.in !== undefined || c.matches !== undefined || c.lt !== undefined ||
    c.lte !== undefined || c.gt !== undefined || c.gte !== undefined || c.between !== undefined
  if (!needsValue) return true
  if (!present) return false
  if (c.eq !== undefined && !same(value, c.eq)) return false
  if (c.in !== undefined && !c.in.some((x) => same(value, x))) return false
  if (c.matches !== undefined && !patternOf(c.matches).test(String(value))) return false
  const numeric = c.lt !== undefined || c.lte !== undefined || c.gt !== undefined || c.gte !== undefined || c.between !== undefined
  if (numeric) {
    const n = asNumber(value)
    if (n === undefined) return false
    if (c.lt !== undefined && !(n < c.lt)) return false
    if (c.lte !== undefined && !(n <= c.lte)) return false
    if (c.gt !== undefined && !(n > c.gt)) return false
    if (c.gte !== undefined && !(n >= c.gte)) return false
    if (c.between !== undefined && !(n >= c.between[0] && n <= c.between[1])) return false
  }
  return true
}

/** Does every named condition hold for the values `lookup` returns? */
export const testPredicate = (p: FieldPredicate, lookup: (name: string) => unknown): boolean => {
  for (const name in p) {
    if (!testCondition(p[name]!, lookup(name))) return false
  }
  return true
}

/** A short text of a condition for explanations: `title ~ /vp|chief/`, `employees in [50, 5000]`. */
export const describeCondition = (name: string, c: Condition): string => {
  const parts: Array<string> = []
  if (c.eq !== undefined) parts.push(`${name} = ${c.eq}`)
  if (c.ne !== undefined) parts.push(`${name} ≠ ${c.ne}`)
  if (c.in !== undefined) parts.push(`${name} in {${c.in.join(", ")}}`)
  if (c.notIn !== undefined) parts.push(`${name} not in {${c.notIn.join(", ")}}`)
  if (c.matches !== undefined) parts.push(`${name} ~ /${c.matches}/`)
  if (c.lt !== undefined) parts.push(`${name} < ${c.lt}`)
  if (c.lte !== undefined) parts.push(`${name} ≤ ${c.lte}`)
  if (c.gt !== undefined) parts.push(`${name} > ${c.gt}`)
  if (c.gte !== undefined) parts.push(`${name} ≥ ${c.gte}`)
  if (c.between !== undefined) parts.push(`${name} in [${c.between[0]}, ${c.between[1]}]`)
  if (c.exists !== undefined) parts.push(c.exists ? `${name} known` : `${name} unknown`)
  return parts.join(" and ")
}

export const describePredicate = (p: FieldPredicate): string =>
  Object.entries(p).map(([k, c]) => describeCondition(k, c)).join(" and ")
