import { expect, request as requests, type APIRequestContext } from "@playwright/test";

/**
 * The e2e instance's first account, signed up by the global setup with the setup code: its
 * instance admin. (Only a test instance's password; it is in the repository.)
 */
export const e2eAdmin = {
  name: "Instance Admin",
  email: "instance-admin@e2e.example.org",
  password: "correct horse battery staple",
};

export type THostComputeEnvs = "instance-admins" | "workspace-maintainers";

/** A tRPC mutation over HTTP; fails with the procedure's error when it is refused. */
export async function trpcMutation<T = unknown>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const response = await request.post(`/api/trpc/${path}`, { data: { json: input } });
  const body = (await response.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  expect(response.ok(), `${path}: ${JSON.stringify(body.error)}`).toBe(true);
  return body.result!.data!.json as T;
}

export async function trpcQuery<T = unknown>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await request.get(`/api/trpc/${path}${query}`);
  const body = (await response.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  expect(response.ok(), `${path}: ${JSON.stringify(body.error)}`).toBe(true);
  return body.result!.data!.json as T;
}

/** next-auth's credentials sign-in, as the sign-in form posts it. */
export async function signInRequest(request: APIRequestContext, user: { email: string; password: string }) {
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const response = await request.post("/api/auth/callback/credentials", {
    form: { csrfToken, email: user.email, password: user.password, json: "true" },
    maxRedirects: 0,
  });
  const body = (await response.json().catch(() => ({}))) as { url?: string };
  expect(new URL(body.url ?? "http://x/").searchParams.get("error"), `signing in as ${user.email}`).toBeNull();
}

/** Runs `use` with an API client signed in as the instance admin. */
export async function asInstanceAdmin<T>(baseURL: string, use: (request: APIRequestContext) => Promise<T>): Promise<T> {
  const request = await requests.newContext({ baseURL });
  try {
    await signInRequest(request, e2eAdmin);
    return await use(request);
  } finally {
    await request.dispose();
  }
}

/** Who may create local and host-Slurm compute environments on the e2e instance. */
export async function setHostComputeEnvs(baseURL: string, hostComputeEnvs: THostComputeEnvs) {
  await asInstanceAdmin(baseURL, (request) => trpcMutation(request, "instance.update", { hostComputeEnvs }));
}

/** The sign-up policy saved on the Instance settings page; null goes back to LOCKSTEP_SIGNUP (unset in e2e: invite). */
export async function setSignupPolicy(baseURL: string, signup: "open" | "invite" | "off" | null) {
  await asInstanceAdmin(baseURL, (request) => trpcMutation(request, "instance.update", { signup }));
}

/** Makes the account with this email an instance admin (found through the users list). */
export async function grantInstanceAdmin(baseURL: string, email: string) {
  await asInstanceAdmin(baseURL, async (request) => {
    const { items } = await trpcQuery<{ items: Array<{ id: string; email: string }> }>(request, "instance.users.list", {
      search: email,
    });
    const user = items.find((u) => u.email === email);
    expect(user, `no account ${email}`).toBeTruthy();
    await trpcMutation(request, "instance.users.setAdmin", { userId: user!.id, isInstanceAdmin: true });
  });
}
