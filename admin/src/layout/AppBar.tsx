import { AppBar as RaAppBar, Logout, UserMenu, useGetIdentity } from "react-admin";

/** The user menu's accessible name starts with the name it shows (axe: label-content-name-mismatch). */
function StaffUserMenu() {
  const { identity } = useGetIdentity();
  return (
    <UserMenu label={identity?.fullName ? `${identity.fullName}: account menu` : "Account menu"}>
      <Logout />
    </UserMenu>
  );
}

export const AppBar = () => <RaAppBar color="primary" userMenu={<StaffUserMenu />} />;
