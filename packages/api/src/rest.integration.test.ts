import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, describe, expect, inject, it } from "vitest";
import { workspaceRoles, type TWorkspaceRole } from "@lockstep/auth";
import { importPublicKey, seal } from "@lockstep/crypto";
import { appendRunLog, createDatabase, insertRun, sealedSecretById } from "@lockstep/db";
import { identityFromToken } from "./services/authenticate";
import { handleRest } from "./rest/handler";
import { openApiDocument } from "./rest/openapi";
import { restRoutes } from "./rest/routes";
import {
  addOrgMember,
  addParticipant,
  callerFor,
  contextFor,
  makeInstanceAdmin,
  makePlainUser,
  makeUser,
  pipelinesRoot,
  testKeys,
} from "./test/fixtures";

/**
 * The REST API (/api/v1) through its real handler, with real Postgres and Redis: tokens are real
 * access tokens, resolved as the web resolves them; every route calls the tRPC procedures.
 */
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

/** Every response body of this file: no secret value may appear in any of them. */
const seen: string[] = [];
/** Routes ("METHOD /template") that answered 2xx at least once. */
const exercised = new Set<string>();

const templates = restRoutes.map((r) => ({
  key: `${r.method} ${r.path}`,
  method: r.method,
  regex: new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`),
}));

type TAnswer = { status: number; body: any; text: string; headers: Headers }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function rest(
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<TAnswer> {
  const req = new Request(`http://lockstep.test/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  // As apps/web builds it: the identity from the bearer token (the web's session.ts calls the same function).
  const res = await handleRest(req, {
    basePath: "/api/v1",
    context: async () =>
      contextFor(db, null, { identity: token ? await identityFromToken(db, token, "127.0.0.9") : null }),
  });
  const text = await res.text();
  seen.push(text);
  if (res.status < 300) {
    const bare = path.split("?")[0]!;
    const t = templates.find((t) => t.method === method && t.regex.test(bare));
    if (t) exercised.add(t.key);
  }
  return { status: res.status, body: text ? JSON.parse(text) : null, text, headers: res.headers };
}

async function tokenFor(
  userId: string,
  scopes: Array<"read" | "write" | "launch" | "admin"> = ["read", "write", "launch", "admin"],
) {
  return (await callerFor(db, userId).me.tokens.create({ name: `rest ${scopes.join("+")}`, expiresInDays: 1, scopes }))
    .token;
}

const MARKER = "rest-marker-Zq8vN3pL0x";
const localEnv = (name: string) =>
  ({ kind: "local", name, workDir: "/tmp/lockstep-rest", nextflowVersion: "24.10.8" }) as const;
const awsKey = JSON.stringify({
  accessKeyId: "AKIAABCDEFGHIJKLMNOP",
  secretAccessKey: "0123456789abcdef0123456789abcdef",
});
const cloudEnv = (name: string, credentialId: string) =>
  ({
    kind: "aws-batch",
    name,
    workDir: "s3://lockstep-rest/work",
    nextflowVersion: "24.10.8",
    config: {
      region: "eu-west-1",
      jobQueue: "q",
      executionRoleArn: "arn:aws:iam::123456789012:role/exec",
      headImage: "nextflow/nextflow:24.10.8",
      credentialId,
    },
  }) as const;

/** An org workspace set up by an instance admin; `role` is held by a plain user, who gets a full-scope token. */
async function fixture(role: TWorkspaceRole) {
  const orgOwner = await makeUser(db, "rest-owner");
  await makeInstanceAdmin(db, orgOwner.id);
  const caller = await makePlainUser(db, `rest-${role}`);
  const owner = callerFor(db, orgOwner.id);
  const org = await owner.orgs.create({ name: `REST ${role}`, slug: `rest-${caller.id.slice(0, 8)}` });
  await addOrgMember(db, owner, { orgId: org.id, user: caller, role: "member" });
  const ws = await owner.workspaces.create({ orgId: org.id, name: "REST", visibility: "private" });
  await addParticipant(db, owner, { workspaceId: ws.id, user: caller, role });
  const ce = await owner.computeEnvs.create({ workspaceId: ws.id, computeEnv: localEnv("Local") });
  const credential = await owner.credentials.create({
    workspaceId: ws.id,
    name: "aws",
    provider: "aws",
    value: { plain: awsKey },
  });
  const pipeline = await owner.pipelines.create({
    workspaceId: ws.id,
    pipeline: { name: "sleeps", repository: join(pipelinesRoot, "sleeps"), defaultComputeEnvId: ce.id },
  });
  const run = await insertRun(db, {
    workspaceId: ws.id,
    pipelineId: pipeline.id,
    computeEnvId: ce.id,
    launchedBy: caller.id,
    pipelineName: "sleeps",
    repository: join(pipelinesRoot, "sleeps"),
    computeEnvName: "Local",
    computeEnvKind: "local",
    deadlineAt: new Date(Date.now() + 3_600_000),
  });
  await appendRunLog(db, run.id, ["line one", "line two", "line three"]);
  return {
    owner,
    orgId: org.id,
    workspaceId: ws.id,
    computeEnvId: ce.id,
    credentialId: credential.id,
    pipelineId: pipeline.id,
    runId: run.id,
    callerId: caller.id,
    token: await tokenFor(caller.id),
  };
}

type TFixture = Awaited<ReturnType<typeof fixture>>;
const S = (n: number) => n;

/**
 * Written by hand: the status each route answers for [owner, admin, maintainer, launch, connect,
 * view], and for someone outside the tenant (last). Derived from DESIGN.md §2, not from the code.
 */
const matrix: Record<
  string,
  { statuses: [number, number, number, number, number, number, number]; call: (f: TFixture) => Promise<TAnswer> }
> = {
  "GET /pipeline-secrets": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/pipeline-secrets?workspaceId=${f.workspaceId}`),
  },
  "POST /pipeline-secrets": {
    statuses: [200, 200, 200, 403, 403, 403, 404],
    call: (f) =>
      rest(f.token, "POST", `/pipeline-secrets?workspaceId=${f.workspaceId}`, { name: "NEW_ONE", value: MARKER }),
  },
  "GET /pipeline-secrets/validate": {
    statuses: [204, 204, 204, 403, 403, 403, 404],
    call: (f) => rest(f.token, "GET", `/pipeline-secrets/validate?workspaceId=${f.workspaceId}&name=FREE_NAME`),
  },
  "GET /pipeline-secrets/{secretId}": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: async (f) =>
      rest(
        f.token,
        "GET",
        `/pipeline-secrets/${(await f.owner.secrets.create({ workspaceId: f.workspaceId, name: "READ_ME", value: { plain: MARKER } })).id}?workspaceId=${f.workspaceId}`,
      ),
  },
  "PUT /pipeline-secrets/{secretId}": {
    statuses: [204, 204, 204, 403, 403, 403, 404],
    call: async (f) =>
      rest(
        f.token,
        "PUT",
        `/pipeline-secrets/${(await f.owner.secrets.create({ workspaceId: f.workspaceId, name: "PUT_ME", value: { plain: "old-value" } })).id}?workspaceId=${f.workspaceId}`,
        { value: MARKER },
      ),
  },
  "DELETE /pipeline-secrets/{secretId}": {
    statuses: [204, 204, 204, 403, 403, 403, 404],
    call: async (f) =>
      rest(
        f.token,
        "DELETE",
        `/pipeline-secrets/${(await f.owner.secrets.create({ workspaceId: f.workspaceId, name: "DROP_ME", value: { plain: MARKER } })).id}?workspaceId=${f.workspaceId}`,
      ),
  },
  "GET /secrets/public-key": {
    statuses: [200, 200, 200, 200, 200, 200, 200],
    call: (f) => rest(f.token, "GET", "/secrets/public-key"),
  },
  "GET /me": { statuses: [200, 200, 200, 200, 200, 200, 200], call: (f) => rest(f.token, "GET", "/me") },
  "GET /orgs": { statuses: [200, 200, 200, 200, 200, 200, 200], call: (f) => rest(f.token, "GET", "/orgs") },
  "GET /orgs/{orgId}": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/orgs/${f.orgId}`),
  },
  "GET /workspaces": {
    statuses: [200, 200, 200, 200, 200, 200, 200],
    call: (f) => rest(f.token, "GET", "/workspaces"),
  },
  "GET /workspaces/{workspaceId}": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}`),
  },
  "GET /workspaces/{workspaceId}/compute-envs": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}/compute-envs`),
  },
  // A cloud kind: local ones also need the instance-admin right (compute-envs.integration.test.ts); here only the role decides.
  "POST /workspaces/{workspaceId}/compute-envs": {
    statuses: [201, 201, 201, 403, 403, 403, 404],
    call: (f) => rest(f.token, "POST", `/workspaces/${f.workspaceId}/compute-envs`, cloudEnv("Cloud", f.credentialId)),
  },
  "GET /workspaces/{workspaceId}/compute-envs/{computeEnvId}": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}/compute-envs/${f.computeEnvId}`),
  },
  "PUT /workspaces/{workspaceId}/compute-envs/{computeEnvId}": {
    statuses: [200, 200, 200, 403, 403, 403, 404],
    call: async (f) => {
      const ce = await f.owner.computeEnvs.create({
        workspaceId: f.workspaceId,
        computeEnv: cloudEnv("To edit", f.credentialId),
      });
      return rest(f.token, "PUT", `/workspaces/${f.workspaceId}/compute-envs/${ce.id}`, {
        computeEnv: cloudEnv("Edited", f.credentialId),
      });
    },
  },
  "DELETE /workspaces/{workspaceId}/compute-envs/{computeEnvId}": {
    statuses: [204, 204, 204, 403, 403, 403, 404],
    call: async (f) =>
      rest(
        f.token,
        "DELETE",
        `/workspaces/${f.workspaceId}/compute-envs/${(await f.owner.computeEnvs.create({ workspaceId: f.workspaceId, computeEnv: localEnv("Spare") })).id}`,
      ),
  },
  "GET /workspaces/{workspaceId}/pipelines": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}/pipelines`),
  },
  "POST /workspaces/{workspaceId}/pipelines": {
    statuses: [201, 201, 201, 403, 403, 403, 404],
    call: (f) =>
      rest(f.token, "POST", `/workspaces/${f.workspaceId}/pipelines`, {
        name: "fails",
        repository: join(pipelinesRoot, "fails"),
      }),
  },
  "GET /workspaces/{workspaceId}/pipelines/{pipelineId}": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}/pipelines/${f.pipelineId}`),
  },
  "PUT /workspaces/{workspaceId}/pipelines/{pipelineId}": {
    statuses: [200, 200, 200, 403, 403, 403, 404],
    call: (f) =>
      rest(f.token, "PUT", `/workspaces/${f.workspaceId}/pipelines/${f.pipelineId}`, {
        name: "sleeps",
        repository: join(pipelinesRoot, "sleeps"),
        defaultParams: { seconds: 5 },
        defaultComputeEnvId: f.computeEnvId,
      }),
  },
  "DELETE /workspaces/{workspaceId}/pipelines/{pipelineId}": {
    statuses: [204, 204, 204, 403, 403, 403, 404],
    call: async (f) =>
      rest(
        f.token,
        "DELETE",
        `/workspaces/${f.workspaceId}/pipelines/${(await f.owner.pipelines.create({ workspaceId: f.workspaceId, pipeline: { name: "spare", repository: join(pipelinesRoot, "fails") } })).id}`,
      ),
  },
  "POST /workspaces/{workspaceId}/runs": {
    statuses: [201, 201, 201, 201, 403, 403, 404],
    call: (f) =>
      rest(f.token, "POST", `/workspaces/${f.workspaceId}/runs`, {
        pipelineId: f.pipelineId,
        secrets: { mode: "all" },
      }),
  },
  "GET /workspaces/{workspaceId}/runs": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}/runs`),
  },
  "GET /workspaces/{workspaceId}/runs/{runId}": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}/runs/${f.runId}`),
  },
  "GET /workspaces/{workspaceId}/runs/{runId}/logs": {
    statuses: [200, 200, 200, 200, 200, 200, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}/runs/${f.runId}/logs`),
  },
  // The caller's own run: cancelling it needs runs:cancel-own (launch and up).
  "POST /workspaces/{workspaceId}/runs/{runId}/cancel": {
    statuses: [204, 204, 204, 204, 403, 403, 404],
    call: (f) => rest(f.token, "POST", `/workspaces/${f.workspaceId}/runs/${f.runId}/cancel`),
  },
  "GET /workspaces/{workspaceId}/audit": {
    statuses: [200, 200, 403, 403, 403, 403, 404],
    call: (f) => rest(f.token, "GET", `/workspaces/${f.workspaceId}/audit`),
  },
};

