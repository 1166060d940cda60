/**
 * API keys: `hk_<role>_<32 random bytes, base64url>`. Only the SHA-256 of a key is stored;
 * the key itself is shown once, when it is created. The first characters (`prefix`) are
 * kept to recognise a key in lists.
 */
import { ApiKeyStore, type ApiRole } from "@handoff/db"
import { Clock, Effect } from "effect"
import { createHash, randomBytes } from "node:crypto"

export const apiRoles: ReadonlyArray<ApiRole> = ["ingest", "sales", "admin", "read"]

export const hashKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex")

export const generateKey = (role: ApiRole): string => `hk_${role}_${randomBytes(32).toString("base64url")}`

/** Create a key: returns the record and the secret (shown once, never stored). */
export const createApiKey = (name: string, role: ApiRole, secret?: string) =>
  Effect.gen(function*() {
    const keys = yield* ApiKeyStore
    const key = secret ?? generateKey(role)
    const at = new Date(yield* Clock.currentTimeMillis)
    const record = yield* keys.create({ id: `key_${randomBytes(8).toString("hex")}`, name, role, hash: hashKey(key), prefix: key.slice(0, 12), at })
    return { record, key }
  })

/**
 * First start: with no admin key yet, install `HANDOFF_ADMIN_KEY` if given, or generate one
 * and return it so the caller prints it once.
 */
export const ensureAdminKey = (given: string | undefined) =>
  Effect.gen(function*() {
    const keys = yield* ApiKeyStore
    if ((yield* keys.countLive("admin")) > 0) return { installed: false as const }
    const { key, record } = yield* createApiKey("initial admin", "admin", given)
    return { installed: true as const, generated: given === undefined, key, record }
  })
