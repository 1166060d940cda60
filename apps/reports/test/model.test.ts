/** The site's content from a snapshot: figures, stories and tables with answers checked by hand. */
import { describe, expect, it } from "@effect/vitest"
import { parse } from "csv-parse/sync"
import { tableCsv } from "../src/csv.ts"
import { duration, money, pct, points } from "../src/format.ts"
import { type Page, siteModel, type SiteModel, type Table, tablesOf } from "../src/model.ts"
import { fixtureShape, fixtureSnapshot, snapshotOf } from "./fixtures.ts"

const model: SiteModel = siteModel(fixtureSnapshot())
const page = (slug: string): Page => model.pages.find((p) => p.slug === slug)!
const kpi = (slug: string, id: string) => page(slug).sections.flatMap((s) => s.kpis ?? []).find((k) => k.id === id)
const table = (id: string): Table => tablesOf(model).find((t) => t.id === id)!

describe("the site model", () => {
  it("has the seven pages leadership reads, each with its story in one sentence", () => {
    expect(model.pages.map((p) => p.slug)).toEqual(["index", "waterfall", "speed", "feedback", "calibration", "attribution", "agreement"])
    for (const p of model.pages) {
      expect(p.story.length).toBeGreaterThan(20)
      expect(p.story.trim().endsWith(".")).toBe(true)
    }
    expect(model.weekLabel).toBe("Mon 23 Nov 2026 – Sun 29 Nov 2026")
  })

  it("overview: this week against last, from the trend", () => {
    // sources: inquiries 40 + 30 + 30, MQLs 16 + 10 + 4; last week 80 inquiries, 25 MQLs
    expect(kpi("index", "count-inquiry")).toMatchObject({ value: 100, previous: 80 })
    expect(kpi("index", "count-mql")).toMatchObject({ value: 30, previous: 25 })
    expect(kpi("index", "count-won")).toMatchObject({ value: 2, previous: 2 })
    expect(page("index").story).toBe("100 inquiries (+25% on last week), 30 MQLs and 15 SQLs; first touch on time for 83.3% of handoffs; no lead in limbo.")
    expect(table("trend").rows).toHaveLength(13)
    expect(table("trend").rows.at(-1)).toMatchObject({ weekStart: "2026-11-23", inquiry: 100, mql: 30 })
    expect(kpi("index", "limbo")).toMatchObject({ value: 0, tone: "good" })
    expect(kpi("index", "overdue")).toMatchObject({ value: 2, tone: "bad" })
    // 30 handoffs, 5 first touches late
    expect(kpi("index", "sla-first-touch")?.value).toBeCloseTo(25 / 30, 10)
  })

  it("limbo above 0 is said plainly and shown in red", () => {
    const m = siteModel(snapshotOf({ ...fixtureShape, limboLeads: 3 }))
    const p = m.pages[0]!
    expect(p.story).toContain("3 leads in limbo — must be 0")
    expect(p.sections.flatMap((s) => s.kpis ?? []).find((k) => k.id === "limbo")).toMatchObject({ value: 3, tone: "bad" })
    expect(tablesOf(m).find((t) => t.id === "limbo")!.rows.filter((r) => r.kind === "no owner, no queue")).toHaveLength(3)
  })

  it("waterfall: conversion against target and the owner of the widest gap", () => {
    // MQL→SQL: 15 of 30 = 50%, 5 points under the 55% target, owned by marketing
    const row = table("conversion").rows.find((r) => r.step === "MQL → SQL")!
    expect(row).toMatchObject({ enteredFrom: 30, cohortReached: 15, cohortRate: 0.5, target: 0.55, owner: "marketing", status: "below" })
    expect(row.deltaPoints).toBeCloseTo(-5, 10)
    expect(page("waterfall").story).toBe("MQL → SQL converted 50.0% of this week's MQLs, inside the healthy 40–70% band; the widest gap is MQL → SQL (−5.0 pts against target, owned by marketing).")
    expect(table("by-source").rows.map((r) => r.key)).toEqual(["paid search", "organic", "webinar"])
    expect(table("by-source").rows[0]).toMatchObject({ inquiry: 40, mql: 16, sql: 8, mqlToSql: 0.5 })
  })

  it("speed to lead: the slowest reps named, slowest first", () => {
    expect(table("wall-of-shame").rows.map((r) => [r.rank, r.name, r.breaches])).toEqual([[1, "Ben Okafor", 4], [2, "Cy Tanaka", 1]])
    expect(page("speed").story).toBe("Median speed to lead was 7 min (p90 28 min); 83.3% of first touches met the SLA; slowest: Ben Okafor (median 1 h, 4 breaches).")
    expect(table("sla-by-rep").rows.map((r) => r.key)).toEqual(["Ana Ruiz", "Ben Okafor", "Cy Tanaka"])
    expect(kpi("speed", "reassignments")?.value).toBe(4)
  })

  it("feedback: rejection rate, reasons and the alarm above 20% of routed", () => {
    expect(kpi("feedback", "rejection-rate")?.value).toBeCloseTo(6 / 30, 10)
    expect(page("feedback").story).toBe("Sales rejected 6 of 30 routed leads (20.0%), most often as wrong icp (3); over the last 30 days 20.0%, under the 20.0% alarm.")
    expect(page("feedback").alarms).toEqual([])
    // one more rejected lead per… a week of 24 routed with the same 6 rejections is 25%: the alarm is raised
    const loud = siteModel(snapshotOf({ ...fixtureShape, reps: fixtureShape.reps.map((r) => ({ ...r, handoffs: 8 })) }))
    const feedback = loud.pages.find((p) => p.slug === "feedback")!
    expect(feedback.alarms.map((a) => a.kind)).toEqual(["reject_rate"])
    expect(feedback.story).toContain("over the 20.0% alarm")
    expect(kpi("feedback", "returned")?.value).toBe(1)
  })

  it("calibration: where the MQL line sits and where the data puts it", () => {
    expect(kpi("calibration", "mql-threshold")?.value).toBe(55)
    // bands of 10: band i converts round((20+i)·i/10)/(20+i); band 4 (40–49) is the first at ≥ 40%
    expect(kpi("calibration", "data-line")?.value).toBe(40)
    expect(table("score-bands").rows).toHaveLength(10)
    expect(table("score-bands").rows.find((r) => r.band === "50–59")?.side).toBe("across")
    expect(table("score-bands").rows.find((r) => r.band === "60–69")?.side).toBe("above")
    expect(kpi("calibration", "mql-to-sql-drift")?.value).toBeCloseTo(-5, 10)
  })

  it("attribution: the agreement's model beside every other", () => {
    // channel i gets (i+1)/6 of the credit: webinar 3/6 of 7 opportunities worth $280K
    const top = table("credit-by-channel").rows[0]!
    expect(top.channel).toBe("webinar")
    expect(top.value).toBeCloseTo(140_000, 6)
    expect(page("attribution").story).toBe("Under the agreement's W-shaped model, webinar earned the most credit: 3.5 of 7 opportunities ($140K of $280K).")
    expect(table("model-comparison").columns.map((c) => c.label)).toEqual(["Channel", "First touch", "Last touch", "Linear", "U-shaped", "W-shaped", "Time decay", "Markov"])
    expect(table("credit-by-campaign").rows).toHaveLength(2)
  })

  it("the agreement: version, signatures and what changed since the previous version", () => {
    expect(page("agreement").story).toBe("Version 2 of “Inbound handoff SLA”, signed by Avery Stone (VP Marketing), Jordan Blake (VP Sales); 3 changes since version 1 (Tue 1 Sep 2026).")
    const changes = table("agreement-changes").rows
    expect(changes).toContainEqual({ path: "scoring.mqlThreshold", kind: "changed", before: "50", after: "55" })
    expect(table("signatures").rows).toHaveLength(2)
    expect(table("fit-rules").rows.map((r) => r.id)).toContain("title-exec")
    expect(page("agreement").sections.find((s) => s.id === "document")?.pre).toContain("mqlThreshold: 55")
  })

  it("every table has its own CSV name, and its CSV carries raw values", () => {
    const ids = model.pages.flatMap((p) => p.sections.flatMap((s) => (s.tables ?? []).map((t) => t.id)))
    expect(new Set(ids).size).toBe(ids.length)
    const rows = parse(tableCsv(table("conversion")), { columns: true }) as Array<Record<string, string>>
    const mqlSql = rows.find((r) => r.Step === "MQL → SQL")!
    expect(Number(mqlSql["Conversion (fraction)"])).toBe(0.5)
    expect(Number(mqlSql["Median time in stage (ms)"])).toBe(90_000_000)
    expect(rows).toHaveLength(6)
  })
})

