import { Menu as RaMenu, useResourceDefinitions } from "react-admin";
import { ListSubheader } from "@mui/material";
import DashboardIcon from "@mui/icons-material/Dashboard";

/**
 * Every area of the dashboard, in this order. An area shows once its screen is registered in App.tsx
 * (a <Resource name=...>), so the menu never links to a screen that does not exist.
 */
export const areas: { label: string; resources: string[] }[] = [
  { label: "Catalog", resources: ["products", "inventory", "bulk", "images", "imports", "jobs"] },
  { label: "Sales", resources: ["orders", "customers"] },
  { label: "Pricing", resources: ["discount-codes", "shipping-methods", "tax-rates"] },
  { label: "Staff & keys", resources: ["staff", "api-keys"] },
  { label: "Audit", resources: ["audit"] },
];

export function Menu() {
  const resources = useResourceDefinitions();
  const listed = new Set(areas.flatMap((a) => a.resources));
  const others = Object.keys(resources).filter((name) => !listed.has(name) && resources[name].hasList);
  return (
    <RaMenu>
      <RaMenu.Item to="/" primaryText="Overview" leftIcon={<DashboardIcon />} />
      {areas.map((area) => {
        const present = area.resources.filter((name) => resources[name]?.hasList);
        if (present.length === 0) return null;
        return [
          <ListSubheader key={area.label} disableSticky component="div" sx={{ lineHeight: "32px", bgcolor: "transparent" }}>
            {area.label}
          </ListSubheader>,
          ...present.map((name) => <RaMenu.ResourceItem key={name} name={name} />),
        ];
      })}
      {others.map((name) => (
        <RaMenu.ResourceItem key={name} name={name} />
      ))}
    </RaMenu>
  );
}
