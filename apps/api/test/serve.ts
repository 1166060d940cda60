/** Serve an app on a random loopback port (for tests that need a real socket: a browser, the fuzzer). */
import { serve } from "@hono/node-server"
import type { Server } from "node:http"

export interface Served {
  readonly url: string
  readonly close: () => Promise<void>
}

export const listen = (app: { fetch: (request: Request) => Response | Promise<Response> }): Promise<Served> =>
  new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            const s = server as Server
            s.close(() => done())
            s.closeAllConnections()
          })
      })
    })
    server.once("error", reject)
  })
