import { createHash } from "node:crypto";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { TPipelineSecretNeeds, TSecretNeed, TSecretUse } from "@lockstep/validators";

/**
 * Which secrets a Nextflow pipeline's sources ask for, found without running anything:
 * - the `secret 'NAME'` process directive (Nextflow's `ProcessConfig.secret(String name)`: one
 *   name per directive, repeatable; `secret 'A', 'B'` is not valid Nextflow and is reported);
 * - `secrets.NAME` (and `secrets['NAME']`) in config files and scripts, including inside `"${…}"`.
 * Comments and string contents are skipped, except the documented convention
 * `// lockstep: optional NAME[, NAME…]`, which marks names a run may go without.
 * Only names and file paths leave this module, never any other part of a file.
 */

export type TSecretScan = Pick<Extract<TPipelineSecretNeeds, { status: "known" }>, "needs" | "optional" | "problems">;
export { describeNeeds, type TPipelineSecretNeeds } from "@lockstep/validators";

/** Nextflow's own name rule (SecretsHelper), so only names Nextflow could look up are reported. */
const NAME = /^[a-zA-Z_](?:[0-9A-Za-z]+|(_)(?!\1)){1,49}$/;
const validName = (n: string) => NAME.test(n) && !n.startsWith("__") && n.length <= 100;

type TTok =
  | { t: "id"; v: string; line: number }
  | { t: "str"; v: string; interp: boolean; line: number }
  | { t: "p"; v: string; line: number }
  | { t: "nl"; line: number };

type TLex = { toks: TTok[]; interpolations: Array<{ src: string; line: number }>; optional: string[] };

const OPTIONAL = /lockstep:\s*optional\s+([A-Za-z0-9_,\s]+)/g;

function noteOptional(comment: string, into: string[]) {
  for (const m of comment.matchAll(OPTIONAL)) {
    for (const n of m[1]!.split(/[\s,]+/)) if (n && validName(n)) into.push(n);
  }
}

/** Reads `${…}` and `$name.name` interpolations out of a double-quoted string body. */
function interpolationsOf(body: string, line: number, into: TLex["interpolations"]) {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\") {
      i++;
      continue;
    }
    if (body[i] !== "$") continue;
    if (body[i + 1] === "{") {
      let depth = 1;
      let j = i + 2;
      while (j < body.length && depth > 0) {
        if (body[j] === "{") depth++;
        else if (body[j] === "}") depth--;
        j++;
      }
      into.push({ src: body.slice(i + 2, j - 1), line });
      i = j - 1;
    } else {
      const m = /^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*/.exec(body.slice(i + 1));
      if (m) {
        into.push({ src: m[0], line });
        i += m[0].length;
      }
    }
  }
}

const isTilde = (t: TTok | undefined) => t?.t === "p" && t.v === "~";

function lex(src: string): TLex {
  const toks: TTok[] = [];
  const interpolations: TLex["interpolations"] = [];
  const optional: string[] = [];
  let line = 1;
  let i = 0;
  const lastSignificant = () => {
    for (let k = toks.length - 1; k >= 0; k--) if (toks[k]!.t !== "nl") return toks[k];
    return undefined;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n") {
      toks.push({ t: "nl", line });
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (src.startsWith("//", i)) {
      const end = src.indexOf("\n", i);
      const stop = end === -1 ? src.length : end;
      noteOptional(src.slice(i, stop), optional);
      i = stop;
    } else if (src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2);
      const stop = end === -1 ? src.length : end + 2;
      const text = src.slice(i, stop);
      noteOptional(text, optional);
      line += text.split("\n").length - 1;
      i = stop;
    } else if (c === '"' || c === "'") {
      const triple = src.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < src.length && !src.startsWith(quote, j)) {
        if (src[j] === "\\") j++;
        else if (!triple && src[j] === "\n") break; // an unterminated one-line string ends at the line
        j++;
      }
      const body = src.slice(i + quote.length, j);
      const startLine = line;
      if (c === '"') interpolationsOf(body, startLine, interpolations);
      toks.push({ t: "str", v: body, interp: c === '"' && /(^|[^\\])\$/.test(body), line: startLine });
      line += body.split("\n").length - 1;
      i = Math.min(src.length, j + (src.startsWith(quote, j) ? quote.length : 0));
    } else if (c === "/" && isTilde(lastSignificant())) {
      // A slashy regex after `~` or `=~` (nf-core uses `~/…/`): its quotes are not strings.
      let j = i + 1;
      while (j < src.length && src[j] !== "/" && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      toks.push({ t: "str", v: src.slice(i + 1, j), interp: false, line });
      i = j + 1;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][\w$]*/.exec(src.slice(i, i + 200))!;
      toks.push({ t: "id", v: m[0], line });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9][\w.]*/.exec(src.slice(i, i + 100))!;
      toks.push({ t: "p", v: "0", line });
      i += m[0].length;
    } else {
      if (c === "?" && src[i + 1] === ".") {
        toks.push({ t: "p", v: ".", line });
        i += 2;
        continue;
      }
      toks.push({ t: "p", v: c, line });
      i++;
    }
  }
  return { toks, interpolations, optional };
}

