// The README's requests one after another for a while, timed from a process of its own (the
// test runner's own event loop, busy with what earlier test files left, would add its lag to
// every figure). Usage: node requestProbe.mjs <base url> <admin key> <seconds>; prints one JSON
// line: { "<request>": [ms, ...], ..., "failures": ["<request> <status>", ...] }.
const [base, key, seconds] = [process.argv[2], process.argv[3], Number(process.argv[4])]
const auth = { authorization: `Bearer ${key}` }
const timings = { readyz: [], "POST /v1/leads": [], "GET /v1/leads/{id}": [], "GET /v1/demo": [], docs: [] }
const failures = []
const timed = async (name, request, expected) => {
  const t = performance.now()
  const res = await request()
  const text = await res.text()
  timings[name].push(performance.now() - t)
  if (res.status !== expected) failures.push(`${name} ${res.status}`)
  return text
}
const end = Date.now() + seconds * 1000
for (let i = 0; Date.now() < end; i++) {
  await timed("readyz", () => fetch(`${base}/readyz`), 200)
  const lead = JSON.parse(await timed("POST /v1/leads", () => fetch(`${base}/v1/leads`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ email: `probe-${i}@bigsoft-probe.com`, title: "VP Sales", employees: 800, industry: "software", estimatedAcv: 90000, intent: "demo_request" })
  }), 201))
  await timed("GET /v1/leads/{id}", () => fetch(`${base}/v1/leads/${lead.id}`, { headers: auth }), 200)
  await timed("GET /v1/demo", () => fetch(`${base}/v1/demo`, { headers: auth }), 200)
  if (i % 5 === 0) await timed("docs", () => fetch(`${base}/docs`), 200)
}
process.stdout.write(`${JSON.stringify({ ...timings, failures })}\n`)
