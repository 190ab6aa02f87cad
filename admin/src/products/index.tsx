// Product screens: the list (search, status/category/stock filters, four sorts) with bulk changes, and
// create/edit with variants (options, price, compare-at, SKU, weight, initial stock), categories, tags,
// status, SEO title and description. A stale save (412) gets the shell's reload-and-compare notice.
import { useEffect, useState } from "react";
import {
  ArrayInput,
  AutocompleteArrayInput,
  BooleanInput,
  Create,
  CreateButton,
  FilterButton,
  Datagrid,
  DateField,
  Edit,
  FunctionField,
  List,
  NumberField,
  NumberInput,
  SearchInput,
  SelectArrayInput,
  SelectInput,
  SimpleFormIterator,
  TabbedForm,
  TextField,
  TextInput,
  Toolbar,
  SaveButton,
  TopToolbar,
  required,
  useListContext,
  useRecordContext,
} from "react-admin";
import { Checkbox } from "@mui/material";
import ProductIcon from "@mui/icons-material/Inventory2";
import { api } from "../data/http";
import { useSaveErrorHandler } from "../data/saveErrors";
import { BulkChangeButton } from "../bulk";
import { ProductImages } from "../images/ProductImages";

/* eslint-disable @typescript-eslint/no-explicit-any */
const money = (amount: number | undefined, currency = "EUR") => (amount === undefined ? "" : `${(amount / 100).toFixed(2)} ${currency}`);

/** Every category as a flat choice list ("Home › Kitchen"), read once per screen. */
function useCategoryChoices() {
  const [choices, setChoices] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    api.getCategoryTree().then((tree) => {
      const out: { id: string; name: string }[] = [];
      const walk = (nodes: any[], prefix: string) =>
        nodes.forEach((n) => {
          out.push({ id: n.id, name: prefix + n.name });
          walk(n.children ?? [], `${prefix}${n.name} › `);
        });
      walk(tree.categories ?? [], "");
      setChoices(out);
    });
  }, []);
  return choices;
}

const statusChoices = [
  { id: "draft", name: "Draft" },
  { id: "active", name: "Active" },
  { id: "archived", name: "Archived" },
];
const stockChoices = [
  { id: "in_stock", name: "In stock" },
  { id: "sold_out", name: "Sold out" },
  { id: "low", name: "Low stock" },
];

// Our own selection column: react-admin's row checkboxes put their label on a span, which axe reports
// (a critical unlabelled input); this one labels the input with the product's title.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
function SelectCell(_: { label?: string }) {
  const record = useRecordContext<any>();
  const { selectedIds, onToggleItem } = useListContext();
  if (!record) return null;
  return (
    <Checkbox size="small" checked={selectedIds.includes(record.id)} onClick={(e) => e.stopPropagation()}
      onChange={() => onToggleItem(record.id)} slotProps={{ input: { "aria-label": `Select ${record.title}` } as any }} />
  );
}

const ListActions = () => (
  <TopToolbar>
    <BulkChangeButton />
    <FilterButton />
    <CreateButton />
  </TopToolbar>
);

export const SaveOnly = () => (
  <Toolbar>
    <SaveButton alwaysEnable />
  </Toolbar>
);

