#!/usr/bin/env node
// `handoff`: the CLI (apps/api/src/cliMain.ts, the commands in cli.ts). Node 20 cannot run TypeScript, so tsx's loader is
// registered in this process first; arguments, stdio, signals and the exit code are the CLI's own.
import { register } from "tsx/esm/api"
import { fileURLToPath } from "node:url"

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) })
await import("../src/cliMain.ts")
