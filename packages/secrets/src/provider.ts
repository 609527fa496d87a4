/**
 * One interface for every place a run's secrets can be pushed to (DESIGN.md §4). Implementations
 * live in ./providers/<name>/ and are picked by an exhaustive switch on the validated config.
 */
export type TRunSecret = { name: string; value: string };

export type TRunRef = { runId: string; workspaceId: string };

/** What the launcher must add to Nextflow's environment so it finds the provisioned secrets. */
export type TProvisioned = {
  /** Environment for the Nextflow head process (never values: paths, names, resource ids). */
  env: Record<string, string>;
  /** Where each copy lives (file path, ARN, resource name), for the audit log. */
  locations: string[];
  /**
   * Per secret, the reference a head job resolves it from when the executor hands secrets over
   * itself (AWS Batch: the job definition's `secrets[].valueFrom`). Empty when the head reads a
   * store directly (the nextflow-file store). References only, never values.
   */
  bindings: Array<{ name: string; location: string }>;
};

export type TManagedCopy = { runId: string; location: string };

export type TProviderKind = "nextflow-file" | "aws-secrets-manager" | "google-secret-manager" | "ssh-file";

export type TSecretsProvider = {
  readonly kind: TProviderKind;
  /** Idempotent: provisioning the same run twice leaves exactly one copy of each secret. */
  provision(run: TRunRef, secrets: TRunSecret[]): Promise<TProvisioned>;
  /** Idempotent: deleting what is already gone succeeds. Removes every copy of the run. */
  cleanup(run: TRunRef): Promise<void>;
  /** Every copy this provider manages, for the sweeper to reconcile against the database. */
  listManaged(): Promise<TManagedCopy[]>;
};

/** Errors a provider raises are classified so the worker knows whether to retry. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}
