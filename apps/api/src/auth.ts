/**
 * API keys: `hk_<role>_<32 random bytes, base64url>`. Only the SHA-256 of a key is stored;
 * the key itself is shown once, when it is created. The first characters (`prefix`) are
 * kept to recognise a key in lists.
 */
import { ApiKeyStore, type ApiRole } from "@handoff/db"
import { RepDirectory } from "@handoff/domain"
import { Clock, Effect, Option } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { InvalidInput } from "./problem.ts"

export const apiRoles: ReadonlyArray<ApiRole> = ["ingest", "sales", "admin", "read"]

export const hashKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex")

export const generateKey = (role: ApiRole): string => `hk_${role}_${randomBytes(32).toString("base64url")}`

export interface KeyOptions {
  /** Install this secret instead of generating one (`HANDOFF_ADMIN_KEY`). */
  readonly secret?: string
  /** Bind a sales key to this rep: it then acts only as that rep. */
  readonly repId?: string
}

/**
 * Create a key: returns the record and the secret (shown once, never stored). Only a sales
 * key can be bound to a rep, and the rep must exist (422 with the path `repId` otherwise).
 */
export const createApiKey = (name: string, role: ApiRole, options: KeyOptions = {}) =>
  Effect.gen(function*() {
    const { repId } = options
    if (repId !== undefined) {
      if (role !== "sales") return yield* Effect.fail(bindingFault(`only a sales key can be bound to a rep, not a ${role} key`))
      if (Option.isNone(yield* (yield* RepDirectory).get(repId))) return yield* Effect.fail(bindingFault(`there is no rep with id ${repId} (create it first: PUT /v1/reps/{id})`))
    }
    const keys = yield* ApiKeyStore
    const key = options.secret ?? generateKey(role)
    const at = new Date(yield* Clock.currentTimeMillis)
    const record = yield* keys.create({ id: `key_${randomBytes(8).toString("hex")}`, name, role, hash: hashKey(key), prefix: key.slice(0, 12), ...(repId === undefined ? {} : { repId }), at })
    return { record, key }
  })

const bindingFault = (message: string) => new InvalidInput({ status: 422, message: `The key cannot be bound: ${message}.`, errors: [{ path: "repId", message }] })

/**
 * First start: with no admin key yet, install `HANDOFF_ADMIN_KEY` if given, or generate one
 * and return it so the caller prints it once.
 */
export const ensureAdminKey = (given: string | undefined) =>
  Effect.gen(function*() {
    const keys = yield* ApiKeyStore
    if ((yield* keys.countLive("admin")) > 0) return { installed: false as const }
    const { key, record } = yield* createApiKey("initial admin", "admin", given === undefined ? {} : { secret: given }).pipe(Effect.orDie)
    return { installed: true as const, generated: given === undefined, key, record }
  })
