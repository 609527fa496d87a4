import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { SecretManagerServiceClient } from "@google-cloud/secret-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureGcpSecretManagerEmulator,
  freePort,
  GCP_SM_EMULATOR_NAME,
  startGcpSecretManagerEmulator,
  type TStartedGcpSecretManagerEmulator,
} from "@lockstep/devstack";
import { providerContract } from "../../contract";
import { ProviderError, type TRunRef, type TRunSecret } from "../../provider";
import { googleSecretManagerProvider, toProviderError, type TGoogleSecretManagerConfig } from "./provider";

/**
 * The provider against a real Secret Manager gRPC server (the Go emulator, built by the devstack).
 * The emulator does no authentication or IAM, so permissions and the PERMISSION_DENIED path are
 * only exercised against real Google Cloud (docs/google.md); here they are classified from codes.
 */
const projectId = "lockstep-test";
const region = "europe-west4";
const prefix = "lockstep-";
let emulator: TStartedGcpSecretManagerEmulator;
let provider: ReturnType<typeof googleSecretManagerProvider>;
/** Reads what the provider stored, the way a Batch task would (test-only). */
let direct: SecretManagerServiceClient;

const emulatorConfig = (): TGoogleSecretManagerConfig => ({
  projectId,
  region,
  prefix,
  apiEndpoint: emulator.host,
  port: emulator.port,
  insecure: true,
});

beforeAll(async () => {
  // The first run builds the emulator with `go install` (a minute or two with an empty module cache).
  const installed = await ensureGcpSecretManagerEmulator();
  emulator = await startGcpSecretManagerEmulator({ port: await freePort(), emulator: installed });
  provider = googleSecretManagerProvider(emulatorConfig());
  direct = new SecretManagerServiceClient({
    apiEndpoint: emulator.host,
    port: emulator.port,
    sslCreds: insecure(),
    universeDomain: "googleapis.com",
  });
}, 600_000);

afterAll(async () => {
  await provider?.close();
  await direct?.close();
  await emulator?.stop();
});

const run = (): TRunRef => ({ runId: randomUUID(), workspaceId: randomUUID() });

async function secretsOf(runId: string) {
  const [secrets] = await direct.listSecrets({
    parent: `projects/${projectId}`,
    filter: `labels.lockstep-run=${runId}`,
  });
  // Never trust the filter alone (see the provider): keep only this run's.
  return secrets.filter((s) => s.labels?.["lockstep-run"] === runId);
}

async function readBack(r: TRunRef): Promise<TRunSecret[]> {
  const found: TRunSecret[] = [];
  for (const secret of await secretsOf(r.runId)) {
    const [access] = await direct.accessSecretVersion({ name: `${secret.name}/versions/latest` });
    const id = secret.name!.split("/secrets/")[1]!;
    found.push({
      name: id.slice(`${prefix}${r.runId}-`.length),
      value: Buffer.from(access.payload!.data!).toString("utf8"),
    });
  }
  return found;
}

async function versionsOf(name: string) {
  const [versions] = await direct.listSecretVersions({ parent: name });
  return versions;
}

providerContract(`google-secret-manager (${GCP_SM_EMULATOR_NAME})`, async () => ({
  provider,
  readBack,
  locationPattern: (r, name) => new RegExp(`^projects/${projectId}/secrets/${prefix}${r.runId}-${name}$`),
}));

