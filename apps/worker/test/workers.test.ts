/**
 * The worker as operators run it: several `npm run worker` processes on one database.
 *
 * - 4 processes over 10,000 breached accept SLAs: each lead reassigned to the backup pod
 *   exactly once, none missed, none owned twice, the backup rotation fair; figures printed.
 * - kill -9 of a process in the middle of a sweep, then a replacement: nothing lost,
 *   nothing done twice (ledger, timeline and outbox counted per lead); SIGTERM stops the
 *   replacement cleanly (exit 0) after its batch commits.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import pg from "pg"
import { openSchema, postgresAvailable, postgresUrl, reassignedBy, seedBreached, startWorker, team, type TestSchema, waitFor, type WorkerProcess } from "./fixtures.ts"

const open: Array<TestSchema> = []
const running: Array<WorkerProcess> = []
afterEach(async () => {
  for (const w of running.splice(0)) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL")
  for (const t of open.splice(0)) await t.close()
})

/** One number from a query on the test schema. */
const num = async (t: TestSchema, text: string, params: ReadonlyArray<unknown> = []): Promise<number> => {
  const c = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${t.schema}` })
  await c.connect()
  try {
    const r = await c.query(text, [...params])
    return Number(r.rows[0]?.n ?? 0)
  } finally {
    await c.end()
  }
}

/** Leads of the batch for which `join` finds a count other than `expected` (0 = every lead has exactly that many). */
const notExactly = (t: TestSchema, like: string, join: string, expected = 1) =>
  num(t, `select count(*)::int as n from (select l.id, count(x.lead_id) as c from leads l left join ${join} where l.id like $1 group by l.id) per where c <> ${expected}`, [like])

/** Per-lead counts of what a reassignment writes; every one must be exactly 1 (the assignments 2) for every lead. */
const audit = async (t: TestSchema, prefix: string) => {
  const like = `lead_${prefix}_%`
  const c = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${t.schema}` })
  await c.connect()
  const credits = (await c.query("select rep_id, count(*)::int as n from rotation_ledger where pod = 'ae-backup' and kind = 'credit' group by rep_id order by rep_id")).rows as Array<{ rep_id: string; n: number }>
  await c.end()
  return {
    leads: await num(t, "select count(*)::int as n from leads where id like $1", [like]),
    missed: await num(t, "select count(*)::int as n from leads where id like $1 and (owner_id in ('ae-1', 'ae-2') or owner_id is null)", [like]),
    due: await num(t, "select count(*)::int as n from leads where id like $1 and next_deadline_at < now()", [like]),
    reassignNot1: await notExactly(t, like, "lead_timeline x on x.lead_id = l.id and x.cause = 'Reassign'"),
    breachNot1: await notExactly(t, like, "lead_timeline x on x.lead_id = l.id and x.cause = 'SlaBreach'"),
    creditNot1: await notExactly(t, like, "rotation_ledger x on x.lead_id = l.id and x.kind = 'credit' and x.pod = 'ae-backup'"),
    reassignedOutboxNot1: await notExactly(t, like, "(select key as lead_id from outbox where topic = 'lead.reassigned') x on x.lead_id = l.id"),
    breachedOutboxNot1: await notExactly(t, like, "(select key as lead_id from outbox where topic = 'sla.breached') x on x.lead_id = l.id"),
    assignmentsNot2: await notExactly(t, like, "assignments x on x.lead_id = l.id", 2),
    credits: Object.fromEntries(credits.map((r) => [r.rep_id, Number(r.n)]))
  }
}

const done = (t: TestSchema, prefix: string) => async () =>
  (await num(t, "select count(*)::int as n from leads where id like $1 and next_deadline_at < now()", [`lead_${prefix}_%`])) === 0

