/**
 * `npm run agreement -- <command>`: check an agreement file, print the default one, or
 * print the JSON Schema editors use to validate agreement YAML.
 *
 *   check <file.yaml|file.json>   validate (every fault with path and line) and run its tests
 *   print-default                 the default agreement as YAML
 *   json-schema                   the agreement's JSON Schema
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { agreementJsonSchema } from "../src/AgreementDocument.ts"
import { checkAgreementText } from "../src/AgreementTests.ts"
import { defaultAgreementYaml } from "../src/DefaultAgreement.ts"

const usage = "usage: npm run agreement -- check <file> | print-default | json-schema"

const { positionals } = parseArgs({ allowPositionals: true, args: process.argv.slice(2) })
const [command, file] = positionals
switch (command) {
  case "check": {
    if (file === undefined) {
      console.error(usage)
      process.exitCode = 2
      break
    }
    const { ok, lines } = checkAgreementText(readFileSync(file, "utf8"), file)
    for (const l of lines) console.log(l)
    process.exitCode = ok ? 0 : 1
    break
  }
  case "print-default":
    process.stdout.write(defaultAgreementYaml)
    break
  case "json-schema":
    process.stdout.write(JSON.stringify(agreementJsonSchema(), null, 2) + "\n")
    break
  default:
    console.error(usage)
    process.exitCode = 2
}
