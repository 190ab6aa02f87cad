-- Uploaded product images live in products.images (jsonb), their files in the object store under
-- content-hashed names. Deleting an image removes its files only when no product shows them any more
-- (the same upload can be on two products): that check is `images @> '[{"url": ...}]'`, which this index
-- answers without reading every product.
create index products_images_path on products using gin (images jsonb_path_ops);
