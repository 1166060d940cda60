/**
 * @handoff/demo — seed 001's "Company A" as a seeded, deterministic simulation that drives
 * Handoff's real use cases on a simulated clock (`seedDemo`), and the company as data
 * (`companyA`, `makeReps`, `makeAccounts`, `planLeads`).
 */
export * from "./Company.ts"
export * from "./InMemoryAdmin.ts"
export * from "./Random.ts"
export * from "./Simulator.ts"
