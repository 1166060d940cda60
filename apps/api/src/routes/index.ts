import type { AnyRoute } from "../http.ts"
import type { Metrics } from "../metrics.ts"
import { adminRoutes } from "./admin.ts"
import { agreementRoutes } from "./agreement.ts"
import { docsRoutes } from "./docs.ts"
import { leadRoutes } from "./leads.ts"
import { opportunityRoutes } from "./opportunities.ts"
import { opsRoutes } from "./ops.ts"
import { reportRoutes } from "./reports.ts"

/** Every route of the API, in the order the reference lists them. */
export const allRoutes = (metrics: Metrics): ReadonlyArray<AnyRoute> => {
  const routes: Array<AnyRoute> = [
    ...leadRoutes,
    ...opportunityRoutes,
    ...adminRoutes,
    ...agreementRoutes,
    ...reportRoutes,
    ...opsRoutes(metrics)
  ]
  // the reference documents every route, itself included
  return [...routes, ...docsRoutes(() => routes)]
}
