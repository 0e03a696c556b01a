/**
 * The admin REST routes (docs/protocol.md, "Users and keys"). A new key is in the answer
 * that made it, once; afterwards only its prefix is ever shown.
 */
import { call } from "../../../lib/rest";
import { KeyCreated, KeyInfo, User, UserCreated, UserOverview, type Role } from "../../../types/protocol";

const json = (body: unknown): RequestInit => ({
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

export async function fetchUsers(key: string): Promise<UserOverview[]> {
  const body = (await call("/users", key)) as { users: unknown };
  return UserOverview.array().parse(body.users);
}

export async function createUser(key: string, name: string, role: Role): Promise<UserCreated> {
  return UserCreated.parse(await call("/users", key, { method: "POST", ...json({ name, role }) }));
}

export async function createKey(key: string, userId: string): Promise<KeyCreated> {
  return KeyCreated.parse(await call(`/users/${encodeURIComponent(userId)}/keys`, key, { method: "POST" }));
}

export async function revokeKey(key: string, keyId: string): Promise<KeyInfo> {
  return KeyInfo.parse(await call(`/keys/${encodeURIComponent(keyId)}`, key, { method: "DELETE" }));
}

export async function disableUser(key: string, userId: string): Promise<User> {
  return User.parse(await call(`/users/${encodeURIComponent(userId)}`, key, { method: "DELETE" }));
}

/** Quota overrides: a number, or null for the server's setting. */
export type Limits = { max_sessions: number | null; daily_spend_limit_usd: number | null };

export async function setLimits(key: string, userId: string, limits: Limits): Promise<UserOverview> {
  return UserOverview.parse(
    await call(`/users/${encodeURIComponent(userId)}`, key, { method: "PATCH", ...json(limits) }),
  );
}
