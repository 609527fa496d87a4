import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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
  const jars = readdirSync(libDir).filter((f) => f.endsWith(".jar")).sort();
  const expected = [...sums.keys()].sort();
  if (jars.join() !== expected.join()) return `the jars in ${libDir} are not the pinned set (${jars.length} found, ${expected.length} expected)`;
  for (const jar of jars) {
    const actual = createHash("sha256").update(readFileSync(join(libDir, jar))).digest("hex");
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
    ["-B", "-q", "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies", "-DoutputDirectory=lib", "-DincludeScope=runtime"],
    { cwd: work, encoding: "utf8" },
  );
  if (r.error) throw new Error(`cannot run mvn (${r.error.message}): install Maven 3.8+ and Java 17+`);
  if (r.status !== 0) throw new Error(`mvn could not resolve io.nextflow:nextflow:${version}: ${(r.stdout + r.stderr).trim().split("\n").slice(-5).join(" | ")}`);
  const problem = verifyNextflow(join(work, "lib"), version);
  if (problem) throw new Error(`the resolved Nextflow ${version} failed verification: ${problem}`);
  rmSync(libDir, { recursive: true, force: true });
  renameSync(join(work, "lib"), libDir);
  rmSync(work, { recursive: true, force: true });
  return libDir;
}

/** The JVM flags Nextflow's own launcher script passes on Java 17 (its module system needs them). */
const JVM_OPENS = [
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
