import { createHmac, randomBytes } from "node:crypto";

/**
 * Keyed fingerprints of secret values: HMAC-SHA256 under a key only the worker holds (a file like
 * its private keyring, `LOCKSTEP_FINGERPRINT_KEY_FILE`). Two fingerprints under the same key are
 * equal exactly when the values are, so "did run X get the same value as run Y?" is answered
 * without storing or revealing the value. Without the key a fingerprint cannot be tested against
 * guesses, which a plain hash could (secret values are often short). Node-only: a subpath of its
 * own so no browser bundle carries it.
 *
 * The key is configured as `kid:base64url` of at least 32 random bytes; the kid labels every
 * fingerprint, and fingerprints under different kids are never compared.
 */
export class FingerprintKey {
  private constructor(
    readonly kid: string,
    private readonly key: Buffer,
  ) {}

  static fromSpec(spec: string): FingerprintKey {
    const text = spec.trim();
    const i = text.indexOf(":");
    if (i <= 0) throw new Error('the fingerprint key must be "kid:base64url"');
    const kid = text.slice(0, i);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid))
      throw new Error("the fingerprint key's kid must be 1-64 letters, digits, '.', '_' or '-'");
    const encoded = text.slice(i + 1);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new Error("the fingerprint key must be base64url after the kid");
    const key = Buffer.from(encoded, "base64url");
    if (key.length < 32) throw new Error(`the fingerprint key must hold at least 32 bytes (it holds ${key.length})`);
    return new FingerprintKey(kid, key);
  }

  /** A fresh key spec (`kid:base64url` of 32 random bytes). */
  static generateSpec(kid: string): string {
    return `${kid}:${randomBytes(32).toString("base64url")}`;
  }

  /** The value's fingerprint under this key, labelled with the key's id. */
  of(value: string): { kid: string; mac: string } {
    // A fixed context string keeps these MACs from matching any other use of the key.
    const mac = createHmac("sha256", this.key)
      .update("lockstep secret fingerprint v1\0")
      .update(value, "utf8")
      .digest("base64url");
    return { kid: this.kid, mac };
  }
}
