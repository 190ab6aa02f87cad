// Sign in, register, MFA, forgot/reset password, confirm email and the account overview, over the
// accounts API (/api/v1/auth, /api/v1/account) with the browser session cookie (login with useCookies).
import { api, problemOf, problemText, resetCsrf } from '../lib/api';
import { forgetGuestCart, guestToken, remember, setSignedIn } from '../lib/cart';
import '../lib/header';
import {
  ConfirmEmailRequest, ForgotPasswordRequest, LoginRequest, MergeCartRequest, RegisterRequest, ResetPasswordRequest, SecondFactorRequest,
  VerifyAuthenticatorRequest,
} from '../../../sdk/typescript/headless-client';

const $ = <T extends Element = HTMLElement>(root: ParentNode, selector: string) => root.querySelector<T>(selector as string) as T | null;

function field(form: HTMLFormElement, name: string): string {
  const el = form.elements.namedItem(name) as HTMLInputElement | null;
  return el?.value.trim() ?? '';
}

function say(root: ParentNode, text: string, ok = false): void {
  const box = $(root, '[data-message]');
  if (!box) return;
  box.textContent = text;
  box.hidden = false;
  box.classList.toggle('ok', ok);
}

function el(tag: string, text?: string, attrs: Record<string, string> = {}): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function onSubmit(form: HTMLFormElement, run: () => Promise<void>): void {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $(form, 'button[type="submit"]') as HTMLButtonElement | null;
    if (button) button.disabled = true;
    try {
      await run();
    } catch (e) {
      say(form, problemText(problemOf(e)));
    } finally {
      if (button) button.disabled = false;
    }
  });
}

const query = new URLSearchParams(location.search);

/** After sign-in the guest cart's lines move into the customer's cart ("mine"). */
async function mergeGuestCart(): Promise<void> {
  const cartToken = guestToken();
  if (!cartToken) return;
  try {
    remember(await api.mergeCart(new MergeCartRequest({ cartToken })));
  } catch {
    // A checked-out or expired guest cart has nothing to bring along.
  }
  forgetGuestCart();
}

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-widget="sign-in"]')) {
  onSubmit(form, async () => {
    try {
      await api.login(new LoginRequest({
        email: field(form, 'email'),
        password: field(form, 'password'),
        twoFactorCode: field(form, 'twoFactorCode') || null,
        recoveryCode: field(form, 'recoveryCode') || null,
        useCookies: true,
      }));
    } catch (e) {
      const p = problemOf(e);
      if (p.type.endsWith('/mfa-required')) {
        const mfa = $(form, '[data-mfa]');
        if (mfa) mfa.hidden = false;
        $(form, '#twoFactorCode')?.focus();
        say(form, 'Enter the 6-digit code from your authenticator app.', true);
        return;
      }
      throw e;
    }
    resetCsrf();
    setSignedIn(true);
    await mergeGuestCart();
    location.assign(query.get('returnUrl')?.startsWith('/') ? query.get('returnUrl')! : '/account/');
  });
}

// A social sign-in of an account with MFA lands here (the API redirects after the provider): the code finishes it.
for (const form of document.querySelectorAll<HTMLFormElement>('form[data-widget="second-factor"]')) {
  $(form, '#twoFactorCode')?.focus();
  onSubmit(form, async () => {
    try {
      await api.completeSecondFactor(new SecondFactorRequest({
        twoFactorCode: field(form, 'twoFactorCode') || null,
        recoveryCode: field(form, 'recoveryCode') || null,
        useCookies: true,
      }));
    } catch (e) {
      const p = problemOf(e);
      if (p.type.endsWith('/mfa-not-pending')) {
        say(form, 'This sign-in has expired (codes must be entered within 5 minutes). Start signing in again.');
        return;
      }
      if (p.type.endsWith('/mfa-failed')) {
        say(form, 'That code was not accepted: it may be mistyped, expired or already used. Enter the current code from your app.');
        $(form, '#twoFactorCode')?.focus();
        return;
      }
      throw e;
    }
    resetCsrf();
    setSignedIn(true);
    await mergeGuestCart();
    location.assign(query.get('returnUrl')?.startsWith('/') && !query.get('returnUrl')!.startsWith('//') ? query.get('returnUrl')! : '/account/');
  });
}

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-widget="register"]')) {
  onSubmit(form, async () => {
    await api.register(new RegisterRequest({
      email: field(form, 'email'),
      password: field(form, 'password'),
      firstName: field(form, 'firstName') || null,
      lastName: null,
      marketingConsent: null,
    }));
    form.reset();
    say(form, 'Almost there: we sent you an email with a link to confirm your address.', true);
  });
}

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-widget="forgot-password"]')) {
  onSubmit(form, async () => {
    await api.forgotPassword(new ForgotPasswordRequest({ email: field(form, 'email') }));
    say(form, 'If an account uses that address, an email with a link to choose a new password is on its way.', true);
  });
}

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-widget="reset-password"]')) {
  const email = query.get('email') ?? '';
  const code = query.get('code') ?? '';
  if (!email || !code) say(form, 'This page needs the link from your password reset email.');
  onSubmit(form, async () => {
    await api.resetPassword(new ResetPasswordRequest({ email, code, newPassword: field(form, 'newPassword') }));
    form.reset();
    say(form, 'Your password is changed. You can sign in with it now.', true);
  });
}

