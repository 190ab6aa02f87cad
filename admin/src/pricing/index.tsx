// Pricing screens: discount codes, shipping methods and tax rates, on the routes of
// api/Features/Pricing/Admin. Edits are pessimistic (saved when the API says so) and send If-Match.
import {
  ArrayInput,
  BooleanField,
  BooleanInput,
  Create,
  Datagrid,
  DateField,
  DateTimeInput,
  Edit,
  FunctionField,
  List,
  NumberField,
  NumberInput,
  SaveButton,
  SelectInput,
  SimpleForm,
  SimpleFormIterator,
  TextField,
  TextInput,
  Toolbar,
  required,
} from "react-admin";
import DiscountIcon from "@mui/icons-material/LocalOffer";
import ShippingIcon from "@mui/icons-material/LocalShipping";
import TaxIcon from "@mui/icons-material/Percent";
import { useSaveErrorHandler } from "../data/saveErrors";

/* eslint-disable @typescript-eslint/no-explicit-any */
const money = (m: any) => (m ? `${(m.amount / 100).toFixed(2)} ${m.currency}` : "");
const SaveOnly = () => (
  <Toolbar>
    <SaveButton alwaysEnable />
  </Toolbar>
);

function useEditProps() {
  const onError = useSaveErrorHandler();
  return { mutationMode: "pessimistic" as const, mutationOptions: { onError } };
}

function useCreateProps() {
  const onError = useSaveErrorHandler();
  return { redirect: "list" as const, mutationOptions: { onError } };
}

const DiscountCodeList = () => (
  <List title="Discount codes" perPage={25} sort={{ field: "code", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={false}>
      <TextField source="code" />
      <TextField source="kind" />
      <FunctionField label="Value" render={(r: any) => (r.kind === "percentage" ? `${r.value / 100} %` : `${(r.value / 100).toFixed(2)}`)} />
      <FunctionField label="Minimum subtotal" render={(r: any) => money(r.minSubtotal)} />
      <DateField source="endsAt" label="Ends" showTime emptyText="—" />
      <FunctionField label="Used" render={(r: any) => `${r.timesUsed}${r.usageLimit ? ` of ${r.usageLimit}` : ""}`} />
      <BooleanField source="active" />
    </Datagrid>
  </List>
);

const DiscountCodeCreate = () => (
  <Create title="New discount code" {...useCreateProps()}>
    <SimpleForm>
      <TextInput source="code" validate={required()} helperText="Letters, digits and dashes; customers type it at checkout." />
      <SelectInput
        source="kind"
        validate={required()}
        choices={[
          { id: "percentage", name: "Percentage (value in basis points: 1000 = 10 %)" },
          { id: "fixed", name: "Fixed amount (value in minor units: 500 = 5.00)" },
        ]}
      />
      <NumberInput source="value" validate={required()} />
      <NumberInput source="minSubtotal" label="Minimum subtotal (minor units)" />
      <DateTimeInput source="startsAt" label="Starts" />
      <DateTimeInput source="endsAt" label="Ends" />
      <NumberInput source="usageLimit" label="Usage limit" />
    </SimpleForm>
  </Create>
);

const DiscountCodeEdit = () => (
  <Edit title="Edit discount code" {...useEditProps()}>
    <SimpleForm toolbar={<SaveOnly />}>
      <TextInput source="code" disabled />
      <TextInput source="kind" disabled />
      <NumberInput source="value" disabled />
      <BooleanInput source="active" />
      <DateTimeInput source="endsAt" label="Ends" />
      <NumberInput source="usageLimit" label="Usage limit" />
    </SimpleForm>
  </Edit>
);

export const discountCodeScreens = {
  list: DiscountCodeList,
  create: DiscountCodeCreate,
  edit: DiscountCodeEdit,
  icon: DiscountIcon,
  recordRepresentation: "code",
};

const ShippingMethodList = () => (
  <List title="Shipping methods" perPage={25} sort={{ field: "position", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={false}>
      <TextField source="code" />
      <TextField source="name" />
      <NumberField source="position" />
      <FunctionField label="Rates" render={(r: any) => r.rates.map((x: any) => `${x.countries}: ${money(x.amount)}`).join("; ")} />
      <BooleanField source="active" />
    </Datagrid>
  </List>
);

const ShippingMethodForm = ({ creating }: { creating: boolean }) => (
  <SimpleForm toolbar={<SaveOnly />}>
    <TextInput source="code" validate={required()} disabled={!creating} />
    <TextInput source="name" validate={required()} />
    <BooleanInput source="active" defaultValue />
    <NumberInput source="position" />
    <ArrayInput source="rates">
      <SimpleFormIterator inline>
        <TextInput source="countries" helperText="Country codes, e.g. DE, FR" validate={required()} />
        <NumberInput source="minWeightGrams" label="From grams" />
        <NumberInput source="maxWeightGrams" label="Below grams" />
        <NumberInput source="amount.amount" label="Price (minor units)" validate={required()} />
      </SimpleFormIterator>
    </ArrayInput>
  </SimpleForm>
);

export const shippingMethodScreens = {
  list: ShippingMethodList,
  create: () => (
    <Create title="New shipping method" {...useCreateProps()}>
      <ShippingMethodForm creating />
    </Create>
  ),
  edit: () => (
    <Edit title="Edit shipping method" {...useEditProps()}>
      <ShippingMethodForm creating={false} />
    </Edit>
  ),
  icon: ShippingIcon,
  recordRepresentation: "name",
};

const TaxRateList = () => (
  <List title="Tax rates" perPage={25} sort={{ field: "id", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={false}>
      <TextField source="country" />
      <TextField source="region" emptyText="(whole country)" />
      <FunctionField label="Rate" render={(r: any) => `${r.rateBasisPoints / 100} %`} />
      <BooleanField source="pricesIncludeTax" label="Prices include tax" />
    </Datagrid>
  </List>
);

const TaxRateForm = ({ creating }: { creating: boolean }) => (
  <SimpleForm toolbar={<SaveOnly />}>
    <TextInput source="country" validate={required()} disabled={!creating} helperText="ISO country code, e.g. DE" />
    <TextInput source="region" disabled={!creating} helperText="Optional: a state or province code, e.g. CA" />
    <NumberInput source="rateBasisPoints" label="Rate (basis points: 1900 = 19 %)" validate={required()} />
    <BooleanInput source="pricesIncludeTax" label="Prices include tax" />
  </SimpleForm>
);

export const taxRateScreens = {
  list: TaxRateList,
  create: () => (
    <Create title="New tax rate" {...useCreateProps()}>
      <TaxRateForm creating />
    </Create>
  ),
  edit: () => (
    <Edit title="Edit tax rate" {...useEditProps()}>
      <TaxRateForm creating={false} />
    </Edit>
  ),
  icon: TaxIcon,
  recordRepresentation: "id",
};
