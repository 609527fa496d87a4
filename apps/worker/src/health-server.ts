import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
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
  logger: Logger;
}): Promise<Server> {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/health") {
      const [postgres, redis] = await Promise.all([
        probe(() => pingDatabase(opts.db)),
        probe(() => pingRedis(opts.redis)),
      ]);
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
      const body = await opts.metrics.metrics(); // before the 200: a failure must answer 500
      res.writeHead(200, { "content-type": opts.metrics.contentType });
      res.end(body);
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  };
  // http calls the listener and drops what it returns: a rejection there would be unhandled and end the worker.
  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      opts.logger.error(
        { err: error instanceof Error ? error.message : String(error), url: req.url },
        "health server request failed",
      );
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "internal error" }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
