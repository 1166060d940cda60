// The body of each heavy-job thread. Node 20 cannot load TypeScript by itself, so the thread
// first installs tsx's loader (the same one `npm start` runs under; vitest's own loader does
// not reach worker threads), then loads the jobs and runs one at a time as the pool sends them.
import { parentPort } from "node:worker_threads"
import { register } from "tsx/esm/api"

register()
const { jobs } = await import("./jobs.ts")

/** A job whose large inputs arrive in slices (`chunked`: their keys), until `end`. */
let pending

const run = (id, name, input) => {
  try {
    const job = jobs[name]
    if (typeof job !== "function") throw new Error(`no job named ${name}`)
    parentPort.postMessage({ id, ok: true, value: job(input) })
  } catch (e) {
    // a bug in a job, or a result that cannot be cloned: the request fails, the thread lives on
    parentPort.postMessage({ id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) })
  }
}

parentPort.on("message", (message) => {
  if (message.chunked !== undefined) {
    pending = { id: message.id, name: message.name, input: message.input }
    return
  }
  if (message.items !== undefined) {
    if (pending?.id !== message.id) return
    const into = pending.input[message.key]
    for (const item of message.items) into.push(item)
    return
  }
  if (message.end === true) {
    if (pending?.id !== message.id) return
    const { id, input, name } = pending
    pending = undefined
    run(id, name, input)
    return
  }
  run(message.id, message.name, message.input)
})
parentPort.postMessage({ ready: true })
