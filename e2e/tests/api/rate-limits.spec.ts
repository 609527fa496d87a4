import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { Client } from "../support/client";

/**
 * Sign-in rate limits punish the client that fails, not the account's owner and not everyone:
 * each client below has its own socket address (127.0.0.x), as separate machines would.
 */
const password = "correct horse battery";
const TOO_MANY =
  /^Too many failed sign-ins from your address; try again in about \d+ (second|seconds|minute|minutes|hour|hours)\.$/;

async function newAccount(client: Client, label: string) {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.test`;
  const r = await client.mutation("auth.signUp", { email, name: label, password });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return email;
}

test("320 failed sign-ins with random emails from one client lock out neither another client nor the right password", async () => {
  test.setTimeout(240_000);
  const victim = new Client("127.0.0.31");
  const email = await newAccount(victim, "spray-victim");
  const sprayer = new Client("127.0.0.32");
  // Forged forwarding headers change nothing: the socket's address is the key.
  let forged = 0;
  const answers: Array<string | null> = [];
  for (let i = 0; i < 320; i++) {
    sprayer.extraHeaders = {
      "x-forwarded-for": `198.51.100.${forged % 250}`,
      "x-lockstep-client-address": `203.0.113.${forged++ % 250}`,
    };
    answers.push(await sprayer.signIn(`nobody-${randomUUID()}@example.test`, "wrong password"));
  }
  const checked = answers.filter((a) => a === "CredentialsSignin").length;
  const refused = answers.filter((a) => a !== null && TOO_MANY.test(a)).length;
  // 30 failures are free; then the sprayer waits 1 s, 2 s, 4 s… after each, so the few seconds
  // the spray takes let at most a handful more through.
  expect(checked).toBeGreaterThanOrEqual(30);
  expect(checked).toBeLessThanOrEqual(36);
  expect(refused).toBe(320 - checked);
  // The sprayer itself is held back, even with a right password (it has failed). Its backoff is a
  // wait, not a lock, so the spray's last wait may just have run out on a slow machine: fail once
  // more (checked or refused, either way the client is now in a wait of at least 1 s), then try.
  await sprayer.signIn(`nobody-${randomUUID()}@example.test`, "wrong password");
  expect(await sprayer.signIn(email, password)).toMatch(TOO_MANY);

  // Another client: its wrong password is checked (not refused), its right password signs in.
  const other = new Client("127.0.0.33");
  expect(await other.signIn(email, "not it")).toBe("CredentialsSignin");
  expect(await other.signIn(email, password)).toBeNull();
  expect((await other.query<{ email: string }>("me.get")).body.result?.data.json.email).toBe(email);
});

test("10 wrong passwords for a named account from an attacker do not refuse the owner's right password from another address", async () => {
  const owner = new Client("127.0.0.41");
  const email = await newAccount(owner, "named-victim");
  const attacker = new Client("127.0.0.42");
  const answers: Array<string | null> = [];
  for (let i = 0; i < 10; i++) answers.push(await attacker.signIn(email, `guess ${i}`));
  expect(answers.slice(0, 5)).toEqual(Array(5).fill("CredentialsSignin"));
  // Then the attacker backs off (1 s, doubling): refused before its guess is checked.
  expect(answers.slice(5).filter((a) => a !== null && TOO_MANY.test(a)).length).toBeGreaterThanOrEqual(4);
  // As above: one more failure right before, so the attacker is inside a wait however slow the machine.
  await attacker.signIn(email, "one more guess");
  expect(await attacker.signIn(email, password)).toMatch(TOO_MANY);

  // The owner, from their own address, is let in at once.
  expect(await owner.signIn(email, password)).toBeNull();
  expect((await owner.query<{ email: string }>("me.get")).body.result?.data.json.email).toBe(email);
});
