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
 */
import { Schema } from "effect"

const Literal = Schema.Union(Schema.String, Schema.Number, Schema.Boolean)

const validRegex = (s: string): boolean | string => {
  try {
    new RegExp(s, "i")
    return true
  } catch (e) {
    return `invalid regular expression: ${(e as Error).message}`
  }
}

export const Condition = Schema.Struct({
  eq: Schema.optional(Literal),
  ne: Schema.optional(Literal),
  in: Schema.optional(Schema.Array(Literal)),
  notIn: Schema.optional(Schema.Array(Literal)),
  matches: Schema.optional(Schema.String.pipe(Schema.filter(validRegex))),
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

const regexCache = new Map<string, RegExp>()
const regexOf = (source: string): RegExp => {
  let re = regexCache.get(source)
  if (re === undefined) {
    re = new RegExp(source, "i")
    regexCache.set(source, re)
  }
  return re
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
  if (c.matches !== undefined && !regexOf(c.matches).test(String(value))) return false
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
