import { ProviderError } from "./provider";

/**
 * Runs `work` over `items`, at most `concurrency` at a time. The first failure stops new work from
 * starting (the caller retries the whole, idempotent operation) and is rethrown once the calls in
 * flight have settled; a permanent failure outranks a transient one, since retrying cannot fix it.
 */
export async function inParallel<T>(items: T[], work: (item: T) => Promise<void>, concurrency = 4): Promise<void> {
  const queue = [...items];
  const failures: unknown[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      await work(item).catch((error: unknown) => {
        failures.push(error);
        queue.length = 0;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failures.length === 0) return;
  throw failures.find((f) => f instanceof ProviderError && !f.retryable) ?? failures[0];
}
