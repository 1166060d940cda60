/**
 * JSON log lines with a request id. Secrets never reach a line: fields whose names look
 * secret (authorization, key, secret, password, token) are replaced, and so are API keys
 * and connection-string passwords found inside values.
 */
export interface Logger {
  readonly info: (msg: string, fields?: Record<string, unknown>) => void
  readonly error: (msg: string, fields?: Record<string, unknown>) => void
}

const secretName = /authorization|secret|password|passwd|token|api[-_]?key|^key$/i
const keyPattern = /hk_[a-z]+_[A-Za-z0-9_-]{10,}/g
const urlPassword = /(\w+:\/\/[^:/\s]+:)[^@/\s]+@/g

export const redact = (value: unknown, name = ""): unknown => {
  if (secretName.test(name)) return "[redacted]"
  if (typeof value === "string") return value.replace(keyPattern, "hk_[redacted]").replace(urlPassword, "$1***@")
  if (Array.isArray(value)) return value.map((v) => redact(v))
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]))
  return value
}

export const jsonLogger = (write: (line: string) => void = (l) => process.stdout.write(l + "\n")): Logger => {
  const emit = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...(redact(fields) as Record<string, unknown>) }))
  return { info: (m, f) => emit("info", m, f), error: (m, f) => emit("error", m, f) }
}

export const silentLogger: Logger = { info: () => undefined, error: () => undefined }
