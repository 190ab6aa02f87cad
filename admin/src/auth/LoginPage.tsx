import { useState, type FormEvent } from "react";
import { useLogin } from "react-admin";
import { Alert, Box, Button, Card, CardContent, TextField, Typography } from "@mui/material";
import { SignInError, changePassword, startAuthenticator, verifyAuthenticator } from "./authProvider";
import { TestModeBanner } from "../layout/TestModeBanner";
import { problemOf } from "../data/http";

type Step = "password" | "code" | "new-password" | "enrol" | "recovery";

const submitLabel: Record<Step, string> = {
  password: "Sign in",
  code: "Verify code",
  "new-password": "Save new password",
  enrol: "Turn on two-factor sign-in",
  recovery: "Continue",
};

/**
 * Email + password, then the authenticator code when the API asks for it (staff always have MFA). A
 * first-run account (the development admin `run` prints) goes on here to choose a new password and add an
 * authenticator app, then signs in with its first code.
 */
export function LoginPage() {
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [code, setCode] = useState("");
  const [step, setStep] = useState<Step>("password");
  const [secret, setSecret] = useState<{ sharedKey?: string; otpauthUri?: string } | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>([]);
  const [message, setMessage] = useState<{ text: string; info?: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  async function signIn(withCode: boolean, currentPassword = password) {
    try {
      await login({ email, password: currentPassword, code: withCode ? code : undefined });
    } catch (error) {
      const next = error instanceof SignInError ? error.next : undefined;
      const text = error instanceof Error ? error.message : "Sign-in failed. Try again.";
      if (next === "enrol") {
        setSecret(await startAuthenticator());
      }
      if (next) {
        setStep(next);
        setCode("");
      } else if (step === "code") {
        setStep("password");
      }
      setMessage({ text, info: next !== undefined && !text.includes("not accepted") });
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      if (step === "password" || step === "code") {
        await signIn(step === "code");
      } else if (step === "new-password") {
        await changePassword(password, newPassword);
        setPassword(newPassword);
        setNewPassword("");
        await signIn(false, newPassword);
      } else if (step === "enrol") {
        setRecoveryCodes(await verifyAuthenticator(code.replace(/\s/g, "")));
        setStep("recovery");
        setMessage({ text: "Two-factor sign-in is on. Keep these recovery codes somewhere safe: each works once if you lose your phone.", info: true });
      } else {
        setStep("code");
        setCode("");
        setMessage({ text: "Now sign in with the next code your app shows (the one you just used is spent).", info: true });
      }
    } catch (error) {
      const problem = problemOf(error);
      const fieldErrors = Object.values(problem.errors ?? {}).flat().join(" ");
      setMessage({ text: fieldErrors || problem.detail || "That did not work. Try again." });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Box component="main" sx={{ minHeight: "100vh", bgcolor: "grey.100" }}>
      <TestModeBanner />
      <Box sx={{ display: "flex", justifyContent: "center", pt: 10 }}>
        <Card sx={{ width: 420 }}>
          <CardContent>
            <Typography component="h1" variant="h5" gutterBottom>
              Headless admin
            </Typography>
            <form onSubmit={submit} noValidate>
              {step === "password" && (
                <>
                  <TextField label="Email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required fullWidth margin="normal" autoFocus />
                  <TextField label="Password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required fullWidth margin="normal" />
                </>
              )}
              {step === "new-password" && (
                <TextField label="New password" type="password" autoComplete="new-password" value={newPassword} onChange={(e) => setNewPassword(e.target.value)} required fullWidth margin="normal" autoFocus helperText="At least 12 characters; a few unrelated words work well." />
              )}
              {step === "enrol" && secret && (
                <Box sx={{ my: 1 }}>
                  <Typography variant="body2">In your authenticator app, add an account with this key (or open the link on your phone):</Typography>
                  <Typography component="p" data-testid="authenticator-key" sx={{ fontFamily: "monospace", fontSize: "1.1rem", my: 1, wordBreak: "break-all" }}>
                    {secret.sharedKey}
                  </Typography>
                  <Typography variant="caption" component="p" sx={{ wordBreak: "break-all" }}>
                    {secret.otpauthUri}
                  </Typography>
                </Box>
              )}
              {(step === "code" || step === "enrol") && (
                <TextField
                  label="Authenticator code"
                  autoComplete="one-time-code"
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                  required
                  fullWidth
                  margin="normal"
                  autoFocus
                  slotProps={{ htmlInput: { inputMode: "numeric", pattern: "[0-9 ]*", maxLength: 12 } }}
                  helperText={`Signing in as ${email}`}
                />
              )}
              {step === "recovery" && (
                <Box component="ul" data-testid="recovery-codes" sx={{ fontFamily: "monospace", columns: 2 }}>
                  {recoveryCodes.map((c) => (
                    <li key={c}>{c}</li>
                  ))}
                </Box>
              )}
              {message && (
                <Alert severity={message.info ? "info" : "error"} role="alert" sx={{ mt: 1 }}>
                  {message.text}
                </Alert>
              )}
              <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }} disabled={busy}>
                {submitLabel[step]}
              </Button>
              {step === "code" && (
                <Button fullWidth sx={{ mt: 1 }} onClick={() => { setStep("password"); setMessage(null); setPassword(""); }}>
                  Start again
                </Button>
              )}
            </form>
          </CardContent>
        </Card>
      </Box>
    </Box>
  );
}
