/**
 * The `handoff` process: runs the command line (cli.ts) with this process's arguments,
 * environment and stdio, and exits with its code (0 done, 1 refused or failed, 2 usage).
 */
import { runHandoffCli } from "./cli.ts"

process.exitCode = await runHandoffCli(process.argv)
