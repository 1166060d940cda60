/**
 * @handoff/worker — the sweeps and the outbox delivery pass as Effect schedules
 * (`runWorker`), the environment configuration (`workerConfig`), and `startWorker` for
 * running them inside another process's runtime (the API's embedded mode).
 */
export * from "./log.ts"
export * from "./Worker.ts"
