/** The agreement: active version, new versions, history, preview, simulate. (Being built.) */
import type { AnyRoute } from "../http.ts"

export const agreementRoutes: ReadonlyArray<AnyRoute> = []
