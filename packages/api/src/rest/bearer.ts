/** The bearer token of an `Authorization` header, or null when there is none of that form. */
export function bearerTokenOf(header: string | null): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}
