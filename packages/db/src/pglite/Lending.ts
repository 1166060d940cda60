/**
 * Lending the embedded store's one session to another thread.
 *
 * PGlite is one Postgres session, and the opening thread's `SessionQueue` decides who holds
 * it. Work that would crowd the request thread's event loop for minutes (seeding the demo
 * company replays a quarter through the use cases) runs on a thread of its own instead, and
 * borrows the session: it asks the lender for its turn over a control port (queued as
 * background work, behind every waiting request), sends its statements straight to the
 * store's thread over a port of its own, and gives the turn back. So a request waits for at
 * most the one borrowed unit in progress, and the lender spends no time relaying statements.
 *
 * Control protocol (borrower → lender): `{ op: "acquire", id }` → `{ id }` once granted, or
 * `{ id, busyMs }` when the queue refused (StoreBusy); `{ op: "release" }`. If the borrower
 * goes away holding the session (its thread ended mid-unit), the lender rolls back whatever
 * it left open and takes the turn back, so no half-written unit is ever committed by the next holder.
 */
import { MessageChannel, type MessagePort } from "node:worker_threads"
import type { SessionGate, SessionQueue } from "../PgliteDialect.ts"
import { StoreBusy } from "../Unavailable.ts"
import type { PgliteThread } from "./PgliteThread.ts"

/** What the borrowing thread is given (both ports go in the worker's transfer list). */
export interface LentSession {
  readonly control: MessagePort
  readonly queries: MessagePort
}

export interface Lending {
  readonly lent: LentSession
  /** Take the session back if the borrower still holds it, and stop lending. */
  readonly end: () => Promise<void>
}

/** Lend the session held by `queue` on `thread` (the opening thread's side). */
export const lendSession = (queue: SessionQueue, thread: PgliteThread): Lending => {
  const { port1: control, port2: borrowerControl } = new MessageChannel()
  const queries = thread.openPort()
  let held = false
  let ended = false
  control.on("message", (m: { op: "acquire" | "release"; id?: number }) => {
    if (m.op === "release") {
      if (!held) return
      held = false
      queue.release()
      return
    }
    queue.acquire(true).then(() => {
      if (ended) return queue.release()
      held = true
      control.postMessage({ id: m.id })
    }, (e: unknown) => control.postMessage({ id: m.id, busyMs: e instanceof StoreBusy ? e.waitedMs : 0 }))
  })
  const end = async () => {
    if (ended) return
    ended = true
    control.close()
    if (held) {
      held = false
      // the borrower stopped mid-unit: what it began is rolled back, never committed by the next holder
      await thread.query("rollback", []).catch(() => undefined)
      queue.release()
    }
  }
  control.on("close", () => void end())
  return { lent: { control: borrowerControl, queries }, end }
}

/** The borrower's side of the control port: its turn at the lender's session. */
export class BorrowedGate implements SessionGate {
  private readonly granted = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  private nextId = 1

  constructor(private readonly control: MessagePort) {
    control.on("message", (m: { id: number; busyMs?: number }) => {
      const g = this.granted.get(m.id)
      if (g === undefined) return
      this.granted.delete(m.id)
      if (m.busyMs === undefined) g.resolve()
      else g.reject(new StoreBusy(m.busyMs))
    })
    control.on("close", () => {
      for (const g of this.granted.values()) g.reject(Object.assign(new Error("the embedded store is no longer lent to this thread"), { code: "ECONNRESET" }))
      this.granted.clear()
    })
  }

  acquire(): Promise<void> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.granted.set(id, { resolve, reject })
      this.control.postMessage({ op: "acquire", id })
    })
  }

  release(): void {
    this.control.postMessage({ op: "release" })
  }
}