describe("REST role matrix: every route × every workspace role, and someone from another tenant", () => {
  it("the hand-written table covers exactly the REST routes", () => {
    expect(Object.keys(matrix).sort()).toEqual(restRoutes.map((r) => `${r.method} ${r.path}`).sort());
  });

  const roles = [...workspaceRoles, "outsider"] as const;
  it.each(roles.map((role, i) => [role, i] as const))("as %s", async (role, i) => {
    expect(workspaceRoles.slice(0, 6)).toEqual(["owner", "admin", "maintainer", "launch", "connect", "view"]);
    const f = await fixture(role === "outsider" ? "view" : role);
    if (role === "outsider") {
      // Someone with their own account and workspace, calling with the ids of this tenant.
      const stranger = await makePlainUser(db, "rest-stranger");
      f.token = await tokenFor(stranger.id);
    }
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const [key, { statuses, call }] of Object.entries(matrix)) {
      const answer = await call(f);
      got[key] = answer.status;
      want[key] = S(statuses[i]!);
      if (answer.status >= 400)
        expect(answer.body.error, key).toEqual(
          expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
        );
    }
    expect(got).toEqual(want);
  });
});

describe("REST API", () => {
  it("takes only bearer access tokens, says why otherwise, and a token's scopes still apply", async () => {
    const f = await fixture("maintainer");
    const none = await rest(null, "GET", "/me");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(none.body.error.code).toBe("UNAUTHORIZED");
    // A cookie is no credential here.
    expect((await rest(null, "GET", "/me", undefined, { cookie: "next-auth.session-token=whatever" })).status).toBe(
      401,
    );
    expect((await rest("lst_notarealtoken", "GET", "/me")).status).toBe(401);
    // An invalid token learns nothing about the input either: 401 before validation.
    expect(
      (await rest("lst_notarealtoken", "POST", `/pipeline-secrets?workspaceId=${f.workspaceId}`, { name: "bad-name" }))
        .status,
    ).toBe(401);
    expect(
      (await rest(f.token, "POST", `/pipeline-secrets?workspaceId=${f.workspaceId}`, { name: "bad-name" })).status,
    ).toBe(400);
    expect((await rest(f.token, "GET", "/me")).status).toBe(200);

    const readOnly = await tokenFor(f.callerId, ["read"]);
    expect((await rest(readOnly, "GET", `/pipeline-secrets?workspaceId=${f.workspaceId}`)).status).toBe(200);
    const refused = await rest(readOnly, "POST", `/pipeline-secrets?workspaceId=${f.workspaceId}`, {
      name: "SCOPED",
      value: "scoped-value-1",
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: "FORBIDDEN",
      message: 'This access token lacks the "write" scope (it has: read).',
    });
    const launchOnly = await tokenFor(f.callerId, ["launch"]);
    expect(
      (
        await rest(launchOnly, "POST", `/workspaces/${f.workspaceId}/runs`, {
          pipelineId: f.pipelineId,
          secrets: { mode: "all" },
        })
      ).status,
    ).toBe(201);
    expect((await rest(launchOnly, "GET", `/workspaces/${f.workspaceId}/runs`)).status).toBe(403);
  });

  it("pipeline secrets follow Seqera's shapes; values are write-only, plain or sealed client-side", async () => {
    const f = await fixture("maintainer");
    const q = `?workspaceId=${f.workspaceId}`;
    const created = await rest(f.token, "POST", `/pipeline-secrets${q}`, { name: "DB_PASSWORD", value: MARKER });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(["secretId"]);
    const id = created.body.secretId as string;

    const listed = await rest(f.token, "GET", `/pipeline-secrets${q}`);
    expect(listed.body).toEqual({
      pipelineSecrets: [
        { id, name: "DB_PASSWORD", lastUsed: null, dateCreated: expect.any(String), lastUpdated: expect.any(String) },
      ],
      totalSize: 1,
      nextCursor: null,
    });
    expect((await rest(f.token, "GET", `/pipeline-secrets/${id}${q}`)).body).toEqual({
      pipelineSecret: listed.body.pipelineSecrets[0],
    });

    // validate: 204 free, 409 taken, 400 against Nextflow's name rule.
    expect((await rest(f.token, "GET", `/pipeline-secrets/validate${q}&name=OTHER`)).status).toBe(204);
    const dup = await rest(f.token, "GET", `/pipeline-secrets/validate${q}&name=DB_PASSWORD`);
    expect([dup.status, dup.body.error.code]).toEqual([409, "CONFLICT"]);
    const bad = await rest(f.token, "GET", `/pipeline-secrets/validate${q}&name=has-dash`);
    expect([bad.status, Object.keys(bad.body.error.fields)]).toEqual([400, ["name"]]);
    expect(
      (await rest(f.token, "POST", `/pipeline-secrets${q}`, { name: "DB_PASSWORD", value: "another-value" })).status,
    ).toBe(409);

    // Overwrite with a value sealed client-side (what the CLI sends), bound to scope, owner and name.
    const spec = (await rest(f.token, "GET", "/secrets/public-key")).body as { kid: string; publicKey: string };
    const sealedValue = await seal(await importPublicKey(spec.kid, spec.publicKey), `${MARKER}-sealed`, {
      scope: "workspace",
      ownerId: f.workspaceId,
      name: "DB_PASSWORD",
    });
    expect((await rest(f.token, "PUT", `/pipeline-secrets/${id}${q}`, { sealedValue })).status).toBe(204);
    const row = await sealedSecretById(db, id);
    expect(
      await testKeys.opening.open(row!.sealed, { scope: "workspace", ownerId: f.workspaceId, name: "DB_PASSWORD" }),
    ).toBe(`${MARKER}-sealed`);
    expect((await rest(f.token, "GET", `/pipeline-secrets/${id}${q}`)).body.pipelineSecret.lastUpdated).not.toBe(
      listed.body.pipelineSecrets[0].lastUpdated,
    );

    // Exactly one of value and sealedValue; a value breaking a rule is refused naming the rule, not the value; nothing changes.
    const both = await rest(f.token, "PUT", `/pipeline-secrets/${id}${q}`, { value: "x-value-123", sealedValue });
    expect([both.status, both.body.error.fields]).toEqual([
      400,
      { value: "Send exactly one of value and sealedValue." },
    ]);
    const broken = await rest(f.token, "PUT", `/pipeline-secrets/${id}${q}`, { value: `${MARKER}\nsecond line` });
    expect(broken.status).toBe(400);
    expect(broken.body.error.fields.value).toMatch(/line break/);
    const unchanged = await sealedSecretById(db, id);
    expect(unchanged!.sealed).toBe(row!.sealed);
    expect((await rest(f.token, "PUT", `/pipeline-secrets/${id}${q}`, "{not json")).status).toBe(400);
    expect(
      (
        await rest(
          f.token,
          "PUT",
          `/pipeline-secrets/${id}${q}`,
          { value: "abc-value-1" },
          { "content-type": "text/plain" },
        )
      ).status,
    ).toBe(415);

    expect((await rest(f.token, "DELETE", `/pipeline-secrets/${id}${q}`)).status).toBe(204);
    expect((await rest(f.token, "DELETE", `/pipeline-secrets/${id}${q}`)).status).toBe(404);
  });

  it("without workspaceId the pipeline-secrets routes are the caller's own user secrets, invisible to others", async () => {
    const f = await fixture("view");
    const created = await rest(f.token, "POST", "/pipeline-secrets", { name: "MY_TOKEN", value: MARKER });
    expect(created.status).toBe(200);
    expect(
      (await rest(f.token, "GET", "/pipeline-secrets")).body.pipelineSecrets.map((s: { name: string }) => s.name),
    ).toEqual(["MY_TOKEN"]);
    const other = await makePlainUser(db, "rest-other");
    const otherToken = await tokenFor(other.id);
    expect((await rest(otherToken, "GET", "/pipeline-secrets")).body.pipelineSecrets).toEqual([]);
    expect((await rest(otherToken, "GET", `/pipeline-secrets/${created.body.secretId}`)).status).toBe(404);
    expect(
      (await rest(otherToken, "PUT", `/pipeline-secrets/${created.body.secretId}`, { value: "hijack-value-1" })).status,
    ).toBe(404);
    expect((await rest(otherToken, "DELETE", `/pipeline-secrets/${created.body.secretId}`)).status).toBe(404);
    // Another workspace's secret id under one's own workspace: not found either.
    const wsSecret = await f.owner.secrets.create({
      workspaceId: f.workspaceId,
      name: "WS_ONLY",
      value: { plain: MARKER },
    });
    expect((await rest(f.token, "DELETE", `/pipeline-secrets/${wsSecret.id}`)).status).toBe(404);
  });

  it("pages every list with a cursor of stable ids", async () => {
    const f = await fixture("owner");
    const q = `workspaceId=${f.workspaceId}`;
    for (const name of ["A_ONE", "B_TWO", "C_THREE"])
      expect((await rest(f.token, "POST", `/pipeline-secrets?${q}`, { name, value: `${MARKER}-${name}` })).status).toBe(
        200,
      );
    const first = await rest(f.token, "GET", `/pipeline-secrets?${q}&limit=2`);
    expect(first.body.pipelineSecrets).toHaveLength(2);
    expect(first.body.totalSize).toBe(2);
    const second = await rest(f.token, "GET", `/pipeline-secrets?${q}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.nextCursor).toBeNull();
    expect(
      [...first.body.pipelineSecrets, ...second.body.pipelineSecrets].map((s: { name: string }) => s.name).sort(),
    ).toEqual(["A_ONE", "B_TWO", "C_THREE"]);
    const badCursor = await rest(f.token, "GET", `/pipeline-secrets?${q}&cursor=nope`);
    expect([badCursor.status, Object.keys(badCursor.body.error.fields)]).toEqual([400, ["cursor"]]);
    const badLimit = await rest(f.token, "GET", `/pipeline-secrets?${q}&limit=0`);
    expect([badLimit.status, badLimit.body.error.fields]).toEqual([400, { limit: "limit must be at least 1." }]);

    // Runs: newest first, through runs.list's own `after`.
    for (let i = 0; i < 3; i++)
      expect(
        (
          await rest(f.token, "POST", `/workspaces/${f.workspaceId}/runs`, {
            pipelineId: f.pipelineId,
            secrets: { mode: "all" },
          })
        ).status,
      ).toBe(201);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: TAnswer = await rest(
        f.token,
        "GET",
        `/workspaces/${f.workspaceId}/runs?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      ids.push(...page.body.items.map((r: { id: string }) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);

    // Logs: oldest first, the cursor is the last line's seq.
    const logs1 = await rest(f.token, "GET", `/workspaces/${f.workspaceId}/runs/${f.runId}/logs?limit=2`);
    expect(logs1.body.items.map((l: { line: string }) => l.line)).toEqual(["line one", "line two"]);
    const logs2 = await rest(
      f.token,
      "GET",
      `/workspaces/${f.workspaceId}/runs/${f.runId}/logs?limit=2&cursor=${logs1.body.nextCursor}`,
    );
    expect(logs2.body.items.map((l: { line: string }) => l.line)).toEqual(["line three"]);
    expect(logs2.body.nextCursor).toBeNull();
    // Following a live run: from the last line's seq, nothing new yet, then the new line.
    const lastSeq = logs2.body.items[0].seq as number;
    expect(
      (await rest(f.token, "GET", `/workspaces/${f.workspaceId}/runs/${f.runId}/logs?cursor=${lastSeq}`)).body,
    ).toEqual({ items: [], nextCursor: null });
    await appendRunLog(db, f.runId, ["line four"]);
    expect(
      (
        await rest(f.token, "GET", `/workspaces/${f.workspaceId}/runs/${f.runId}/logs?cursor=${lastSeq}`)
      ).body.items.map((l: { line: string }) => l.line),
    ).toEqual(["line four"]);

    // Audit: newest first, seq cursor.
    const audit = await rest(f.token, "GET", `/workspaces/${f.workspaceId}/audit?limit=2&action=secret.created`);
    expect(audit.body.items.map((e: { targetName: string }) => e.targetName)).toEqual(["C_THREE", "B_TWO"]);
    const audit2 = await rest(
      f.token,
      "GET",
      `/workspaces/${f.workspaceId}/audit?limit=2&action=secret.created&cursor=${audit.body.nextCursor}`,
    );
    expect(audit2.body.items.map((e: { targetName: string }) => e.targetName)).toEqual(["A_ONE"]);
  });

  it("answers unknown routes and methods clearly, and invalid ids as the procedures do", async () => {
    const f = await fixture("owner");
    const missing = await rest(f.token, "GET", "/nothing-here");
    expect([missing.status, missing.body.error.code]).toEqual([404, "NOT_FOUND"]);
    const method = await rest(f.token, "PATCH", "/pipeline-secrets");
    expect([method.status, method.headers.get("allow")]).toEqual([405, "GET, POST"]);
    const badId = await rest(f.token, "GET", "/workspaces/not-a-uuid");
    expect([badId.status, badId.body.error.fields]).toEqual([
      400,
      { workspaceId: "workspaceId must be an id (UUID)." },
    ]);
    const badBody = await rest(f.token, "POST", `/workspaces/${f.workspaceId}/pipelines`, {
      name: "",
      repository: "ftp://x",
    });
    expect(badBody.status).toBe(400);
    expect(Object.keys(badBody.body.error.fields).sort()).toEqual(["name", "repository"]);
  });

  it("serves an OpenAPI 3.1 document that validates and describes every route", async () => {
    const answer = await rest(null, "GET", "/openapi.json");
    expect(answer.status).toBe(200);
    const doc = answer.body;
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    const operations = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      ([p, ms]) => Object.keys(ms).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(operations.sort()).toEqual(restRoutes.map((r) => `${r.method} ${r.path}`).sort());
    // Seqera's list shape, and no value in any response schema.
    const list = doc.paths["/pipeline-secrets"].get.responses["200"].content["application/json"].schema;
    expect(Object.keys(list.properties.pipelineSecrets.items.properties).sort()).toEqual([
      "dateCreated",
      "id",
      "lastUpdated",
      "lastUsed",
      "name",
    ]);
    const responses = JSON.stringify(
      Object.values(doc.paths as Record<string, Record<string, { responses: unknown }>>).flatMap((ms) =>
        Object.values(ms).map((m) => m.responses),
      ),
    );
    expect(responses).not.toMatch(/"(value|sealed|sealedValue|tokenHash|passwordHash)"/);
    expect(openApiDocument()).toBe(openApiDocument());
  });

  it("exercised every route successfully, and no answer carried a secret value or its ciphertext", () => {
    expect([...exercised].sort()).toEqual(restRoutes.map((r) => `${r.method} ${r.path}`).sort());
    const all = seen.join("\n");
    expect(all).not.toContain(MARKER);
    expect(all).not.toContain("lsv1.");
    // Positive control: the scan would see the marker if an answer carried it.
    expect([...seen, JSON.stringify({ leaked: MARKER })].join("\n")).toContain(MARKER);
  });
});
