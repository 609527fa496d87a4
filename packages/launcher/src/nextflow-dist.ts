import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A real Nextflow without its installer (which downloads from the internet): the pinned release's
 * jars are resolved from Maven Central (`io.nextflow:nextflow` and its runtime dependencies) into
 * a cache, checked against committed SHA-256 sums, and run with `java -cp 'lib/*'`.
 * 24.10.x is the newest line whose whole tree is on Maven Central (25.x needs io.seqera artifacts
 * published only to Seqera's repository).
 */
export const NEXTFLOW_VERSION = "24.10.8";

const sumsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "nextflow");

export function pinnedSums(version: string): Map<string, string> | null {
  const file = join(sumsDir, `${version}.sha256`);
  if (!existsSync(file)) return null;
  const sums = new Map<string, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([0-9a-f]{64})\s+(\S+)$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!);
  }
  return sums;
}

export function nextflowLibDir(cacheDir: string, version: string): string {
  return join(cacheDir, version, "lib");
}

/** Null when the jars in `libDir` are exactly the pinned ones; otherwise what is wrong. */
export function verifyNextflow(libDir: string, version: string): string | null {
  const sums = pinnedSums(version);
  if (!sums) return `no pinned checksums for Nextflow ${version} (packages/launcher/nextflow/${version}.sha256)`;
  if (!existsSync(libDir)) return `${libDir} does not exist`;
  const jars = readdirSync(libDir)
    .filter((f) => f.endsWith(".jar"))
    .sort();
  const expected = [...sums.keys()].sort();
  if (jars.join() !== expected.join())
    return `the jars in ${libDir} are not the pinned set (${jars.length} found, ${expected.length} expected)`;
  for (const jar of jars) {
    const actual = createHash("sha256")
      .update(readFileSync(join(libDir, jar)))
      .digest("hex");
    if (actual !== sums.get(jar)) return `${jar} does not match its pinned SHA-256`;
  }
  return null;
}

/** Resolves the pinned release with Maven into `<cacheDir>/<version>/lib`, then verifies it. */
export function installNextflow(cacheDir: string, version: string, log: (line: string) => void = () => {}): string {
  const libDir = nextflowLibDir(cacheDir, version);
  if (verifyNextflow(libDir, version) === null) return libDir;
  const work = join(cacheDir, version, `.resolve-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(
    join(work, "pom.xml"),
    `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>lockstep</groupId>
  <artifactId>nextflow-runtime</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.nextflow</groupId><artifactId>nextflow</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`,
  );
  log(`resolving Nextflow ${version} from Maven Central (about 40 MB, once)…`);
  const r = spawnSync(
    "mvn",
    [
      "-B",
      "-q",
      "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies",
      "-DoutputDirectory=lib",
      "-DincludeScope=runtime",
    ],
    { cwd: work, encoding: "utf8" },
  );
  if (r.error) throw new Error(`cannot run mvn (${r.error.message}): install Maven 3.8+ and Java 17+`);
  if (r.status !== 0)
    throw new Error(
      `mvn could not resolve io.nextflow:nextflow:${version}: ${(r.stdout + r.stderr).trim().split("\n").slice(-5).join(" | ")}`,
    );
  const problem = verifyNextflow(join(work, "lib"), version);
  if (problem) throw new Error(`the resolved Nextflow ${version} failed verification: ${problem}`);
  // Another process may have finished first, and its runs use that copy: never delete a good one.
  if (verifyNextflow(libDir, version) !== null) {
    if (existsSync(libDir)) renameSync(libDir, `${libDir}.bad-${process.pid}-${Date.now()}`);
    renameSync(join(work, "lib"), libDir);
  }
  rmSync(work, { recursive: true, force: true });
  return libDir;
}

/** The JVM flags Nextflow's own launcher script passes on Java 17 (its module system needs them). */
export const JVM_OPENS = [
  "java.base/java.lang",
  "java.base/java.io",
  "java.base/java.nio",
  "java.base/java.net",
  "java.base/java.util",
  "java.base/java.util.concurrent.locks",
  "java.base/java.util.concurrent.atomic",
  "java.base/java.nio.file.spi",
  "java.base/sun.nio.ch",
  "java.base/sun.nio.fs",
  "java.base/sun.net.www.protocol.http",
  "java.base/sun.net.www.protocol.https",
  "java.base/sun.net.www.protocol.ftp",
  "java.base/sun.net.www.protocol.file",
  "java.base/jdk.internal.misc",
  "java.base/jdk.internal.vm",
  "java.base/java.util.regex",
];

/** argv that runs Nextflow from a verified lib directory. */
export function nextflowJavaCommand(libDir: string, opts: { java?: string; tmpDir?: string } = {}): string[] {
  return [
    opts.java ?? "java",
    "-Dfile.encoding=UTF-8",
    "-Djava.awt.headless=true",
    ...(opts.tmpDir ? [`-Djava.io.tmpdir=${opts.tmpDir}`] : []),
    // Short-lived head processes start faster without the optimising compiler.
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    ...JVM_OPENS.map((p) => `--add-opens=${p}=ALL-UNNAMED`),
    "-cp",
    `${libDir}/*`,
    "nextflow.cli.Launcher",
  ];
}

const staged = new Set<string>();

/**
 * A copy of the verified Nextflow jars that run sandboxes can read: `<workDir>/.lockstep/nextflow/
 * <version>/lib`, directories 0755 and jars 0644, owned by the worker. The worker's own cache may
 * sit in a home directory no run uid can enter (root's is 0700), and on a cluster the head job
 * needs Nextflow on the shared filesystem anyway. Verified against the pinned sums once per
 * process; sandboxes mount it read-only.
 */
export function stageNextflow(libDir: string, workDir: string, version: string): string {
  const dest = join(workDir, ".lockstep", "nextflow", version, "lib");
  if (staged.has(dest)) return dest;
  if (verifyNextflow(dest, version) !== null) {
    const temp = `${dest}.tmp-${process.pid}`;
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp, { recursive: true, mode: 0o755 });
    for (const jar of readdirSync(libDir).filter((f) => f.endsWith(".jar"))) {
      copyFileSync(join(libDir, jar), join(temp, jar));
      chmodSync(join(temp, jar), 0o644);
    }
    for (let dir = dirname(temp); dir.startsWith(workDir) && dir !== workDir; dir = dirname(dir)) chmodSync(dir, 0o755);
    chmodSync(temp, 0o755);
    const problem = verifyNextflow(temp, version);
    if (problem) throw new Error(`the staged Nextflow ${version} failed verification: ${problem}`);
    // Another worker may have staged it meanwhile, and its runs use it: never delete a good copy.
    if (verifyNextflow(dest, version) === null) rmSync(temp, { recursive: true, force: true });
    else {
      if (existsSync(dest)) renameSync(dest, `${dest}.bad-${process.pid}-${Date.now()}`);
      try {
        renameSync(temp, dest);
      } catch (error) {
        if (verifyNextflow(dest, version) !== null) throw error;
        rmSync(temp, { recursive: true, force: true });
      }
    }
  }
  staged.add(dest);
  return dest;
}
