// Staff sign in with a cookie session: email + password, then (staff always have MFA) the authenticator
// code. For a password sign-in the API checks the code together with the password (POST /auth/login with
// twoFactorCode): its 401 mfa-required leaves nothing pending, so the sign-in page keeps the password in
// memory for that one step. POST /auth/login/second-factor finishes only social sign-ins (their pending
// hl_mfa_pending cookie), which this admin does not offer.
import type { AuthProvider } from "react-admin";
import { LoginRequest, type Me } from "../../../sdk/typescript/headless-client";
import { api, csrf, forgetSession, problemOf, problemTypeIs } from "../data/http";

export const staffRoles = ["staff", "admin"];

export class SignInError extends Error {
  constructor(
    message: string,
    readonly needsCode = false,
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
        throw new SignInError("Enter the 6-digit code from your authenticator app.", true);
      }
      if (problemTypeIs(problem, "mfa-failed")) {
        throw new SignInError(
          "That code was not accepted: it is wrong, expired or already used. Wait for the next code and try again.",
          true,
        );
      }
      throw new SignInError(problem.detail || "Sign-in failed. Try again.");
    }
    if (!user.roles?.some((r) => staffRoles.includes(r))) {
      await signOutQuietly();
      throw new SignInError(
        "This account has no staff role, so it cannot use the admin. Ask an admin to give you the staff role (Staff & keys).",
      );
    }
    if (user.mustChangePassword) {
      await signOutQuietly();
      throw new SignInError("Change your password first (your account page in the shop), then sign in here again.");
    }
    if (!user.twoFactorEnabled) {
      await signOutQuietly();
      throw new SignInError(
        "Staff must use two-factor authentication. Turn on an authenticator app in your account, then sign in here with a code.",
      );
    }
    me = user;
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

async function signOutQuietly() {
  try {
    await api.logout();
  } catch {
    /* the session is gone either way */
  }
  forgetSession();
}
