// The admin's one registry of screens. Each area adds its <Resource> (or <CustomRoutes>) here and its
// handler in data/index.ts. Resource names the menu knows (layout/Menu.tsx): products, inventory, bulk,
// images, imports, orders, customers, discount-codes, shipping-methods, tax-rates, staff, api-keys, audit.
import { lazy } from "react";
import { BrowserRouter, Route } from "react-router";
import { Admin, CustomRoutes, Resource } from "react-admin";
import { authProvider } from "./auth/authProvider";
import { LoginPage } from "./auth/LoginPage";
import { dataProvider } from "./data";
import { Layout } from "./layout/Layout";
import { theme } from "./layout/theme";
import { discountCodeScreens, shippingMethodScreens, taxRateScreens } from "./pricing";
import { auditScreens } from "./audit";
import { orderScreens } from "./orders";
import { customerScreens } from "./customers";
import { apiKeyScreens, staffScreens } from "./staff";
import { AcceptInvitation } from "./staff/AcceptInvitation";

// The overview brings recharts: loaded after sign-in, not with the sign-in page.
const Overview = lazy(() => import("./overview/Overview").then((m) => ({ default: m.Overview })));
import { productScreens } from "./products";
import { inventoryScreens } from "./inventory";
import { bulkScreens } from "./bulk";
import { importScreens } from "./imports";
import { jobScreens } from "./jobs";
import { webhookEndpointScreens } from "./webhooks";

export function App() {
  // Real paths (/admin/discount-codes/...), not react-admin's default hash routes: the API host answers
  // every /admin/* path with index.html.
  return (
    <BrowserRouter basename="/admin">
    <Admin
      title="Headless admin"
      dataProvider={dataProvider}
      authProvider={authProvider}
      loginPage={LoginPage}
      layout={Layout}
      theme={theme}
      dashboard={Overview}
      requireAuth
      disableTelemetry
    >
      <Resource name="discount-codes" options={{ label: "Discount codes" }} {...discountCodeScreens} />
      <Resource name="shipping-methods" options={{ label: "Shipping methods" }} {...shippingMethodScreens} />
      <Resource name="tax-rates" options={{ label: "Tax rates" }} {...taxRateScreens} />
      <Resource name="audit" options={{ label: "Audit log" }} {...auditScreens} />
      <Resource name="orders" options={{ label: "Orders" }} {...orderScreens} />
      <Resource name="customers" options={{ label: "Customers" }} {...customerScreens} />
      <Resource name="staff" options={{ label: "Staff" }} {...staffScreens} />
      <Resource name="staff-invitations" />
      <Resource name="api-keys" options={{ label: "API keys" }} {...apiKeyScreens} />
      <CustomRoutes noLayout>
        <Route path="/accept-invitation" element={<AcceptInvitation />} />
      </CustomRoutes>
      <Resource name="products" options={{ label: "Products" }} {...productScreens} />
      <Resource name="inventory" options={{ label: "Inventory" }} {...inventoryScreens} />
      <Resource name="bulk" options={{ label: "Bulk changes" }} {...bulkScreens} />
      <Resource name="imports" options={{ label: "Imports" }} {...importScreens} />
      <Resource name="jobs" options={{ label: "Jobs" }} {...jobScreens} />
      <Resource name="webhook-endpoints" options={{ label: "Webhooks" }} {...webhookEndpointScreens} />
    </Admin>
    </BrowserRouter>
  );
}
