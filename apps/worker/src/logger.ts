import { pino, type Logger } from "pino";

/**
 * Structured logs. Redaction is a second line of defence: job payloads carry ids only and no code
 * path logs a value, but any field with a value-like name is censored anyway.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "worker" },
    redact: {
      paths: [
        "value",
        "*.value",
        "plaintext",
        "*.plaintext",
        "ciphertext",
        "*.ciphertext",
        "password",
        "*.password",
        "token",
        "*.token",
        "secret",
        "*.secret",
      ],
      censor: "[redacted]",
    },
  });
}
