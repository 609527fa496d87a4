import { randomUUID } from "node:crypto";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  paginateListSecrets,
  SecretsManagerClient,
  type SecretListEntry,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startFaultProxy, startMoto, ensureMoto, type TStartedMoto } from "@lockstep/devstack";
import { providerContract } from "../../contract";
import { ProviderError, type TRunRef, type TRunSecret, type TSecretsProvider } from "../../provider";
import { awsSecretsManagerProvider, classify, type TAwsSecretsManagerConfig } from "./provider";

/**
 * The provider against moto's Secrets Manager (a real HTTP server speaking the AWS JSON protocol;
 * moto does not check signatures or IAM, so permissions are only verified on real AWS — docs/aws.md).
 */
const region = "us-east-1";
const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
const prefix = "lockstep-";
let moto: TStartedMoto;
let provider: TSecretsProvider;
let direct: SecretsManagerClient;

beforeAll(async () => {
  // The first run creates the virtualenv and pip-installs moto (about 1.5 min on a 2-core machine).
  const installed = await ensureMoto();
  moto = await startMoto({ port: await freePort(), moto: installed });
  provider = awsSecretsManagerProvider({ region, prefix, credentials, endpoint: moto.endpoint });
  direct = new SecretsManagerClient({ region, credentials, endpoint: moto.endpoint });
}, 300_000);

afterAll(async () => {
  direct?.destroy();
  await moto?.stop();
});

