"use client";

import { useState, type FormEvent, type ReactNode } from "react";
import { Alert, Badge, Button, Card, Field, Select, SelectField } from "@lockstep/ui";
import { DataTable } from "~/components/data-table";
import { errorMessage, fieldErrorsOf } from "~/components/errors";

/** Someone holding a role in an organization (a member) or a workspace (a participant). */
export type TRoleHolder<TRole extends string> = {
  userId: string;
  name: string;
  email: string;
  role: TRole;
  since: string;
};

/** An invitation not answered yet: shown as a pending row until accepted, declined, revoked or expired. */
export type TPendingInvitation = {
  id: string;
  email: string;
  role: string;
  expiresAt: string;
  invitedBy: { name: string; email: string } | null;
};

const formatDate = (date: Date | string) =>
  new Date(date).toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });

/**
 * Role changes, removals and revoked invitations with one error line for all. A role change refetches either way, so
 * a refused change snaps the select back to the stored role.
 */
export function useRoleActions<TRole extends string>({
  change,
  remove,
  revoke,
  refresh,
}: {
  change: (userId: string, role: TRole) => Promise<unknown>;
  remove: (userId: string) => Promise<unknown>;
  revoke: (invitationId: string) => Promise<unknown>;
  refresh: () => Promise<unknown>;
}) {
  const [error, setError] = useState<string | null>(null);
  return {
    error,
    changeRole: async (userId: string, role: TRole) => {
      setError(null);
      try {
        await change(userId, role);
      } catch (e) {
        setError(errorMessage(e));
      }
      await refresh();
    },
    removeHolder: async (userId: string) => {
      setError(null);
      try {
        await remove(userId);
        await refresh();
      } catch (e) {
        setError(errorMessage(e));
      }
    },
    revokeInvitation: async (invitationId: string) => {
      setError(null);
      try {
        await revoke(invitationId);
      } catch (e) {
        setError(errorMessage(e));
      }
      await refresh();
    },
  };
}

/**
 * Who holds which role. A manager changes a role in place (among `roles`) and removes someone after
 * confirming, on the rows `mayChange` allows; everyone else sees the role as a badge.
 */
