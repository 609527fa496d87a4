import { generateAccessToken, hashPassword, type TRateLimiter } from "@lockstep/auth";
import { createUserWithPersonalWorkspace, type TDatabase } from "@lockstep/db";
import { AppError } from "../errors";

/**
 * Registers an account. The answer is the same whether or not the email was free, so sign-up
 * cannot be used to find out who has an account; a taken email simply cannot sign in with the
 * new password.
 */
export async function signUp(
  deps: { db: TDatabase; limiter: TRateLimiter; signupEnabled: boolean; ip: string | null },
  input: { email: string; name: string; password: string },
): Promise<{ ok: true }> {
  if (!deps.signupEnabled) throw new AppError("FORBIDDEN", "Sign-up is turned off on this instance; ask an administrator for an account.");
  // Limited per client address; a caller without one (no web front door) is refused, never put in a shared bucket.
  if (!deps.ip) throw new AppError("RATE_LIMITED", "This server cannot tell client addresses apart, so it refuses sign-ups; its operator must start the web as `npm start` does.");
  const wait = await deps.limiter.hit("sign-up:ip", deps.ip);
  if (wait !== null) throw new AppError("RATE_LIMITED", `Too many sign-ups from this address; try again in ${wait} s.`);
  const passwordHash = await hashPassword(input.password);
  await createUserWithPersonalWorkspace(deps.db, { email: input.email, name: input.name, passwordHash });
  return { ok: true };
}

export function newAccessToken() {
  return generateAccessToken();
}
