import type { AnyRoute } from "../http.ts"
import { type DemoStatus, noDemoHere } from "../demo/index.ts"
import type { Metrics } from "../metrics.ts"
import { adminRoutes } from "./admin.ts"
import { agreementRoutes } from "./agreement.ts"
import { demoRoutes } from "./demo.ts"
import { docsRoutes } from "./docs.ts"
import { leadRoutes } from "./leads.ts"
import { opportunityRoutes } from "./opportunities.ts"
import { opsRoutes } from "./ops.ts"
import { reportRoutes } from "./reports.ts"

/** Every route of the API, in the order the reference lists them. */
/** `demo`: the demo company's seeding, as far as it is (`GET /v1/demo`; default: nothing seeds here). */
export const allRoutes = (metrics: Metrics, demo: () => DemoStatus = () => noDemoHere): ReadonlyArray<AnyRoute> => {
  const routes: Array<AnyRoute> = [
    ...leadRoutes,
    ...opportunityRoutes,
    ...adminRoutes,
    ...agreementRoutes,
    ...reportRoutes,
    ...opsRoutes(metrics),
    ...demoRoutes(demo)
  ]
  // the reference documents every route, itself included
  return [...routes, ...docsRoutes(() => routes)]
}
