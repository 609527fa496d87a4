import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Gauge, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { TDatabase } from "@lockstep/db";
import { startHealthServer } from "./health-server";
import type { TWorkers } from "./worker";

/**
 * /metrics never touches the database or Redis, so those are left unset here. The failing case is a
 * prom-client registry whose serialisation rejects (prom-client itself absorbs a failing collect()).
 */
class BrokenRegistry extends Registry {
  override metrics(): Promise<string> {
    return Promise.reject(new Error("serialise failed"));
  }
}

describe("health server", () => {
  const servers: Array<{ close: () => void }> = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  async function start(metrics: Registry) {
    const lines: string[] = [];
    const logger = pino({ level: "error" }, { write: (line: string) => lines.push(line) });
    const server = await startHealthServer({
      host: "127.0.0.1",
      port: 0,
      db: undefined as unknown as TDatabase,
      redis: undefined as never,
      workers: undefined as unknown as TWorkers,
      metrics,
      logger,
    });
    servers.push(server);
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines };
  }

  it("answers 500 and logs when a request handler fails, and keeps serving", async () => {
    const { url, lines } = await start(new BrokenRegistry());

    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "internal error" });
    expect(lines.join("")).toContain("serialise failed");
    // Still listening: the rejection did not take the server (or the process) down.
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it("serves metrics when collecting works (positive control)", async () => {
    const metrics = new Registry();
    new Gauge({
      name: "fine_gauge",
      help: "collects",
      registers: [metrics],
      collect() {
        this.set(1);
      },
    });
    const { url } = await start(metrics);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("fine_gauge 1");
  });
});
