/** Exit codes (documented in the package README and docs/cli.md). */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  UNAUTHENTICATED: 3,
  FORBIDDEN: 4,
  NOT_FOUND: 5,
  CONFLICT: 6,
  RUN_FAILED: 10,
  RUN_CANCELLED: 11,
  RUN_LOST: 12,
  INTERRUPTED: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = "CliError";
  }
}

function exitFor(status: number): number {
  if (status === 400 || status === 415 || status === 422) return EXIT.USAGE;
  if (status === 401) return EXIT.UNAUTHENTICATED;
  if (status === 403) return EXIT.FORBIDDEN;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  return EXIT.ERROR;
}

/** A small client of /api/v1: JSON in and out, errors as CliError with the server's message. */
export class Api {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async request<T>(
    method: string,
    path: string,
    init: { query?: Record<string, string | number | undefined>; body?: unknown } = {},
  ): Promise<T> {
    const target = new URL(`${this.url.replace(/\/+$/, "")}/api/v1${path}`);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: "application/json",
          ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      });
    } catch (error) {
      throw new CliError(
        `Cannot reach ${this.url}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "network error"}`,
        EXIT.ERROR,
      );
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(
        `${method} ${path}: the server answered ${response.status} with something that is not JSON (is ${this.url} a Lockstep instance?).`,
        EXIT.ERROR,
      );
    }
    if (!response.ok) {
      const error = (body as { error?: { message?: string; fields?: Record<string, string> } } | undefined)?.error;
      throw new CliError(
        error?.message ?? `${method} ${path}: HTTP ${response.status}`,
        exitFor(response.status),
        error?.fields,
      );
    }
    return body as T;
  }

  /** Every item of a cursor-paged list. */
  async all<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.request<{ items: T[]; nextCursor: string | null }>("GET", path, {
        query: { ...query, limit: 200, cursor },
      });
      out.push(...page.items);
      if (page.nextCursor === null) return out;
      if (page.nextCursor === cursor)
        throw new CliError(`${path}: the server gave the same page cursor twice; stopping.`, EXIT.ERROR);
      cursor = page.nextCursor;
    }
  }
}
