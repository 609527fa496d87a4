import { lstat, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";

/**
 * Pipelines given as a path on Lockstep's own machine. Such a path names code the worker will run
 * and files Nextflow will read and may echo back in an error, so it must resolve (symlinks
 * followed) to a directory holding a regular file `main.nf`, inside one of the directories the
 * operator listed in LOCKSTEP_LOCAL_PIPELINE_ROOTS. Nothing here reads a file's content, so no
 * message can carry any of it.
 */
export type TLocalPipeline =
  | {
      ok: true;
      /** The real directory. */ dir: string;
      /** `<dir>/main.nf`: the script Nextflow is given. */ mainScript: string;
    }
  | { ok: false; message: string };

/** What a pipeline's repository is when it is not a local path. */
export function isRemotePipeline(repository: string): boolean {
  return /^https:\/\//.test(repository);
}

export const LOCAL_PIPELINES_OFF =
  "Local pipeline paths are turned off on this instance. Use an https:// repository, or ask an instance admin to list the allowed directories in LOCKSTEP_LOCAL_PIPELINE_ROOTS (colon-separated absolute paths) for the web app and the worker.";

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel));
}

async function realRoots(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    // A root that does not exist (yet) allows nothing; the others still apply.
    const real = await realpath(root).catch(() => null);
    if (real) out.push(real);
  }
  return out;
}

/**
 * Resolves a local pipeline path against the allowed roots. The path is checked as written first
 * (absolute, no `..`, under a root), so a path outside every root is refused without touching the
 * filesystem (and without telling whether it exists); then its real path must still be under a
 * root (a symlink may not point out), be a directory, and hold `main.nf` as a regular file (not a
 * symlink, which could point anywhere).
 */
export async function resolveLocalPipeline(path: string, roots: readonly string[]): Promise<TLocalPipeline> {
  if (roots.length === 0) return { ok: false, message: LOCAL_PIPELINES_OFF };
  const rule = `A local pipeline must be a directory holding main.nf inside ${roots.length === 1 ? roots[0] : `one of ${roots.join(", ")}`}.`;
  const refuse = (problem: string): TLocalPipeline => ({ ok: false, message: `${problem} ${rule}` });
  if (!path.startsWith("/") || path.includes("\0")) return refuse("The path is not absolute.");
  if (path.split("/").includes("..")) return refuse("The path must not contain '..'.");
  const given = resolve(path);
  const real = await realRoots(roots);
  const lexicalRoots = roots.map((r) => resolve(r));
  if (!lexicalRoots.some((r) => inside(r, given)) && !real.some((r) => inside(r, given))) {
    return refuse("The path is outside the allowed pipeline directories.");
  }
  const dir = await realpath(given).catch(() => null);
  if (!dir) return refuse("The path does not exist (or cannot be read).");
  if (!real.some((r) => inside(r, dir)))
    return refuse("The path leads out of the allowed pipeline directories through a symbolic link.");
  const dirStat = await stat(dir).catch(() => null);
  if (!dirStat?.isDirectory())
    return refuse("The path is a file, not a directory: give the directory that holds main.nf.");
  const mainScript = join(dir, "main.nf");
  const mainStat = await lstat(mainScript).catch(() => null);
  if (!mainStat?.isFile()) return refuse("The directory has no main.nf (a regular file, not a link).");
  return { ok: true, dir, mainScript };
}
