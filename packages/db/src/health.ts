export type TProbe = { ok: true; latencyMs: number } | { ok: false; error: string };

/** Runs a dependency check with a deadline; never throws, so a health endpoint always answers. */
export async function probe(check: () => Promise<number>, timeoutMs = 2_000): Promise<TProbe> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const latencyMs = await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : "unknown error" };
  } finally {
    clearTimeout(timer);
  }
}
