/** Opportunities: open and close. (Being built.) */
import type { AnyRoute } from "../http.ts"

export const opportunityRoutes: ReadonlyArray<AnyRoute> = []
