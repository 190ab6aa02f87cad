// Staff and API keys: the staff list (accounts with the staff or admin role) with pending invitations,
// invite, roles, revoke; API keys with the secret shown once (with copy) and revoke.
import { useState } from "react";
import {
  BooleanField,
  CheckboxGroupInput,
  Create,
  CreateButton,
  Datagrid,
  DateField,
  Edit,
  EditButton,
  FunctionField,
  List,
  SaveButton,
  SelectInput,
  SimpleForm,
  TextField,
  TextInput,
  Toolbar,
  TopToolbar,
  email as emailRule,
  required,
  useCreate,
  useDelete,
  useGetList,
  useNotify,
  useRecordContext,
  useRedirect,
  useRefresh,
} from "react-admin";
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField as MuiTextField, Typography } from "@mui/material";
import BadgeIcon from "@mui/icons-material/Badge";
import KeyIcon from "@mui/icons-material/VpnKey";
import { api } from "../data/http";
import { ConfirmButton } from "../layout/ConfirmButton";
import { toHttpError } from "../data/index";
import { useSaveErrorHandler } from "../data/saveErrors";

/* eslint-disable @typescript-eslint/no-explicit-any */
const staffRoleChoices = [
  { id: "staff", name: "Staff (catalog, orders, pricing)" },
  { id: "admin", name: "Admin (also people, keys and customer data)" },
];

function RevokeStaffButton() {
  const user = useRecordContext<any>();
  const notify = useNotify();
  const refresh = useRefresh();
  if (!user) return null;
  return (
    <ConfirmButton
      label="Revoke"
      title={`Revoke ${user.email}?`}
      text="Their staff and admin roles are removed and every session they have ends now. A customer account, if any, stays."
      confirm="Revoke access"
      onConfirm={async () => {
        try {
          await api.revokeStaff(user.id);
          notify(`${user.email} no longer has staff access.`, { type: "success" });
          refresh();
        } catch (error) {
          notify(toHttpError(error).message, { type: "error", autoHideDuration: 10000 });
        }
      }}
    />
  );
}

function PendingInvitations() {
  const { data, isPending, refetch } = useGetList("staff-invitations", { pagination: { page: 1, perPage: 100 }, sort: { field: "id", order: "DESC" } });
  const [remove] = useDelete();
  const notify = useNotify();
  if (isPending || !data || data.length === 0) return null;
  return (
    <Box component="section" aria-labelledby="pending-invitations" sx={{ mb: 2 }}>
      <Typography id="pending-invitations" variant="h6" component="h2">
        Pending invitations
      </Typography>
      <Box component="ul" sx={{ pl: 2 }}>
        {data.map((i: any) => (
          <li key={i.id}>
            {i.email} as {i.roles.join(" and ")}, expires {new Date(i.expiresAt).toLocaleString()}{" "}
            <ConfirmButton
              label="Revoke invitation"
              title={`Revoke the invitation to ${i.email}?`}
              text="Its link stops working at once."
              confirm="Revoke invitation"
              onConfirm={async () => {
                await remove("staff-invitations", { id: i.id, previousData: i }, { mutationMode: "pessimistic", onError: (e) => notify(toHttpError(e).message, { type: "error" }) });
                notify("Invitation revoked.", { type: "success" });
                await refetch();
              }}
            />
          </li>
        ))}
      </Box>
    </Box>
  );
}

const staffFilters = [
  <SelectInput key="role" source="role" choices={[{ id: "staff", name: "Staff" }, { id: "admin", name: "Admins" }]} alwaysOn emptyText="Staff" emptyValue="staff" />,
];

const StaffList = () => (
  <List
    title="Staff"
    filters={staffFilters}
    perPage={50}
    exporter={false}
    sort={{ field: "id", order: "DESC" }}
    actions={
      <TopToolbar>
        <CreateButton label="Invite staff" />
      </TopToolbar>
    }
  >
    <PendingInvitations />
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <TextField source="email" sortable={false} />
      <FunctionField label="Name" render={(r: any) => [r.firstName, r.lastName].filter(Boolean).join(" ")} />
      <FunctionField label="Roles" render={(r: any) => (r.roles ?? []).join(", ")} />
      <BooleanField source="twoFactorEnabled" label="Two-factor" sortable={false} />
      <DateField source="createdAt" label="Since" sortable={false} />
      <EditButton label="Roles" />
      <RevokeStaffButton />
    </Datagrid>
  </List>
);

const StaffInvite = () => {
  const onError = useSaveErrorHandler();
  const notify = useNotify();
  const redirect = useRedirect();
  return (
    <Create
      title="Invite staff"
      mutationOptions={{
        onError,
        onSuccess: (data: any) => {
          notify(`Invitation sent to ${data.email}. The link works for 72 hours.`, { type: "success" });
          redirect("list", "staff");
        },
      }}
    >
      <SimpleForm toolbar={<Toolbar><SaveButton label="Send invitation" alwaysEnable /></Toolbar>}>
        <TextInput source="email" type="email" validate={[required(), emailRule()]} helperText="They get a one-time link to choose a password and turn on two-factor authentication." />
        <CheckboxGroupInput source="roles" choices={staffRoleChoices} validate={required("Choose at least one role.")} defaultValue={["staff"]} />
      </SimpleForm>
    </Create>
  );
};

