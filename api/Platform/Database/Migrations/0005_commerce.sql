-- Commerce: pricing rules, carts, orders, payments, refunds, idempotency.

-- Pricing rules ---------------------------------------------------------------------------------

create table shipping_methods (
    id         uuid primary key,
    code       text not null unique,
    name       text not null,
    active     boolean not null default true,
    position   integer not null default 0,
    version    integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- A method's rate for a destination and a parcel weight. A rate with no countries covers every
-- country that no other rate of the same method names ("rest of the world").
create table shipping_rates (
    id               uuid primary key,
    method_id        uuid not null references shipping_methods (id) on delete cascade,
    countries        text[] not null default '{}',
    min_weight_grams integer not null default 0 check (min_weight_grams >= 0),
    max_weight_grams integer check (max_weight_grams is null or max_weight_grams > min_weight_grams),
    amount           bigint not null check (amount >= 0)
);
create index shipping_rates_method on shipping_rates (method_id);

-- Tax by destination: a country-wide rate (region '') and, where needed, regional rates (US states).
-- prices_include_tax: catalog prices are gross in this market (EU VAT) or net with tax added (US).
create table tax_rates (
    country            text not null check (country ~ '^[A-Z]{2}$'),
    region             text not null default '',
    rate_basis_points  integer not null check (rate_basis_points between 0 and 10000),
    prices_include_tax boolean not null,
    version            integer not null default 1,
    updated_at         timestamptz not null default now(),
    primary key (country, region)
);

create table discount_codes (
    id           uuid primary key,
    code         text not null unique check (code = upper(code)),
    kind         text not null check (kind in ('percentage', 'fixed')),
    -- percentage: basis points (1000 = 10 %); fixed: minor units of the catalog currency
    value        bigint not null check (value > 0),
    currency     char(3) not null,
    min_subtotal bigint not null default 0 check (min_subtotal >= 0),
    starts_at    timestamptz,
    ends_at      timestamptz,
    usage_limit  integer check (usage_limit is null or usage_limit > 0),
    -- counted by the checkout's conditional update; the check makes over-use impossible in storage
    times_used   integer not null default 0,
    active       boolean not null default true,
    version      integer not null default 1,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    check (kind <> 'percentage' or value <= 10000),
    check (usage_limit is null or times_used <= usage_limit),
    check (ends_at is null or starts_at is null or ends_at > starts_at)
);

-- Carts -----------------------------------------------------------------------------------------

-- A cart is addressed by an unguessable token; only its SHA-256 is stored.
create table carts (
    id              uuid primary key,
    token_hash      bytea not null unique,
    customer_id     uuid references users (id) on delete set null,
    status          text not null default 'open' check (status in ('open', 'merged', 'checked_out')),
    currency        char(3) not null,
    country         text,
    region          text,
    shipping_method text,
    discount_code   text,
    version         integer not null default 1,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create unique index carts_one_open_per_customer on carts (customer_id) where status = 'open' and customer_id is not null;

create table cart_lines (
    cart_id  uuid not null references carts (id) on delete cascade,
    sku      text not null references variants (sku),
    quantity integer not null check (quantity between 1 and 999),
    added_at timestamptz not null default now(),
    primary key (cart_id, sku)
);

-- Orders ----------------------------------------------------------------------------------------

create sequence order_numbers start 100001;

create table orders (
    id                     uuid primary key,
    number                 text not null unique,
    cart_id                uuid references carts (id) on delete set null,
    customer_id            uuid references users (id) on delete set null,
    -- guests read their order with this token (only its SHA-256 is kept)
    access_token_hash      bytea not null,
    status                 text not null check (status in
        ('pending_payment', 'paid', 'fulfilled', 'delivered', 'canceled', 'refunded', 'partially_refunded')),
    email                  text not null,
    shipping_address       jsonb not null,
    billing_address        jsonb not null,
    currency               char(3) not null,
    subtotal               bigint not null,
    discount_total         bigint not null,
    shipping_total         bigint not null,
    tax_total              bigint not null,
    total                  bigint not null check (total >= 0),
    refunded_total         bigint not null default 0,
    prices_include_tax     boolean not null,
    tax_rate_basis_points  integer not null,
    shipping_method        text not null,
    shipping_method_name   text not null,
    discount_code          text,
    -- held: counted in inventory.reserved; committed: taken off on_hand at payment; released: given back
    reservation            text not null check (reservation in ('held', 'committed', 'released')),
    reservation_expires_at timestamptz not null,
    carrier                text,
    tracking_number        text,
    version                integer not null default 1,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now(),
    paid_at                timestamptz,
    check (refunded_total between 0 and total)
);
create index orders_newest on orders (created_at desc, id desc);
create index orders_status_newest on orders (status, created_at desc, id desc);
create index orders_customer_newest on orders (customer_id, created_at desc, id desc) where customer_id is not null;
create index orders_held_expiry on orders (reservation_expires_at) where reservation = 'held';

create table order_lines (
    order_id      uuid not null references orders (id) on delete cascade,
    sku           text not null,
    product_id    uuid not null,
    product_slug  text not null,
    title         text not null,
    variant_title text not null,
    unit_price    bigint not null,
    quantity      integer not null check (quantity > 0),
    line_total    bigint not null,
    primary key (order_id, sku)
);

-- Every status change, who made it and why: the order's history.
create table order_events (
    id          bigint generated always as identity primary key,
    order_id    uuid not null references orders (id) on delete cascade,
    from_status text,
    to_status   text not null,
    actor       text not null,
    note        text not null default '',
    at          timestamptz not null default now()
);
create index order_events_order on order_events (order_id, id);

-- Payments --------------------------------------------------------------------------------------

create table payments (
    id            uuid primary key,
    order_id      uuid not null unique references orders (id) on delete cascade,
    provider      text not null check (provider in ('stripe', 'test')),
    -- the provider's PaymentIntent id (pi_...)
    provider_ref  text not null unique,
    client_secret text not null,
    status        text not null,
    amount        bigint not null,
    currency      char(3) not null,
    last_error    text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);

create table refunds (
    id           uuid primary key,
    order_id     uuid not null references orders (id) on delete cascade,
    provider_ref text not null unique,
    amount       bigint not null check (amount > 0),
    reason       text not null default '',
    status       text not null,
    actor        text not null,
    created_at   timestamptz not null default now()
);
create index refunds_order on refunds (order_id);

-- Stripe webhook events already handled: a redelivered event changes nothing.
create table stripe_events (
    id          text primary key,
    type        text not null,
    received_at timestamptz not null default now()
);

-- Idempotency-Key records (Stripe's semantics): the stored response is replayed for 24 hours.
create table idempotency_keys (
    scope        text not null,
    key          text not null,
    request_hash bytea not null,
    status_code  integer not null,
    location     text,
    -- the response body, encrypted with data protection (it may hold a cart or order token)
    response     text not null,
    created_at   timestamptz not null default now(),
    primary key (scope, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);
