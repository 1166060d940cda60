/**
 * `npm start`. The HTTP API and its embedded Postgres land with issues #3 and #4; until
 * then this checks the default agreement — validates it and runs its own examples — so a
 * newcomer sees the policy Handoff will enforce.
 */
import { checkAgreementText } from "@handoff/domain/AgreementTests"
import { defaultAgreementYaml } from "@handoff/domain/DefaultAgreement"

console.log("Handoff — the HTTP service is not built yet (issues #3–#4: Postgres store and API).")
console.log("Checking the default agreement instead:\n")
const { ok, lines } = checkAgreementText(defaultAgreementYaml, "default agreement")
for (const l of lines) console.log(l)
console.log("\nEdit it: npm run agreement -- print-default > agreement.yaml && npm run agreement -- check agreement.yaml")
process.exitCode = ok ? 0 : 1
