import { test } from "node:test";
import assert from "node:assert/strict";
import * as client from "../src";

function fakeFetch(status: number, body: unknown, seen: string[]): typeof fetch {
  return (async (url: string) => {
    seen.push(url);
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  }) as unknown as typeof fetch;
}

test("typed GETs with their query", async () => {
  const seen: string[] = [];
  const status: client.StatusView = { cursor: 7, caught_up: true, trees: 1, leaves: 2, by_status: { pending: 1, verified: 1, suspended: 0, retired: 0 } };
  const api = new client.IndexerClient("http://indexer:8080/", fakeFetch(200, status, seen));
  assert.deepEqual(await api.status(), status);
  await api.nodes({ tier: "Consumer", limit: 5 });
  await api.networkMetrics(1.25);
  await api.networkMetrics();
  await api.placement({ model: "H100", gpus: 8 });
  assert.deepEqual(seen, [
    "http://indexer:8080/v1/status",
    "http://indexer:8080/v1/nodes?tier=Consumer&limit=5",
    "http://indexer:8080/v1/network/metrics?io_usd=1.25",
    "http://indexer:8080/v1/network/metrics",
    "http://indexer:8080/v1/placement?model=H100&gpus=8",
  ]);
});

test("a refusal carries the API's error name", async () => {
  const api = new client.IndexerClient("http://indexer", fakeFetch(404, { error: "unknown_model", message: "no model H1000" }, []));
  await assert.rejects(api.placement({ model: "H1000" }), (e: unknown) => {
    assert.ok(e instanceof client.IndexerError);
    assert.equal(e.status, 404);
    assert.equal(e.error, "unknown_model");
    assert.match(e.message, /no model H1000/);
    return true;
  });
  const plain = new client.IndexerClient("http://indexer", fakeFetch(503, "timeout", []));
  await assert.rejects(plain.status(), (e: unknown) => e instanceof client.IndexerError && e.error === "http_503");
});
