/**
 * The worker through a PostgreSQL outage: it says so once (not once a second per job),
 * backs off, and resumes by itself when the server is back — saying that once too.
 */
import { Db, openDatabase, StoreAdmin, storeLayer } from "@handoff/db"
import { freshSchema, postgresAvailable, postgresUrl, tcpProxy } from "@handoff/db/testing"
import { HandoffLive } from "@handoff/domain"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { runWorker, withTick, workerConfig } from "../src/Worker.ts"

const available = await postgresAvailable()
const cleanup: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined)
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.runIf(available)("the worker during a store outage", () => {
  it("logs the outage once, backs off, and logs the recovery once", async () => {
    const target = new URL(postgresUrl)
    const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    cleanup.push(() => proxy.close())
    const { schema, drop } = await freshSchema()
    cleanup.push(drop)
    target.host = `127.0.0.1:${proxy.port}`
    const db = await openDatabase({ url: target.toString(), schema, poolSize: 4 })
    cleanup.push(() => db.close())
    const runtime = ManagedRuntime.make(HandoffLive.pipe(Layer.provideMerge(storeLayer), Layer.provideMerge(Db.fromOpen(db))) as Layer.Layer<any, never, never>)
    cleanup.push(() => runtime.dispose())
    await runtime.runPromise(Effect.flatMap(StoreAdmin, (a) => a.ensureAgreement(new Date())))
    const lines: Array<{ level: string; msg: string; fields?: unknown }> = []
    const log = {
      info: (msg: string) => lines.push({ level: "info", msg }),
      error: (msg: string, fields?: unknown) => lines.push({ level: "error", msg, fields })
    }
    const config = withTick(await Effect.runPromise(workerConfig), 100)
    const fiber = runtime.runFork(runWorker({ ...config, jobs: ["sla", "decay", "reevaluate", "inactivity"] }, { log }))
    cleanup.push(() => runtime.runPromise(Effect.asVoid(fiber.interruptAsFork(fiber.id()))))
    await sleep(1_000)
    expect(lines.filter((l) => l.level === "error")).toEqual([])

    await proxy.down()
    await sleep(4_000) // four jobs ticking every 100 ms: ~160 failed ticks without the back-off
    const during = lines.filter((l) => l.level === "error")
    if (during.length !== 1) console.log(during.slice(0, 3))
    expect(during.map((l) => l.msg)).toEqual(["store unavailable: the worker backs off until it answers"])

    await proxy.up()
    let back = false
    for (let i = 0; i < 100 && !back; i++) {
      await sleep(200)
      back = lines.some((l) => l.msg === "store is back: the worker resumes")
    }
    expect(back).toBe(true)
    expect(lines.filter((l) => l.msg.startsWith("store")).map((l) => l.msg)).toEqual([
      "store unavailable: the worker backs off until it answers",
      "store is back: the worker resumes"
    ])
  }, 90_000)
})
