/**
 * `npm run db:migrate`: bring the store to the latest schema. PostgreSQL when
 * `DATABASE_URL` is set, else the embedded database in `HANDOFF_DATA_DIR` (default
 * `.handoff/data`). Safe to run from several processes at once.
 */
import { runMigrations } from "../src/Database.ts"
import { migrations } from "../src/migrations.ts"

const { applied, engine, location } = await runMigrations({ url: process.env.DATABASE_URL, dataDir: process.env.HANDOFF_DATA_DIR })
console.log(`${engine} at ${location}: ${applied.length === 0 ? "already up to date" : `applied ${applied.join(", ")}`} (${Object.keys(migrations).length} migration(s) known)`)
