/**
 * The Slack incoming-webhook message for an outbox message, in Block Kit: for a handoff
 * (`lead.routed`, `lead.reassigned`) everything the rep needs to call with context (seed
 * 002) — who, the score and what drove it, hand-raise or accumulated, what they read and
 * visited, their form answers, the SLA deadlines and a recommended first approach; for
 * other topics a one-line summary.
 */
type Json = Record<string, unknown>

const text = (v: unknown): string => (v === undefined || v === null || v === "" ? "—" : String(v))
const clip = (s: string, n = 2900): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s)
const field = (label: string, value: unknown) => ({ type: "mrkdwn", text: clip(`*${label}*\n${text(value)}`, 1900) })
const time = (iso: unknown): string => (typeof iso === "string" ? `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time}|${iso}>` : "—")

const list = (items: unknown, render: (x: Json) => string, max = 5): string => {
  const xs = Array.isArray(items) ? (items as Array<Json>) : []
  return xs.length === 0 ? "—" : xs.slice(0, max).map((x) => `• ${render(x)}`).join("\n") + (xs.length > max ? `\n… and ${xs.length - max} more` : "")
}

const summaries: Record<string, (p: Json) => string> = {
  "lead.mql": (p) => `New MQL (${text(p.tier)}, score ${text(p.score)}, by ${p.via === "hand_raise" ? "hand-raise" : "score"}) — lead ${text(p.leadId)}`,
  "sla.breached": (p) => `:rotating_light: SLA breached: ${text(p.kind)} due ${time(p.dueAt)} — lead ${text(p.leadId)}, rep ${text(p.repId)}`,
  "sla.escalated": (p) => `:warning: Escalated to manager ${text(p.managerId)}: ${text(p.kind)} missed by ${text(p.repId)} — lead ${text(p.leadId)}`,
  "lead.recycled": (p) => `Lead ${text(p.leadId)} went back to marketing (${text(p.reason ?? (p.won === false ? "closed_lost" : undefined))})`,
  "lead.queued": (p) => `Lead ${text(p.leadId)} is waiting in queue ${text(p.queue)}: ${text(p.reason)}`
}

export const slackMessage = (topic: string, payload: Json): Json => {
  const h = payload.handoff as Json | undefined
  if (h === undefined) {
    const line = summaries[topic]?.(payload) ?? `${topic} — lead ${text(payload.leadId)}`
    return { text: line, blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(line) } }] }
  }
  const score = h.score as Json | undefined
  const sla = h.sla as Json | undefined
  const owner = h.owner as Json | undefined
  const name = text(h.name ?? h.email)
  const headline = topic === "lead.reassigned"
    ? `Reassigned to you: ${name} (${text(h.tier)})`
    : `New ${text(h.tier)} lead: ${name}`
  const answers = Object.entries((h.formAnswers as Json | undefined) ?? {})
  return {
    text: `${headline} — ${text(h.company)}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: clip(headline, 150) } },
      {
        type: "section",
        fields: [
          field("Name", h.name),
          field("Title", h.title),
          field("Company", h.company),
          field("Contact", [h.email, h.phone].filter((x) => x !== undefined && x !== null).join(" · ")),
          field("Score", score === undefined ? undefined : `${text(score.total)} (fit ${text(score.fit)}, intent ${text(score.intent)}; MQL line ${text(score.threshold)})`),
          field("How", h.how)
        ]
      },
      { type: "section", text: { type: "mrkdwn", text: clip(`*Why this score*\n${Array.isArray(h.drivers) && h.drivers.length > 0 ? (h.drivers as Array<string>).slice(0, 8).map((d) => `• ${d}`).join("\n") : "—"}`) } },
      {
        type: "section",
        fields: [
          field("Content", list(h.content, (c) => [c.kind ?? c.type, c.title].filter(Boolean).join(": "))),
          field("Pages", list(h.pages, (p) => text(p.category ?? p.url ?? p.path))),
          field("Emails", list(h.emails, (e) => [e.type, e.campaign ?? e.subject].filter(Boolean).join(": "))),
          field("Form answers", answers.length === 0 ? "—" : answers.slice(0, 6).map(([k, v]) => `• ${k}: ${text(v)}`).join("\n"))
        ]
      },
      {
        type: "section",
        fields: [
          field("Accept by", sla === undefined ? undefined : time(sla.acceptBy)),
          field("First touch by", sla === undefined ? undefined : time(sla.firstTouchBy)),
          field("Owner", owner === undefined ? undefined : `${text(owner.name)}${owner.bookingUrl === undefined ? "" : ` · <${String(owner.bookingUrl)}|booking link>`}`),
          field("Flags", Array.isArray(h.flags) && h.flags.length > 0 ? (h.flags as Array<string>).join(", ") : undefined)
        ]
      },
      { type: "section", text: { type: "mrkdwn", text: clip(`*Recommended first approach*\n${text(h.recommendedApproach)}`) } },
      { type: "context", elements: [{ type: "mrkdwn", text: `Handoff · ${topic} · lead ${text(h.leadId ?? payload.leadId)} · agreement v${text(payload.agreementVersion)}` }] }
    ]
  }
}
