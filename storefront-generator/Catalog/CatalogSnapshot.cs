using Headless.Sdk;

namespace Headless.Storefront.Catalog;

/// <summary>A category with its place in the tree.</summary>
public sealed class CategoryInfo(CategoryNode node, CategoryInfo? parent)
{
    public Guid Id { get; } = node.Id;
    public string Slug { get; } = node.Slug;
    public string Name { get; } = node.Name;
    public string Description { get; } = node.Description ?? "";
    public int Position { get; } = node.Position;
    public CategoryInfo? Parent { get; } = parent;
    public List<CategoryInfo> Children { get; } = [];

    public string Url => $"/categories/{Slug}/";

    /// <summary>This category, then its parent, up to the root.</summary>
    public IEnumerable<CategoryInfo> SelfAndAncestors()
    {
        for (var c = this; c is not null; c = c.Parent)
        {
            yield return c;
        }
    }
}

/// <summary>The catalog as the generator knows it: the category tree and every active product in full.</summary>
public sealed class CatalogSnapshot
{
    private readonly Dictionary<Guid, ProductDetail> _products = [];

    public CatalogSnapshot(CategoryTree tree)
    {
        void Add(CategoryNode node, CategoryInfo? parent)
        {
            var info = new CategoryInfo(node, parent);
            Categories[info.Id] = info;
            (parent?.Children ?? Roots).Add(info);
            foreach (var child in node.Children.OrderBy(c => c.Position).ThenBy(c => c.Name, StringComparer.Ordinal))
            {
                Add(child, info);
            }
        }
        foreach (var root in tree.Categories.OrderBy(c => c.Position).ThenBy(c => c.Name, StringComparer.Ordinal))
        {
            Add(root, null);
        }
    }

    public List<CategoryInfo> Roots { get; } = [];

    public Dictionary<Guid, CategoryInfo> Categories { get; } = [];

    public IReadOnlyDictionary<Guid, ProductDetail> Products => _products;

    public void Set(ProductDetail product)
    {
        lock (_products)
        {
            _products[product.Id] = product;
        }
    }

    public void Remove(Guid id)
    {
        lock (_products)
        {
            _products.Remove(id);
        }
    }

    /// <summary>The categories a product is listed in: its own and all their ancestors.</summary>
    public HashSet<Guid> ListedIn(ProductDetail product)
    {
        var set = new HashSet<Guid>();
        foreach (var c in product.Categories)
        {
            if (Categories.TryGetValue(c.Id, out var info))
            {
                foreach (var a in info.SelfAndAncestors())
                {
                    set.Add(a.Id);
                }
            }
        }
        return set;
    }

    /// <summary>Newest first, then by id: the listing order (the API's default sort).</summary>
    public static int ListingOrder(ProductDetail a, ProductDetail b)
    {
        var byDate = b.CreatedAt.CompareTo(a.CreatedAt);
        return byDate != 0 ? byDate : b.Id.CompareTo(a.Id);
    }

    /// <summary>Every category's products in listing order.</summary>
    public Dictionary<Guid, List<ProductDetail>> Listings()
    {
        var lists = Categories.Keys.ToDictionary(id => id, _ => new List<ProductDetail>());
        foreach (var product in _products.Values)
        {
            foreach (var id in ListedIn(product))
            {
                lists[id].Add(product);
            }
        }
        foreach (var list in lists.Values)
        {
            list.Sort(ListingOrder);
        }
        return lists;
    }

    /// <summary>One category's products in listing order.</summary>
    public List<ProductDetail> Listing(Guid categoryId)
    {
        var list = _products.Values.Where(p => ListedIn(p).Contains(categoryId)).ToList();
        list.Sort(ListingOrder);
        return list;
    }
}
