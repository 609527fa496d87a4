import {
  importPrivateKey,
  importPublicKey,
  open,
  parseEnvelope,
  seal,
  SealedBoxError,
  type TPrivateKey,
  type TPublicKey,
  type TSecretBinding,
} from "./sealed-box";

/**
 * Keyrings are configured as `kid:base64url,kid:base64url`. The first public key seals new values
 * (the active key); every private key can open, so values sealed under an older key keep opening
 * until a rotation job has re-sealed them.
 */
export type TKeySpec = { kid: string; key: string };

export function parseKeySpecs(text: string, label: string): TKeySpec[] {
  const specs = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const i = entry.indexOf(":");
      if (i <= 0) throw new SealedBoxError(`${label}: each entry must be "kid:base64url"`);
      return { kid: entry.slice(0, i), key: entry.slice(i + 1) };
    });
  if (specs.length === 0) throw new SealedBoxError(`${label}: at least one key is required`);
  const kids = new Set(specs.map((s) => s.kid));
  if (kids.size !== specs.length) throw new SealedBoxError(`${label}: key ids must be unique`);
  return specs;
}

export function formatKeySpecs(specs: TKeySpec[]): string {
  return specs.map((s) => `${s.kid}:${s.key}`).join(",");
}

export class SealingKeyring {
  private constructor(
    readonly active: TPublicKey,
    readonly all: TPublicKey[],
    /** The active key as configured (kid + base64url), safe to hand to browsers. */
    readonly activeSpec: TKeySpec,
  ) {}

  static async fromSpec(text: string): Promise<SealingKeyring> {
    const specs = parseKeySpecs(text, "public keyring");
    const keys = await Promise.all(specs.map((s) => importPublicKey(s.kid, s.key)));
    return new SealingKeyring(keys[0]!, keys, specs[0]!);
  }

  has(kid: string): boolean {
    return this.all.some((k) => k.kid === kid);
  }

  seal(plaintext: string, binding: TSecretBinding): Promise<string> {
    return seal(this.active, plaintext, binding);
  }
}

export class OpeningKeyring {
  private constructor(private readonly keys: Map<string, TPrivateKey>) {}

  static async fromSpec(text: string): Promise<OpeningKeyring> {
    const keys = await Promise.all(parseKeySpecs(text, "private keyring").map((s) => importPrivateKey(s.kid, s.key)));
    return new OpeningKeyring(new Map(keys.map((k) => [k.kid, k])));
  }

  get kids(): string[] {
    return [...this.keys.keys()];
  }

  open(envelope: string, binding: TSecretBinding): Promise<string> {
    const { kid } = parseEnvelope(envelope);
    const key = this.keys.get(kid);
    if (!key) throw new SealedBoxError(`no private key with id ${kid} in the keyring`);
    return open(key, envelope, binding);
  }
}
