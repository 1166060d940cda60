/** How far the demo company's seeding is: what `GET /v1/demo` answers and the log says. */
import type { DemoProgress, DemoSummary } from "@handoff/demo/Simulator"
import { Schema } from "effect"
import { IsoDate } from "../http.ts"
import type { Logger } from "../log.ts"
import type { DemoSettings } from "./settings.ts"

export const DemoStatusSchema = Schema.Struct({
  state: Schema.Literal("off", "skipped", "seeding", "seeded", "failed", "stopped").annotations({
    description: "`off`: turned off (`HANDOFF_DEMO=0`, or PostgreSQL, where the demo never seeds); `skipped`: the store already held data; " +
      "`seeding`: running; `seeded`: done; `failed`: it stopped on an error (`error`); `stopped`: the service stopped before it finished."
  }),
  note: Schema.String,
  months: Schema.Number.annotations({ description: "Months of the company's history replayed (`HANDOFF_DEMO_MONTHS`)." }),
  seed: Schema.Number,
  percent: Schema.Number.annotations({ description: "Share of the period replayed so far, 0–100." }),
  leads: Schema.Number.annotations({ description: "Leads created so far." }),
  simulatedAt: Schema.NullOr(IsoDate).annotations({ description: "The simulated clock: the replay has reached this instant of the period." }),
  startedAt: Schema.NullOr(IsoDate),
  finishedAt: Schema.NullOr(IsoDate),
  elapsedSeconds: Schema.Number,
  summary: Schema.NullOr(Schema.Struct({
    leads: Schema.Number,
    inquiries: Schema.Number,
    mqls: Schema.Number,
    sals: Schema.Number,
    sqls: Schema.Number,
    opportunities: Schema.Number,
    won: Schema.Number,
    limbo: Schema.Number.annotations({ description: "MQLs with neither owner nor queue at the end (0)." })
  })).annotations({ description: "What the replay produced, once seeded." }),
  error: Schema.NullOr(Schema.String)
})
export type DemoStatus = typeof DemoStatusSchema.Type

/** An app built without the server (tests, embedders): nothing seeds. */
export const noDemoHere: DemoStatus = {
  state: "off", note: "This service seeds no demo company (only `npm start` in embedded mode does).", months: 0, seed: 0, percent: 0, leads: 0,
  simulatedAt: null, startedAt: null, finishedAt: null, elapsedSeconds: 0, summary: null, error: null
}

/** The seeding's state as it moves on, and its log lines (one per 10%). */
export class DemoTracker {
  private current: DemoStatus
  private loggedPercent = -1

  constructor(settings: Pick<DemoSettings, "months" | "seed">, private readonly log: Logger) {
    this.current = {
      state: "off", note: "The demo company is not seeded (PostgreSQL store).", months: settings.months, seed: settings.seed, percent: 0, leads: 0,
      simulatedAt: null, startedAt: null, finishedAt: null, elapsedSeconds: 0, summary: null, error: null
    }
  }

  status(): DemoStatus {
    const c = this.current
    return c.state === "seeding" && c.startedAt !== null ? { ...c, elapsedSeconds: Math.round((Date.now() - c.startedAt.getTime()) / 1000) } : c
  }

  off(note: string): void {
    this.current = { ...this.current, state: "off", note: `The demo company is not seeded: ${note}.` }
  }

  skipped(): void {
    this.current = { ...this.current, state: "skipped", note: "The store already held reps at start, so the demo company was not seeded into it." }
  }

  started(at: Date): void {
    this.current = { ...this.current, state: "seeding", note: "Company A's inbound stream is being replayed; the service answers meanwhile, and the worker starts when it is done.", startedAt: at }
  }

  progress(p: DemoProgress): void {
    const percent = Math.min(100, Math.floor(p.fraction * 100))
    this.current = { ...this.current, percent, leads: p.leads, simulatedAt: p.simulatedAt }
    const tenth = Math.floor(percent / 10) * 10
    if (tenth <= this.loggedPercent) return
    this.loggedPercent = tenth
    this.log.info("demo: seeding", { percent: tenth, simulatedAt: p.simulatedAt.toISOString(), leads: p.leads, seconds: Math.round(p.elapsedMs / 1000) })
  }

  seeded(s: DemoSummary): void {
    const finishedAt = new Date()
    this.current = {
      ...this.current, state: "seeded", note: "The demo company is seeded.", percent: 100, leads: s.leads, simulatedAt: s.to, finishedAt,
      elapsedSeconds: Math.round(s.elapsedMs / 1000),
      summary: { leads: s.leads, inquiries: s.inquiries, mqls: s.mqls, sals: s.sals, sqls: s.sqls, opportunities: s.opportunities, won: s.won, limbo: s.limbo }
    }
    this.log.info("demo: seeded", { ...this.current.summary, seconds: Math.round(s.elapsedMs / 1000) })
  }

  failed(error: string): void {
    this.current = { ...this.current, ...this.ended(), state: "failed", note: "The demo company's seeding failed; what it stored so far stays.", error }
    this.log.error("demo: seeding failed", { error })
  }

  stopped(): void {
    this.current = { ...this.current, ...this.ended(), state: "stopped", note: "The service stopped before the demo company was fully seeded; what it stored stays (the store is no longer empty, so the next start does not seed again)." }
  }

  private ended() {
    const finishedAt = new Date()
    const startedAt = this.current.startedAt
    return { finishedAt, elapsedSeconds: startedAt === null ? 0 : Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000) }
  }
}
