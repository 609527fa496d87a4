import { request as httpRequest } from "node:http";
import { ports } from "../../playwright.config";

/**
 * A bare HTTP client connecting from a chosen loopback address (Linux routes all of 127.0.0.0/8 to
 * the loopback interface), so several "clients" with different socket addresses can talk to the
 * e2e app. Keeps its own cookies. Sends Host: localhost:<port> like the browser does, and no
 * Origin unless told: it is not a browser.
 */
export class Client {
  private readonly cookies = new Map<string, string>();

  constructor(readonly localAddress: string) {}

  async send(path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: ports.web,
            localAddress: this.localAddress,
            path,
            method: init.method ?? "GET",
            headers: {
              host: `localhost:${ports.web}`,
              ...(cookie ? { cookie } : {}),
              ...(init.body !== undefined ? { "content-length": String(Buffer.byteLength(init.body)) } : {}),
              ...init.headers,
            },
          },
          (res) => {
            for (const line of res.headers["set-cookie"] ?? []) {
              const [pair = ""] = line.split(";");
              const at = pair.indexOf("=");
              const value = pair.slice(at + 1);
              if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === "")
                this.cookies.delete(pair.slice(0, at));
              else this.cookies.set(pair.slice(0, at), value);
            }
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (text += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
          },
        );
        req.on("error", reject);
        req.end(init.body);
      },
    );
  }

  async json<T>(path: string, init: Parameters<Client["send"]>[1] = {}) {
    const r = await this.send(path, init);
    return { status: r.status, body: JSON.parse(r.text) as T };
  }

  /** next-auth's credentials sign-in as the form posts it; null on success, else the error it answered. */
  async signIn(email: string, password: string): Promise<string | null> {
    const { body } = await this.json<{ csrfToken: string }>("/api/auth/csrf");
    const form = new URLSearchParams({ csrfToken: body.csrfToken, email, password, json: "true" }).toString();
    const r = await this.send("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...this.extraHeaders },
      body: form,
    });
    const url =
      (JSON.parse(r.text || "{}") as { url?: string }).url ?? (r.headers.location as string | undefined) ?? "http://x/";
    return new URL(url, "http://x/").searchParams.get("error");
  }

  /** Headers sent with every sign-in (e.g. forged forwarding headers in an attack). */
  extraHeaders: Record<string, string> = {};

  async mutation<T = unknown>(path: string, input: unknown, headers: Record<string, string> = {}) {
    return this.json<{ result?: { data: { json: T } }; error?: { json: { message: string; data: { code: string } } } }>(
      `/api/trpc/${path}`,
      {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ json: input }),
      },
    );
  }

  async query<T = unknown>(path: string, input?: unknown) {
    const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
    return this.json<{ result?: { data: { json: T } }; error?: { json: { message: string; data: { code: string } } } }>(
      `/api/trpc/${path}${q}`,
    );
  }
}