export function RoleTable<TRole extends string>({
  label,
  holders,
  meId,
  manages,
  roles,
  mayChange,
  changing,
  removing,
  onChangeRole,
  onRemove,
  pending = [],
  revoking = false,
  onRevoke,
}: {
  label: string;
  holders: readonly TRoleHolder<TRole>[];
  meId: string | undefined;
  manages: boolean;
  roles: readonly TRole[];
  mayChange: (role: TRole) => boolean;
  changing: boolean;
  removing: boolean;
  onChangeRole: (userId: string, role: TRole) => Promise<void>;
  onRemove: (userId: string) => Promise<void>;
  /** Pending invitations (managers only), listed after the holders. */
  pending?: readonly TPendingInvitation[];
  revoking?: boolean;
  onRevoke?: (invitationId: string) => Promise<void>;
}) {
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <DataTable label={label} columns={["Name", "Email", "Role", "Since"]} actions={manages}>
      {holders.map((h) => (
        <tr key={h.userId}>
          <td className="px-5 py-3 font-medium text-slate-900">
            {h.name}
            {h.userId === meId ? <span className="ml-1.5 text-xs font-normal text-slate-500">(you)</span> : null}
          </td>
          <td className="px-5 py-3 text-slate-600">{h.email}</td>
          <td className="px-5 py-3">
            {manages && mayChange(h.role) ? (
              <Select
                aria-label={`Role of ${h.name}`}
                value={h.role}
                disabled={changing}
                onChange={(e) => void onChangeRole(h.userId, e.target.value as TRole)}
              >
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </Select>
            ) : (
              <Badge tone={h.role === "owner" ? "indigo" : "slate"}>{h.role}</Badge>
            )}
          </td>
          <td className="whitespace-nowrap px-5 py-3 text-slate-600">{formatDate(h.since)}</td>
          {manages ? (
            <td className="whitespace-nowrap px-5 py-3 text-right">
              {!mayChange(h.role) ? null : confirming === h.userId ? (
                <span className="inline-flex items-center gap-2">
                  <span className="text-slate-600">Remove {h.name}?</span>
                  <Button
                    variant="danger"
                    disabled={removing}
                    onClick={() => void onRemove(h.userId).finally(() => setConfirming(null))}
                  >
                    Confirm removal
                  </Button>
                  <Button variant="secondary" onClick={() => setConfirming(null)}>
                    Cancel
                  </Button>
                </span>
              ) : (
                <Button variant="secondary" aria-label={`Remove ${h.name}`} onClick={() => setConfirming(h.userId)}>
                  Remove
                </Button>
              )}
            </td>
          ) : null}
        </tr>
      ))}
      {pending.map((p) => (
        <tr key={p.id} className="bg-slate-50/60">
          <td className="px-5 py-3 text-slate-500">
            <Badge tone="amber">Invited</Badge>
            {p.invitedBy ? <span className="ml-2 text-xs">by {p.invitedBy.name || p.invitedBy.email}</span> : null}
          </td>
          <td className="px-5 py-3 text-slate-600">{p.email}</td>
          <td className="px-5 py-3">
            <Badge>{p.role}</Badge>
          </td>
          <td className="whitespace-nowrap px-5 py-3 text-slate-500">Pending · expires {formatDate(p.expiresAt)}</td>
          {manages ? (
            <td className="whitespace-nowrap px-5 py-3 text-right">
              {onRevoke ? (
                <Button
                  variant="secondary"
                  aria-label={`Revoke the invitation of ${p.email}`}
                  disabled={revoking}
                  onClick={() => void onRevoke(p.id)}
                >
                  Revoke
                </Button>
              ) : null}
            </td>
          ) : null}
        </tr>
      ))}
    </DataTable>
  );
}

/**
 * "Add a member" / "Add a participant": invites an email, with a role. `onAdd` resolves to the
 * message to show; the list is refreshed after it is shown.
 */
export function AddByEmail<TRole extends string>({
  title,
  intro,
  idPrefix,
  roles,
  initialRole,
  roleHint,
  submitLabel,
  adding,
  onAdd,
  onAdded,
}: {
  title: string;
  intro: ReactNode;
  /** Ids of the email and role fields, unique on the page. */
  idPrefix: string;
  roles: readonly TRole[];
  initialRole: TRole;
  roleHint: (role: TRole) => ReactNode;
  submitLabel: string;
  adding: boolean;
  onAdd: (email: string, role: TRole) => Promise<string>;
  onAdded: () => Promise<unknown>;
}) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [role, setRole] = useState<TRole>(initialRole);
  const [added, setAdded] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const email = String(new FormData(form).get("email") ?? "");
    setErrors({});
    setAdded(null);
    try {
      const message = await onAdd(email, role);
      form.reset();
      setAdded(message);
      await onAdded();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card className="mt-4">
      <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
      <p className="mt-1 text-sm text-slate-500">{intro}</p>
      <form className="mt-4 space-y-4" onSubmit={(e) => void onSubmit(e)} noValidate aria-label={title}>
        <div className="grid items-start gap-4 sm:grid-cols-[1fr_12rem_auto]">
          <Field
            id={`${idPrefix}-email`}
            name="email"
            type="email"
            label="Email"
            autoComplete="off"
            required
            error={errors.email}
          />
          <SelectField
            id={`${idPrefix}-role`}
            label="Role"
            value={role}
            onChange={(e) => setRole(e.target.value as TRole)}
            selectClassName="h-9"
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </SelectField>
          <Button type="submit" className="h-9 sm:mt-[1.625rem]" disabled={adding}>
            {adding ? "Inviting…" : submitLabel}
          </Button>
        </div>
        <p className="text-sm text-slate-500">{roleHint(role)}</p>
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        {added ? <Alert tone="green">{added}</Alert> : null}
      </form>
    </Card>
  );
}
