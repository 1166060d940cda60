// The demo company's seeding thread. Node 20 cannot load TypeScript by itself, so the thread
// first installs tsx's loader (the one `npm start` runs under), then runs the seeder.
import { register } from "tsx/esm/api"

register()
await import("./seeder.ts")
