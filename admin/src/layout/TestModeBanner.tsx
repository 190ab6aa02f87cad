import { Box } from "@mui/material";

/** The API host writes its payments mode into index.html (as the storefront's pages carry TEST MODE). */
export const paymentsInTestMode = () =>
  document.querySelector('meta[name="headless-payments"]')?.getAttribute("content") === "test";

export function TestModeBanner() {
  if (!paymentsInTestMode()) return null;
  return (
    <Box
      role="status"
      sx={{ bgcolor: "#8a4b00", color: "#fff", px: 2, py: 0.5, textAlign: "center", fontWeight: 700, letterSpacing: 0.5 }}
    >
      TEST MODE: payments use the built-in test provider, no money moves.
    </Box>
  );
}
