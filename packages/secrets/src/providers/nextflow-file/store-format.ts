import type { TRunSecret } from "../../provider";

/**
 * Nextflow's LocalSecretsProvider store: a JSON array of `{name, value}` objects, UTF-8. Names
 * must be unique; a duplicate would make Nextflow pick one silently.
 */
export function renderSecretsStore(secrets: TRunSecret[]): string {
  const seen = new Set<string>();
  for (const s of secrets) {
    if (seen.has(s.name)) throw new Error(`duplicate secret name ${s.name} in one run`);
    seen.add(s.name);
  }
  return JSON.stringify(secrets.map((s) => ({ name: s.name, value: s.value })));
}
