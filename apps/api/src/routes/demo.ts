/** How far the demo company's seeding is. */
import { Effect } from "effect"
import { type DemoStatus, DemoStatusSchema } from "../demo/index.ts"
import { route } from "../http.ts"

export const demoRoutes = (status: () => DemoStatus) => [
  route({
    method: "get",
    path: "/v1/demo",
    roles: ["read"],
    tag: "Operations",
    summary: "Report the demo company's seeding",
    description: "On a first start in embedded mode the empty store is seeded with the demo company (a quarter of its inbound stream, replayed " +
      "through the real use cases) while the service already answers. This says whether that runs, how far it is (`percent`, the simulated " +
      "clock, leads so far) and, once seeded, what it produced. The weekly report is built once it is done.",
    response: DemoStatusSchema,
    status: 200,
    handler: () => Effect.sync(() => ({ body: status() }))
  })
]
