/**
 * JSON log lines for the worker (one object per line: time, level, msg, fields). The same
 * shape as the API's logger, so the API's embedded mode can hand its own logger over.
 * Connection-string passwords never reach a line.
 */
export interface Logger {
  readonly info: (msg: string, fields?: Record<string, unknown>) => void
  readonly error: (msg: string, fields?: Record<string, unknown>) => void
}

const urlPassword = /(\w+:\/\/[^:/\s]+:)[^@/\s]+@/g

const scrub = (value: unknown): unknown => {
  if (typeof value === "string") return value.replace(urlPassword, "$1***@")
  if (Array.isArray(value)) return value.map(scrub)
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]))
  }
  return value
}

export const jsonLogger = (write: (line: string) => void = (l) => process.stdout.write(l + "\n")): Logger => {
  const emit = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...(scrub(fields) as Record<string, unknown>) }))
  return { info: (m, f) => emit("info", m, f), error: (m, f) => emit("error", m, f) }
}

export const silentLogger: Logger = { info: () => undefined, error: () => undefined }
