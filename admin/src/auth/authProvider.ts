// Staff sign in with a cookie session: email + password, then (staff always have MFA) the authenticator
// code. For a password sign-in the API checks the code together with the password (POST /auth/login with
// twoFactorCode): its 401 mfa-required leaves nothing pending, so the sign-in page keeps the password in
// memory for that one step. POST /auth/login/second-factor finishes only social sign-ins (their pending
// hl_mfa_pending cookie), which this admin does not offer.
import type { AuthProvider } from "react-admin";
import { ChangePasswordRequest, LoginRequest, VerifyAuthenticatorRequest, type Me } from "../../../sdk/typescript/headless-client";
import { api, csrf, forgetSession, problemOf, problemTypeIs } from "../data/http";

export const staffRoles = ["staff", "admin"];

/** What the sign-in page shows next: the authenticator code, or a first-run step (the session is kept for it). */
export type NextStep = "code" | "new-password" | "enrol";

export class SignInError extends Error {
  constructor(
    message: string,
    readonly next?: NextStep,
  ) {
    super(message);
  }
}

let me: Me | null = null;

async function currentUser(): Promise<Me> {
  if (me === null) me = await api.getMe();
  return me;
}

export interface Credentials {
  email: string;
  password: string;
  code?: string;
}

export const authProvider: AuthProvider = {
  async login({ email, password, code }: Credentials) {
    forgetSession();
    me = null;
    let user: Me;
    try {
      const answer = await api.login(
        new LoginRequest({ email, password, twoFactorCode: code || undefined, useCookies: true }),
      );
      user = answer.user!;
    } catch (error) {
      const problem = problemOf(error);
      if (problemTypeIs(problem, "mfa-required")) {
        throw new SignInError("Enter the 6-digit code from your authenticator app.", "code");
      }
      if (problemTypeIs(problem, "mfa-failed")) {
        throw new SignInError(
          "That code was not accepted: it is wrong, expired or already used. Wait for the next code and try again.",
          "code",
        );
      }
      throw new SignInError(problem.detail || "Sign-in failed. Try again.");
    }
    forgetSession();
    if (!user.roles?.some((r) => staffRoles.includes(r))) {
      await signOutQuietly();
      throw new SignInError(
        "This account has no staff role, so it cannot use the admin. Ask an admin to give you the staff role (Staff & keys).",
      );
    }
    // First run (e.g. the printed development admin): a new password, then an authenticator, on this page.
    if (user.mustChangePassword) {
      throw new SignInError("Choose a new password for this account before you go on.", "new-password");
    }
    if (!user.twoFactorEnabled) {
      throw new SignInError(
        "Staff must use two-factor authentication: add this account to an authenticator app, then enter the code it shows.",
        "enrol",
      );
    }
    me = user;
    // The token belongs to the identity it was issued to: take a new one for the signed-in user.
    forgetSession();
    await csrf();
  },

  async logout() {
    if (me !== null) await signOutQuietly();
    me = null;
    forgetSession();
  },

  async checkAuth() {
    const user = await currentUser().catch(() => null);
    if (!user || !user.roles?.some((r) => staffRoles.includes(r))) {
      me = null;
      throw new Error("Sign in with a staff account.");
    }
  },

  async checkError(error: { status?: number }) {
    if (error?.status === 401) {
      me = null;
      forgetSession();
      throw new Error("Your session ended. Sign in again.");
    }
    // 403 is about one route (a staff member opening an admin-only screen): stay signed in.
  },

  async getIdentity() {
    const user = await currentUser();
    const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
    return { id: user.id!, fullName: name || user.email };
  },

  async getPermissions() {
    return me?.roles ?? (await currentUser()).roles ?? [];
  },
};

/** First run: the new password (this session stays; other devices are signed out). */
export async function changePassword(currentPassword: string, newPassword: string) {
  await api.changePassword(new ChangePasswordRequest({ currentPassword, newPassword }));
}

/** First run: a new authenticator secret to add to an app (two-factor sign-in stays off until verified). */
export async function startAuthenticator() {
  return api.startAuthenticator();
}

/** First run: turns two-factor sign-in on; returns the recovery codes, shown once. */
export async function verifyAuthenticator(code: string) {
  const codes = await api.verifyAuthenticator(new VerifyAuthenticatorRequest({ code }));
  return codes.codes ?? [];
}

async function signOutQuietly() {
  try {
    await api.logout();
  } catch {
    /* the session is gone either way */
  }
  forgetSession();
}
