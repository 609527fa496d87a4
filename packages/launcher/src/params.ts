import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Pipeline params travel in a JSON file passed with `-params-file`, never as `--name value`
 * options: Nextflow reads a value that starts with `-` as an option of its own
 * (`-process.beforeScript=…` ran a shell command in every task), and a command line can never
 * carry arbitrary text safely. Everything below is checked against the pinned Nextflow
 * (params.integration.test.ts).
 */
export type TParamValue = string | number | boolean;
export type TParams = Record<string, TParamValue>;

/** The name rule the API enforces (ZParams in @lockstep/validators), checked again where names are used. */
export const PARAM_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export const PARAMS_FILE = "params.json";

type TJsonMap = { [key: string]: TParamValue | TJsonMap };

/** Nextflow's kebabToCamelCase for `--name` options: Java's split("-") (trailing empty parts dropped), later parts capitalised. */
function kebabToCamelCase(name: string): string {
  const parts = name.split("-");
  while (parts.length > 0 && parts.at(-1) === "") parts.pop();
  return parts.map((p, i) => (i === 0 || p === "" ? p : p[0]!.toUpperCase() + p.slice(1))).join("");
}

/**
 * The type Nextflow's command line gave a value, where that keeps its text: `true`/`false` and
 * integers (so `--n 3` pipelines still get a number). Its own rule also turned `007` into 7, `TRUE`
 * into true and 1.50 into 1.5 (a Double); those stay text here, so what the pipeline prints is
 * exactly what was typed.
 */
function typed(value: string): TParamValue {
  if (value === "true") return true;
  if (value === "false") return false;
  // 18 digits: JsonSlurper overflows a longer integer into a wrong Long (seen on 24.10.8).
  if (/^(0|[1-9]\d{0,17})$/.test(value)) return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  return value;
}

/**
 * The params map Nextflow 24.10's command line would have built from `--name value` options
 * (dotted names nest, the last part turns kebab-case into camelCase, later names win), with
 * values whose text reaches the pipeline unchanged.
 */
export function paramsForNextflow(params: TParams): TJsonMap {
  const result: TJsonMap = {};
  for (const [name, value] of Object.entries(params)) {
    if (!PARAM_KEY.test(name)) throw new Error(`param name ${JSON.stringify(name)} must match ${PARAM_KEY.source}`);
    const path = name.split(".");
    if (path.some((p) => p === ""))
      throw new Error(`param name ${JSON.stringify(name)} has an empty part between dots`);
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`param ${name} is not a finite number`);
    let node = result;
    for (const part of path.slice(0, -1)) {
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
      if (next === undefined || typeof next !== "object") node[part] = {};
      node = node[part] as TJsonMap;
    }
    node[kebabToCamelCase(path.at(-1)!)] = typeof value === "string" ? typed(value) : value;
  }
  return result;
}

/**
 * The params file's text: JSON in ASCII only, so the reader's default charset cannot matter,
 * and with every `$` written as `\u0024`, because Nextflow replaces `${projectDir}`-style
 * placeholders in the file's raw text before parsing it.
 */
export function renderParamsJson(params: TParams): string {
  return JSON.stringify(paramsForNextflow(params)).replace(
    /[^\x20-\x7e]|\$/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Writes `<runDir>/params.json` for `-params-file`: created exclusively (O_EXCL, mode 0600)
 * under a temporary name, then renamed into place, so it never exists wider or half written and a
 * planted file or link at that name is replaced, not followed. Returns its absolute path.
 */
export async function writeParamsFile(runDir: string, params: TParams): Promise<string> {
  const content = renderParamsJson(params);
  const path = join(runDir, PARAMS_FILE);
  const temp = join(runDir, `.params-${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(
      temp,
      constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await handle.writeFile(content, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  return path;
}
