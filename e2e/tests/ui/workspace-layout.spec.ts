import { expect, test, type Browser, type Page } from "@playwright/test";
import { type TUser, mutate, shot, signUp } from "../support/app";

/**
 * One workspace layout: the title with the role badge and one tab bar ("Workspace sections") holding
 * every section the role may see, on every workspace page; renames obey the sibling-name rule;
 * long names keep every layout inside the viewport (screenshots at 1280 and 390 px).
 */

const run = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const user = (name: string): TUser => ({
  name,
  email: `${name.toLowerCase().replace(/\W+/g, "-")}-${run}@example.org`,
  password: "correct horse battery",
});
const alice = user("Alice Owner");
const vera = user("Vera Viewer");
const lars = user("Lars Launcher");

const ALL = [
  "Overview",
  "Runs",
  "Launch",
  "Pipelines",
  "Compute environments",
  "Secrets",
  "Credentials",
  "Participants",
  "Activity",
  "Settings",
];
const EXPECTED: Record<"owner" | "launch" | "view", string[]> = {
  owner: ALL,
  launch: ALL.filter((s) => !["Activity", "Settings"].includes(s)),
  view: ALL.filter((s) => !["Launch", "Activity", "Settings"].includes(s)),
};
const PATHS: Record<string, string> = {
  Overview: "",
  Runs: "/runs",
  Launch: "/launch",
  Pipelines: "/pipelines",
  "Compute environments": "/compute-envs",
  Secrets: "?tab=secrets",
  Credentials: "/credentials",
  Participants: "?tab=participants",
  Activity: "?tab=activity",
  Settings: "?tab=settings",
};

async function newUserPage(browser: Browser, who: TUser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, who);
  return page;
}

/** Invites `who` into the workspace with `role` and accepts as them. */
async function join(owner: Page, guest: Page, workspaceId: string, who: TUser, role: string) {
  const invitation = await mutate<{ id: string }>(owner, "workspaces.participants.add", {
    workspaceId,
    email: who.email,
    role,
  });
  await mutate(guest, "invitations.accept", { invitationId: invitation.id });
}

test("one tab bar on every workspace page holds every section the role may see", async ({ page, browser }) => {
  test.setTimeout(240_000);
  const orgName = `Nav Org ${run}`;
  const wsName = `Nav workspace ${run}`;
  await signUp(page, alice);
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: orgName });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: wsName });
  const veraPage = await newUserPage(browser, vera);
  const larsPage = await newUserPage(browser, lars);
  await join(page, veraPage, ws.id, vera, "view");
  await join(page, larsPage, ws.id, lars, "launch");

  for (const [role, p] of [
    ["owner", page],
    ["launch", larsPage],
    ["view", veraPage],
  ] as const) {
    const expected = EXPECTED[role];
    for (const section of expected) {
      await p.goto(`/w/${ws.id}${PATHS[section]}`);
      const nav = p.getByRole("navigation", { name: "Workspace sections" });
      // Exactly one section navigation, holding exactly the role's sections, in order.
      await expect(nav).toHaveCount(1);
      await expect(nav.getByRole("link")).toHaveText(expected);
      await expect(nav.getByRole("link", { name: section, exact: true })).toHaveAttribute("aria-current", "page");
      await expect(nav.locator('[aria-current="page"]')).toHaveCount(1);
      // The title with the role badge, on every page.
      await expect(p.getByText(wsName, { exact: true }).first()).toBeVisible();
      // (The overview's role card repeats it; the badge in the title comes first.)
      await expect(p.locator("span", { hasText: `Your role: ${role}` }).first()).toBeVisible();
      await expect(p.getByText("Workspace not found")).toHaveCount(0);
    }
    // Every link leads where it says, from a page other than the overview too.
    await p.goto(`/w/${ws.id}/runs`);
    for (const section of expected) {
      await p
        .getByRole("navigation", { name: "Workspace sections" })
        .getByRole("link", { name: section, exact: true })
        .click();
      await expect(
        p.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: section, exact: true }),
      ).toHaveAttribute("aria-current", "page");
    }
    // The dashboard offers Launch to those who may launch, and only to them.
    await p.goto("/dashboard");
    const row = p.getByRole("listitem").filter({ has: p.getByRole("link", { name: new RegExp(wsName) }) });
    await expect(row.getByRole("link", { name: "Launch", exact: true })).toHaveCount(role === "view" ? 0 : 1);
    if (role !== "view") {
      await row.getByRole("link", { name: "Launch", exact: true }).click();
      await expect(p).toHaveURL(new RegExp(`/w/${ws.id}/launch$`));
      await expect(
        p.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Launch", exact: true }),
      ).toHaveAttribute("aria-current", "page");
    }
  }
  await shot(page, "workspace-nav-owner");
  await shot(veraPage, "workspace-nav-view");
});

