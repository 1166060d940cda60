/** Report data: waterfall, attribution, SLA, rejections, calibration, limbo. (Being built.) */
import type { AnyRoute } from "../http.ts"

export const reportRoutes: ReadonlyArray<AnyRoute> = []
