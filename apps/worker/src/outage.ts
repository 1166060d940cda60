/**
 * The worker's view of the store being down: the first batch that fails because the store is
 * unreachable, refusing or frozen is logged once ("backing off"), later ones are not, and the
 * jobs tick less often — doubling from 1 s to 30 s — until a batch succeeds, which is logged
 * once too ("store is back"). One tracker per worker: every job shares what the others learnt.
 */
import { storeUnavailableReason } from "@handoff/db"
import { Cause } from "effect"
import type { Logger } from "./log.ts"

export class StoreOutage {
  private downSince: number | undefined
  private delay = 0

  constructor(private readonly log: Logger, private readonly maxDelayMs = 30_000) {}

  /** True (and noted) when `cause` is the store being unavailable; the caller then stays quiet. */
  failed(cause: Cause.Cause<unknown>, job: string, now = Date.now()): boolean {
    const reason = storeUnavailableReason(Cause.squash(cause))
    if (reason === undefined) return false
    if (this.downSince === undefined) {
      this.downSince = now
      this.log.error("store unavailable: the worker backs off until it answers", { job, error: reason })
    }
    this.delay = Math.min(this.maxDelayMs, Math.max(1_000, this.delay * 2))
    return true
  }

  /** A batch went through: if the store was down, it is back. */
  succeeded(now = Date.now()): void {
    if (this.downSince === undefined) return
    this.log.info("store is back: the worker resumes", { downMs: now - this.downSince })
    this.downSince = undefined
    this.delay = 0
  }

  /** How long a job waits before its next tick: its interval, or longer while the store is down. */
  nextTickIn(intervalMs: number): number {
    return this.downSince === undefined ? intervalMs : Math.max(intervalMs, this.delay)
  }
}
