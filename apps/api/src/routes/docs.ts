/** The OpenAPI document and the API reference page. (Being built.) */
import type { AnyRoute } from "../http.ts"

export const docsRoutes = (_routes: () => ReadonlyArray<AnyRoute>): ReadonlyArray<AnyRoute> => []
