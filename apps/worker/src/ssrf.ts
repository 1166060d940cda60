/**
 * Where webhooks may not go: private, loopback, link-local, unique-local, CGNAT,
 * multicast, reserved and unspecified addresses — IPv4, IPv6, and every IPv6 form that
 * carries an IPv4 (mapped, compatible, SIIT, NAT64, 6to4, Teredo) — the ways a webhook URL
 * could reach into the network Handoff runs in. Checked when a
 * subscription is made and again on the address each delivery actually connects to.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns"
import { lookup as lookupAll } from "node:dns/promises"
import { isIP } from "node:net"
import ipaddr from "ipaddr.js"

/**
 * IPv4 ranges refused besides what ipaddr.js already calls non-unicast (private, loopback,
 * link-local, CGNAT, multicast, broadcast, reserved and test nets, unspecified).
 */
const alsoRefusedV4: ReadonlyArray<[ipaddr.IPv4, number]> = [ipaddr.IPv4.parseCIDR("0.0.0.0/8")]

const publicV4 = (a: ipaddr.IPv4): boolean => a.range() === "unicast" && !alsoRefusedV4.some((cidr) => a.match(cidr))

const v4Of = (hi: number, lo: number): ipaddr.IPv4 => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff])

/**
 * The IPv4 addresses an IPv6 address carries, for the forms that reach an IPv4 host:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, deprecated), SIIT
 * (::ffff:0:a.b.c.d), NAT64's well-known prefix (64:ff9b::a.b.c.d), 6to4 (2002:AABB:CCDD::)
 * and Teredo (its server, and its client stored inverted). Undefined: not such a form.
 */
const embeddedV4 = (a: ipaddr.IPv6): ReadonlyArray<ipaddr.IPv4> | undefined => {
  const p = a.parts
  switch (a.range()) {
    case "ipv4Mapped":
    case "rfc6145":
      return [v4Of(p[6]!, p[7]!)]
    case "6to4":
      return [v4Of(p[1]!, p[2]!)]
    case "teredo":
      return [v4Of(p[2]!, p[3]!), v4Of(~p[6]! & 0xffff, ~p[7]! & 0xffff)]
    case "rfc6052":
      // the well-known /96 carries the address in its last 32 bits; the local-use /48 is private by definition
      return p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 ? [v4Of(p[6]!, p[7]!)] : [new ipaddr.IPv4([10, 0, 0, 0])]
  }
  // IPv4-compatible: the first 96 bits zero (:: and ::1 are ranges of their own)
  if (p.slice(0, 6).every((x) => x === 0) && a.range() === "unicast") return [v4Of(p[6]!, p[7]!)]
  return undefined
}

/**
 * True when `address` (an IP literal) is one webhooks must not reach: any IPv4 that is not
 * public unicast, any IPv6 that is not global unicast (loopback, link-local, unique-local,
 * multicast, reserved, documentation, discard), and any IPv6 form that carries an IPv4 which
 * is not public. Anything that does not parse as an address is refused too.
 */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address)
  if (family === 0) return true
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = ipaddr.parse(address)
  } catch {
    return true
  }
  if (parsed.kind() === "ipv4") return !publicV4(parsed as ipaddr.IPv4)
  const v6 = parsed as ipaddr.IPv6
  const carried = embeddedV4(v6)
  if (carried !== undefined) return !carried.every(publicV4)
  return v6.range() !== "unicast"
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
