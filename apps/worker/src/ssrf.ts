/**
 * Where webhooks may not go: private, loopback, link-local, unique-local, CGNAT,
 * multicast, reserved and unspecified addresses (IPv4, IPv6 and IPv4-mapped IPv6) — the
 * ways a webhook URL could reach into the network Handoff runs in. Checked when a
 * subscription is made and again on the address each delivery actually connects to.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns"
import { lookup as lookupAll } from "node:dns/promises"
import { BlockList, isIP } from "node:net"

const blocked = new BlockList()
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24],
  ["224.0.0.0", 4], ["240.0.0.0", 4]
] as const) blocked.addSubnet(net, prefix, "ipv4")
for (const [net, prefix] of [
  ["::", 128], ["::1", 128], ["64:ff9b::", 96], ["100::", 64], ["2001:db8::", 32], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8]
] as const) blocked.addSubnet(net, prefix, "ipv6")

/** True when `address` (an IP literal) is one webhooks must not reach. */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, "ipv4")
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    if (mapped !== null) return blocked.check(mapped[1]!, "ipv4")
    return blocked.check(address, "ipv6")
  }
  return true // not an address at all: refuse
}

export class UrlRefused extends Error {}

/** A `lookup` for node:http that refuses private addresses, so the address connected to is the one checked. */
export const guardedLookup = (
  hostname: string,
  options: object,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
): void => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err !== null) return callback(err, "")
    const bad = addresses.find((a) => isPrivateAddress(a.address))
    if (bad !== undefined) return callback(new UrlRefused(`${hostname} resolves to ${bad.address}, a private or loopback address: refused (HANDOFF_WEBHOOK_ALLOW_PRIVATE=true allows it)`), "")
    if ((options as { all?: boolean }).all === true) return callback(null, addresses)
    const first = addresses[0]!
    callback(null, first.address, first.family)
  })
}

/**
 * Check a webhook URL when a subscription is made: http(s) only, no credentials in it, and
 * (unless allowed) a host that resolves only to public addresses. Returns the fault, if any.
 */
export const webhookUrlFault = async (url: string, allowPrivate: boolean): Promise<string | undefined> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return "not a URL"
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "must be an http or https URL"
  if (parsed.username !== "" || parsed.password !== "") return "must not carry credentials (the deliveries are signed instead)"
  if (allowPrivate) return undefined
  const host = parsed.hostname.replace(/^\[|\]$/g, "")
  try {
    const addresses = await lookupAll(host, { all: true })
    const bad = addresses.find((a) => isPrivateAddress(a.address))
    if (bad !== undefined) return `${parsed.hostname} resolves to ${bad.address}, a private or loopback address: webhooks may not reach it (set HANDOFF_WEBHOOK_ALLOW_PRIVATE=true to allow it)`
    return undefined
  } catch {
    // not resolvable (yet): accepted — each delivery checks the address it connects to
    return undefined
  }
}
