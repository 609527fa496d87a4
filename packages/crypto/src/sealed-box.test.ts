import { describe, expect, it } from "vitest";
import { OpeningKeyring, SealingKeyring, formatKeySpecs } from "./keyring";
import { generateKeyPair, importPrivateKey, importPublicKey, open, seal, SealedBoxError } from "./sealed-box";

const MARKER = "lockstep-marker-7f3a9c-value";
const binding = { scope: "workspace", ownerId: "ws_1", name: "DB_PASSWORD" };

describe("sealed box", () => {
  it("opens what it sealed and never carries the plaintext in the envelope", async () => {
    const pair = await generateKeyPair("k1");
    const envelope = await seal(await importPublicKey("k1", pair.publicKey), MARKER, binding);
    expect(envelope.startsWith("lsv1.k1.")).toBe(true);
    expect(envelope).not.toContain(MARKER);
    expect(Buffer.from(envelope).toString("base64")).not.toContain(Buffer.from(MARKER).toString("base64"));
    const opened = await open(await importPrivateKey("k1", pair.privateKey), envelope, binding);
    expect(opened).toBe(MARKER);
  });

  it("seals the same value differently each time", async () => {
    const pair = await generateKeyPair("k1");
    const pub = await importPublicKey("k1", pair.publicKey);
    expect(await seal(pub, MARKER, binding)).not.toBe(await seal(pub, MARKER, binding));
  });

  it.each([
    ["another name", { ...binding, name: "API_TOKEN" }],
    ["another owner", { ...binding, ownerId: "ws_2" }],
    ["another scope", { ...binding, scope: "user" }],
  ])("refuses to open a ciphertext moved to %s", async (_label, moved) => {
    const pair = await generateKeyPair("k1");
    const envelope = await seal(await importPublicKey("k1", pair.publicKey), MARKER, binding);
    const priv = await importPrivateKey("k1", pair.privateKey);
    await expect(open(priv, envelope, moved)).rejects.toThrow(SealedBoxError);
  });

  it("does not let field boundaries collide in the associated data", async () => {
    const pair = await generateKeyPair("k1");
    const envelope = await seal(await importPublicKey("k1", pair.publicKey), MARKER, {
      scope: "a",
      ownerId: "bc",
      name: "XY",
    });
    const priv = await importPrivateKey("k1", pair.privateKey);
    await expect(open(priv, envelope, { scope: "ab", ownerId: "c", name: "XY" })).rejects.toThrow(SealedBoxError);
  });

  it("rejects a tampered ciphertext without echoing it", async () => {
    const pair = await generateKeyPair("k1");
    const envelope = await seal(await importPublicKey("k1", pair.publicKey), MARKER, binding);
    const last = envelope.at(-2) === "A" ? "B" : "A";
    const tampered = envelope.slice(0, -2) + last + envelope.slice(-1);
    const priv = await importPrivateKey("k1", pair.privateKey);
    const error = await open(priv, tampered, binding).catch((e: Error) => e);
    expect(error).toBeInstanceOf(SealedBoxError);
    expect((error as Error).message).not.toContain(tampered.split(".")[3]);
  });

  it("round-trips 64 KiB of non-ASCII text", async () => {
    const pair = await generateKeyPair("k1");
    const value = "é✓".repeat(13107).slice(0, 26000);
    const envelope = await seal(await importPublicKey("k1", pair.publicKey), value, binding);
    expect(await open(await importPrivateKey("k1", pair.privateKey), envelope, binding)).toBe(value);
  });
});

describe("keyrings", () => {
  it("seals with the first public key and opens with any private key, for rotation", async () => {
    const old = await generateKeyPair("2025");
    const next = await generateKeyPair("2026");
    const sealedOld = await (
      await SealingKeyring.fromSpec(formatKeySpecs([{ kid: old.kid, key: old.publicKey }]))
    ).seal(MARKER, binding);
    const sealing = await SealingKeyring.fromSpec(
      formatKeySpecs([
        { kid: next.kid, key: next.publicKey },
        { kid: old.kid, key: old.publicKey },
      ]),
    );
    const sealedNew = await sealing.seal(MARKER, binding);
    expect(sealedNew.split(".")[1]).toBe("2026");
    const opening = await OpeningKeyring.fromSpec(
      formatKeySpecs([
        { kid: old.kid, key: old.privateKey },
        { kid: next.kid, key: next.privateKey },
      ]),
    );
    expect(await opening.open(sealedOld, binding)).toBe(MARKER);
    expect(await opening.open(sealedNew, binding)).toBe(MARKER);
  });

  it("names the problem in a malformed keyring", async () => {
    await expect(SealingKeyring.fromSpec("nocolon")).rejects.toThrow(/kid:base64url/);
    await expect(SealingKeyring.fromSpec("")).rejects.toThrow(/at least one key/);
    await expect(SealingKeyring.fromSpec("a:AAAA")).rejects.toThrow(/32 bytes/);
  });
});

describe("envelope size", () => {
  it("tells the plaintext size from the envelope alone, so the server can enforce the limit on sealed values", async () => {
    const { sealedPlaintextBytes } = await import("./sealed-box");
    const pair = await generateKeyPair("k1");
    const pub = await importPublicKey("k1", pair.publicKey);
    expect(sealedPlaintextBytes(await seal(pub, "é✓x", binding))).toBe(6);
    expect(sealedPlaintextBytes(await seal(pub, "x".repeat(65_536), binding))).toBe(65_536);
  });
});
