import type { ReactNode } from "react";
import { Layout as RaLayout } from "react-admin";
import { AppBar } from "./AppBar";
import { Menu } from "./Menu";
import { TestModeBanner } from "./TestModeBanner";

export function Layout({ children }: { children: ReactNode }) {
  return (
    <>
      <TestModeBanner />
      <RaLayout menu={Menu} appBar={AppBar}>{children}</RaLayout>
    </>
  );
}