for (const root of document.querySelectorAll<HTMLElement>('[data-widget="confirm-email"]')) {
  const userId = query.get('userId') ?? '';
  const code = query.get('code') ?? '';
  if (!userId || !code) {
    say(root, 'This page needs the link from your confirmation email.');
  } else {
    api.confirmEmail(new ConfirmEmailRequest({ userId, code }))
      .then(() => say(root, 'Thank you, your email address is confirmed. You can sign in now.', true))
      .catch((e) => say(root, problemText(problemOf(e))));
  }
}

for (const root of document.querySelectorAll<HTMLElement>('[data-widget="account"]')) {
  api.getMe().then(async (me) => {
    setSignedIn(true);
    root.replaceChildren(
      el('p', `Signed in as ${me.firstName ? `${me.firstName} (${me.email})` : me.email}.`),
      ...(me.emailConfirmed ? [] : [el('p', 'Please confirm your email address: we sent you a link.', { class: 'alert' })]),
    );
    const list = el('ul', undefined, { class: 'chips' });
    const mfa = el('li');
    mfa.append(el('a', me.twoFactorEnabled ? 'Two-factor sign-in: on' : 'Turn on two-factor sign-in', { href: '/account/mfa/' }));
    list.append(mfa);
    root.append(list);
    const out = el('button', 'Sign out', { type: 'button' }) as HTMLButtonElement;
    out.addEventListener('click', async () => {
      try {
        await api.logout();
      } finally {
        resetCsrf();
        setSignedIn(false);
        location.assign('/');
      }
    });
    root.append(out);
  }).catch((e) => {
    if (problemOf(e).status === 401) setSignedIn(false); // signed out: the static text already offers sign in
  });
}

for (const root of document.querySelectorAll<HTMLElement>('[data-widget="mfa"]')) {
  api.getMfaStatus().then(async (status) => {
    if (status.enabled) {
      root.replaceChildren(el('p', `Two-factor sign-in is on. Recovery codes left: ${status.recoveryCodesLeft}.`));
      return;
    }
    const setup = await api.startAuthenticator();
    const form = el('form', undefined, { class: 'stack' }) as HTMLFormElement;
    form.append(
      el('p', 'Add this key to your authenticator app (or open the link on your phone), then enter the 6-digit code it shows.'),
      el('p', setup.sharedKey, { class: 'note' }),
      el('a', 'Open in authenticator app', { href: setup.otpauthUri }),
      el('p', undefined, { 'data-message': '', role: 'alert', hidden: '' }),
      el('label', 'Code', { for: 'mfa-code' }),
      el('input', undefined, { id: 'mfa-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: '' }),
      el('button', 'Turn on', { type: 'submit' }),
    );
    onSubmit(form, async () => {
      const codes = await api.verifyAuthenticator(new VerifyAuthenticatorRequest({ code: field(form, 'code') }));
      const list = el('ol');
      for (const c of codes.codes) list.append(el('li', c));
      root.replaceChildren(el('p', 'Two-factor sign-in is on. Keep these recovery codes somewhere safe; each works once:'), list);
    });
    root.replaceChildren(form);
  }).catch(() => { /* signed out: the static text already says to sign in */ });
}
