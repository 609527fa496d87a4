import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  auditActionLabel,
  auditActionNames,
  auditActions,
  auditFilterGroups,
  isAuditAction,
  ZAuditAction,
} from "./audit";

const root = resolve(import.meta.dirname, "../../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name === ".next" || name.startsWith(".")) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/**
 * Every action a writer can pass. Writers are typed `TAuditAction`, so an unknown literal does not
 * compile; this scan also catches one smuggled past the types (a cast, a template literal).
 */
function writtenActions(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /\baction:\s*"([A-Za-z]+\.[A-Za-z_]+)"/g, // recordAudit({ action: "…" })
    /\baction:\s*\w+\s*\?\s*"([A-Za-z]+\.[A-Za-z_]+)"\s*:\s*"([A-Za-z]+\.[A-Za-z_]+)"/g, // action: flag ? "…" : "…"
    /\bworkerAudit\([^,]+,[^,]+,\s*"([^"]+)"/g,
    /\baudit\((?:ctx|actor, invitation),\s*"([^"]+)"/g,
    /\bevent\(actor,\s*"([^"]+)"/g,
    /`(secret)\.\$\{/g, // secret.${created|overwritten} in the import
  ];
  for (const dir of ["packages/api/src", "packages/db/src", "apps/worker/src", "apps/web/src"]) {
    for (const file of sourceFiles(join(root, dir))) {
      const text = readFileSync(file, "utf8");
      if (!/recordAudit|workerAudit|TAuditAction/.test(text)) continue;
      for (const pattern of patterns) {
        for (const m of text.matchAll(pattern)) {
          for (const action of m.slice(1).filter(Boolean))
            found.set(action === "secret" ? "secret.created" : action, relative(root, file));
        }
      }
    }
  }
  return found;
}

describe("the audit action catalogue", () => {
  it("holds every action a writer uses (static scan of the writers' source)", () => {
    const written = writtenActions();
    // The scan must find the writers it is about, or it proves nothing.
    for (const sure of [
      "secret.created",
      "run.launched",
      "secrets.deleted",
      "participant.invited",
      "credential.created",
      "instance.admin_granted",
      "workspace.updated",
      "participant.role_changed",
      "member.removed",
    ]) {
      expect(written.has(sure), `${sure} not found by the scan`).toBe(true);
    }
    const unknown = [...written]
      .filter(([action]) => !isAuditAction(action))
      .map(([action, file]) => `${action} (${file})`);
    expect(unknown).toEqual([]);
    expect(written.size).toBeGreaterThanOrEqual(30);
  });

  it("gives every action a label a person reads: distinct, capitalised, no identifiers", () => {
    const labels = auditActionNames.map((a) => auditActions[a].label);
    expect(new Set(labels).size).toBe(labels.length);
    for (const label of labels) {
      expect(label).toMatch(/^[A-Z][a-z]/);
      expect(label).not.toMatch(/[._]/);
    }
  });

  it("labels an action it does not know as words, never as a raw identifier", () => {
    expect(auditActionLabel("run.cancel_requested")).toBe("Run cancellation requested");
    expect(auditActionLabel("future.thing_done")).toBe("Future thing done");
  });

  it("the workspace filter offers every action a workspace's Activity can show, and only those", () => {
    const offered = auditFilterGroups("workspace").flatMap((g) => g.actions.map((a) => a.value));
    const workspaceActions = auditActionNames.filter((a) => auditActions[a].group !== "instance");
    expect(offered.sort()).toEqual([...workspaceActions].sort());
    for (const g of auditFilterGroups("workspace")) expect(g.actions.length).toBeGreaterThan(0);
    const mine = auditFilterGroups("mine").flatMap((g) => g.actions.map((a) => a.value));
    expect(mine).toEqual(expect.arrayContaining(["secret.created", "secret.overwritten", "secret.deleted"]));
    expect(mine.every((a) => auditActions[a].group === "secrets")).toBe(true);
  });

  it("the zod schema accepts exactly the catalogue, with a message for a person", () => {
    expect(ZAuditAction.safeParse("secret.created").success).toBe(true);
    const bad = ZAuditAction.safeParse("secret.stolen");
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe("Choose an action from the list.");
  });
});