type TFound = { name: string; use: TSecretUse; line: number };

function secretsRefs(toks: TTok[], use: TSecretUse): TFound[] {
  const out: TFound[] = [];
  for (let k = 0; k < toks.length; k++) {
    const tok = toks[k]!;
    if (tok.t !== "id" || tok.v !== "secrets") continue;
    const prev = toks[k - 1];
    if (prev?.t === "p" && prev.v === ".") continue; // `x.secrets.Y` is someone else's property
    const a = toks[k + 1];
    const b = toks[k + 2];
    if (a?.t === "p" && a.v === "." && b?.t === "id") out.push({ name: b.v, use, line: b.line });
    else if (a?.t === "p" && a.v === "[" && b?.t === "str" && !b.interp && toks[k + 3]?.t === "p")
      out.push({ name: b.v, use, line: b.line });
  }
  return out;
}

const endsStatement = (t: TTok | undefined) => !t || t.t === "nl" || (t.t === "p" && (t.v === ";" || t.v === "}"));

/** One source file: `kind` says whether it is a script (.nf, directives count) or a config file. */
export function scanSource(
  src: string,
  kind: "script" | "config",
): { found: TFound[]; optional: string[]; problems: Array<{ line: number; why: string }> } {
  const { toks, interpolations, optional } = lex(src);
  const use: TSecretUse = kind === "config" ? "config" : "script";
  const found = secretsRefs(toks, use);
  const problems: Array<{ line: number; why: string }> = [];
  for (const { src: expr, line } of interpolations) {
    for (const f of secretsRefs(lex(expr).toks, use)) found.push({ ...f, line });
  }
  if (kind === "script") {
    for (let k = 0; k < toks.length; k++) {
      const tok = toks[k]!;
      if (tok.t !== "id" || tok.v !== "secret") continue;
      const prev = toks[k - 1];
      if (!(prev === undefined || prev.t === "nl" || (prev.t === "p" && (prev.v === "{" || prev.v === ";")))) continue;
      let j = k + 1;
      const paren = toks[j]?.t === "p" && (toks[j] as { v: string }).v === "(";
      if (paren) j++;
      const arg = toks[j];
      if (arg?.t === "p" && (arg.v === "=" || arg.v === ".")) continue; // a variable called `secret`
      if (endsStatement(arg)) continue;
      if (arg?.t !== "str" || arg.interp) {
        problems.push({
          line: tok.line,
          why: "a secret directive whose name is computed; it is known only when the run starts",
        });
        continue;
      }
      let after = toks[j + 1];
      if (paren && after?.t === "p" && after.v === ")") after = toks[j + 2];
      if (after?.t === "p" && after.v === ",") {
        problems.push({
          line: tok.line,
          why: "a secret directive with more than one name; Nextflow takes one name per `secret` line",
        });
        for (let m = j; m < toks.length && !endsStatement(toks[m]); m++) {
          const t = toks[m]!;
          if (t.t === "str" && !t.interp) found.push({ name: t.v, use: "process", line: t.line });
        }
        continue;
      }
      found.push({ name: arg.v, use: "process", line: arg.line });
    }
  }
  if (kind === "config") {
    // `process { withName: X { secret = ['A', 'B'] } }`: the directive set from config (a list, as
    // ProcessConfig keeps it). Anything but literal names cannot be read here.
    for (let k = 0; k < toks.length; k++) {
      const tok = toks[k]!;
      const eq = toks[k + 1];
      if (tok.t !== "id" || tok.v !== "secret" || !(eq?.t === "p" && eq.v === "=")) continue;
      const prev = toks[k - 1];
      if (prev?.t === "p" && prev.v === ".") {
        if (toks[k - 2]?.t !== "id" || (toks[k - 2] as { v: string }).v !== "process") continue;
      }
      const value = toks[k + 2];
      const literal: TTok[] = [];
      let m = k + 2;
      if (value?.t === "p" && value.v === "[") {
        for (m = k + 3; m < toks.length && !(toks[m]!.t === "p" && (toks[m] as { v: string }).v === "]"); m++) {
          const t = toks[m]!;
          if (t.t === "nl" || (t.t === "p" && t.v === ",")) continue;
          literal.push(t);
        }
      } else if (value) literal.push(value);
      if (literal.length > 0 && literal.every((t) => t.t === "str" && !t.interp)) {
        for (const t of literal) found.push({ name: (t as { v: string }).v, use: "process", line: t.line });
      } else {
        problems.push({
          line: tok.line,
          why: "a secret directive set in config whose names are not a literal list; they are known only when the run starts",
        });
      }
    }
  }
  for (const f of found)
    if (!validName(f.name))
      problems.push({
        line: f.line,
        why: "a secret name Nextflow does not accept (not repeated here: only valid names leave the scanner)",
      });
  return { found: found.filter((f) => validName(f.name)), optional, problems };
}

