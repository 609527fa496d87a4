"use client";

import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import { useCallback, useEffect, useRef, useState } from "react";
import type { TAppRouter } from "@lockstep/api";
import { importPublicKey, seal, type TPublicKey } from "@lockstep/crypto";
import { secretNameProblem } from "@lockstep/validators";
import { nextPageAfter, PAGE_SIZE } from "~/components/paging";
import { useTRPC } from "~/trpc/react";

/** Whose secrets a panel manages: a workspace's, or the signed-in user's own. */
export type TSecretsTarget = { scope: "workspace"; workspaceId: string } | { scope: "user" };

export type TSecretRow = inferRouterOutputs<TAppRouter>["secrets"]["list"][number];

export type TImportDetail = { line?: number; name?: string; message: string };

/**
 * A value sealed in this browser is checked by the worker just after it is saved: look again every
 * two seconds while a value written in the last minute awaits its check, so a broken one is marked
 * while its author is still here.
 */
function whileChecking(query: {
  state: { data?: { pages: Array<Array<{ updatedAt: string; valueCheckedAt: string | null }>> } };
}): number | false {
  const recent = (query.state.data?.pages ?? [])
    .flat()
    .some((s) => s.valueCheckedAt === null && Date.now() - Date.parse(s.updatedAt) < 60_000);
  return recent ? 2_000 : false;
}

/**
 * The list of secrets (metadata only: the API has no way to return a value), a page at a time in
 * name order, filtered by `search` on the server.
 */
export function useSecretList(target: TSecretsTarget, search = "") {
  const trpc = useTRPC();
  const workspaceId = target.scope === "workspace" ? target.workspaceId : null;
  const input = { limit: PAGE_SIZE, sort: "name" as const, ...(search ? { search } : {}) };
  // The rows already shown stay while the next search's first page loads (the search box keeps focus).
  const paging = {
    getNextPageParam: nextPageAfter<TSecretRow>(),
    refetchInterval: whileChecking,
    placeholderData: keepPreviousData,
  };
  const ws = useInfiniteQuery({
    ...trpc.secrets.list.infiniteQueryOptions({ workspaceId: workspaceId ?? "", ...input }, paging),
    enabled: workspaceId !== null,
  });
  const mine = useInfiniteQuery({
    ...trpc.userSecrets.list.infiniteQueryOptions(input, paging),
    enabled: workspaceId === null,
  });
  return workspaceId !== null ? ws : mine;
}

/** Create, overwrite, delete and import — values go out sealed, never plain. */
export function useSecretWrites(target: TSecretsTarget) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspaceId = target.scope === "workspace" ? target.workspaceId : null;
  const wsCreate = useMutation(trpc.secrets.create.mutationOptions());
  const wsUpdate = useMutation(trpc.secrets.update.mutationOptions());
  const wsDelete = useMutation(trpc.secrets.delete.mutationOptions());
  const wsImport = useMutation(trpc.secrets.import.mutationOptions());
  const userCreate = useMutation(trpc.userSecrets.create.mutationOptions());
  const userUpdate = useMutation(trpc.userSecrets.update.mutationOptions());
  const userDelete = useMutation(trpc.userSecrets.delete.mutationOptions());
  const userImport = useMutation(trpc.userSecrets.import.mutationOptions());

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({
        queryKey: workspaceId !== null ? trpc.secrets.list.pathKey() : trpc.userSecrets.list.pathKey(),
      }),
      // Every write is an audit event: the activity lists are stale now.
      queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() }),
    ]);

  return {
    create: (name: string, sealed: string) =>
      workspaceId !== null
        ? wsCreate.mutateAsync({ workspaceId, name, value: { sealed } })
        : userCreate.mutateAsync({ name, value: { sealed } }),
    update: (secretId: string, sealed: string) =>
      workspaceId !== null
        ? wsUpdate.mutateAsync({ workspaceId, secretId, value: { sealed } })
        : userUpdate.mutateAsync({ secretId, value: { sealed } }),
    remove: (secretId: string) =>
      workspaceId !== null ? wsDelete.mutateAsync({ workspaceId, secretId }) : userDelete.mutateAsync({ secretId }),
    importEntries: (entries: Array<{ line: number; name: string; sealed: string }>, overwrite: boolean) => {
      const sealedEntries = entries.map((e) => ({ line: e.line, name: e.name, value: { sealed: e.sealed } }));
      return workspaceId !== null
        ? wsImport.mutateAsync({ workspaceId, entries: sealedEntries, overwrite })
        : userImport.mutateAsync({ entries: sealedEntries, overwrite });
    },
    refresh,
  };
}

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export type TNameStatus =
  | { state: "empty" }
  | { state: "invalid"; message: string }
  | { state: "checking" }
  | { state: "duplicate"; message: string }
  | { state: "ok" }
  | { state: "unknown" };

