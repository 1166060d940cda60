/** Prometheus metrics (prom-client): requests, latencies, requests in flight, leads by tier, SLA breaches. */
import { Counter, Gauge, Histogram, Registry } from "prom-client"

export class Metrics {
  readonly registry = new Registry()
  private readonly requests = new Counter({ name: "handoff_http_requests_total", help: "HTTP requests by route and status", labelNames: ["method", "route", "status"], registers: [this.registry] })
  private readonly latency = new Histogram({ name: "handoff_http_request_duration_seconds", help: "HTTP request latency", labelNames: ["method", "route"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry] })
  readonly leads = new Counter({ name: "handoff_leads_ingested_total", help: "Inbound leads by tier and whether they were new", labelNames: ["tier", "created"], registers: [this.registry] })
  /** Requests admitted and not yet answered (admission control's count). */
  readonly inFlight = new Gauge({ name: "handoff_http_requests_in_flight", help: "Requests admitted and not yet answered", registers: [this.registry] })
  readonly breaches = new Counter({ name: "handoff_sla_breaches_total", help: "SLA breaches acted on, by kind", labelNames: ["kind"], registers: [this.registry] })

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method: method.toUpperCase(), route, status: String(status) })
    this.latency.observe({ method: method.toUpperCase(), route }, seconds)
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}
