-- Catalog: categories (a tree), products, variants, inventory per SKU.
create extension if not exists pg_trgm;
create extension if not exists unaccent;

create table categories (
    id          uuid primary key,
    parent_id   uuid references categories (id),
    slug        text not null unique,
    name        text not null,
    description text not null default '',
    position    integer not null default 0,
    version     integer not null default 1,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    check (parent_id is distinct from id)
);
create index categories_parent on categories (parent_id);

create table products (
    id          uuid primary key,
    slug        text not null unique,
    title       text not null,
    description text not null default '',
    status      text not null check (status in ('draft', 'active', 'archived')),
    images      jsonb not null default '[]',
    tags        text[] not null default '{}',
    featured    boolean not null default false,
    -- lowest price among active variants, kept by the writes that change variants; the sort key for "price"
    min_price   bigint,
    version     integer not null default 1,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create index products_active_newest on products (created_at desc, id desc) where status = 'active';
create index products_active_price on products (min_price, id) where status = 'active';
create index products_active_title on products (title, id) where status = 'active';

create table product_categories (
    product_id  uuid not null references products (id) on delete cascade,
    category_id uuid not null references categories (id),
    primary key (product_id, category_id)
);
create index product_categories_category on product_categories (category_id, product_id);

create table variants (
    id           uuid primary key,
    product_id   uuid not null references products (id),
    sku          text not null unique,
    title        text not null default '',
    options      jsonb not null default '{}',
    price_amount bigint not null check (price_amount >= 0),
    currency     char(3) not null,
    weight_grams integer not null check (weight_grams >= 0),
    status       text not null default 'active' check (status in ('active', 'archived')),
    position     integer not null default 0,
    version      integer not null default 1,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now()
);
create index variants_product on variants (product_id, position);

-- available = on_hand - reserved; the checks make negative availability impossible at the storage level.
create table inventory (
    sku        text primary key references variants (sku),
    on_hand    integer not null check (on_hand >= 0),
    reserved   integer not null default 0 check (reserved >= 0),
    version    integer not null default 1,
    updated_at timestamptz not null default now(),
    check (reserved <= on_hand)
);

create table stock_movements (
    id          bigint generated always as identity primary key,
    sku         text not null references inventory (sku),
    delta       integer not null,
    on_hand     integer not null,
    reason      text not null,
    actor       text not null,
    created_at  timestamptz not null default now()
);
create index stock_movements_sku on stock_movements (sku, id);
