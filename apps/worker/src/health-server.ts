import { createServer, type Server } from "node:http";
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { pingDatabase, probe, type TDatabase } from "@lockstep/db";
import { pingRedis } from "@lockstep/queue";
import type { TWorkers } from "./worker";

export function startHealthServer(opts: {
  host: string;
  port: number;
  db: TDatabase;
  redis: Redis;
  workers: TWorkers;
  metrics: Registry;
}): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.url === "/health") {
      const [postgres, redis] = await Promise.all([probe(() => pingDatabase(opts.db)), probe(() => pingRedis(opts.redis))]);
      const consuming = opts.workers.workers.every((w) => w.isRunning());
      const ok = postgres.ok && redis.ok && consuming;
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(
        JSON.stringify({
          status: ok ? "ok" : "degraded",
          service: "worker",
          workerId: opts.workers.identity.workerId,
          postgres,
          redis,
          queues: { consuming },
        }),
      );
      return;
    }
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": opts.metrics.contentType });
      res.end(await opts.metrics.metrics());
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
