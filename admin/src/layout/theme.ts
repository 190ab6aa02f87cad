import { defaultTheme, type RaThemeOptions } from "react-admin";

const prefersReducedMotion = typeof window !== "undefined" && window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;

/** Staff who ask their system for less motion get no slides, fades or ripples (WCAG 2.3.3). */
const withoutMotion: Partial<RaThemeOptions> = {
  transitions: {
    duration: { shortest: 0, shorter: 0, short: 0, standard: 0, complex: 0, enteringScreen: 0, leavingScreen: 0 },
  },
};

/**
 * react-admin's default theme with darker blues: white text on the app bar and buttons passes WCAG AA (axe).
 * Its loading spinners and bars are progressbars without a name, which axe calls serious; every one gets "Loading".
 */
export const theme: RaThemeOptions = {
  ...defaultTheme,
  palette: {
    ...defaultTheme.palette,
    primary: { main: "#1556a8" },
    secondary: { main: "#263f73" },
  },
  components: {
    ...defaultTheme.components,
    MuiCircularProgress: { defaultProps: { "aria-label": "Loading" } },
    MuiLinearProgress: { defaultProps: { "aria-label": "Loading" } },
    ...(prefersReducedMotion ? { MuiButtonBase: { defaultProps: { disableRipple: true } } } : {}),
  },
  ...(prefersReducedMotion ? withoutMotion : {}),
};