describe("google-secret-manager specifics", () => {
  it("labels each secret with run, workspace and managed, and replicates it only to the configured region", async () => {
    const r = run();
    const { locations } = await provider.provision(r, [{ name: "DB_PASSWORD", value: "pw-1234" }]);
    expect(locations).toEqual([`projects/${projectId}/secrets/${prefix}${r.runId}-DB_PASSWORD`]);
    const [secret] = await direct.getSecret({ name: locations[0] });
    expect(secret.labels).toEqual({
      "lockstep-run": r.runId,
      "lockstep-workspace": r.workspaceId,
      "lockstep-managed": "true",
    });
    expect(secret.replication?.userManaged?.replicas?.map((x) => x.location)).toEqual([region]);
    expect(secret.replication?.automatic ?? null).toBeNull();
    await provider.cleanup(r);
  });

  it("NXF_GOOGLE_SECRET_VARS decodes to each name's `latest` version resource; GOOGLE_CLOUD_PROJECT is the project", async () => {
    const r = run();
    const secrets = [
      { name: "API_TOKEN", value: `tok-${randomUUID()}` },
      { name: "DB_PASSWORD", value: `db-${randomUUID()}` },
    ];
    const { env } = await provider.provision(r, secrets);
    expect(Object.keys(env).sort()).toEqual(["GOOGLE_CLOUD_PROJECT", "NXF_GOOGLE_SECRET_VARS"]);
    expect(env.GOOGLE_CLOUD_PROJECT).toBe(projectId);
    const vars = JSON.parse(Buffer.from(env.NXF_GOOGLE_SECRET_VARS!, "base64").toString("utf8")) as Record<
      string,
      string
    >;
    expect(vars).toEqual({
      API_TOKEN: `projects/${projectId}/secrets/${prefix}${r.runId}-API_TOKEN/versions/latest`,
      DB_PASSWORD: `projects/${projectId}/secrets/${prefix}${r.runId}-DB_PASSWORD/versions/latest`,
    });
    // What Nextflow will do with each entry: access it and get the value.
    for (const s of secrets) {
      const [access] = await direct.accessSecretVersion({ name: vars[s.name] });
      expect(Buffer.from(access.payload!.data!).toString("utf8")).toBe(s.value);
    }
    await provider.cleanup(r);
  });

  it("a retry adds no version when the value is unchanged, one when it changed, and completes a half-done secret", async () => {
    const r = run();
    const name = `projects/${projectId}/secrets/${prefix}${r.runId}-A_B`;
    await provider.provision(r, [{ name: "A_B", value: "first" }]);
    await provider.provision(r, [{ name: "A_B", value: "first" }]);
    expect(await versionsOf(name)).toHaveLength(1);
    await provider.provision(r, [{ name: "A_B", value: "second" }]);
    expect(await versionsOf(name)).toHaveLength(2);
    expect(await readBack(r)).toEqual([{ name: "A_B", value: "second" }]);

    // An attempt that created the secret and died before adding its version.
    await direct.createSecret({
      parent: `projects/${projectId}`,
      secretId: `${prefix}${r.runId}-HALF_DONE`,
      secret: {
        labels: { "lockstep-run": r.runId, "lockstep-workspace": r.workspaceId, "lockstep-managed": "true" },
        replication: { userManaged: { replicas: [{ location: region }] } },
      },
    });
    await provider.provision(r, [
      { name: "A_B", value: "second" },
      { name: "HALF_DONE", value: "now-complete" },
    ]);
    expect(await versionsOf(name)).toHaveLength(2);
    expect((await readBack(r)).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "A_B", value: "second" },
      { name: "HALF_DONE", value: "now-complete" },
    ]);
    await provider.cleanup(r);
  });

  it("a retry with a narrower set deletes the copies no longer in it", async () => {
    const r = run();
    await provider.provision(r, [
      { name: "KEEP", value: "k" },
      { name: "DROP", value: "d" },
    ]);
    await provider.provision(r, [{ name: "KEEP", value: "k" }]);
    expect(await readBack(r)).toEqual([{ name: "KEEP", value: "k" }]);
    await provider.cleanup(r);
  });

  it("cleanup and listManaged touch only secrets that are labelled managed and carry this instance's prefix", async () => {
    const r = run();
    await provider.provision(r, [{ name: "MINE", value: "m" }]);
    // Same run label, but not managed by Lockstep; and a managed copy under another instance's prefix.
    const foreign = `not-ours-${r.runId}`;
    await direct.createSecret({
      parent: `projects/${projectId}`,
      secretId: foreign,
      secret: { labels: { "lockstep-run": r.runId }, replication: { automatic: {} } },
    });
    const other = googleSecretManagerProvider({ ...emulatorConfig(), prefix: "other-" });
    await other.provision(r, [{ name: "THEIRS", value: "t" }]);

    expect((await provider.listManaged()).filter((c) => c.runId === r.runId).map((c) => c.location)).toEqual([
      `projects/${projectId}/secrets/${prefix}${r.runId}-MINE`,
    ]);
    await provider.cleanup(r);
    const left = (await secretsOf(r.runId)).map((s) => s.name!.split("/secrets/")[1]).sort();
    expect(left).toEqual([`other-${r.runId}-THEIRS`, foreign].sort());

    await other.cleanup(r);
    await other.close();
    await direct.deleteSecret({ name: `projects/${projectId}/secrets/${foreign}` });
  });

  it("cleanup counts secrets deleted behind its back as done", async () => {
    const r = run();
    const { locations } = await provider.provision(r, [
      { name: "GONE", value: "g" },
      { name: "STAYS", value: "s" },
    ]);
    await direct.deleteSecret({ name: locations.find((l) => l.endsWith("GONE"))! });
    await expect(provider.cleanup(r)).resolves.toBeUndefined();
    expect(await readBack(r)).toEqual([]);
  });

  it("refuses ids Google would reject before calling it", async () => {
    expect(() => googleSecretManagerProvider({ ...emulatorConfig(), prefix: "bad/prefix" })).toThrow(ProviderError);
    await expect(provider.provision({ runId: "Not-Lowercase", workspaceId: randomUUID() }, [])).rejects.toThrow(
      /run id must be/,
    );
    await expect(
      provider.provision(run(), [
        { name: "A", value: "x" },
        { name: "A", value: "y" },
      ]),
    ).rejects.toThrow(/same name/);
  });
});

