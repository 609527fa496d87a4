import { generateAccessToken, hashPassword, type TRateLimiter } from "@lockstep/auth";
import {
  effectiveSignupPolicy,
  instanceHasAdmin,
  recordAudit,
  registerUser,
  type TDatabase,
  type TSignupPolicy,
} from "@lockstep/db";
import { waitPhrase } from "@lockstep/validators";
import { AppError } from "../errors";

export const SETUP_CODE_NEEDED =
  'setupCode: This instance has no administrator yet. The first account needs the one-time setup code that npm start (or the migration step) printed on the line with "setup code:", or the one in LOCKSTEP_SETUP_CODE.';
export const SIGNUP_OFF = "Sign-up is turned off on this instance; ask an administrator for an account.";
export const SIGNUP_INVITE_ONLY =
  "email: Sign-up on this instance is by invitation only. Ask an organization owner or workspace admin to invite this email address, then sign up with it.";

/**
 * Registers an account. While the instance has no admin, only the setup code creates one (and
 * that account is the admin), whatever the policy. Then the sign-up policy decides; under
 * `invite` only an email with a live invitation gets an account. Otherwise the answer is the same
 * whether or not the email was free, so sign-up cannot be used to find out who has an account;
 * a taken email simply cannot sign in with the new password.
 */
export async function signUp(
  deps: {
    db: TDatabase;
    limiter: TRateLimiter;
    signupDefault: TSignupPolicy;
    ip: string | null;
    userAgent: string | null;
  },
  input: { email: string; name: string; password: string; setupCode?: string },
): Promise<{ ok: true }> {
  // Limited per client address; a caller without one (no web front door) is refused, never put in a shared bucket.
  if (!deps.ip)
    throw new AppError(
      "RATE_LIMITED",
      "This server cannot tell client addresses apart, so it refuses sign-ups; its operator must start the web as `npm start` does.",
    );
  const wait = await deps.limiter.hit("sign-up:ip", deps.ip);
  if (wait !== null)
    throw new AppError("RATE_LIMITED", `Too many sign-ups from this address; try again in ${waitPhrase(wait)}.`);
  const policy = await effectiveSignupPolicy(deps.db, deps.signupDefault);
  // Refused before the (deliberately slow) password hash when nothing could change that answer.
  if (policy === "off" && (await instanceHasAdmin(deps.db))) throw new AppError("FORBIDDEN", SIGNUP_OFF);
  const passwordHash = await hashPassword(input.password);
  const result = await registerUser(deps.db, {
    email: input.email,
    name: input.name,
    passwordHash,
    setupCode: input.setupCode ?? null,
    policy,
  });
  switch (result.status) {
    case "needs-setup-code":
      throw new AppError("FORBIDDEN", SETUP_CODE_NEEDED);
    case "refused":
      throw new AppError("FORBIDDEN", result.policy === "off" ? SIGNUP_OFF : SIGNUP_INVITE_ONLY);
    case "created":
      if (result.claimedAdmin) {
        await recordAudit(deps.db, {
          actorId: result.user.id,
          actorEmail: result.user.email,
          ip: deps.ip,
          userAgent: deps.userAgent,
          action: "instance.setup_claimed",
          targetType: "user",
          targetId: result.user.id,
          targetName: result.user.email,
        });
      }
      return { ok: true };
    case "exists":
      return { ok: true };
  }
}

/** What the sign-up page offers: the first account's setup form, a closed door, or the form. */
export async function signUpState(
  db: TDatabase,
  signupDefault: TSignupPolicy,
): Promise<{ policy: TSignupPolicy; setupRequired: boolean }> {
  return { policy: await effectiveSignupPolicy(db, signupDefault), setupRequired: !(await instanceHasAdmin(db)) };
}

export function newAccessToken() {
  return generateAccessToken();
}