/**
 * The name rule is checked locally on every keystroke (the same function the server uses); whether
 * the name is taken is asked of the server once typing pauses.
 */
export function useNameStatus(target: TSecretsTarget, name: string): TNameStatus {
  const trpc = useTRPC();
  const debounced = useDebounced(name, 300);
  const problem = name === "" ? null : secretNameProblem(name);
  const ask = debounced !== "" && secretNameProblem(debounced) === null;
  const workspaceId = target.scope === "workspace" ? target.workspaceId : null;
  const options = { enabled: ask, staleTime: 0, retry: false } as const;
  const ws = useQuery({
    ...trpc.secrets.validateName.queryOptions({ workspaceId: workspaceId ?? "", name: debounced }),
    ...options,
    enabled: ask && workspaceId !== null,
  });
  const mine = useQuery({
    ...trpc.userSecrets.validateName.queryOptions({ name: debounced }),
    ...options,
    enabled: ask && workspaceId === null,
  });
  const check = workspaceId !== null ? ws : mine;

  if (name === "") return { state: "empty" };
  if (problem) return { state: "invalid", message: `Secret name ${problem}.` };
  if (debounced !== name || check.isPending) return { state: "checking" };
  if (check.isError) return { state: "unknown" };
  if (check.data.status === "duplicate") return { state: "duplicate", message: check.data.reason };
  if (check.data.status === "invalid") return { state: "invalid", message: check.data.reason };
  return { state: "ok" };
}

export class SealError extends Error {}

/**
 * Seals values in this browser with the server's public key (HPKE), bound to the secret's scope,
 * owner and name: the plaintext never leaves the page, and the server can only store it.
 */
export function useSealer(target: TSecretsTarget) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Fetched as soon as a dialog opens, so sealing does not wait for them on submit.
  useQuery({ ...trpc.secrets.publicKey.queryOptions(), staleTime: 60_000 });
  useQuery({ ...trpc.me.get.queryOptions(), enabled: target.scope === "user" });
  const imported = useRef<{ kid: string; key: string; handle: Promise<TPublicKey> } | null>(null);

  return useCallback(
    async (name: string, value: string): Promise<string> => {
      if (!globalThis.crypto?.subtle) {
        throw new SealError(
          "This browser cannot encrypt here: Lockstep must be opened over HTTPS (or on localhost) to seal secrets before sending them.",
        );
      }
      const spec = await queryClient.fetchQuery({ ...trpc.secrets.publicKey.queryOptions(), staleTime: 60_000 });
      const ownerId =
        target.scope === "workspace"
          ? target.workspaceId
          : (await queryClient.fetchQuery(trpc.me.get.queryOptions())).id;
      if (imported.current?.kid !== spec.kid || imported.current.key !== spec.publicKey) {
        imported.current = { kid: spec.kid, key: spec.publicKey, handle: importPublicKey(spec.kid, spec.publicKey) };
      }
      try {
        return await seal(await imported.current.handle, value, { scope: target.scope, ownerId, name });
      } catch {
        imported.current = null;
        throw new SealError("This browser could not encrypt the value. Reload the page and try again.");
      }
    },
    [queryClient, trpc, target],
  );
}

/** Splits a failed write into messages for the name field, the value field and the form. */
export function writeErrorsOf(error: unknown): {
  name?: string;
  value?: string;
  form?: string;
  details?: TImportDetail[];
} {
  if (error instanceof SealError) return { form: error.message };
  if (!(error instanceof TRPCClientError)) return { form: "Something went wrong. Try again." };
  const data = error.data as
    { code?: string; fieldErrors?: Record<string, string>; details?: TImportDetail[] } | undefined;
  if (data?.details?.length)
    return {
      details: data.details,
      form: "The server refused the import; nothing was written. Fix the lines marked above.",
    };
  if (data?.code === "CONFLICT") return { name: error.message };
  const out: { name?: string; value?: string; form?: string } = {};
  for (const [field, message] of Object.entries(data?.fieldErrors ?? {})) {
    if (field.startsWith("name")) out.name = message;
    else if (field.startsWith("value")) out.value = message;
    else out.form = message;
  }
  if (out.name || out.value || out.form) return out;
  const prefixed = /^(name|value): (.*)$/.exec(error.message);
  if (prefixed) return { [prefixed[1]!]: prefixed[2]! };
  return { form: error.message };
}