describe("google-secret-manager error classification", () => {
  it("an unreachable endpoint is retryable (UNAVAILABLE) and the error names no value", async () => {
    const closed = googleSecretManagerProvider({ ...emulatorConfig(), port: await freePort() });
    const value = `never-in-errors-${randomUUID()}`;
    const error = await closed.provision(run(), [{ name: "X_Y", value }]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
    expect((error as ProviderError).message).toMatch(/UNAVAILABLE/);
    expect((error as ProviderError).message).not.toContain(value);
    await closed.close();
  });

  it("NOT_FOUND, FAILED_PRECONDITION and INVALID_ARGUMENT answered by the emulator are permanent", async () => {
    const capture = (p: Promise<unknown>) =>
      p.then(
        () => {
          throw new Error("expected a failure");
        },
        (e: unknown) => e,
      );
    const notFound = await capture(
      direct.getSecret({ name: `projects/${projectId}/secrets/${prefix}missing-${randomUUID()}` }),
    );
    expect(toProviderError(notFound, "get it")).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/NOT_FOUND/),
    });

    const r = run();
    const { locations } = await provider.provision(r, [{ name: "DISABLED", value: "d" }]);
    await direct.disableSecretVersion({ name: `${locations[0]}/versions/1` });
    const disabled = await capture(direct.accessSecretVersion({ name: `${locations[0]}/versions/1` }));
    expect(toProviderError(disabled, "read it")).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/FAILED_PRECONDITION/),
    });
    // The provider itself treats a disabled `latest` as "no usable version" and adds a fresh one.
    await provider.provision(r, [{ name: "DISABLED", value: "d" }]);
    expect(await readBack(r)).toEqual([{ name: "DISABLED", value: "d" }]);

    const invalid = await capture(direct.accessSecretVersion({ name: locations[0] }));
    expect(toProviderError(invalid, "read it")).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/INVALID_ARGUMENT/),
    });
    await provider.cleanup(r);
  });

  it("classifies every gRPC status the way the worker needs (PERMISSION_DENIED included)", () => {
    // The emulator cannot deny (no IAM), so these are the client's error shape built by hand.
    const grpc = (code: number) =>
      Object.assign(new Error(`${code} status`), { code, details: "Permission 'secretmanager.secrets.create' denied" });
    const retryable = { UNAVAILABLE: 14, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, ABORTED: 10 };
    const permanent = {
      PERMISSION_DENIED: 7,
      INVALID_ARGUMENT: 3,
      UNAUTHENTICATED: 16,
      FAILED_PRECONDITION: 9,
      NOT_FOUND: 5,
    };
    for (const [status, code] of Object.entries(retryable)) {
      expect(toProviderError(grpc(code), "create x"), status).toMatchObject({
        retryable: true,
        message: expect.stringContaining(status),
      });
    }
    for (const [status, code] of Object.entries(permanent)) {
      expect(toProviderError(grpc(code), "create x"), status).toMatchObject({
        retryable: false,
        message: expect.stringContaining(status),
      });
    }
    // Transport failures before any gRPC status (e.g. fetching an OAuth token) retry; a bad key does not.
    expect(toProviderError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "list").retryable).toBe(
      true,
    );
    expect(toProviderError(new Error("error:1E08010C:DECODER routines::unsupported"), "list").retryable).toBe(false);
    // A value echoed back by the service would be masked.
    const echoed = toProviderError(
      Object.assign(new Error("x"), { code: 3, details: "bad payload hunter2-secret" }),
      "add",
      ["hunter2-secret"],
    );
    expect(echoed.message).not.toContain("hunter2-secret");
  });
});

/** Plain-text gRPC credentials from the client library's own grpc-js (see the provider). */
function insecure() {
  type TCreds = NonNullable<NonNullable<ConstructorParameters<typeof SecretManagerServiceClient>[0]>["sslCreds"]>;
  const entry = createRequire(import.meta.url).resolve("@google-cloud/secret-manager");
  const gax = createRequire(entry)("google-gax") as { grpc: { credentials: { createInsecure(): TCreds } } };
  return gax.grpc.credentials.createInsecure();
}
