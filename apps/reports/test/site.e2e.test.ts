/**
 * The built site in a real browser (Debian's Chromium, driven by playwright-core): every page
 * loads with no console error and nothing fetched from elsewhere, no client JavaScript, the
 * key figures on each page are the snapshot's, every table's CSV downloads, and a screenshot
 * of each page is written to apps/reports/test-output/.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { parse } from "csv-parse/sync"
import { existsSync } from "node:fs"
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { extname, join, normalize } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium } from "playwright-core"
import { type BuildResult, buildSite } from "../src/build.ts"
import { display } from "../src/format.ts"
import { siteModel, tablesOf } from "../src/model.ts"
import { fixtureSnapshot } from "./fixtures.ts"

const executablePath = "/usr/bin/chromium"
const output = fileURLToPath(new URL("../test-output", import.meta.url))
const snapshot = fixtureSnapshot()
const model = siteModel(snapshot)

let dir: string
let built: BuildResult
let server: Server
let base: string
let browser: Browser | undefined

const types: Record<string, string> = { ".html": "text/html; charset=utf-8", ".csv": "text/csv; charset=utf-8", ".json": "application/json" }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "handoff-site-"))
  built = await buildSite(snapshot, { outDir: join(dir, "site") })
  // served under /reports/, as `npm start` serves it: the site's links are relative
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)
    if (!path.startsWith("/reports/")) return void res.writeHead(404).end()
    const file = normalize(join(built.outDir, path.slice("/reports/".length) || "index.html"))
    if (!file.startsWith(built.outDir)) return void res.writeHead(403).end()
    readFile(file).then(
      (body) => res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body),
      () => res.writeHead(404).end()
    )
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports/`
  if (existsSync(executablePath)) {
    browser = await chromium.launch({
      executablePath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    })
  } else if (process.env.CI === "true") {
    throw new Error(`${executablePath} is missing: CI must install Debian's chromium (see .ci/run)`)
  }
  await mkdir(output, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

describe("the built site", () => {
  it("has a page per report, a CSV per table and the snapshot it was built from", async () => {
    expect(built.pages).toEqual(["index.html", "waterfall.html", "speed.html", "feedback.html", "calibration.html", "attribution.html", "agreement.html"])
    for (const p of built.pages) expect(existsSync(join(built.outDir, p))).toBe(true)
    expect(built.csv).toHaveLength(tablesOf(model).length)
    const html = await readFile(join(built.outDir, "index.html"), "utf8")
    expect(html).not.toMatch(/<script/i)
    expect(html).toContain("<svg")
    expect(JSON.parse(await readFile(join(built.outDir, "snapshot.json"), "utf8")).weekStart).toBe(snapshot.weekStart)
  })

  for (const p of model.pages) {
    it(`${p.slug}.html loads in Chromium with no console error and shows the snapshot's figures`, async (ctx) => {
      if (browser === undefined) return ctx.skip(`${executablePath} is absent (apt-get install -y chromium)`)
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const problems: Array<string> = []
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`)
      })
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`))
      page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`))
      page.on("request", (r) => {
        if (!r.url().startsWith(base)) problems.push(`fetched from elsewhere: ${r.url()}`)
      })
      try {
        const res = await page.goto(`${base}${p.slug === "index" ? "" : `${p.slug}.html`}`, { waitUntil: "load" })
        expect(res?.status()).toBe(200)
        expect(await page.locator("h1").innerText()).toBe(p.title)
        expect(await page.locator("[data-story]").innerText()).toBe(p.story)
        expect(await page.locator("script").count()).toBe(0)
        // every headline figure: the value the snapshot gives, written as the page writes it
        for (const k of p.sections.flatMap((s) => s.kpis ?? [])) {
          const card = page.locator(`[data-kpi="${k.id}"]`).first()
          expect(await card.getAttribute("data-value"), k.id).toBe(k.value === null ? "" : String(k.value))
          expect(await card.locator(".value").innerText(), k.id).toBe(display(k.value, k.format))
        }
        // every chart drawn as SVG, every table with its rows and a CSV that downloads
        for (const c of p.sections.flatMap((s) => s.charts ?? [])) expect(await page.locator(`[data-chart="${c.id}"] svg`).count(), c.id).toBe(1)
        for (const t of p.sections.flatMap((s) => s.tables ?? [])) {
          const el = page.locator(`[data-table="${t.id}"]`)
          expect(await el.count(), t.id).toBe(1)
          expect(await el.locator("tbody tr").count(), t.id).toBe(Math.min(t.rows.length, t.show ?? Infinity))
          const href = await el.locator("a[download]").getAttribute("href")
          const csv = await page.request.get(new URL(href!, page.url()).toString())
          expect(csv.status(), t.id).toBe(200)
          expect((parse(await csv.text(), { columns: true }) as Array<unknown>).length, t.id).toBe(t.rows.length)
        }
        // the nav reaches every page
        expect(await page.locator("nav a").count()).toBe(model.pages.length)
        await page.screenshot({ path: join(output, `${p.slug}.png`), fullPage: true })
        expect(problems).toEqual([])
      } finally {
        await page.close()
      }
    })
  }

  it("the key figures leadership reads are the snapshot's own numbers", async (ctx) => {
    if (browser === undefined) return ctx.skip(`${executablePath} is absent`)
    const page = await browser.newPage()
    try {
      await page.goto(base)
      const value = async (id: string) => Number(await page.locator(`[data-kpi="${id}"]`).first().getAttribute("data-value"))
      for (const stage of ["inquiry", "mql", "sal", "sql", "opportunity", "won"] as const) expect(await value(`count-${stage}`)).toBe(snapshot.waterfall.counts[stage])
      expect(await value("limbo")).toBe(snapshot.limbo.limbo)
      expect(await value("pipeline-sourced")).toBe(snapshot.waterfall.pipeline.sourced.value)
      await page.goto(`${base}speed.html`)
      const shame = await page.locator('[data-table="wall-of-shame"] tbody tr td[data-col="name"]').allInnerTexts()
      expect(shame).toEqual(snapshot.sla.wallOfShame.map((r) => r.name))
      await page.goto(`${base}feedback.html`)
      expect(await value("rejected")).toBe(snapshot.rejections.rejected)
      await page.goto(`${base}agreement.html`)
      expect(await page.locator("[data-pre]").innerText()).toContain("mqlThreshold: 55")
    } finally {
      await page.close()
    }
  })

  it("prints: navigation hidden, every page on paper", async (ctx) => {
    if (browser === undefined) return ctx.skip(`${executablePath} is absent`)
    const page = await browser.newPage()
    try {
      await page.goto(`${base}waterfall.html`)
      await page.emulateMedia({ media: "print" })
      expect(await page.locator("nav").isVisible()).toBe(false)
      const pdf = await page.pdf({ format: "A4", landscape: true })
      expect(pdf.subarray(0, 5).toString()).toBe("%PDF-")
    } finally {
      await page.close()
    }
  })
})
