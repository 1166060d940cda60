/**
 * A small pool of worker threads that runs the named jobs of `jobs.ts` with a deadline.
 *
 * - `threads` threads at most, started on first use (each takes a couple of seconds to load
 *   the domain: no request pays for it unless a heavy job is asked for) and kept afterwards;
 * - a job runs on a free thread; when none is free it waits in line, `queue` jobs at most —
 *   past that it is refused at once (`busy`), so a burst of heavy requests cannot pile up work;
 * - a job that runs longer than `deadlineMs` (counted from the moment it starts on its
 *   thread, not while it waits or while a thread starts) is refused (`deadline`) and its thread
 *   terminated — the only way to stop synchronous code — and a fresh thread replaces it;
 * - a job that throws (`threw`) leaves its thread running; a thread that dies (out of memory,
 *   say) fails the job it ran (`failed`) and is replaced.
 *
 * Only data crosses: the input and the output are structured-cloned.
 */
import { Worker } from "node:worker_threads"
import { chunkedInputs, type JobInput, type JobName, type JobOutput } from "./jobs.ts"

/** Items of a large input per message: each clone then takes the event loop a few milliseconds. */
const chunkSize = 250

export interface PoolOptions {
  /** Threads running jobs at once. */
  readonly threads: number
  /** Jobs waiting for a thread, at most (beyond the running ones). */
  readonly queue: number
  /** How long one job may run on its thread. */
  readonly deadlineMs: number
}

/** `threw`: the job raised an exception (a bug); `failed`: its thread died or could not start. */
export type Rejection = "busy" | "deadline" | "threw" | "failed" | "closed"

export type Outcome<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly reason: Rejection; readonly detail: string }

interface Job {
  readonly id: number
  readonly name: JobName
  readonly input: unknown
  readonly done: (outcome: Outcome<unknown>) => void
  timer?: NodeJS.Timeout
}

interface Slot {
  readonly worker: Worker
  ready: boolean
  job: Job | undefined
}

type Reply = { readonly ready: true } | { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string }

const threadScript = new URL("./thread.mjs", import.meta.url)

export class HeavyPool {
  private readonly slots: Array<Slot> = []
  private readonly waiting: Array<Job> = []
  private nextId = 1
  private closed = false

  constructor(readonly options: PoolOptions) {}

  /** Jobs running and waiting now. */
  get load(): { readonly running: number; readonly waiting: number; readonly threads: number } {
    return { running: this.slots.filter((s) => s.job !== undefined).length, waiting: this.waiting.length, threads: this.slots.length }
  }

  /**
   * Run job `name` on `input`; `done` is called once with its outcome. Returns a function
   * that gives the job up (a waiting job leaves the line; a running one's thread is terminated).
   */
  submit<N extends JobName>(name: N, input: JobInput<N>, done: (outcome: Outcome<JobOutput<N>>) => void): () => void {
    if (this.closed) {
      done({ ok: false, reason: "closed", detail: "the service is stopping" })
      return () => undefined
    }
    const running = this.slots.filter((s) => s.job !== undefined).length
    if (running + this.waiting.length >= this.options.threads + this.options.queue) {
      done({ ok: false, reason: "busy", detail: `${running} heavy job(s) running and ${this.waiting.length} waiting, the most this service takes` })
      return () => undefined
    }
    let settled = false
    const job: Job = {
      id: this.nextId++,
      name,
      input,
      done: (outcome) => {
        if (settled) return
        settled = true
        done(outcome as Outcome<JobOutput<N>>)
      }
    }
    this.waiting.push(job)
    this.pump()
    return () => {
      if (settled) return
      settled = true
      const at = this.waiting.indexOf(job)
      if (at >= 0) this.waiting.splice(at, 1)
      const slot = this.slots.find((s) => s.job === job)
      if (slot !== undefined) this.retire(slot)
    }
  }

  /** Start one thread now if none runs, so the first heavy request does not wait for one. */
  warm(): void {
    if (!this.closed && this.slots.length === 0) this.spawn()
  }

  /** Refuse what waits, stop every thread. */
  async close(): Promise<void> {
    this.closed = true
    for (const job of this.waiting.splice(0)) job.done({ ok: false, reason: "closed", detail: "the service is stopping" })
    const slots = this.slots.splice(0)
    await Promise.all(slots.map(async (s) => {
      this.finish(s, { ok: false, reason: "closed", detail: "the service is stopping" })
      await s.worker.terminate()
    }))
  }

