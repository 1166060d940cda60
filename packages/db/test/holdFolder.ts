/** Test helper process: open the embedded store at HANDOFF_DATA_DIR, say so, and hold it until killed. */
import { openDatabase } from "../src/Database.ts"

await openDatabase({ dataDir: process.env.HANDOFF_DATA_DIR! })
process.stdout.write("open\n")
setInterval(() => undefined, 60_000)