describe.skipIf(!postgresAvailable)("worker processes on one Postgres", () => {
  it("4 processes over 10,000 breached assignments: each reassigned exactly once, 0 missed, 0 double-owned", async () => {
    const t = await openSchema(team)
    open.push(t)
    const seeding = Date.now()
    await seedBreached(t, 10_000, "big")
    const seeded = Date.now() - seeding
    const workers = ["w1", "w2", "w3", "w4"].map((name) => startWorker(name, t.schema))
    running.push(...workers)
    const started = Date.now()
    await waitFor("every worker to start", async () => workers.every((w) => w.lines().some((l) => l.msg === "worker running")), 60_000)
    const ready = Date.now()
    await waitFor("every breach handled", done(t, "big"), 120_000)
    const finished = Date.now()
    // let the logs of the last batches arrive, then stop everyone gracefully
    await new Promise((r) => setTimeout(r, 500))
    for (const w of workers) w.child.kill("SIGTERM")
    const exits = await Promise.all(workers.map((w) => w.exited))
    const a = await audit(t, "big")
    const per = workers.map(reassignedBy)
    console.log(`[figures] 4 worker processes × 10,000 breached assignments: reassigned ${per.reduce((x, y) => x + y, 0)} (per worker ${per.join("/")}), ` +
      `missed ${a.missed}, reassigned twice or never ${a.reassignNot1}, double credits ${a.creditNot1}; backup credits ${JSON.stringify(a.credits)}; ` +
      `${((finished - ready) / 1000).toFixed(1)} s from all workers running to done (${((finished - started) / 1000).toFixed(1)} s including process start; seeding ${(seeded / 1000).toFixed(1)} s)`)
    expect(exits.every((e) => e.code === 0)).toBe(true)
    expect(per.reduce((x, y) => x + y, 0)).toBe(10_000)
    expect(per.filter((n) => n > 0).length).toBeGreaterThan(1)
    expect(a).toMatchObject({ leads: 10_000, missed: 0, due: 0, reassignNot1: 0, breachNot1: 0, creditNot1: 0, reassignedOutboxNot1: 0, breachedOutboxNot1: 0, assignmentsNot2: 0 })
    const counts = Object.values(a.credits)
    expect(counts.reduce((x, y) => x + y, 0)).toBe(10_000)
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    expect(finished - ready).toBeLessThan(60_000)
  }, 300_000)

  it("kill -9 in the middle of a sweep, then a restart: nothing lost, nothing done twice; SIGTERM exits 0", async () => {
    const t = await openSchema(team)
    open.push(t)
    await seedBreached(t, 3_000, "kill")
    // small batches so the kill lands between and inside batches
    const env = { HANDOFF_WORKER_SLA_BATCH: "50", HANDOFF_WORKER_SLA_INTERVAL_MS: "100" }
    const victim = startWorker("victim", t.schema, env)
    const other = startWorker("other", t.schema, env)
    running.push(victim, other)
    await waitFor("the victim's first batch", async () => reassignedBy(victim) > 0, 60_000, 20)
    victim.child.kill("SIGKILL")
    const killed = await victim.exited
    const byVictim = reassignedBy(victim)
    const replacement = startWorker("replacement", t.schema, env)
    running.push(replacement)
    await waitFor("every breach handled", done(t, "kill"), 120_000)
    await new Promise((r) => setTimeout(r, 300))
    replacement.child.kill("SIGTERM")
    other.child.kill("SIGTERM")
    const [r1, r2] = await Promise.all([replacement.exited, other.exited])
    const a = await audit(t, "kill")
    console.log(`[figures] kill -9 mid-sweep: victim logged ${byVictim} reassignments before ${killed.signal}; other ${reassignedBy(other)}, replacement ${reassignedBy(replacement)}; ` +
      `missed ${a.missed}, reassigned twice or never ${a.reassignNot1}, outbox lead.reassigned ≠ 1: ${a.reassignedOutboxNot1}, ledger credits ≠ 1: ${a.creditNot1}`)
    expect(killed.signal).toBe("SIGKILL")
    expect(a).toMatchObject({ leads: 3_000, missed: 0, due: 0, reassignNot1: 0, breachNot1: 0, creditNot1: 0, reassignedOutboxNot1: 0, breachedOutboxNot1: 0, assignmentsNot2: 0 })
    // what the killed worker logged was committed; what it had not committed was done by the others, once
    expect(byVictim + reassignedBy(other) + reassignedBy(replacement)).toBeLessThanOrEqual(3_000)
    expect([r1.code, r2.code]).toEqual([0, 0])
    expect(replacement.output()).toContain(`"msg":"stopped"`)
  }, 300_000)
})
