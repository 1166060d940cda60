/** Serve an app on a random loopback port (for tests that need a real socket: a browser, the fuzzer). */
import { serve } from "@hono/node-server"
import type { Server } from "node:http"

export interface Served {
  readonly url: string
  readonly close: () => Promise<void>
}

/**
 * Idle keep-alive connections are kept this long (as `npm start` does): with Node's 5 s
 * default, a loaded test machine whose event loop lags can close a socket just as the
 * client reuses it ("other side closed").
 */
const keepAliveMs = 65_000

export const listen = (app: { fetch: (request: Request) => Response | Promise<Response> }): Promise<Served> =>
  new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1", serverOptions: { keepAliveTimeout: keepAliveMs } }, (info) => {
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
