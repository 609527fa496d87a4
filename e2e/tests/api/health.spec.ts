import { expect, test } from "@playwright/test";
import { ports } from "../../playwright.config";

type TProbe = { ok: boolean; latencyMs?: number; error?: string };
type THealth = { status: string; postgres: TProbe; redis: TProbe; worker: { lastHealthCheckAt: string | null } };

test("web /api/health reports Postgres and Redis ok", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  expect(response.headers()["cache-control"]).toContain("no-store");
  const body = (await response.json()) as THealth;
  expect(body.status).toBe("ok");
  expect(body.postgres.ok).toBe(true);
  expect(body.redis.ok).toBe(true);
});

test("the worker consumes health-check jobs and the web sees its heartbeat", async ({ request }) => {
  // The worker enqueues one health check at boot and a repeatable one after; the web reads the
  // result from Postgres, so a recent timestamp proves web → Postgres ← worker ← Redis works.
  await expect
    .poll(
      async () => {
        const body = (await (await request.get("/api/health")).json()) as THealth;
        return body.worker.lastHealthCheckAt;
      },
      { timeout: 30_000 },
    )
    .not.toBeNull();
  const body = (await (await request.get("/api/health")).json()) as THealth;
  const age = Date.now() - Date.parse(body.worker.lastHealthCheckAt!);
  expect(age).toBeLessThan(5 * 60_000);
});

test("worker /health reports its dependencies and /metrics serves Prometheus text", async ({ request }) => {
  const health = await request.get(`http://127.0.0.1:${ports.worker}/health`);
  expect(health.status()).toBe(200);
  const body = (await health.json()) as THealth & { queues: { consuming: boolean } };
  expect(body.postgres.ok).toBe(true);
  expect(body.redis.ok).toBe(true);
  expect(body.queues.consuming).toBe(true);
  const metrics = await request.get(`http://127.0.0.1:${ports.worker}/metrics`);
  expect(await metrics.text()).toContain("lockstep_jobs_total");
});

test("pages carry the security headers", async ({ request }) => {
  const response = await request.get("/sign-in");
  const headers = response.headers();
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["x-powered-by"]).toBeUndefined();
});
