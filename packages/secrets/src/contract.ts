import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { TRunRef, TRunSecret, TSecretsProvider } from "./provider";

/**
 * The behaviour every provider must have, run against each real backend (a directory, moto,
 * the Google emulator). `readBack` reads what the provider stored for a run, the way the compute
 * environment would (test-only), so round trips are checked end to end.
 */
export type TContractSubject = {
  provider: TSecretsProvider;
  readBack(run: TRunRef): Promise<TRunSecret[]>;
  /** What a location must look like for this provider (path, ARN, resource name). */
  locationPattern(run: TRunRef, name: string): RegExp;
};

export function providerContract(label: string, subject: () => Promise<TContractSubject>) {
  const run = (): TRunRef => ({ runId: randomUUID(), workspaceId: randomUUID() });
  const sorted = (s: TRunSecret[]) => [...s].sort((a, b) => a.name.localeCompare(b.name));

  describe(`secrets provider contract: ${label}`, () => {
    it("provision stores each secret once and is idempotent", async () => {
      const { provider, readBack } = await subject();
      const r = run();
      const secrets = [
        { name: "DB_PASSWORD", value: `db-${randomUUID()}` },
        { name: "API_TOKEN", value: `tok-${randomUUID()}` },
      ];
      await provider.provision(r, secrets);
      await provider.provision(r, secrets);
      expect(sorted(await readBack(r))).toEqual(sorted(secrets));
      await provider.cleanup(r);
    });

    it("cleanup removes every copy and is idempotent", async () => {
      const { provider, readBack } = await subject();
      const r = run();
      await provider.provision(r, [{ name: "ONLY_ONE", value: "v" }]);
      await provider.cleanup(r);
      await provider.cleanup(r);
      expect(await readBack(r)).toEqual([]);
      expect((await provider.listManaged()).filter((c) => c.runId === r.runId)).toEqual([]);
    });

    it("cleanup of a run never provisioned succeeds", async () => {
      const { provider } = await subject();
      await expect(provider.cleanup(run())).resolves.toBeUndefined();
    });

    it("listManaged finds leftovers of a run", async () => {
      const { provider } = await subject();
      const r = run();
      await provider.provision(r, [{ name: "LEFT_OVER", value: "v" }]);
      expect((await provider.listManaged()).some((c) => c.runId === r.runId)).toBe(true);
      await provider.cleanup(r);
    });

    it("64 KiB and non-ASCII values round-trip exactly", async () => {
      const { provider, readBack } = await subject();
      const r = run();
      const secrets = [
        { name: "BIG", value: "x".repeat(65_536) },
        { name: "UNICODE", value: "pässwörd ✓ 密码 $HOME 'single' a=b;c" },
      ];
      await provider.provision(r, secrets);
      expect(sorted(await readBack(r))).toEqual(sorted(secrets));
      await provider.cleanup(r);
    });

    it("reports locations in the provider's naming format, with no value in them", async () => {
      const { provider, locationPattern } = await subject();
      const r = run();
      const value = `loc-${randomUUID()}`;
      const result = await provider.provision(r, [{ name: "NAMED_SECRET", value }]);
      expect(result.locations.length).toBeGreaterThan(0);
      for (const location of result.locations) expect(location).toMatch(locationPattern(r, "NAMED_SECRET"));
      // A provider either hands nothing to the executor (the head reads a store) or one reference per secret.
      if (result.bindings.length > 0) {
        expect(result.bindings.map((b) => b.name)).toEqual(["NAMED_SECRET"]);
        for (const binding of result.bindings) expect(binding.location).toMatch(locationPattern(r, "NAMED_SECRET"));
      }
      expect(JSON.stringify(result)).not.toContain(value);
      await provider.cleanup(r);
    });
  });
}