const StaffRoles = () => {
  const onError = useSaveErrorHandler();
  return (
    <Edit title="Roles" mutationMode="pessimistic" mutationOptions={{ onError }} redirect="list">
      <SimpleForm toolbar={<Toolbar><SaveButton label="Save roles" alwaysEnable /></Toolbar>}>
        <TextField source="email" />
        <CheckboxGroupInput source="roles" choices={[{ id: "customer", name: "Customer" }, ...staffRoleChoices]} helperText="The person is signed out everywhere so the change applies at once." />
      </SimpleForm>
    </Edit>
  );
};

export const staffScreens = { list: StaffList, create: StaffInvite, edit: StaffRoles, icon: BadgeIcon, recordRepresentation: "email" };

// ---- API keys ----------------------------------------------------------------------------------------

function RevokeKeyButton() {
  const key = useRecordContext<any>();
  const [remove] = useDelete();
  const notify = useNotify();
  if (!key || key.revokedAt) return null;
  return (
    <ConfirmButton
      label="Revoke"
      title={`Revoke the key "${key.name}"?`}
      text="Integrations using it stop working at once."
      confirm="Revoke key"
      onConfirm={async () => {
        await remove("api-keys", { id: key.id, previousData: key }, { mutationMode: "pessimistic", onError: (e) => notify(toHttpError(e).message, { type: "error" }) });
        notify("API key revoked.", { type: "success" });
      }}
    />
  );
}

const ApiKeyList = () => (
  <List title="API keys" perPage={50} exporter={false} sort={{ field: "createdAt", order: "DESC" }} actions={<TopToolbar><CreateButton label="New API key" /></TopToolbar>}>
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <TextField source="name" />
      <TextField source="prefix" label="Starts with" sortable={false} />
      <FunctionField label="Scopes" render={(r: any) => (r.scopes ?? []).join(", ")} />
      <DateField source="createdAt" label="Created" showTime />
      <DateField source="lastUsedAt" label="Last used" showTime emptyText="never" />
      <DateField source="revokedAt" label="Revoked" showTime emptyText="—" />
      <RevokeKeyButton />
    </Datagrid>
  </List>
);

const scopeChoices = [
  { id: "catalog", name: "catalog (products, inventory)" },
  { id: "orders", name: "orders (orders, refunds, pricing)" },
  { id: "admin", name: "admin (everything an admin API key may do)" },
];

function ApiKeyCreate() {
  const [create, { isPending }] = useCreate();
  const notify = useNotify();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const toggle = (id: string) => setScopes((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  if (secret) {
    return (
      <Box sx={{ p: 2 }}>
        <Typography variant="h5" component="h1" gutterBottom>
          Your new API key
        </Typography>
        <Alert severity="warning" sx={{ mb: 2 }}>
          Copy it now: it is shown only this once. We keep only its hash.
        </Alert>
        <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
          <MuiTextField label="Secret" value={secret} fullWidth slotProps={{ input: { readOnly: true } }} />
          <Button
            variant="contained"
            onClick={async () => {
              await navigator.clipboard.writeText(secret);
              setCopied(true);
            }}
          >
            {copied ? "Copied" : "Copy"}
          </Button>
        </Stack>
        <Button sx={{ mt: 2 }} href="/admin/api-keys">
          Done
        </Button>
      </Box>
    );
  }
  return (
    <Box component="form" sx={{ p: 2, maxWidth: 560 }} onSubmit={(e) => {
      e.preventDefault();
      create("api-keys", { data: { name, scopes } }, {
        onSuccess: (data: any) => setSecret(data.secret),
        onError: (error) => notify(toHttpError(error).message, { type: "error", autoHideDuration: 10000 }),
      });
    }}>
      <Typography variant="h5" component="h1" gutterBottom>
        New API key
      </Typography>
      <Stack spacing={2}>
        <MuiTextField label="Integration name" value={name} onChange={(e) => setName(e.target.value)} required />
        <fieldset>
          <legend>Scopes</legend>
          {scopeChoices.map((c) => (
            <label key={c.id} style={{ display: "block" }}>
              <input type="checkbox" checked={scopes.includes(c.id)} onChange={() => toggle(c.id)} /> {c.name}
            </label>
          ))}
        </fieldset>
        <Button type="submit" variant="contained" disabled={isPending || !name.trim() || scopes.length === 0}>
          Create key
        </Button>
      </Stack>
    </Box>
  );
}

export const apiKeyScreens = { list: ApiKeyList, create: ApiKeyCreate, icon: KeyIcon, recordRepresentation: "name" };
