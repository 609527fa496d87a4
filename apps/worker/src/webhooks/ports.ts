/** Ports a webhook is never delivered to: the worker's own health/metrics port, Postgres's and Redis's (from their URLs). */
export function webhookBlockedPorts(env: { WORKER_PORT: number; DATABASE_URL: string; REDIS_URL: string }): number[] {
  const portOf = (raw: string, fallback: number) => {
    try {
      return Number(new URL(raw).port || fallback);
    } catch {
      return fallback;
    }
  };
  return [...new Set([env.WORKER_PORT, portOf(env.DATABASE_URL, 5432), portOf(env.REDIS_URL, 6379), 5432, 6379])];
}
