// The page an invitation email links to (/admin/accept-invitation#token=...), open to anyone holding the
// link: choose a password, then turn on two-factor authentication right here with the existing MFA routes,
// since no admin screen answers a staff member without it. The token is read from the URL fragment, which
// the browser never sends to the server.
import { useState } from "react";
import { Alert, Box, Button, Card, CardContent, Stack, TextField, Typography } from "@mui/material";
import { AcceptStaffInvitationRequest, LoginRequest, VerifyAuthenticatorRequest } from "../../../sdk/typescript/headless-client";
import { api, forgetSession } from "../data/http";
import { toHttpError } from "../data/index";

type Step = "password" | "mfa" | "done";

export function AcceptInvitation() {
  const token = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("token") ?? "";
  const [step, setStep] = useState<Step>("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [firstName, setFirstName] = useState("");
  const [lastName, setLastName] = useState("");
  const [setup, setSetup] = useState<{ key: string; uri: string } | null>(null);
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState<string[]>([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const attempt = async (work: () => Promise<void>) => {
    setBusy(true);
    setError("");
    try {
      await work();
    } catch (e) {
      setError(toHttpError(e).message);
    } finally {
      setBusy(false);
    }
  };

  const accept = () =>
    attempt(async () => {
      await api.acceptStaffInvitation(new AcceptStaffInvitationRequest({ token, password, firstName: firstName || undefined, lastName: lastName || undefined }));
      forgetSession();
      await api.login(new LoginRequest({ email: email.trim(), password, useCookies: true }));
      forgetSession();
      const started = await api.startAuthenticator();
      setSetup({ key: started.sharedKey, uri: started.otpauthUri });
      setStep("mfa");
    });

  const verify = () =>
    attempt(async () => {
      const codes = await api.verifyAuthenticator(new VerifyAuthenticatorRequest({ code: code.trim() }));
      setRecovery(codes.codes ?? []);
      await api.logout().catch(() => undefined);
      forgetSession();
      setStep("done");
    });

  return (
    <Box component="main" sx={{ display: "flex", justifyContent: "center", p: 4 }}>
      <Card sx={{ maxWidth: 520, width: "100%" }}>
        <CardContent>
          <Typography variant="h5" component="h1" gutterBottom>
            Join the shop's staff
          </Typography>
          {error && (
            <Alert severity="error" role="alert" sx={{ mb: 2 }}>
              {error}
            </Alert>
          )}
          {!token && <Alert severity="error">This link has no invitation token. Open the link from your invitation email again.</Alert>}
          {token && step === "password" && (
            <Stack spacing={2} component="form" onSubmit={(e) => { e.preventDefault(); void accept(); }}>
              <Typography>Choose your password. Then you turn on two-factor authentication: the dashboard needs it.</Typography>
              <TextField label="Your email (the invited address)" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" />
              <TextField label="New password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" helperText="At least 10 characters" />
              <TextField label="First name (optional)" value={firstName} onChange={(e) => setFirstName(e.target.value)} autoComplete="given-name" />
              <TextField label="Last name (optional)" value={lastName} onChange={(e) => setLastName(e.target.value)} autoComplete="family-name" />
              <Button type="submit" variant="contained" disabled={busy || !email || !password}>
                Accept the invitation
              </Button>
            </Stack>
          )}
          {step === "mfa" && setup && (
            <Stack spacing={2} component="form" onSubmit={(e) => { e.preventDefault(); void verify(); }}>
              <Typography>
                Add this key to your authenticator app (or open the link on your phone), then enter the 6-digit code it shows.
              </Typography>
              <TextField label="Authenticator key" value={setup.key} slotProps={{ input: { readOnly: true } }} />
              <Typography variant="body2">
                <a href={setup.uri}>Open in an authenticator app</a>
              </Typography>
              <TextField label="6-digit code" value={code} onChange={(e) => setCode(e.target.value)} required slotProps={{ htmlInput: { inputMode: "numeric", autoComplete: "one-time-code" } }} />
              <Button type="submit" variant="contained" disabled={busy || code.trim().length < 6}>
                Turn on two-factor authentication
              </Button>
            </Stack>
          )}
          {step === "done" && (
            <Stack spacing={2}>
              <Alert severity="success">Your staff account is ready. Sign in with your email, password and a code from your authenticator.</Alert>
              <Typography>Keep these recovery codes somewhere safe; each works once if you lose your phone:</Typography>
              <Box component="pre" aria-label="Recovery codes" sx={{ p: 1, bgcolor: "grey.100" }}>
                {recovery.join("\n")}
              </Box>
              <Button variant="contained" href="/admin/login">
                Go to sign-in
              </Button>
            </Stack>
          )}
        </CardContent>
      </Card>
    </Box>
  );
}
