import { constants, type Dirent } from "node:fs";
import { lstat, open, readdir, readlink, realpath, unlink, type FileHandle } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/**
 * How the worker touches files in a run directory. Everything in `<workDir>/<runId>/` is writable
 * by the pipeline, which is hostile code, while the worker may run as root: a pipeline that turns
 * `console.log` into a symlink to the worker's keys file, a hard link to it, a FIFO (a read that
 * never returns) or swaps a directory on the path for a symlink must get nothing out of it.
 *
 * So a file is opened with O_NOFOLLOW | O_NONBLOCK, then checked on the open descriptor: a regular
 * file, one link, and the path the kernel actually opened (/proc/self/fd) is the one asked for —
 * which also refuses a symlinked directory anywhere between the run directory and the file.
 */

export class UnsafeRunFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`refused ${path}: ${reason}`);
    this.name = "UnsafeRunFileError";
  }
}

/**
 * Opens `rel` inside `runDir` for reading ("r") or in-place rewriting ("r+"). Returns null when it
 * does not exist; throws UnsafeRunFileError for anything but a plain, singly-linked file there.
 */
export async function openRunFile(runDir: string, rel: string, mode: "r" | "r+" = "r"): Promise<FileHandle | null> {
  const root = await realpath(runDir);
  const path = join(root, rel);
  if (relative(root, path).startsWith("..") || relative(root, path) === "")
    throw new UnsafeRunFileError(rel, "outside the run directory");
  const access = mode === "r" ? constants.O_RDONLY : constants.O_RDWR;
  let handle: FileHandle;
  try {
    handle = await open(path, access | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === "ELOOP") throw new UnsafeRunFileError(rel, "a symbolic link");
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UnsafeRunFileError(rel, "not a regular file");
    if (info.nlink !== 1) throw new UnsafeRunFileError(rel, `a file with ${info.nlink} hard links`);
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    if (opened !== null && opened !== path) throw new UnsafeRunFileError(rel, "reached through a symbolic link");
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads at most `maxBytes` from `offset` of a run file (null when it does not exist). The caller
 * learns the file's size, so it can tell a short read from the end of the file.
 */
export async function readRunFile(
  runDir: string,
  rel: string,
  opts: { offset?: number; maxBytes: number },
): Promise<{ bytes: Buffer; size: number } | null> {
  const handle = await openRunFile(runDir, rel);
  if (!handle) return null;
  try {
    const { size } = await handle.stat();
    const offset = opts.offset ?? 0;
    const length = Math.max(0, Math.min(size - offset, opts.maxBytes));
    const bytes = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(bytes, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { bytes: bytes.subarray(0, got), size };
  } finally {
    await handle.close();
  }
}

/**
 * Writes a new file `rel` in `runDir` with `mode`, never through a link: whatever is at that name
 * (a file, or a symbolic link a pipeline planted) is unlinked first, and the file is created with
 * O_EXCL | O_NOFOLLOW, so the write lands in a fresh inode of the worker's own.
 */
export async function writeRunFile(
  runDir: string,
  rel: string,
  content: string | Buffer,
  mode: number,
): Promise<string> {
  const root = await realpath(runDir);
  const path = join(root, rel);
  if (relative(root, path).startsWith("..") || relative(root, path) === "")
    throw new UnsafeRunFileError(rel, "outside the run directory");
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    await handle.writeFile(content);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
  return path;
}

export type TRunDirWalk = { files: string[]; truncated: boolean };

/**
 * Relative paths of the regular files under `runDir` that `want` picks, found with lstat semantics:
 * symbolic links (to files or directories) are never followed nor returned, and the walk stops at
 * `maxDepth` levels and after looking at `maxEntries` entries, so a pipeline cannot make it
 * endless. `descend` may prune directories. Files are still only opened through openRunFile.
 */
export async function walkRunDir(
  runDir: string,
  opts: {
    want: (rel: string, name: string) => boolean;
    descend?: (rel: string, depth: number) => boolean;
    maxDepth: number;
    maxEntries: number;
  },
): Promise<TRunDirWalk> {
  const root = await realpath(runDir);
  const files: string[] = [];
  let seen = 0;
  let truncated = false;
  const visit = async (rel: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      // The directory itself must still be one (it may have been swapped for a link since listed).
      if (rel !== "" && !(await lstat(join(root, rel))).isDirectory()) return;
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > opts.maxEntries) {
        truncated = true;
        return;
      }
      const child = rel === "" ? entry.name : `${rel}${sep}${entry.name}`;
      if (entry.isSymbolicLink()) continue;
      if (entry.isFile()) {
        if (opts.want(child, entry.name)) files.push(child);
      } else if (entry.isDirectory()) {
        if (opts.descend && !opts.descend(child, depth + 1)) continue;
        if (depth + 1 > opts.maxDepth) {
          truncated = true;
          continue;
        }
        await visit(child, depth + 1);
      }
      if (truncated) return;
    }
  };
  await visit("", 0);
  return { files, truncated };
}
