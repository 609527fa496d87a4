import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";

/**
 * Sealed-box encryption of secret values: HPKE base mode (RFC 9180) with DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256 and AES-256-GCM. Anyone with the public key can seal; only the holder of the private
 * key (the worker) can open. The associated data binds a ciphertext to the row it belongs to, so a
 * ciphertext copied to another scope, owner or name fails to open.
 *
 * Runs unchanged in browsers and Node (WebCrypto), so the UI can seal before sending.
 */
const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

const INFO = new TextEncoder().encode("lockstep/secret-value/v1");
const ENVELOPE_VERSION = "lsv1";
const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type TSecretBinding = {
  /** "workspace" | "user" | "credential" … — what kind of owner the secret has. */
  scope: string;
  /** Id of the owning workspace or user. */
  ownerId: string;
  /** The secret's name. */
  name: string;
};

/** WebCrypto key handles as @hpke/core returns them (typed through it: no DOM lib needed). */
type TKemKey = Awaited<ReturnType<typeof suite.kem.deserializePublicKey>>;
export type TPublicKey = { kid: string; key: TKemKey };
export type TPrivateKey = { kid: string; key: TKemKey };

export function associatedData(binding: TSecretBinding): Uint8Array {
  // Length-prefixed fields: no separator inside a field can make two bindings collide.
  const parts = [binding.scope, binding.ownerId, binding.name].map((s) => new TextEncoder().encode(s));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const p of parts) {
    view.setUint32(offset, p.length);
    out.set(p, offset + 4);
    offset += 4 + p.length;
  }
  return out;
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new SealedBoxError("malformed base64url");
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export class SealedBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealedBoxError";
  }
}

export async function generateKeyPair(kid: string): Promise<{ kid: string; publicKey: string; privateKey: string }> {
  assertKid(kid);
  const pair = await suite.kem.generateKeyPair();
  const publicKey = new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey));
  const privateKey = new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey));
  return { kid, publicKey: toBase64Url(publicKey), privateKey: toBase64Url(privateKey) };
}

export async function importPublicKey(kid: string, encoded: string): Promise<TPublicKey> {
  assertKid(kid);
  const raw = fromBase64Url(encoded);
  if (raw.length !== 32) throw new SealedBoxError(`public key ${kid} must be 32 bytes, got ${raw.length}`);
  return { kid, key: await suite.kem.deserializePublicKey(toArrayBuffer(raw)) };
}

export async function importPrivateKey(kid: string, encoded: string): Promise<TPrivateKey> {
  assertKid(kid);
  const raw = fromBase64Url(encoded);
  if (raw.length !== 32) throw new SealedBoxError(`private key ${kid} must be 32 bytes`);
  return { kid, key: await suite.kem.deserializePrivateKey(toArrayBuffer(raw)) };
}

/** Seals `plaintext` for `publicKey`; returns `lsv1.<kid>.<enc>.<ciphertext>` (base64url parts). */
export async function seal(publicKey: TPublicKey, plaintext: string, binding: TSecretBinding): Promise<string> {
  const { ct, enc } = await suite.seal(
    { recipientPublicKey: publicKey.key, info: toArrayBuffer(INFO) },
    toArrayBuffer(new TextEncoder().encode(plaintext)),
    toArrayBuffer(associatedData(binding)),
  );
  return [ENVELOPE_VERSION, publicKey.kid, toBase64Url(new Uint8Array(enc)), toBase64Url(new Uint8Array(ct))].join(".");
}

export type TEnvelope = { kid: string; enc: Uint8Array; ct: Uint8Array };

export function parseEnvelope(envelope: string): TEnvelope {
  const parts = envelope.split(".");
  if (parts.length !== 4 || parts[0] !== ENVELOPE_VERSION) throw new SealedBoxError("not a Lockstep sealed value");
  const [, kid, enc, ct] = parts as [string, string, string, string];
  assertKid(kid);
  const encBytes = fromBase64Url(enc);
  if (encBytes.length !== 32) throw new SealedBoxError("sealed value has a malformed encapsulated key");
  const ctBytes = fromBase64Url(ct);
  // AES-GCM adds a 16-byte tag; an empty plaintext is not a valid secret anyway.
  if (ctBytes.length <= 16) throw new SealedBoxError("sealed value is too short");
  return { kid, enc: encBytes, ct: ctBytes };
}

/** How many plaintext bytes an envelope carries (AES-GCM adds exactly a 16-byte tag). */
export function sealedPlaintextBytes(envelope: string): number {
  return parseEnvelope(envelope).ct.length - 16;
}

/** Opens an envelope sealed for `privateKey` under the same binding; throws SealedBoxError otherwise. */
export async function open(privateKey: TPrivateKey, envelope: string, binding: TSecretBinding): Promise<string> {
  const parsed = parseEnvelope(envelope);
  if (parsed.kid !== privateKey.kid) {
    throw new SealedBoxError(`sealed under key ${parsed.kid}, not ${privateKey.kid}`);
  }
  try {
    const pt = await suite.open(
      { recipientKey: privateKey.key, enc: toArrayBuffer(parsed.enc), info: toArrayBuffer(INFO) },
      toArrayBuffer(parsed.ct),
      toArrayBuffer(associatedData(binding)),
    );
    return new TextDecoder("utf-8", { fatal: true }).decode(pt);
  } catch {
    // Never echo the envelope: it is ciphertext and must stay out of errors and logs.
    throw new SealedBoxError("sealed value does not open with this key and binding");
  }
}

function assertKid(kid: string) {
  if (!KID_PATTERN.test(kid)) throw new SealedBoxError(`key id must match ${KID_PATTERN.source}`);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
