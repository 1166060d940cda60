/** Reps, accounts, pods' ledgers, API keys and webhook subscriptions. (Being built.) */
import type { AnyRoute } from "../http.ts"

export const adminRoutes: ReadonlyArray<AnyRoute> = []