const SKIP_DIRS = new Set([".git", ".nextflow", "work", "node_modules", "results", ".github"]);
const MAX_FILES = 2000;
const MAX_BYTES = 2 * 1024 * 1024;

/** The files Nextflow would read: every `.nf` (main.nf, modules/, subworkflows/, workflows/) and `.config` (nextflow.config, conf/). Links are not followed. */
async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number) => {
    if (depth > 12 || out.length >= MAX_FILES) return;
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    entries.sort((x, y) => x.name.localeCompare(y.name));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) await walk(p, depth + 1);
      else if (e.isFile() && (e.name.endsWith(".nf") || e.name.endsWith(".config"))) out.push(p);
    }
  };
  await walk(dir, 0);
  return out;
}

/** Scans a local pipeline directory (already resolved by `resolveLocalPipeline`). */
export async function scanPipelineDir(dir: string): Promise<TPipelineSecretNeeds> {
  const files = await sourceFiles(dir);
  const hash = createHash("sha256");
  const byName = new Map<string, TSecretNeed>();
  const optional = new Set<string>();
  const problems: string[] = [];
  for (const file of files) {
    const rel = relative(dir, file);
    const st = await lstat(file).catch(() => null);
    if (!st?.isFile() || st.size > MAX_BYTES) {
      problems.push(`${rel}: not read (too large or unreadable)`);
      continue;
    }
    const src = await readFile(file, "utf8");
    hash.update(`${rel}\0${createHash("sha256").update(src).digest("hex")}\n`);
    const r = scanSource(src, file.endsWith(".config") ? "config" : "script");
    for (const n of r.optional) optional.add(n);
    for (const p of r.problems) problems.push(`${rel}:${p.line}: ${p.why}`);
    for (const f of r.found) {
      const need = byName.get(f.name) ?? { name: f.name, uses: [], files: [] };
      if (!need.uses.includes(f.use)) need.uses.push(f.use);
      if (!need.files.includes(rel)) need.files.push(rel);
      byName.set(f.name, need);
    }
  }
  const needs = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    status: "known",
    needs,
    optional: [...optional].filter((n) => byName.has(n)).sort(),
    problems,
    fingerprint: `sha256:${hash.digest("hex")}`,
    files: files.length,
    scannedAt: new Date().toISOString(),
  };
}
