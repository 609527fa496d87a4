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

export class AppError extends Error {
  constructor(
    readonly code: TAppErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: appErrorCodes[error.code], message: error.message, cause: error });
}
