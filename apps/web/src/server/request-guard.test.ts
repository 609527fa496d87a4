import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER } from "./client-address";
import { crossSiteReason, guardRequest } from "./request-guard";

const publicUrl = "https://lockstep.example.org";
const post = (headers: Record<string, string>, method = "POST") =>
  new Request("https://lockstep.example.org/api/trpc/me.signOutEverywhere", {
    method,
    headers: { [CLIENT_ADDRESS_HEADER]: "192.0.2.1", ...headers },
  });
const statusOf = (req: Request, jsonOnly = true) => guardRequest(req, { publicUrl, jsonOnly })?.status ?? "passes";

describe("state-changing requests come from the app's own pages", () => {
  const json = { "content-type": "application/json" };

  it("refuses another origin, a null origin and another site", () => {
    expect(statusOf(post({ ...json, origin: "http://evil.example" }))).toBe(403);
    expect(statusOf(post({ ...json, origin: "null" }))).toBe(403);
    expect(statusOf(post({ ...json, origin: "https://lockstep.example.org.evil.example" }))).toBe(403);
    // Same host over plain http is another origin.
    expect(statusOf(post({ ...json, origin: "http://lockstep.example.org", host: "lockstep.example.org" }))).toBe(403);
    expect(statusOf(post({ ...json, "sec-fetch-site": "cross-site" }))).toBe(403);
    expect(statusOf(post({ ...json, "sec-fetch-site": "same-site", origin: "https://other.example.org" }))).toBe(403);
    // A session cookie changes nothing.
    expect(statusOf(post({ ...json, origin: "http://evil.example", cookie: "next-auth.session-token=x" }))).toBe(403);
  });

  it("lets through the public origin, the addressed host, a same-origin fetch, and non-browser clients", () => {
    expect(statusOf(post({ ...json, origin: publicUrl, "sec-fetch-site": "same-origin" }))).toBe("passes");
    expect(statusOf(post({ ...json, origin: "https://127.0.0.1:8443", host: "127.0.0.1:8443" }))).toBe("passes");
    expect(statusOf(post({ ...json, "sec-fetch-site": "none" }))).toBe("passes");
    expect(statusOf(post(json))).toBe("passes");
  });

  it("skips the origin check for bearer-token requests (the API then ignores cookies)", () => {
    expect(
      statusOf(post({ ...json, origin: "http://evil.example", authorization: `Bearer lst_${"a".repeat(43)}` })),
    ).toBe("passes");
    // Basic credentials a browser may attach by itself are no token.
    expect(
      crossSiteReason(new Headers({ origin: "http://evil.example", authorization: "Basic dXNlcjpwYXNz" }), publicUrl),
    ).not.toBeNull();
  });

  it("accepts only JSON for tRPC, whatever the origin", () => {
    expect(statusOf(post({ "content-type": "multipart/form-data; boundary=x", origin: publicUrl }))).toBe(415);
    expect(statusOf(post({ "content-type": "text/plain", origin: publicUrl }))).toBe(415);
    expect(statusOf(post({ "content-type": "application/x-www-form-urlencoded" }))).toBe(415);
    expect(statusOf(post({}))).toBe(415);
    expect(statusOf(post({ "content-type": "application/json; charset=utf-8" }))).toBe("passes");
    // next-auth's forms are not JSON.
    expect(statusOf(post({ "content-type": "application/x-www-form-urlencoded", origin: publicUrl }), false)).toBe(
      "passes",
    );
  });

  it("leaves reads alone, but refuses everything when the front door did not run", () => {
    expect(statusOf(post({ origin: "http://evil.example" }, "GET"))).toBe("passes");
    const bare = new Request("https://lockstep.example.org/api/trpc/me.get");
    expect(guardRequest(bare, { publicUrl, jsonOnly: true })?.status).toBe(500);
  });
});
