// Nested spans from @sentry/node, for tests/sdk/test_perf_node.py.
//
// Each root span is a "request" with a few db-like children (the same statement with a
// different literal each time) and one http-like child; sleeps vary so percentiles mean
// something. HERON_LIFECYCLE picks how the SDK sends them: "stream" (span v2 items, the
// default of this SDK version) or "static" (classic transaction events). The last stdout line
// lists every root span's name, trace id, duration (from the SDK's own timestamps) and
// children (op, description).
import * as Sentry from "@sentry/node";

const mark = process.env.HERON_MARK;
const ROOTS = 20;
const QUERIES = 6;

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  tracesSampleRate: 1.0,
  release: `orders@${mark}`,
  environment: "perf",
  traceLifecycle: process.env.HERON_LIFECYCLE,
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sent = [];

for (let i = 0; i < ROOTS; i++) {
  const name = i % 4 === 3 ? `POST /${mark}/orders` : `GET /${mark}/orders`;
  let root;
  const children = [];
  // A new trace per request, as a server would have: otherwise every root shares one.
  await Sentry.startNewTrace(() =>
    Sentry.startSpan({ name, op: "http.server", forceTransaction: true }, async (span) => {
      root = span;
      for (let k = 0; k < QUERIES; k++) {
        const statement = `SELECT * FROM order_lines WHERE order_id = ${100 + k}`;
        children.push(["db.query", statement]);
        await Sentry.startSpan(
          { name: statement, op: "db.query", attributes: { "db.system": "postgresql" } },
          () => sleep(1),
        );
      }
      const url = `GET http://127.0.0.1:9/rates/${i}`;
      children.push(["http.client", url]);
      await Sentry.startSpan({ name: url, op: "http.client" }, () => sleep(2 + (i % 7) * 3));
    }),
  );
  const json = Sentry.spanToJSON(root);
  sent.push({
    name,
    trace_id: json.trace_id,
    // The same floats the SDK serialises (end_timestamp in span v2, timestamp in events).
    duration_ms: ((json.end_timestamp ?? json.timestamp) - json.start_timestamp) * 1000,
    spans: children,
  });
}

await Sentry.flush(10000);
console.log(JSON.stringify({ transactions: sent }));
