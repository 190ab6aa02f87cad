import { useState, type FormEvent } from "react";
import { useLogin } from "react-admin";
import { Alert, Box, Button, Card, CardContent, TextField, Typography } from "@mui/material";
import { SignInError } from "./authProvider";
import { TestModeBanner } from "../layout/TestModeBanner";

/** Email + password, then the authenticator code when the API asks for it (staff always have MFA). */
export function LoginPage() {
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [step, setStep] = useState<"password" | "code">("password");
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      await login({ email, password, code: step === "code" ? code : undefined });
    } catch (error) {
      if (error instanceof SignInError && error.needsCode) {
        setStep("code");
        setCode("");
      } else if (step === "code") {
        setStep("password");
      }
      setMessage(error instanceof Error ? error.message : "Sign-in failed. Try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Box component="main" sx={{ minHeight: "100vh", bgcolor: "grey.100" }}>
      <TestModeBanner />
      <Box sx={{ display: "flex", justifyContent: "center", pt: 10 }}>
        <Card sx={{ width: 380 }}>
          <CardContent>
            <Typography component="h1" variant="h5" gutterBottom>
              Headless admin
            </Typography>
            <form onSubmit={submit} noValidate>
              {step === "password" ? (
                <>
                  <TextField
                    label="Email"
                    type="email"
                    autoComplete="username"
                    value={email}
                    onChange={(e) => setEmail(e.target.value)}
                    required
                    fullWidth
                    margin="normal"
                    autoFocus
                  />
                  <TextField
                    label="Password"
                    type="password"
                    autoComplete="current-password"
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                    required
                    fullWidth
                    margin="normal"
                  />
                </>
              ) : (
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
              {message && (
                <Alert severity={step === "code" && message.startsWith("Enter") ? "info" : "error"} role="alert" sx={{ mt: 1 }}>
                  {message}
                </Alert>
              )}
              <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }} disabled={busy}>
                {step === "password" ? "Sign in" : "Verify code"}
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
