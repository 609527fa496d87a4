import { secretNameProblem, secretValueProblem } from "./secrets";

export type TDotenvEntry = { line: number; name: string; value: string };
export type TDotenvError = { line: number; name?: string; message: string };

/**
 * Parses `.env` text for bulk import: `NAME=value`, optional `export `, blank lines and `#`
 * comments; values may be wrapped in single or double quotes (double quotes understand \n, \t, \"
 * and \\). Each line is checked against the secret name and value rules; errors never include
 * the value itself.
 */
export function parseDotenv(text: string): { entries: TDotenvEntry[]; errors: TDotenvError[] } {
  const entries: TDotenvEntry[] = [];
  const errors: TDotenvError[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const match = /^(?:export\s+)?([^=\s]+)\s*=\s?(.*)$/.exec(trimmed);
    if (!match) {
      errors.push({ line, message: "expected NAME=value" });
      return;
    }
    const name = match[1]!;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"')
        value = value.replace(/\\([nt"\\])/g, (_, c: string) => ({ n: "\n", t: "\t", '"': '"', "\\": "\\" })[c]!);
    } else if (quote === '"' || quote === "'") {
      errors.push({
        line,
        name,
        message: "the quoted value is not closed on this line (multi-line values must be base64-encoded)",
      });
      return;
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    const nameProblem = secretNameProblem(name);
    if (nameProblem) {
      errors.push({ line, name, message: `name ${nameProblem}` });
      return;
    }
    const valueProblem = secretValueProblem(value);
    if (valueProblem) {
      errors.push({ line, name, message: `value ${valueProblem}` });
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      errors.push({ line, name, message: `${name} is also defined on line ${first}` });
      return;
    }
    seen.set(name, line);
    entries.push({ line, name, value });
  });
  return { entries, errors };
}
