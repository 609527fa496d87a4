import postgres from "postgres";
import { Redis } from "ioredis";
import { StartupError } from "./log";

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "(default port)"}`;
  } catch {
    return "(unparsable)";
  }
}

/** Fails within ~10 s with a one-line reason; never prints credentials from the URL. */
export async function checkPostgres(url: string, variable = "DATABASE_URL"): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 8, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (error) {
    throw new StartupError(`${variable}: cannot connect to Postgres at ${hostOf(url)} (${reason(error)})`);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

export async function checkRedis(url: string, variable = "REDIS_URL"): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 8_000,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const policy = (await client.config("GET", "maxmemory-policy").catch(() => [])) as string[];
    if (policy[1] && policy[1] !== "noeviction") {
      process.stderr.write(
        `[lockstep] warning: ${variable} Redis uses maxmemory-policy ${policy[1]}; BullMQ needs noeviction or jobs can be lost\n`,
      );
    }
    await client.ping();
  } catch (error) {
    throw new StartupError(`${variable}: cannot connect to Redis at ${hostOf(url)} (${reason(error)})`);
  } finally {
    client.disconnect();
  }
}

function reason(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { code?: string; message?: string };
    if (e.code && /^[A-Z_]+$/.test(e.code)) return e.code;
    if (e.message) return e.message.split("\n")[0]!.slice(0, 200);
  }
  return "unknown error";
}
