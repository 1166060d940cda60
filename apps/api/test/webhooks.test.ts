/** Webhook deliveries through the API: the address guard at subscription time, dead letters listed, a retry re-queued. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { deliverOnce } from "@handoff/worker/delivery"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { startTestApi, type TestApi } from "./harness.ts"

let api: TestApi
let server: Server
let hookUrl: string
let hits = 0
beforeAll(async () => {
  api = await startTestApi()
  server = createServer((req, res) => {
    hits++
    req.resume()
    req.on("end", () => {
      res.statusCode = 502
      res.end("down for maintenance")
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
})
afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((r) => server?.close(r))
  await api?.close()
  delete process.env.HANDOFF_WEBHOOK_ALLOW_PRIVATE
})

describe("webhook deliveries over the API", () => {
  it("refuses a subscription to a loopback or private address unless HANDOFF_WEBHOOK_ALLOW_PRIVATE is set", async () => {
    for (const url of [hookUrl, "http://10.0.0.8/hook", "http://169.254.169.254/latest", "http://[::1]:8080/x"]) {
      const res = await api.call("POST", "/v1/webhooks", { body: { url, topics: ["lead.routed"] } })
      expect(res.status, url).toBe(422)
      expect(res.body.errors).toEqual([{ path: "url", message: expect.stringMatching(/private or loopback/) }])
    }
    process.env.HANDOFF_WEBHOOK_ALLOW_PRIVATE = "true"
    expect((await api.call("POST", "/v1/webhooks", { body: { url: hookUrl, topics: ["lead.routed"] } })).status).toBe(201)
  })

  it("refuses every IPv6 form of loopback: IPv4-mapped, IPv4-compatible, SIIT, 6to4, NAT64", async () => {
    delete process.env.HANDOFF_WEBHOOK_ALLOW_PRIVATE
    for (const url of [
      "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::7f00:1]/", "http://[::127.0.0.1]/", "http://[::ffff:0:7f00:1]/",
      "http://[2002:7f00:1::]/", "http://[64:ff9b::7f00:1]/", "http://[0:0:0:0:0:0:0:1]:8080/hook", "http://[::FFFF:7F00:0001]/"
    ]) {
      const res = await api.call("POST", "/v1/webhooks", { body: { url, topics: ["lead.routed"] } })
      expect(res.status, url).toBe(422)
      expect(res.body.errors, url).toEqual([{ path: "url", message: expect.stringMatching(/private or loopback/) }])
    }
  })

  it("lists a failing receiver's dead letters with the last error, and re-queues one on request", async () => {
    process.env.HANDOFF_WEBHOOK_ALLOW_PRIVATE = "true"
    const sub = await api.call("POST", "/v1/webhooks", { body: { url: hookUrl, topics: ["lead.routed"] } })
    const lead = await api.call("POST", "/v1/leads", { body: { email: "vp@dead-letter.example", title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" } })
    expect(lead.body.owner.repId).toMatch(/^ae-/)
    const config = { batchSize: 50, timeoutMs: 500, allowPrivate: true, maxAgeMs: 1_000, baseDelayMs: 10, maxDelayMs: 50 } // a window several attempts wide, even on a busy machine
    const path = `/v1/webhooks/${sub.body.id}/deliveries`
    for (let i = 0; i < 200; i++) {
      await api.runtime.runPromise(deliverOnce(config))
      if ((await api.call("GET", `${path}?status=dead`)).body.items.length > 0) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const dead = await api.call("GET", `${path}?status=dead`)
    expect(dead.status).toBe(200)
    expect(dead.body.items).toHaveLength(1)
    expect(dead.body.items[0]).toMatchObject({ topic: "lead.routed", key: lead.body.id, status: "dead", lastStatus: 502, nextAttemptAt: null })
    expect(dead.body.items[0].lastError).toMatch(/HTTP 502: down for maintenance/)
    expect(dead.body.items[0].attempts).toBeGreaterThan(1)
    expect(hits).toBeGreaterThan(1)

    const retry = await api.call("POST", `${path}/${dead.body.items[0].id}/retry`)
    expect(retry.status).toBe(200)
    expect(retry.body).toMatchObject({ status: "pending", firstAttemptAt: null })
    expect((await api.call("GET", `${path}?status=pending`)).body.items).toHaveLength(1)
    expect((await api.call("POST", `${path}/${dead.body.items[0].id}/retry`)).status).toBe(404)
    expect((await api.call("GET", "/v1/webhooks/whk_nope/deliveries")).status).toBe(404)
    expect((await api.call("GET", `${path}?status=lost`)).status).toBe(422)
    expect((await api.call("GET", path, { key: api.keys.read })).status).toBe(403)
  })
})
