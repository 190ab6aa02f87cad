-- An add to cart wrote to the catalog: the foreign key from cart_lines.sku to variants checked each new line
-- with `select ... for key share` on the variant, which writes a lock into the variant's row (a dirtied page
-- and a WAL record per add), and on a SKU many shoppers add at once (a sale's hot item) every concurrent add
-- joins one growing multixact. The key guarded nothing the code can do: variants are never deleted (they are
-- archived), and every insert into cart_lines names a SKU the same request found on sale. Cart reads join
-- variants, so a line could not show a SKU that does not exist anyway.
alter table cart_lines drop constraint if exists cart_lines_sku_fkey;
