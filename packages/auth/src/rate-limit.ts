import { isIP } from "node:net";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

export type TLimitKind = "sign-up:ip";
export type TLimitRule = { points: number; duration: number };

const RULES: Record<TLimitKind, TLimitRule> = {
  // Per client address; an operator whose users sign up from behind one NAT raises it.
  "sign-up:ip": { points: 10, duration: 60 * 60 },
};

export type TRateLimiter = {
  /** Consumes one attempt; resolves the seconds to wait when over the limit, else null. */
  hit(kind: TLimitKind, key: string): Promise<number | null>;
  reset(kind: TLimitKind, key: string): Promise<void>;
};

/**
 * The rate-limit key of a client address. IPv4 (and IPv4-mapped IPv6) addresses count one by
 * one; an IPv6 address counts as its /64, the block one subscriber (or one VM) is given, so an
 * attacker cannot dodge a limit by walking through the addresses of their own network.
 * Anything that is not an address is refused: a shared "unknown" bucket would let one client lock
 * out every other.
 */
export function clientKey(address: string): string {
  const plain = address.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  const kind = isIP(plain);
  if (kind === 4) return plain;
  if (kind !== 6) throw new Error("not an IP address");
  return `${ipv6Groups(plain).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone dropped, a trailing dotted quad folded in). */
function ipv6Groups(address: string): string[] {
  let a = address.split("%")[0]!.toLowerCase();
  const quad = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (quad) {
    const [w, x, y, z] = quad.slice(2).map(Number) as [number, number, number, number];
    a = `${quad[1]}${((w << 8) | x).toString(16)}:${((y << 8) | z).toString(16)}`;
  }
  const [head = "", tail] = a.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16).toString(16));
}

/** Fixed-window limits kept in Redis, so they hold across web replicas and restarts. */
export function createRateLimiter(
  redis: Redis,
  prefix: string,
  overrides: Partial<Record<TLimitKind, TLimitRule>> = {},
): TRateLimiter {
  const limiters = new Map<TLimitKind, RateLimiterRedis>();
  const limiter = (kind: TLimitKind) => {
    let l = limiters.get(kind);
    if (!l) {
      const rule = overrides[kind] ?? RULES[kind];
      l = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}:rl:${kind}`,
        points: rule.points,
        duration: rule.duration,
        useRedisPackage: false,
      });
      limiters.set(kind, l);
    }
    return l;
  };
  return {
    async hit(kind, key) {
      try {
        await limiter(kind).consume(key.toLowerCase());
        return null;
      } catch (error) {
        if (error instanceof RateLimiterRes) return Math.ceil(error.msBeforeNext / 1000);
        throw error;
      }
    },
    async reset(kind, key) {
      await limiter(kind).delete(key.toLowerCase());
    },
  };
}

/**
 * Sign-in throttling by exponential backoff. Two counters of failures are kept:
 *
 * - per account **and client**: after `pairFree` failures a client waits `base · 2^(n − pairFree)`
 *   (capped) after its last failure before it may try that account again. A client that has not
 *   failed against the account is never held back, so nobody can lock a colleague out: the owner
 *   signing in from their own address always gets their password checked. While an account is
 *   under attack from many addresses (`attackThreshold` failures in the window, all clients
 *   together), each failing client's backoff starts after its first failure instead.
 * - per client, over all accounts: after `clientFree` failures the client backs off in the same
 *   way, whatever account it names (a spray of random emails from one address stops there, and
 *   only there).
 *
 * Every attempt counts as a failure when it starts (so parallel attempts cannot all pass the
 * check before the first failure is recorded) and is taken back when the password was right.
 */
export type TSignInRules = {
  pairFree: number;
  clientFree: number;
  attackThreshold: number;
  baseMs: number;
  capMs: number;
  /** Counters are forgotten this long after the last failure. */
  windowSeconds: number;
};

export const SIGN_IN_RULES: TSignInRules = {
  pairFree: 5,
  clientFree: 30,
  attackThreshold: 20,
  baseMs: 1_000,
  capMs: 15 * 60_000,
  windowSeconds: 60 * 60,
};

export type TSignInLimiter = {
  /**
   * Call before checking the password. Null: go ahead (the attempt now counts as a failure until
   * `succeeded`). A number: this client must wait that many seconds; the password is not checked.
   */
  attempt(account: string, client: string): Promise<number | null>;
  /** The password was right: the attempt is no failure, and this client's record for the account is cleared. */
  succeeded(account: string, client: string): Promise<void>;
};

/** The delay before the next attempt after `n` failures, `free` of them without any. */
export function backoffMs(n: number, free: number, rules: Pick<TSignInRules, "baseMs" | "capMs">): number {
  if (n < free) return 0;
  return Math.min(rules.baseMs * 2 ** (n - free), rules.capMs);
}

// KEYS: pair, client, account. ARGV: pairFree, clientFree, attackThreshold, baseMs, capMs, ttl.
// Returns the milliseconds to wait (0: the attempt was recorded).
const ATTEMPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local base, cap, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function wait(key, free)
  local n = tonumber(redis.call('HGET', key, 'n') or '0')
  if n < free then return 0 end
  local last = tonumber(redis.call('HGET', key, 'last') or '0')
  local d = base * (2 ^ (n - free))
  if d > cap then d = cap end
  local w = last + d - now
  if w < 0 then return 0 end
  return w
end
local attacked = tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[3])
local pairFree = tonumber(ARGV[1])
if attacked then pairFree = 1 end
local w = math.max(wait(KEYS[1], pairFree), wait(KEYS[2], tonumber(ARGV[2])))
if w > 0 then return math.ceil(w) end
for i = 1, 2 do
  redis.call('HINCRBY', KEYS[i], 'n', 1)
  redis.call('HSET', KEYS[i], 'last', now)
  redis.call('EXPIRE', KEYS[i], ttl)
end
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ttl)
return 0
`;

// KEYS: pair, client, account.
const SUCCEEDED = `
redis.call('DEL', KEYS[1])
if tonumber(redis.call('HGET', KEYS[2], 'n') or '0') > 0 then redis.call('HINCRBY', KEYS[2], 'n', -1) end
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
return 0
`;

export function createSignInLimiter(
  redis: Redis,
  prefix: string,
  overrides: Partial<TSignInRules> = {},
): TSignInLimiter {
  const rules = { ...SIGN_IN_RULES, ...overrides };
  const keys = (account: string, client: string) => {
    const a = account.trim().toLowerCase();
    const c = clientKey(client);
    return [`${prefix}:si:pair:${c}:${a}`, `${prefix}:si:client:${c}`, `${prefix}:si:account:${a}`];
  };
  return {
    async attempt(account, client) {
      const args = [
        rules.pairFree,
        rules.clientFree,
        rules.attackThreshold,
        rules.baseMs,
        rules.capMs,
        rules.windowSeconds,
      ];
      const waitMs = Number(await redis.eval(ATTEMPT, 3, ...keys(account, client), ...args.map(String)));
      return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : null;
    },
    async succeeded(account, client) {
      await redis.eval(SUCCEEDED, 3, ...keys(account, client));
    },
  };
}