function ProductList() {
  const categories = useCategoryChoices();
  const filters = [
    <SearchInput key="q" source="q" alwaysOn placeholder="Title, slug or SKU" />,
    <SelectInput key="status" source="status" choices={statusChoices} alwaysOn />,
    <SelectInput key="stock" source="stock" choices={stockChoices} alwaysOn />,
    <SelectInput key="categoryId" source="categoryId" label="Category" choices={categories} />,
  ];
  return (
    <List title="Products" filters={filters} actions={<ListActions />} perPage={25} sort={{ field: "updatedAt", order: "DESC" }}>
      <Datagrid rowClick="edit" bulkActionButtons={false}>
        <SelectCell label="Select" />
        <FunctionField label="Image" sortable={false} render={(r: any) =>
          r.image ? <img src={r.image.url} alt={r.image.alt} width={40} height={40} style={{ objectFit: "cover" }} loading="lazy" /> : null} />
        <TextField source="title" />
        <TextField source="status" sortable={false} />
        <FunctionField label="Price" sortBy="price" render={(r: any) =>
          !r.price ? "—" : r.price.min.amount === r.price.max.amount ? money(r.price.min.amount, r.price.min.currency)
            : `${money(r.price.min.amount, r.price.min.currency)} – ${money(r.price.max.amount, r.price.max.currency)}`} />
        <NumberField source="totalAvailable" label="Available" />
        <NumberField source="variantCount" label="Variants" sortable={false} />
        <DateField source="updatedAt" label="Updated" showTime />
      </Datagrid>
    </List>
  );
}

function ProductForm({ creating }: { creating?: boolean }) {
  const categories = useCategoryChoices();
  return (
    <TabbedForm toolbar={<SaveOnly />}>
      <TabbedForm.Tab label="Product">
        <TextInput source="title" validate={required()} fullWidth />
        <TextInput source="slug" validate={required()} helperText="Lowercase words joined by hyphens, like beeswax-wrap" />
        <TextInput source="description" multiline minRows={4} fullWidth />
        <SelectInput source="status" choices={creating ? statusChoices.slice(0, 2) : statusChoices} defaultValue="draft" />
        <BooleanInput source="featured" />
        <SelectArrayInput source="categoryIds" label="Categories" choices={categories} />
        <AutocompleteArrayInput source="tags" choices={[]} onCreate={(t?: string) => ({ id: t ?? "", name: t ?? "" })}
          helperText="Lowercase words joined by hyphens, like plastic-free" />
        <TextInput source="vendor" />
        <TextInput source="productType" label="Product type" />
      </TabbedForm.Tab>
      <TabbedForm.Tab label="Variants">
        <TextInput source="optionNames" label="Option names" helperText="In order, separated by commas, e.g. Size, Colour" fullWidth />
        <ArrayInput source="variants" label="Variants">
          <SimpleFormIterator inline>
            <TextInput source="sku" label="SKU" validate={required()} />
            <TextInput source="title" label="Variant title" />
            <TextInput source="options" helperText="e.g. Size=M, Colour=Sand" />
            <NumberInput source="priceAmount" label="Price (cents)" validate={required()} />
            <NumberInput source="compareAtAmount" label="Compare-at (cents)" helperText="Higher than the price; shown struck through" />
            <NumberInput source="weightGrams" label="Weight (g)" defaultValue={0} />
            {creating ? <NumberInput source="initialStock" label="Initial stock" defaultValue={0} /> : null}
          </SimpleFormIterator>
        </ArrayInput>
      </TabbedForm.Tab>
      <TabbedForm.Tab label="SEO">
        <TextInput source="seoTitle" label="SEO title" helperText="The page title in search results; the title when empty" fullWidth />
        <TextInput source="seoDescription" label="SEO description" multiline helperText="The meta description; the description's start when empty" fullWidth />
      </TabbedForm.Tab>
      {creating ? null : (
        <TabbedForm.Tab label="Images">
          <ProductImages />
        </TabbedForm.Tab>
      )}
    </TabbedForm>
  );
}

function ProductCreate() {
  const onError = useSaveErrorHandler();
  return (
    <Create title="New product" redirect="edit" mutationOptions={{ onError }}>
      <ProductForm creating />
    </Create>
  );
}

function ProductEdit() {
  const onError = useSaveErrorHandler();
  return (
    <Edit title="Edit product" mutationMode="pessimistic" mutationOptions={{ onError }}>
      <ProductForm />
    </Edit>
  );
}

export const productScreens = { list: ProductList, create: ProductCreate, edit: ProductEdit, icon: ProductIcon };
