import { TRPCError } from "@trpc/server";

/** Domain errors, mapped to tRPC codes in one table. */
export const appErrorCodes = {
  NOT_FOUND: "NOT_FOUND",
  FORBIDDEN: "FORBIDDEN",
  CONFLICT: "CONFLICT",
  INVALID: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
} as const;

export type TAppErrorCode = keyof typeof appErrorCodes;

/** Structured detail a client can show next to the input it is about (e.g. one entry per import line). */
export type TErrorDetail = { line?: number; field?: string; name?: string; message: string };

export class AppError extends Error {
  constructor(
    readonly code: TAppErrorCode,
    message: string,
    readonly details?: TErrorDetail[],
  ) {
    super(message);
    this.name = "AppError";
  }
}

export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: appErrorCodes[error.code], message: error.message, cause: error });
}

/** Postgres' unique_violation (23505), as postgres.js raises it directly or drizzle wraps it. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | null;
  return e?.code === "23505" || e?.cause?.code === "23505";
}