async function secretsOfRun(runId: string, client = direct): Promise<SecretListEntry[]> {
  const found: SecretListEntry[] = [];
  const pages = paginateListSecrets(
    { client },
    { Filters: [{ Key: "name", Values: [`${prefix}${runId}/`] }], IncludePlannedDeletion: true },
  );
  for await (const page of pages) found.push(...(page.SecretList ?? []));
  return found;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

providerContract("aws-secrets-manager (moto)", async () => ({
  provider,
  async readBack(run) {
    const secrets: TRunSecret[] = [];
    for (const entry of await secretsOfRun(run.runId)) {
      const got = await direct.send(new GetSecretValueCommand({ SecretId: entry.ARN }));
      secrets.push({ name: entry.Name!.slice(`${prefix}${run.runId}/`.length), value: got.SecretString ?? "" });
    }
    return secrets;
  },
  // arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters AWS appends>
  locationPattern: (run, name) =>
    new RegExp(
      `^arn:aws:secretsmanager:${region}:\\d{12}:secret:${escape(`${prefix}${run.runId}/${name}`)}-[A-Za-z0-9]{6}$`,
    ),
}));

describe("aws-secrets-manager specifics (moto)", () => {
  const newRun = (): TRunRef => ({ runId: randomUUID(), workspaceId: randomUUID() });

  it("names each secret <prefix><runId>/<NAME>, tags it, and hands the ARNs to the launcher", async () => {
    const run = newRun();
    const result = await provider.provision(run, [
      { name: "DB_PASSWORD", value: "p" },
      { name: "API_TOKEN", value: "t" },
    ]);
    expect(result.env).toEqual({ NXF_ENABLE_SECRETS: "true" });
    expect(result.locations).toHaveLength(2);
    for (const arn of result.locations) {
      const described = await direct.send(new DescribeSecretCommand({ SecretId: arn }));
      expect(described.Name).toMatch(new RegExp(`^${prefix}${run.runId}/(DB_PASSWORD|API_TOKEN)$`));
      expect(Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
        "lockstep:run": run.runId,
        "lockstep:workspace": run.workspaceId,
        "lockstep:managed": "true",
      });
    }
    await provider.cleanup(run);
  });

  it("deletes with no recovery window: gone at once, and the name is free again immediately", async () => {
    const run = newRun();
    const { locations } = await provider.provision(run, [{ name: "GONE_NOW", value: "v" }]);
    await provider.cleanup(run);
    const describe = direct.send(new DescribeSecretCommand({ SecretId: locations[0] }));
    await expect(describe).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect(await secretsOfRun(run.runId)).toEqual([]); // not even scheduled for deletion
    const name = `${prefix}${run.runId}/GONE_NOW`;
    const again = await direct.send(new CreateSecretCommand({ Name: name, SecretString: "again" }));
    expect(again.Name).toBe(name);
    await direct.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  });

  it("provisioning twice leaves exactly one secret per name, holding the latest value", async () => {
    const run = newRun();
    const names = ["ONE_A", "TWO_B", "THREE_C"];
    await provider.provision(
      run,
      names.map((name) => ({ name, value: "first" })),
    );
    const second = await provider.provision(
      run,
      names.map((name) => ({ name, value: "second" })),
    );
    const listed = await secretsOfRun(run.runId);
    expect(listed.map((s) => s.Name).sort()).toEqual(names.map((n) => `${prefix}${run.runId}/${n}`).sort());
    expect(second.locations.sort()).toEqual(listed.map((s) => s.ARN).sort());
    for (const arn of second.locations) {
      expect((await direct.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe("second");
    }
    await provider.cleanup(run);
  });

  it("a retry with a narrower set deletes the copies that dropped out", async () => {
    const run = newRun();
    await provider.provision(run, [
      { name: "KEEP_ME", value: "k" },
      { name: "DROP_ME", value: "d" },
    ]);
    const { locations } = await provider.provision(run, [{ name: "KEEP_ME", value: "k" }]);
    expect((await secretsOfRun(run.runId)).map((s) => s.ARN)).toEqual(locations);
    await provider.cleanup(run);
  });

  it("listManaged reports only managed secrets under this prefix, by run", async () => {
    const run = newRun();
    const { locations } = await provider.provision(run, [{ name: "MANAGED_ONE", value: "v" }]);
    const foreign = `${prefix}${randomUUID()}/NOT_OURS`;
    await direct.send(new CreateSecretCommand({ Name: foreign, SecretString: "x" })); // no lockstep:managed tag
    const other = awsSecretsManagerProvider({ region, prefix: "other-", credentials, endpoint: moto.endpoint });
    const otherRun = newRun();
    await other.provision(otherRun, [{ name: "ELSEWHERE", value: "v" }]);

    const managed = await provider.listManaged();
    expect(managed.filter((c) => c.runId === run.runId)).toEqual([{ runId: run.runId, location: locations[0] }]);
    expect(managed.some((c) => c.runId === otherRun.runId || c.location.includes("NOT_OURS"))).toBe(false);

    await provider.cleanup(run);
    await other.cleanup(otherRun);
    await direct.send(new DeleteSecretCommand({ SecretId: foreign, ForceDeleteWithoutRecovery: true }));
  });

  it("classifies errors without putting a value in the message", async () => {
    const unreachable = awsSecretsManagerProvider({
      region,
      credentials,
      endpoint: `http://127.0.0.1:${await freePort()}`,
      maxAttempts: 1,
    });
    const value = `never-in-a-message-${randomUUID()}`;
    const refused = await unreachable.provision(newRun(), [{ name: "A_B", value }]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as ProviderError).retryable).toBe(true);
    expect((refused as ProviderError).message).not.toContain(value);

    const invalid = await provider.provision(newRun(), [{ name: "not-a-name", value }]).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ name: "ProviderError", retryable: false });
    expect((invalid as ProviderError).message).not.toContain(value);

    // Every request failing (throttling or 5xx) with one SDK attempt: retryable, the AWS error named.
    const proxy = await startFaultProxy({ target: moto.endpoint, failureRate: 1, seed: 7 });
    try {
      const throttled = awsSecretsManagerProvider({ region, credentials, endpoint: proxy.endpoint, maxAttempts: 1 });
      const failed = await throttled.provision(newRun(), [{ name: "A_B", value }]).catch((e: unknown) => e);
      expect(failed).toMatchObject({ name: "ProviderError", retryable: true });
      expect((failed as ProviderError).message).toMatch(/ThrottlingException|InternalFailure|ServiceUnavailable/);
      expect((failed as ProviderError).message).not.toContain(value);
    } finally {
      await proxy.stop();
    }
  });

  it("classifies AWS's permanent errors as not retryable and scrubs values from AWS's messages", () => {
    // moto enforces no IAM and not the 65,536-byte limit, so these answers are shaped after real AWS ones.
    const aws = (name: string, status: number, message = "") =>
      Object.assign(new Error(message), {
        name,
        $fault: status >= 500 ? "server" : "client",
        $metadata: { httpStatusCode: status },
      });
    const cases: Array<[unknown, boolean]> = [
      [aws("AccessDeniedException", 400), false],
      [aws("ValidationException", 400), false],
      [aws("InvalidParameterException", 400), false],
      [aws("InvalidRequestException", 400), false],
      [aws("ThrottlingException", 400), true],
      [aws("TooManyRequestsException", 429), true],
      [aws("InternalServiceError", 500), true],
      [aws("SomethingNew", 503), true],
      [aws("SomethingElse", 400), false],
      [Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), true],
      [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), true],
    ];
    for (const [error, retryable] of cases)
      expect(classify(error, "CreateSecret x", []).retryable, String((error as Error).name)).toBe(retryable);
    const echoed = classify(
      aws("ValidationException", 400, "Value 'hunter2-secret' at 'secretString' failed"),
      "CreateSecret x",
      ["hunter2-secret"],
    );
    expect(echoed.message).not.toContain("hunter2-secret");
    expect(echoed.message).toContain("ValidationException");
  });

  it("under 30% injected throttling/5xx (half after moto acted), 20 runs × 3 secrets end with no duplicate and nothing left", async () => {
    const proxy = await startFaultProxy({ target: moto.endpoint, failureRate: 0.3, seed: 20_240_601 });
    // Two SDK attempts only, so that some provider calls fail as a whole and the retried call meets
    // secrets its lost attempt created (CreateSecret → ResourceExists → PutSecretValue). With the
    // SDK's own retries alone, moto's ClientRequestToken idempotency would absorb every lost answer.
    const config: TAwsSecretsManagerConfig = {
      region,
      prefix,
      credentials,
      endpoint: proxy.endpoint,
      maxAttempts: 2,
      retryBaseDelayMs: 10,
    };
    const flaky = awsSecretsManagerProvider(config);
    const started = Date.now();
    let providerRetries = 0;
    // What the worker's BullMQ backoff does: retry the whole provider call on a retryable error.
    const withJobRetries = async <T>(call: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await call();
        } catch (error) {
          if (!(error instanceof ProviderError) || !error.retryable || attempt >= 12) throw error;
          providerRetries += 1;
          await new Promise((r) => setTimeout(r, 20 * attempt));
        }
      }
    };
    const runs = Array.from({ length: 20 }, newRun);
    const names = ["DB_PASSWORD", "API_TOKEN", "S3_KEY"];
    try {
      // Four runs at a time, as a worker with concurrency 4 would.
      await inBatches(runs, 4, (run) =>
        withJobRetries(() =>
          flaky.provision(
            run,
            names.map((name) => ({ name, value: `${name}-${run.runId}` })),
          ),
        ),
      );

      // Checked against moto directly, not through the proxy.
      for (const run of runs) {
        const listed = await secretsOfRun(run.runId);
        expect(listed.map((s) => s.Name).sort(), `run ${run.runId}`).toEqual(
          names.map((n) => `${prefix}${run.runId}/${n}`).sort(),
        );
        for (const entry of listed) {
          const value = (await direct.send(new GetSecretValueCommand({ SecretId: entry.ARN }))).SecretString;
          expect(value).toBe(`${entry.Name!.split("/")[1]}-${run.runId}`);
        }
      }

      await inBatches(runs, 4, (run) => withJobRetries(() => flaky.cleanup(run)));
      for (const run of runs) expect(await secretsOfRun(run.runId), `run ${run.runId}`).toEqual([]);
    } finally {
      await proxy.stop();
    }
    const stats = proxy.stats();
    const injected = stats.injectedBefore + stats.injectedAfter;
    console.info(
      `[fault test] ${runs.length} runs × ${names.length} secrets in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `${stats.requests} requests, ${injected} injected failures (${stats.injectedBefore} before forwarding, ${stats.injectedAfter} after; ` +
        `${stats.byKind.throttling} throttling, ${stats.byKind["500"]} × 500, ${stats.byKind["503"]} × 503), ${providerRetries} provider-call retries; ` +
        `requests per operation ${JSON.stringify(stats.operations)}`,
    );
    expect(injected).toBeGreaterThan(0);
    expect(stats.injectedAfter).toBeGreaterThan(0);
    expect(providerRetries).toBeGreaterThan(0);
    // The retried provisions met secrets their lost attempts had created, and updated them in place.
    expect(stats.operations["secretsmanager.PutSecretValue"] ?? 0).toBeGreaterThan(0);
  }, 120_000);
});

async function inBatches<T>(items: T[], size: number, each: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}
