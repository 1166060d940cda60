/**
 * Lending the embedded store's session to another thread (the demo's seeder): the borrower's
 * units run whole, requests waiting for the session go ahead of the borrower's next unit, and
 * a borrower that goes away mid-unit leaves nothing half-written. The borrower runs in this
 * thread here — the ports behave the same whichever thread holds them.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Database, openDatabase } from "../src/Database.ts"

const account = (domain: string) => ({ domain, name: domain, named: true, owner_rep_id: null, active_outbound: false, segment: null, updated_at: new Date() })

// one store for the file (opening one costs seconds); each test lends it anew and uses its own domains
let lender: Database
beforeAll(async () => {
  lender = await openDatabase({ dataDir: join(mkdtempSync(join(tmpdir(), "handoff-lend-")), "data") })
}, 60_000)
afterAll(() => lender.close())

const domains = async (like: string) =>
  (await lender.kysely.selectFrom("accounts").select("domain").where("domain", "like", like).orderBy("domain").execute()).map((r) => r.domain)

const deferred = () => {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

describe("lending the embedded session to another thread", () => {
  it("a borrowed unit commits on the lender's store and the lender reads it", async () => {
    const borrower = await openDatabase({ borrowed: lender.lend!().lent })
    await borrower.kysely.transaction().execute(async (tx) => {
      await tx.insertInto("accounts").values(account("a.one.com")).execute()
      await tx.insertInto("accounts").values(account("b.one.com")).execute()
    })
    expect(await domains("%.one.com")).toEqual(["a.one.com", "b.one.com"])
    await borrower.close()
  })

  it("a request waiting for the session goes ahead of the borrower's next unit, never inside its transaction", async () => {
    {
      const borrower = await openDatabase({ borrowed: lender.lend!().lent })
      const order: Array<string> = []
      const inside = deferred()
      const finish = deferred()
      const first = borrower.kysely.transaction().execute(async (tx) => {
        await tx.insertInto("accounts").values(account("first.two.com")).execute()
        inside.resolve()
        await finish.promise
        order.push("borrower unit 1")
      })
      await inside.promise
      // while the borrower holds the session: its next unit queues, then a request does (well
      // within the time after which a waiting background unit goes first)
      const second = borrower.kysely.transaction().execute(async (tx) => {
        await tx.insertInto("accounts").values(account("second.two.com")).execute()
        order.push("borrower unit 2")
      })
      await new Promise((r) => setTimeout(r, 10))
      const request = domains("%.two.com").then((seen) => {
        order.push("request")
        return seen
      })
      await new Promise((r) => setTimeout(r, 10))
      expect(order).toEqual([])
      finish.resolve()
      const [seen] = await Promise.all([request, first, second])
      expect(order).toEqual(["borrower unit 1", "request", "borrower unit 2"])
      // the request saw the first unit whole and nothing of the second
      expect(seen).toEqual(["first.two.com"])
      await borrower.close()
    }
  })

  it("a steady stream of requests does not stop the borrower: its waiting unit gets its turn while the requests go on", async () => {
    const borrower = await openDatabase({ borrowed: lender.lend!().lent })
    let streaming = true
    let requests = 0
    let requestsWhenDone: number | undefined
    // one request after another, each acquiring the session as soon as the last released it
    const stream = (async () => {
      const until = Date.now() + 10_000
      while (streaming && Date.now() < until) {
        await lender.kysely.selectFrom("accounts").select("domain").limit(1).execute()
        requests++
      }
    })()
    await new Promise((r) => setTimeout(r, 50))
    await borrower.kysely.insertInto("accounts").values(account("aged.four.com")).execute()
    requestsWhenDone = requests
    await new Promise((r) => setTimeout(r, 50))
    streaming = false
    await stream
    expect(await domains("%.four.com")).toEqual(["aged.four.com"])
    // the requests were still coming when the borrower's unit went through, and went on after it
    expect(requestsWhenDone).toBeGreaterThan(0)
    expect(requests).toBeGreaterThan(requestsWhenDone)
    await borrower.close()
  })

  it("a borrower that goes away mid-unit leaves nothing of it, and the lender serves on", async () => {
    {
      const lending = lender.lend!()
      const borrower = await openDatabase({ borrowed: lending.lent })
      const inside = deferred()
      const abandoned = borrower.kysely.transaction().execute(async (tx) => {
        await tx.insertInto("accounts").values(account("half.three.com")).execute()
        inside.resolve()
        await new Promise(() => undefined) // the thread dies here
      })
      void abandoned.catch(() => undefined)
      await inside.promise
      // the borrower's thread ending closes its ports: the lender takes the session back
      lending.lent.control.close()
      expect(await domains("%.three.com")).toEqual([])
      // (one session: had the half unit stayed open, the lender would have seen its row above)
      await lender.kysely.insertInto("accounts").values(account("after.three.com")).execute()
      expect(await domains("%.three.com")).toEqual(["after.three.com"])
    }
  })
})
