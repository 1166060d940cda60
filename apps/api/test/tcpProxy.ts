/**
 * A TCP proxy in front of PostgreSQL that a test can cut ("the server is down": every
 * connection dropped, new ones refused) or freeze ("the server stopped answering": bytes
 * are accepted and never forwarded, as with a SIGSTOPped server) and then restore.
 */
import { createServer, type Server, Socket } from "node:net"

export interface TcpProxy {
  readonly port: number
  readonly down: () => Promise<void>
  readonly freeze: () => void
  readonly up: () => Promise<void>
  readonly close: () => Promise<void>
}

export const tcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  let frozen = false
  const pairs = new Set<[Socket, Socket]>()
  const server: Server = createServer((client) => {
    const upstream = new Socket()
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on("error", end).on("close", end)
    upstream.on("error", end).on("close", end)
    upstream.connect(target.port, target.host)
    client.pipe(upstream)
    upstream.pipe(client)
    if (frozen) {
      client.unpipe(upstream)
      upstream.unpipe(client)
      client.pause()
      upstream.pause()
    }
  })
  const listenOn = (port: number) => new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve())
  })
  await listenOn(0)
  const port = (server.address() as { port: number }).port
  return {
    port,
    down: () => new Promise<void>((resolve) => {
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      server.close(() => resolve())
    }),
    // like a SIGSTOPped server: what is sent waits in the socket buffers, and is answered on thaw
    freeze: () => {
      frozen = true
      for (const [a, b] of pairs) {
        a.unpipe(b)
        b.unpipe(a)
        a.pause()
        b.pause()
      }
    },
    up: async () => {
      if (frozen) {
        for (const [a, b] of pairs) {
          a.pipe(b)
          b.pipe(a)
        }
      }
      frozen = false
      if (!server.listening) await listenOn(port)
    },
    close: () => new Promise<void>((resolve) => {
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      if (server.listening) server.close(() => resolve())
      else resolve()
    })
  }
}
