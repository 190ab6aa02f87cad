import { Alert, Button } from "@mui/material";
import { useNotify } from "react-admin";
import { staleMessage } from "./index";

/** A 412 on save: say what happened and offer the reload that shows the other person's version. */
export function StaleNotice() {
  return (
    <Alert
      severity="error"
      variant="filled"
      role="alert"
      action={
        <Button color="inherit" size="small" onClick={() => window.location.reload()}>
          Reload
        </Button>
      }
    >
      {staleMessage}
    </Alert>
  );
}

/**
 * For a form's mutationOptions.onError: a stale version gets the notice above (it stays until dismissed),
 * anything else its problem's detail (field errors are shown on the fields by react-admin).
 */
export function useSaveErrorHandler() {
  const notify = useNotify();
  return (error: unknown) => {
    const status = (error as { status?: number })?.status;
    if (status === 412) {
      notify(<StaleNotice />, { type: "error", autoHideDuration: null });
    } else {
      notify((error as Error)?.message || "The change was not saved. Try again.", { type: "error", autoHideDuration: 10000 });
    }
  };
}
