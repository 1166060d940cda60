// The body of each heavy-job thread. Node 20 cannot load TypeScript by itself, so the thread
// first installs tsx's loader (the same one `npm start` runs under; vitest's own loader does
// not reach worker threads), then loads the jobs and runs one at a time as the pool sends them.
import { parentPort } from "node:worker_threads"
import { register } from "tsx/esm/api"

register()
const { jobs } = await import("./jobs.ts")

parentPort.on("message", (message) => {
  const { id, name, input } = message
  try {
    const job = jobs[name]
    if (typeof job !== "function") throw new Error(`no job named ${name}`)
    parentPort.postMessage({ id, ok: true, value: job(input) })
  } catch (e) {
    // a bug in a job, or a result that cannot be cloned: the request fails, the thread lives on
    parentPort.postMessage({ id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) })
  }
})
parentPort.postMessage({ ready: true })