test("renaming to a sibling's name is refused on the name field, and the rename is in the Activity", async ({
  page,
}) => {
  const owner = user("Rena Owner");
  await signUp(page, owner);
  const orgA = await mutate<{ id: string; name: string }>(page, "orgs.create", { name: `Rename A ${run}` });
  const orgB = await mutate<{ id: string; name: string }>(page, "orgs.create", { name: `Rename B ${run}` });
  await mutate(page, "workspaces.create", { orgId: orgA.id, name: "Build" });
  const deploy = await mutate<{ id: string }>(page, "workspaces.create", { orgId: orgA.id, name: "Deploy" });

  await page.goto(`/w/${deploy.id}?tab=settings`);
  const name = page.getByLabel("Workspace name");
  await name.fill("build");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveAccessibleDescription(/This organization already has a workspace named "build"\./);
  await expect(page.getByText("Saved.")).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Deploy" })).toBeVisible();

  await page.getByLabel("Workspace name").fill("Deploy to production");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "Deploy to production" })).toBeVisible();

  await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: "Activity" })).toBeVisible();
  const changed = page.getByRole("row").filter({ hasText: "Workspace settings changed" });
  await expect(changed).toHaveCount(1);
  await expect(changed.getByText("changed: name", { exact: true })).toBeVisible();
  await expect(changed.getByText("Deploy to production", { exact: true })).toBeVisible();
  await shot(page, "activity-rename");

  await page.goto(`/orgs/${orgB.id}/settings`);
  const orgName = page.getByLabel("Organization name");
  await orgName.fill(orgA.name);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(orgName).toHaveAttribute("aria-invalid", "true");
  await expect(orgName).toHaveAccessibleDescription(/An organization named ".*" already exists\./);
  await expect(page.getByText("Saved.")).toHaveCount(0);
});

test("long names keep every layout inside the viewport, at 1280 and 390 px", async ({ page }) => {
  test.setTimeout(180_000);
  const owner = user("Lena Long");
  await signUp(page, owner);
  const longWs = `W${"orkspace".repeat(13)}`.slice(0, 100);
  const longSpaced = `${"A workspace name that goes on and on ".repeat(3).slice(0, 99)}!`;
  const org = await mutate<{ id: string }>(page, "orgs.create", {
    name: `An organization with a rather long name too ${run}`,
  });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: longWs });
  await mutate(page, "workspaces.create", { orgId: org.id, name: longSpaced });
  await mutate(page, "me.tokens.create", { name: `ci-token-${"x".repeat(80)}`.slice(0, 100) });
  const repository =
    "https://github.com/an-organization-with-a-long-name/a-pipeline-repository-with-a-very-long-name/tree/main/workflows";
  await mutate(page, "pipelines.create", {
    workspaceId: ws.id,
    pipeline: { name: `Pipeline ${"p".repeat(90)}`, repository },
  });
  expect(longWs).toHaveLength(100);
  expect(longSpaced).toHaveLength(100);

  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    for (const [label, path] of [
      ["dashboard", "/dashboard"],
      ["workspace", `/w/${ws.id}`],
      ["pipelines", `/w/${ws.id}/pipelines`],
      ["settings", `/w/${ws.id}?tab=settings`],
      ["tokens", "/settings/tokens"],
    ] as const) {
      await page.goto(path);
      await page.waitForLoadState("networkidle");
      await expect(page.getByText(/^Loading/)).toHaveCount(0);
      // Nothing scrolls sideways.
      const { overflow, culprits } = await page.evaluate(() => {
        const limit = document.documentElement.clientWidth;
        // The outermost elements reaching past the viewport, to name in a failure.
        const past = [...document.querySelectorAll("body *")].filter(
          (el) => el.getBoundingClientRect().right > limit + 1,
        );
        const outermost = past.filter(
          (el) =>
            !past.some(
              (other) => other !== el && other.contains(el) && other.getBoundingClientRect().right > limit + 1,
            ) || el.children.length === 0,
        );
        return {
          overflow: document.documentElement.scrollWidth - limit,
          culprits: outermost
            .sort((x, y) => y.getBoundingClientRect().right - x.getBoundingClientRect().right)
            .slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}.${String(el.className).slice(0, 80)}`),
        };
      });
      // Measured before the screenshot: a full-page screenshot resizes the page for a moment.
      await shot(page, `long-names-${label}-${width}`);
      expect(
        overflow,
        `${label} at ${width}px scrolls sideways by ${overflow}px: ${culprits.join(" | ")}`,
      ).toBeLessThanOrEqual(0);
      // Every badge (role, scope) stays whole and inside the viewport.
      if (label === "dashboard" || label === "workspace") {
        const badges =
          label === "dashboard"
            ? page.getByRole("list", { name: "Workspaces" }).getByText("owner", { exact: true })
            : page.getByText("Your role: owner", { exact: true }).locator("..");
        for (const badge of await badges.all()) {
          const box = (await badge.boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width).toBeLessThanOrEqual(width);
          expect(box.width).toBeGreaterThan(20);
        }
      }
    }
    // The full names are a hover away where they are cut.
    await page.goto("/dashboard");
    await expect(page.getByRole("list", { name: "Workspaces" }).locator(`[title="${longWs}"]`)).toHaveCount(1);
    await page.goto(`/w/${ws.id}/pipelines`);
    await expect(page.locator(`[title="${repository}"]`)).toBeVisible();
  }
});
