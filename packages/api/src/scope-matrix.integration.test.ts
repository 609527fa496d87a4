import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { requiredScope, tokenScopes, type TRequiredScope } from "@lockstep/auth";
import { createDatabase } from "@lockstep/db";
import { appRouter, createCaller } from "./root";
import type { TIdentity } from "./trpc";
import { contextFor, makeInstanceAdmin, makePlainUser, procedureMeta } from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

type TExpected = TRequiredScope | "public";

/**
 * Written by hand — NOT derived from code: the scope an access token needs for each procedure
 * ("session": no token may call it; "public": no sign-in at all). The test checks it against
 * `requiredScope` and against real calls, so changing the table, a procedure, or this alone fails.
 */
const expected: Record<string, TExpected> = {
  "auth.signUp": "public",
  "system.health": "public",
  "me.get": "read",
  "me.signOutEverywhere": "session",
  "me.tokens.limits": "session",
  "me.tokens.list": "session",
  "me.tokens.create": "session",
  "me.tokens.revoke": "session",
  "orgs.list": "read",
  "orgs.create": "write",
  "orgs.get": "read",
  "orgs.update": "admin",
  "orgs.delete": "admin",
  "orgs.members.list": "read",
  "orgs.members.add": "admin",
  "orgs.members.updateRole": "admin",
  "orgs.members.remove": "admin",
  "workspaces.list": "read",
  "workspaces.create": "write",
  "workspaces.get": "read",
  "workspaces.update": "admin",
  "workspaces.delete": "admin",
  "workspaces.participants.list": "read",
  "workspaces.participants.add": "admin",
  "workspaces.participants.updateRole": "admin",
  "workspaces.participants.remove": "admin",
  "workspaces.participants.invitations.list": "read",
  "workspaces.participants.invitations.revoke": "admin",
  "orgs.members.invitations.list": "read",
  "orgs.members.invitations.revoke": "admin",
  "invitations.list": "read",
  "invitations.accept": "session",
  "invitations.decline": "session",
  "secrets.publicKey": "read",
  "secrets.list": "read",
  "secrets.validateName": "read",
  "secrets.history": "read",
  "secrets.create": "write",
  "secrets.update": "write",
  "secrets.delete": "write",
  "secrets.import": "write",
  "userSecrets.list": "read",
  "userSecrets.validateName": "read",
  "userSecrets.history": "read",
  "userSecrets.create": "write",
  "userSecrets.update": "write",
  "userSecrets.delete": "write",
  "userSecrets.import": "write",
  "audit.list": "read",
  "audit.mine": "read",
  "computeEnvs.list": "read",
  "computeEnvs.get": "read",
  "computeEnvs.create": "write",
  "computeEnvs.update": "write",
  "computeEnvs.check": "write",
  "computeEnvs.confirmHostKey": "session",
  "computeEnvs.delete": "write",
  "credentials.list": "read",
  "credentials.create": "write",
  "credentials.update": "write",
  "credentials.delete": "write",
  "pipelines.list": "read",
  "pipelines.get": "read",
  "pipelines.create": "write",
  "pipelines.update": "write",
  "pipelines.delete": "write",
  "runs.effectiveSecrets": "read",
  "runs.launch": "launch",
  "runs.list": "read",
  "runs.get": "read",
  "runs.onChange": "read",
  "runs.cancel": "launch",
  "runs.logs": "read",
  "runs.receipt": "read",
  "runs.secretVersions": "read",
  "instance.get": "admin",
  "instance.update": "admin",
  "instance.users.list": "admin",
  "instance.users.setAdmin": "admin",
  "instance.users.setDisabled": "admin",
  "instance.users.endSessions": "admin",
  "webhooks.list": "read",
  "webhooks.deliveries": "read",
  "webhooks.create": "admin",
  "webhooks.update": "admin",
  "webhooks.delete": "admin",
  "webhooks.rotateSecret": "admin",
  "webhooks.test": "admin",
};

const procedureTypes = appRouter._def.procedures as unknown as Record<
  string,
  { _def: { type: "query" | "mutation" | "subscription" } }
>;
const typeOf = (path: string) => procedureTypes[path]!._def.type;

/**
 * Calls `path` as `identity` with an input no procedure accepts in full, so nothing is changed:
 * the call ends at the scope check ("refused"), or gets past it into input validation, the
 * tenant checks or a read ("passed").
 */
async function outcome(identity: TIdentity | null, path: string): Promise<"refused" | "passed" | "UNAUTHORIZED"> {
  const caller = createCaller(contextFor(db, null, { identity })) as unknown as Record<string, unknown>;
  const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as (
    input: unknown,
  ) => Promise<unknown>;
  try {
    await fn({ scopeMatrixProbe: true });
    return "passed";
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    if (error.code === "UNAUTHORIZED") return "UNAUTHORIZED";
    if (error.code === "FORBIDDEN" && /access token/i.test(error.message)) return "refused";
    return "passed";
  }
}

describe("scope matrix: every procedure × the scope an access token needs", () => {
  it("the hand-written table covers exactly the router's procedures", () => {
    expect(Object.keys(expected).sort()).toEqual(
      procedureMeta()
        .map(([path]) => path)
        .sort(),
    );
  });

  it("the hand-written table agrees with requiredScope for every procedure behind sign-in", () => {
    for (const [path, meta] of procedureMeta()) {
      if (expected[path] === "public") continue;
      expect([path, requiredScope({ path, type: typeOf(path), instanceAdmin: meta.instanceAdmin === true })]).toEqual([
        path,
        expected[path],
      ]);
    }
  });

  const authed = Object.entries(expected).filter(([, scope]) => scope !== "public") as Array<[string, TRequiredScope]>;

  it.each(authed)("%s needs a sign-in (no identity → UNAUTHORIZED)", async (path) => {
    expect(await outcome(null, path)).toBe("UNAUTHORIZED");
  });

  it.each(authed)(
    "%s → %s: a token with every other scope is refused; one with it, or a session, passes",
    async (path, scope) => {
      const user = await makePlainUser(db, "scopes");
      // An instance admin, so the instance procedures get past their own check when the scope allows.
      await makeInstanceAdmin(db, user.id);
      const token = (scopes: readonly string[]): TIdentity => ({
        userId: user.id,
        via: "token",
        tokenId: "00000000-0000-4000-8000-000000000000",
        scopes,
      });
      const others = tokenScopes.filter((s) => s !== scope);
      expect(await outcome(token(others), path)).toBe("refused");
      expect(await outcome(token([]), path)).toBe("refused");
      if (scope === "session") expect(await outcome(token(tokenScopes), path)).toBe("refused");
      else expect(await outcome(token([scope]), path)).toBe("passed");
      expect(await outcome({ userId: user.id, via: "session" }, path)).toBe("passed");
    },
  );

  it("public procedures answer a token without any scope", async () => {
    expect(
      await outcome(
        {
          userId: "00000000-0000-4000-8000-000000000000",
          via: "token",
          tokenId: "00000000-0000-4000-8000-000000000000",
          scopes: [],
        },
        "system.health",
      ),
    ).toBe("passed");
  });
});
