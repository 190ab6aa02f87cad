import { useEffect, useState } from "react";
import { Alert, Button } from "@mui/material";
import type { AuditVerification } from "../../../sdk/typescript/headless-client";
import { api, problemOf } from "../data/http";

/** The hash chain's state (GET /api/v1/admin/audit/verification): a full check, so only on request after the first. */
export function ChainStatus() {
  const [result, setResult] = useState<AuditVerification | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const verify = () => {
    setBusy(true);
    setError(null);
    api
      .verifyAuditChain()
      .then(setResult, (e) => setError(problemOf(e).detail ?? "The check did not finish. Try again."))
      .finally(() => setBusy(false));
  };
  useEffect(verify, []);

  const again = (
    <Button color="inherit" size="small" onClick={verify} disabled={busy}>
      Check again
    </Button>
  );
  if (error) return <Alert severity="warning" action={again} sx={{ my: 1 }}>Chain not checked: {error}</Alert>;
  if (!result) return <Alert severity="info" sx={{ my: 1 }}>Checking the audit chain…</Alert>;
  return result.intact ? (
    <Alert severity="success" action={again} sx={{ my: 1 }} data-testid="audit-chain">
      Audit chain intact: {result.rowsChecked} entries checked, up to #{result.headSeq}.
    </Alert>
  ) : (
    <Alert severity="error" action={again} sx={{ my: 1 }} data-testid="audit-chain">
      Audit chain broken at #{result.firstBroken?.seq}: {result.firstBroken?.reason}. Rows were altered, deleted or reordered after they were written; see docs/security.md.
    </Alert>
  );
}