describe("an empty week", () => {
  it("still reads as sentences: nothing undefined, no NaN, no empty chart", () => {
    const empty = siteModel(snapshotOf({ sources: [], reps: [], campaigns: 0, limboLeads: 0, overdueLeads: 0, bands: 0, lastWeek: { inquiry: 0, mql: 0, sal: 0, sql: 0, opportunity: 0, won: 0 } }))
    const text = JSON.stringify(empty.pages.map((p) => [p.story, p.sections.map((s) => [s.story, s.kpis])]))
    expect(text).not.toMatch(/undefined|NaN|null%|Infinity/)
    expect(empty.pages[0]!.story).toBe("0 inquiries (none last week either), 0 MQLs and 0 SQLs; no first touch was due yet; no lead in limbo.")
    expect(empty.pages.find((p) => p.slug === "speed")!.story).toBe("No lead was handed to sales this week.")
    expect(empty.pages.find((p) => p.slug === "attribution")!.story).toBe("No opportunity opened this week, so there is no credit to split.")
    for (const p of empty.pages) for (const s of p.sections) for (const c of s.charts ?? []) expect(c.svg).toContain("<svg")
  })
})

describe("how figures read", () => {
  it("percentages, points, durations and money", () => {
    expect(pct(0.4234)).toBe("42.3%")
    expect(pct(null)).toBe("—")
    expect(points(-5)).toBe("−5.0 pts")
    expect(points(2.25)).toBe("+2.3 pts")
    expect(duration(180)).toBe("180 ms")
    expect(duration(4_240)).toBe("4.2 s")
    expect(duration(45_000)).toBe("45 s")
    expect(duration(200_000)).toBe("3 min 20 s")
    expect(duration(3_900_000)).toBe("1 h 5 min")
    expect(duration(3 * 86_400_000)).toBe("3.0 d")
    expect(money(1_250_000)).toBe("$1.25M")
    expect(money(92_400)).toBe("$92K")
  })
})
