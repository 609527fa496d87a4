import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { signUp } from "../support/app";

/** Pages carry a Content-Security-Policy with a fresh nonce; no inline script runs without it. */

const scriptSrc = (csp: string) =>
  csp
    .split(";")
    .map((d) => d.trim())
    .find((d) => d.startsWith("script-src "))!;

test("each page gets a fresh nonce, every script of the page carries it, and scripts have no 'unsafe-inline'", async ({
  request,
}) => {
  const nonces = [];
  for (let i = 0; i < 2; i++) {
    const page = await request.get("/sign-in");
    const csp = page.headers()["content-security-policy"]!;
    const scripts = scriptSrc(csp);
    expect(scripts).not.toContain("unsafe-inline");
    expect(scripts).not.toContain("unsafe-eval");
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(scripts)?.[1];
    expect(nonce).toBeTruthy();
    const html = await page.text();
    const tags = html.match(/<script\b[^>]*>/g) ?? [];
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) expect(tag).toContain(`nonce="${nonce}"`);
    nonces.push(nonce);
  }
  expect(nonces[0]).not.toBe(nonces[1]);
  // API answers may not run anything at all.
  expect((await request.get("/api/health")).headers()["content-security-policy"]).toContain("default-src 'none'");
});

test("the app works under the policy: no violations while signing up and moving around; an injected inline handler is blocked", async ({
  page,
}) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(
        `Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`,
      ),
    );
  });
  await signUp(page, {
    name: "Cora Csp",
    email: `cora-${randomUUID().slice(0, 8)}@example.org`,
    password: "correct horse battery",
  });
  await page.getByRole("button", { name: "User menu" }).click();
  await page.getByRole("menuitem", { name: "Access tokens" }).click();
  await expect(page.getByRole("heading", { name: "Access tokens" })).toBeVisible();
  // Hydrated: a client-side check answers the empty form.
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Give the token a name.")).toBeVisible();
  await page.getByRole("button", { name: "User menu" }).click();
  await page.getByRole("menuitem", { name: "Your secrets" }).click();
  await expect(page).toHaveURL(/\/settings\/secrets$/);
  expect(violations).toEqual([]);

  // Markup an injection would add (an inline event handler) does not run, and the browser reports
  // the policy; the page's own scripts still handle the same event (positive control). (Scripts
  // created from page.evaluate are no test: Chrome trusts code that DevTools runs.)
  const ran = await page.evaluate(async () => {
    const w = window as unknown as { injected?: boolean; handled?: boolean };
    document.body.insertAdjacentHTML(
      "beforeend",
      '<img alt="" src="/no-such-image.png" onerror="window.injected = true">',
    );
    const img = new Image();
    img.addEventListener("error", () => (w.handled = true));
    img.src = "/no-such-image-either.png";
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return { injected: w.injected === true, handled: w.handled === true };
  });
  expect(ran).toEqual({ injected: false, handled: true });
  await expect.poll(() => violations.some((v) => v.includes("script-src"))).toBe(true);
});