  /** Start waiting jobs on free threads, and threads for them while there are fewer than allowed. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const free = this.slots.find((s) => s.ready && s.job === undefined)
      if (free !== undefined) {
        this.start(free, this.waiting.shift()!)
        continue
      }
      const starting = this.slots.filter((s) => !s.ready).length
      if (this.slots.length < this.options.threads && starting < this.waiting.length) {
        this.spawn()
        continue
      }
      return
    }
  }

  private spawn(): void {
    const worker = new Worker(threadScript)
    // a pool nobody closed must not keep the process alive
    worker.unref()
    const slot: Slot = { worker, ready: false, job: undefined }
    this.slots.push(slot)
    worker.on("message", (reply: Reply) => {
      if ("ready" in reply) {
        slot.ready = true
        this.pump()
        return
      }
      const job = slot.job
      if (job === undefined || job.id !== reply.id) return
      this.finish(slot, reply.ok ? { ok: true, value: reply.value } : { ok: false, reason: "threw", detail: reply.error })
      this.pump()
    })
    worker.on("error", (e) => this.lost(slot, e.stack ?? e.message))
    worker.on("exit", (code) => this.lost(slot, `the job's thread exited (code ${code})`))
  }

  /** A thread died: fail its job; if it never got ready (it cannot start), fail what waits rather than start threads in a loop. */
  private lost(slot: Slot, detail: string): void {
    const at = this.slots.indexOf(slot)
    if (at < 0) return
    this.slots.splice(at, 1)
    this.finish(slot, { ok: false, reason: "failed", detail })
    if (!slot.ready) {
      for (const job of this.waiting.splice(0)) job.done({ ok: false, reason: "failed", detail: `a job thread could not start: ${detail}` })
      return
    }
    this.pump()
  }

  private start(slot: Slot, job: Job): void {
    slot.job = job
    const post = (message: unknown): boolean => {
      try {
        slot.worker.postMessage(message)
        return true
      } catch (e) {
        // the input cannot be cloned (a function, say): a bug on this side, the thread is fine
        this.finish(slot, { ok: false, reason: "threw", detail: e instanceof Error ? e.message : String(e) })
        return false
      }
    }
    const arm = () => {
      job.timer = setTimeout(() => {
        job.done({ ok: false, reason: "deadline", detail: `the job ran for more than ${this.options.deadlineMs} ms` })
        this.retire(slot)
      }, this.options.deadlineMs)
    }
    const keys = (chunkedInputs[job.name] ?? []) as ReadonlyArray<string>
    if (keys.length === 0) {
      if (post({ id: job.id, name: job.name, input: job.input })) arm()
      return
    }
    // the large inputs a slice at a time, the loop free between slices; the deadline counts from the last one
    const input = job.input as Record<string, ReadonlyArray<unknown>>
    const head: Record<string, unknown> = { ...input }
    for (const key of keys) head[key] = []
    if (!post({ id: job.id, name: job.name, input: head, chunked: keys })) return
    let k = 0
    let at = 0
    const next = () => {
      if (slot.job !== job) return
      while (k < keys.length && at >= (input[keys[k]!] ?? []).length) {
        k++
        at = 0
      }
      if (k === keys.length) {
        if (post({ id: job.id, end: true })) arm()
        return
      }
      const key = keys[k]!
      if (!post({ id: job.id, key, items: input[key]!.slice(at, at + chunkSize) })) return
      at += chunkSize
      setImmediate(next)
    }
    setImmediate(next)
  }

  private finish(slot: Slot, outcome: Outcome<unknown>): void {
    const job = slot.job
    if (job === undefined) return
    slot.job = undefined
    clearTimeout(job.timer)
    job.done(outcome)
  }

  /** Stop a thread that runs a job nobody waits for any more (past its deadline, given up), and start a fresh one for what waits. */
  private retire(slot: Slot): void {
    const at = this.slots.indexOf(slot)
    if (at >= 0) this.slots.splice(at, 1)
    const job = slot.job
    slot.job = undefined
    if (job !== undefined) clearTimeout(job.timer)
    void slot.worker.terminate()
    // a fresh thread in its place, so the next heavy request does not wait for one to start
    if (!this.closed && this.slots.length < this.options.threads) this.spawn()
    this.pump()
  }
}
