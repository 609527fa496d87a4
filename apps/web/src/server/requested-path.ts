/**
 * The page a request asked for, set by proxy.ts on every page request (never taken from the
 * client), so the sign-in redirect can come back to it. Always re-checked by safeReturnPath.
 */
export const REQUESTED_PATH_HEADER = "x-lockstep-requested-path";
