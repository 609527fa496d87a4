/**
 * The lists bench's load generator (bench/lists.bench.ts), in a worker thread: the HTTP client's
 * own work (building requests, reading answers) runs beside the server, not in its event loop, as
 * a real client's would. Plain JavaScript: a worker thread does not inherit tsx's loader.
 *
 * One message per burst, { path, headers, requests }: that many GETs, `concurrency` at once; the
 * answer is { times (ms, one per 200 answer), seconds (wall time of the burst), errors, firstError }.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";

const { port, concurrency } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

/** @returns {Promise<number>} the status, once the whole answer has been read */
function get(path, headers) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

async function burst({ path, headers, requests }) {
  const times = [];
  let errors = 0;
  let firstError = null;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const t0 = performance.now();
        try {
          const status = await get(path, headers);
          if (status !== 200) throw new Error(`${path}: HTTP ${status}`);
          times.push(performance.now() - t0);
        } catch (error) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  return { times, seconds: (performance.now() - started) / 1000, errors, firstError };
}

parentPort.on("message", (message) => {
  void burst(message).then((result) => parentPort.postMessage(result));
});
