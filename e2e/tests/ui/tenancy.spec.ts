import { expect, test, type Page } from "@playwright/test";
import { type TUser, shot, signUp } from "../support/app";

const run = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const alice: TUser = { name: "Alice Owner", email: `alice-${run}@example.org`, password: "correct horse battery" };
const bob: TUser = { name: "Bob Launcher", email: `bob-${run}@example.org`, password: "staple battery horse" };

async function signIn(page: Page, user: TUser) {
  await page.goto("/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "User menu" }).click();
  await page.getByRole("menuitem", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in/);
}

test("an org owner invites a launch participant, who accepts and then sees the workspace but cannot manage it", async ({
  page,
}) => {
  const orgName = `Genomics Core ${run}`;
  const wsName = `Variant calling ${run}`;

  // Alice creates an organization and a workspace in it.
  await signUp(page, alice);
  await page.getByLabel("Organization name").fill(orgName);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(/\/orgs\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: orgName })).toBeVisible();
  await expect(page.getByText("No workspaces yet")).toBeVisible();
  await shot(page, "org-empty");

  await page.getByLabel("Workspace name").fill(wsName);
  await page.getByLabel("Description (optional)").fill("Germline variant calling with nf-core/sarek.");
  await page.getByLabel("Visibility").selectOption("private");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: wsName })).toBeVisible();
  await expect(page.getByRole("link", { name: orgName })).toBeVisible();
  const sections = page.getByRole("navigation", { name: "Workspace sections" });
  await expect(sections.getByRole("link", { name: "Settings" })).toBeVisible();
  await signOut(page);

  // Bob exists as a user, with nothing shared with him yet.
  await signUp(page, bob);
  await expect(page.getByRole("link", { name: new RegExp(wsName) })).toHaveCount(0);
  await signOut(page);

  // Alice invites Bob as `launch`: a pending row, no participant yet.
  await signIn(page, alice);
  await page.getByRole("link", { name: new RegExp(wsName) }).click();
  await expect(page.getByRole("heading", { level: 1, name: wsName })).toBeVisible();
  await shot(page, "workspace-overview-owner");
  await sections.getByRole("link", { name: "Participants" }).click();
  await expect(page).toHaveURL(/\?tab=participants$/);
  const participants = page.getByRole("table", { name: "Participants" });
  await expect(participants.getByRole("row", { name: new RegExp(alice.email) })).toBeVisible();
  await page.getByLabel("Email", { exact: true }).fill(bob.email);
  await page.getByLabel("Role", { exact: true }).selectOption("launch");
  await page.getByRole("button", { name: "Invite participant" }).click();
  await expect(page.getByText(`Invited ${bob.email} as launch. They participate once they accept.`)).toBeVisible();
  const bobRow = participants.getByRole("row", { name: new RegExp(bob.email) });
  await expect(bobRow).toContainText("Invited");
  await expect(bobRow).toContainText(/Pending · expires/);
  await expect(bobRow.getByRole("combobox")).toHaveCount(0);
  await shot(page, "participants-invited");

  // Inviting him twice is refused with the server's message.
  await page.getByLabel("Email", { exact: true }).fill(bob.email);
  await page.getByRole("button", { name: "Invite participant" }).click();
  await expect(page.getByText(/already has a pending invitation to this workspace/)).toBeVisible();
  await signOut(page);

  // Bob finds the invitation on his dashboard; the workspace appears only once he accepts.
  await signIn(page, bob);
  const invitations = page.getByRole("list", { name: "Invitations" });
  await expect(invitations).toContainText(wsName);
  await expect(invitations).toContainText(`invited by ${alice.name}`);
  await expect(page.getByRole("link", { name: new RegExp(wsName) })).toHaveCount(0);
  await shot(page, "dashboard-invitation");
  await page.getByRole("button", { name: `Accept the invitation to ${wsName}` }).click();
  await expect(page.getByText(`You joined ${wsName} (${orgName}) as launch.`)).toBeVisible();
  await expect(page.getByRole("link", { name: new RegExp(wsName) })).toBeVisible();
  await expect(page.getByRole("list", { name: "Invitations" })).toHaveCount(0);
  await signOut(page);

  // Alice now sees Bob as a `launch` participant.
  await signIn(page, alice);
  await page.getByRole("link", { name: new RegExp(wsName) }).click();
  await sections.getByRole("link", { name: "Participants" }).click();
  await expect(bobRow.getByRole("combobox", { name: `Role of ${bob.name}` })).toHaveValue("launch");
  await shot(page, "participants-owner");

  // Adding a participant again is refused with the server's message.
  await page.getByLabel("Email", { exact: true }).fill(bob.email);
  await page.getByRole("button", { name: "Invite participant" }).click();
  await expect(page.getByText(/already participates in this workspace/)).toBeVisible();

  await sections.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("form", { name: "Workspace settings" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Delete workspace" })).toBeDisabled();
  await shot(page, "settings-owner");

  // In the organization's settings Bob is now a collaborator; the last owner cannot step down.
  await page.getByRole("link", { name: orgName }).click();
  // The org page first (its server checks membership before answering), then its Settings link.
  await expect(page).toHaveURL(/\/orgs\/[0-9a-f-]{36}$/);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/orgs\/[0-9a-f-]{36}\/settings$/);
  const members = page.getByRole("table", { name: "Members" });
  await expect(members.getByRole("row", { name: new RegExp(bob.email) }).getByRole("combobox")).toHaveValue(
    "collaborator",
  );
  await members.getByRole("combobox", { name: `Role of ${alice.name}` }).selectOption("member");
  await expect(page.getByText(/An organization needs at least one owner/)).toBeVisible();
  await expect(members.getByRole("combobox", { name: `Role of ${alice.name}` })).toHaveValue("owner");

  // An invitation to an email with no account yet: the same answer; a pending row she can revoke.
  const nobody = `nobody-${run}@example.org`;
  await page.getByLabel("Email", { exact: true }).fill(nobody);
  await page.getByRole("button", { name: "Invite member" }).click();
  await expect(page.getByText(`Invited ${nobody} as a member. They become a member once they accept.`)).toBeVisible();
  await expect(members.getByRole("row", { name: new RegExp(nobody) })).toContainText("Invited");
  await shot(page, "org-settings-owner");
  await members.getByRole("button", { name: `Revoke the invitation of ${nobody}` }).click();
  await expect(members.getByRole("row", { name: new RegExp(nobody) })).toHaveCount(0);
  await signOut(page);

  // Bob sees the workspace and who is in it, and nothing to manage.
  await signIn(page, bob);
  await page.getByRole("link", { name: new RegExp(wsName) }).click();
  await expect(page.getByRole("heading", { level: 1, name: wsName })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Your role: launch" })).toBeVisible();
  await expect(page.getByRole("list", { name: "What your role allows" })).toContainText(
    "Launch runs with the workspace's secrets",
  );
  await expect(sections.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await sections.getByRole("link", { name: "Participants" }).click();
  await expect(participants.getByRole("row", { name: new RegExp(alice.email) })).toBeVisible();
  await expect(participants.getByRole("row", { name: new RegExp(bob.email) })).toContainText("launch");
  await expect(page.getByRole("combobox")).toHaveCount(0);
  await expect(page.getByRole("button", { name: /remove/i })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Invite participant" })).toHaveCount(0);
  await expect(page.getByRole("textbox")).toHaveCount(0);
  await shot(page, "participants-launch");

  // Asking for the settings tab by URL shows the overview, not the settings.
  await page.goto(page.url().replace("tab=participants", "tab=settings"));
  await expect(page.getByRole("heading", { name: "Your role: launch" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Workspace settings" })).toHaveCount(0);

  // In the organization he is a collaborator: he sees this workspace, and nothing to manage.
  await page.getByRole("link", { name: orgName }).click();
  await expect(page.getByRole("heading", { level: 1, name: orgName })).toBeVisible();
  await expect(page.getByRole("link", { name: new RegExp(wsName) })).toBeVisible();
  await expect(page.getByRole("button", { name: "Create workspace" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await shot(page, "org-collaborator");

  // A workspace Bob cannot see is simply not found.
  const absent = await page.goto("/w/00000000-0000-4000-8000-000000000000");
  expect(absent!.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await shot(page, "workspace-not-found");

  // His personal workspace says its runs get no secrets and has no participants to manage.
  await page.goto("/dashboard");
  await page.getByRole("link", { name: /Personal workspace/ }).click();
  await expect(page.getByText("Runs launched from a personal workspace get no secrets.")).toBeVisible();
  await expect(sections.getByRole("link", { name: "Participants" })).toHaveCount(0);
  await expect(sections.getByRole("link", { name: "Settings" })).toBeVisible();
  await shot(page, "personal-workspace");
});
