import { TRPCClientError } from "@trpc/client";

/** Field → message from a tRPC error (validation errors name their fields); anything else under "form". */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const data = error.data as { fieldErrors?: Record<string, string> } | undefined;
    if (data?.fieldErrors && Object.keys(data.fieldErrors).length > 0) return data.fieldErrors;
    const fieldMatch = /^(email|name|slug|password|description|setupCode): (.*)$/s.exec(error.message);
    if (fieldMatch) return { [fieldMatch[1]!]: fieldMatch[2]! };
    return { form: error.message };
  }
  return { form: "Something went wrong. Try again." };
}

export function errorMessage(error: unknown): string {
  return error instanceof TRPCClientError ? error.message : "Something went wrong. Try again.";
}
