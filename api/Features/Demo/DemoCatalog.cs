using System.Text;

namespace Headless.Api.Features.Demo;

public sealed record DemoCategory(
    Guid Id, Guid? ParentId, string Slug, string Name, string Description, int Position, DateTimeOffset CreatedAt);

public sealed record DemoImage(string Url, string Alt, int Width, int Height);

public sealed record DemoProduct(
    Guid Id,
    string Slug,
    string Title,
    string Description,
    string Status,
    IReadOnlyList<DemoImage> Images,
    IReadOnlyList<string> Tags,
    bool Featured,
    long MinPrice,
    DateTimeOffset CreatedAt);

public sealed record DemoOption(string Name, string Value);

public sealed record DemoVariant(
    Guid Id,
    Guid ProductId,
    string Sku,
    string Title,
    IReadOnlyList<DemoOption> Options,
    long PriceAmount,
    string Currency,
    int WeightGrams,
    int Position,
    int OnHand,
    DateTimeOffset CreatedAt);

public sealed record DemoProductCategory(Guid ProductId, Guid CategoryId);

/// <summary>
/// The catalog of a handmade, eco-friendly shop, generated from a seeded <see cref="Random"/>: the same
/// arguments always give the same rows, ids included. Categories come parents first; every product has
/// at least one variant, and every variant carries its inventory on hand.
/// </summary>
public sealed class DemoCatalog
{
    public const int DefaultSeed = 20261121;

    /// <summary>Products are created within the two years before this instant.</summary>
    public static DateTimeOffset BaseDate { get; } = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private DemoCatalog(string currency, int seed, Generator generator)
    {
        Currency = currency;
        Seed = seed;
        Categories = generator.Categories;
        Products = generator.Products;
        ProductCategories = generator.ProductCategories;
        Variants = generator.Variants;
    }

    public string Currency { get; }
    public int Seed { get; }
    public IReadOnlyList<DemoCategory> Categories { get; }
    public IReadOnlyList<DemoProduct> Products { get; }
    public IReadOnlyList<DemoProductCategory> ProductCategories { get; }
    public IReadOnlyList<DemoVariant> Variants { get; }

    public static DemoCatalog Generate(int productCount, string currency = "EUR", int seed = DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(productCount);
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper))
        {
            throw new ArgumentException($"'{currency}' is not an ISO 4217 currency code such as EUR.", nameof(currency));
        }
        var generator = new Generator(new Random(seed), currency);
        generator.AddCategories();
        var createdAts = generator.ProductTimestamps(productCount);
        for (var i = 0; i < productCount; i++)
        {
            generator.AddProduct(i + 1, createdAts[i]);
        }
        return new DemoCatalog(currency, seed, generator);
    }

    private static string Slugify(string text)
    {
        var slug = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(char.ToLowerInvariant(c));
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }
        return slug.ToString().TrimEnd('-');
    }

    private sealed class Generator(Random rng, string currency)
    {
        private const long TwoYearsInSeconds = 730L * 24 * 60 * 60;
        private const int MaxVariants = 9;
        private const int MaxSecondaryValues = 4;
        private static readonly DateTimeOffset CategoriesCreatedAt = BaseDate.AddDays(-760);

        private readonly Dictionary<string, (DemoCategory Category, string SkuPrefix)> _categoriesByName = new(StringComparer.Ordinal);
        private readonly HashSet<string> _categorySlugs = new(StringComparer.Ordinal);
        private readonly HashSet<string> _productSlugs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _nextSlugSuffix = new(StringComparer.Ordinal);

        public List<DemoCategory> Categories { get; } = [];
        public List<DemoProduct> Products { get; } = [];
        public List<DemoProductCategory> ProductCategories { get; } = [];
        public List<DemoVariant> Variants { get; } = [];

        public void AddCategories()
        {
            for (var position = 0; position < Tree.Length; position++)
            {
                AddCategory(Tree[position], null, position, SkuPrefixOf(Tree[position].Name));
            }
        }

        private void AddCategory(CategoryNode node, Guid? parentId, int position, string skuPrefix)
        {
            var slug = Slugify(node.Name);
            if (!_categorySlugs.Add(slug))
            {
                throw new InvalidOperationException($"Two demo categories share the slug '{slug}'.");
            }
            var createdAt = CategoriesCreatedAt.AddMinutes(Categories.Count);
            var category = new DemoCategory(NextGuid(createdAt), parentId, slug, node.Name, node.Description, position, createdAt);
            Categories.Add(category);
            _categoriesByName.Add(node.Name, (category, skuPrefix));
            for (var i = 0; i < node.Children.Length; i++)
            {
                AddCategory(node.Children[i], category.Id, i, skuPrefix);
            }
        }

        private static string SkuPrefixOf(string rootName)
        {
            var words = rootName.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => char.IsAsciiLetter(w[0])).ToArray();
            return words.Length > 1 ? $"{words[0][0]}{words[1][0]}" : rootName[..2].ToUpperInvariant();
        }

        /// <summary>Oldest first, so product numbers, UUIDv7 ids and SKUs all grow with time, as in a real shop.</summary>
        public DateTimeOffset[] ProductTimestamps(int count)
        {
            var secondsAgo = new long[count];
            for (var i = 0; i < count; i++)
            {
                secondsAgo[i] = rng.NextInt64(1, TwoYearsInSeconds);
            }
            Array.Sort(secondsAgo);
            Array.Reverse(secondsAgo);
            return secondsAgo.Select(s => BaseDate.AddSeconds(-s)).ToArray();
        }

        public void AddProduct(int number, DateTimeOffset createdAt)
        {
            var family = Families[rng.Next(Families.Length)];
            var (leaf, skuPrefix) = _categoriesByName[family.Leaf];
            var material = Pick(family.Materials);
            var item = Pick(family.Items);
            var title = $"{Pick(family.Adjectives)} {material} {item}";
            var slug = UniqueProductSlug(title);
            var id = NextGuid(createdAt);
            var status = rng.NextDouble() < 0.03 ? "draft" : "active";
            var featured = status == "active" && rng.NextDouble() < 0.05;
            var tags = PickDistinct(family.Tags, rng.Next(2, 6)).Order(StringComparer.Ordinal).ToArray();
            var images = Images(slug, title, rng.Next(1, 4));
            var description = Describe(family, title, material, item);
            var minPrice = AddVariants(family, id, $"{skuPrefix}-{number:D6}", createdAt);

            Products.Add(new DemoProduct(id, slug, title, description, status, images, tags, featured, minPrice, createdAt));
            ProductCategories.Add(new DemoProductCategory(id, leaf.Id));
            if (ExtraCategory(tags) is { } extra)
            {
                ProductCategories.Add(new DemoProductCategory(id, extra.Id));
            }
        }

        private string UniqueProductSlug(string title)
        {
            var slug = Slugify(title);
            if (_productSlugs.Add(slug))
            {
                return slug;
            }
            var suffix = _nextSlugSuffix.GetValueOrDefault(slug, 2);
            while (!_productSlugs.Add($"{slug}-{suffix}"))
            {
                suffix++;
            }
            _nextSlugSuffix[slug] = suffix + 1;
            return $"{slug}-{suffix}";
        }

        private static DemoImage[] Images(string slug, string title, int count)
        {
            string[] alts = [title, $"{title}, close-up", $"{title} in use"];
            return Enumerable.Range(1, count)
                .Select(n => new DemoImage($"/images/products/{slug}-{n}.jpg", alts[n - 1], 1200, 1200))
                .ToArray();
        }

        private string Describe(Family family, string title, string material, string item)
        {
            var pitch = Pick(family.Pitches)
                .Replace("{title}", title.ToLowerInvariant(), StringComparison.Ordinal)
                .Replace("{material}", material.ToLowerInvariant(), StringComparison.Ordinal)
                .Replace("{item}", item.ToLowerInvariant(), StringComparison.Ordinal);
            return string.Join(' ', [pitch, .. PickDistinct(ShopLines, rng.Next(1, 4))]);
        }

        private DemoCategory? ExtraCategory(string[] tags)
        {
            var roll = rng.NextDouble();
            if (roll < 0.12)
            {
                return _categoriesByName[GiftIdeas].Category;
            }
            return roll < 0.30 && tags.Contains("plastic-free") ? _categoriesByName[PlasticFreeEssentials].Category : null;
        }

        private long AddVariants(Family family, Guid productId, string skuStem, DateTimeOffset createdAt)
        {
            var target = 1;
            for (var i = 0; i < MaxVariants - 1; i++)
            {
                target += rng.Next(2);
            }
            var basePrice = rng.Next(family.Price.Min, family.Price.Max + 1);
            var baseWeight = rng.Next(family.Weight.Min, family.Weight.Max + 1);
            var soldOut = rng.NextDouble() < 0.02;

            var minPrice = long.MaxValue;
            var position = 0;
            foreach (var (options, grade) in OptionCombinations(family, target))
            {
                var price = RoundPrice(basePrice * (100L + family.StepPercent * grade) / 100);
                var weight = baseWeight * (100 + Math.Max(family.StepPercent, 10) * grade) / 100;
                var title = options.Length == 1 ? options[0].Value : $"{options[0].Value} / {options[1].Value}";
                var sku = $"{skuStem}-{position + 1:D2}";
                var onHand = soldOut ? 0 : OnHand();
                Variants.Add(new DemoVariant(NextGuid(createdAt), productId, sku, title, options, price, currency, weight, position, onHand, createdAt));
                minPrice = Math.Min(minPrice, price);
                position++;
            }
            return minPrice;
        }

        private List<(DemoOption[] Options, int Grade)> OptionCombinations(Family family, int target)
        {
            var primary = family.Primary;
            var secondaryCount = 1;
            if (family.Secondary is { } secondary)
            {
                var high = Math.Min(Math.Min(secondary.Values.Length, target), MaxSecondaryValues);
                var low = Math.Min(high, (target + primary.Values.Length - 1) / primary.Values.Length);
                secondaryCount = rng.Next(low, high + 1);
            }
            var primaryCount = Math.Clamp((target + secondaryCount / 2) / secondaryCount, 1, primary.Values.Length);
            while (primaryCount * secondaryCount > MaxVariants)
            {
                primaryCount--;
            }

            var combinations = new List<(DemoOption[], int)>(primaryCount * secondaryCount);
            int[] secondaryIndexes = family.Secondary is null ? [] : ChooseValues(family.Secondary, secondaryCount);
            foreach (var p in ChooseValues(primary, primaryCount))
            {
                var first = primary.Options[p];
                var grade = primary.Graded ? p : 0;
                if (family.Secondary is null)
                {
                    combinations.Add(([first], grade));
                    continue;
                }
                foreach (var s in secondaryIndexes)
                {
                    combinations.Add(([first, family.Secondary.Options[s]], grade));
                }
            }
            return combinations;
        }

        private int[] ChooseValues(OptionAxis axis, int count)
        {
            if (axis.Graded)
            {
                var start = rng.Next(axis.Values.Length - count + 1);
                return Enumerable.Range(start, count).ToArray();
            }
            return PickDistinct(Enumerable.Range(0, axis.Values.Length).ToArray(), count).Order().ToArray();
        }

        private static long RoundPrice(long cents) => cents < 1000
            ? Math.Clamp((cents + 25) / 50 * 50, 350, 1000)
            : Math.Min((cents + 50) / 100 * 100, 18900) - 5;

        private int OnHand()
        {
            var roll = rng.NextDouble();
            if (roll < 0.06)
            {
                return 0;
            }
            if (roll > 0.98)
            {
                return 121 + rng.Next(380);
            }
            var skew = rng.NextDouble();
            return 1 + (int)(skew * skew * 120);
        }

        private Guid NextGuid(DateTimeOffset timestamp)
        {
            Span<byte> bytes = stackalloc byte[16];
            rng.NextBytes(bytes);
            var ms = timestamp.ToUnixTimeMilliseconds();
            for (var i = 0; i < 6; i++)
            {
                bytes[i] = (byte)(ms >> (8 * (5 - i)));
            }
            bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
            bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
            return new Guid(bytes, bigEndian: true);
        }

        private T Pick<T>(T[] values) => values[rng.Next(values.Length)];

        private T[] PickDistinct<T>(T[] values, int count)
        {
            var pool = (T[])values.Clone();
            count = Math.Min(count, pool.Length);
            for (var i = 0; i < count; i++)
            {
                var j = rng.Next(i, pool.Length);
                (pool[i], pool[j]) = (pool[j], pool[i]);
            }
            return pool[..count];
        }
    }

    private sealed record CategoryNode(string Name, string Description, CategoryNode[] Children);

    private static CategoryNode Node(string name, string description, params CategoryNode[] children) => new(name, description, children);

    /// <param name="Graded">Values are ordered from small to large: products offer a contiguous run of them,
    /// and each step up adds <see cref="Family.StepPercent"/> to price and weight.</param>
    private sealed record OptionAxis(string Name, string[] Values, bool Graded)
    {
        public DemoOption[] Options { get; } = Values.Select(value => new DemoOption(Name, value)).ToArray();
    }

    private sealed record Family(
        string Leaf,
        string[] Adjectives,
        string[] Materials,
        string[] Items,
        OptionAxis Primary,
        OptionAxis? Secondary,
        (int Min, int Max) Price,
        int StepPercent,
        (int Min, int Max) Weight,
        string[] Tags,
        string[] Pitches);

    private const string GiftIdeas = "Gift Ideas";
    private const string PlasticFreeEssentials = "Plastic-free Essentials";

    private static readonly CategoryNode[] Tree =
    [
        Node("Home & Living", "Everyday things for a calmer, lower-waste home.",
            Node("Kitchen", "Plastic-free tools and tableware for cooking and eating.",
                Node("Beeswax Wraps", "Washable food wraps that replace cling film."),
                Node("Mugs & Cups", "Hand-thrown ceramics for coffee, tea and everything in between."),
                Node("Utensils & Brushes", "Wooden spoons, boards and compostable brushes."),
                Node("Food Storage", "Glass and steel containers that keep food fresh without plastic.")),
            Node("Textiles", "Natural-fibre textiles woven and printed by hand.",
                Node("Cushions & Throws", "Linen, wool and organic cotton for sofas and beds."),
                Node("Table Linen", "Napkins, runners and tablecloths made to be used every day."))),
        Node("Personal Care", "Gentle, low-waste care for skin, hair and teeth.",
            Node("Bath & Body", "Cold-process soaps and rich balms in plastic-free packaging.",
                Node("Soap", "Bars made in small batches with plant oils and essential oils."),
                Node("Balms & Butters", "Nourishing balms for hands, lips and body.")),
            Node("Hair Care", "Solid shampoo and the tools to go with it.",
                Node("Shampoo Bars", "Concentrated bars that replace a row of bottles."),
                Node("Combs & Brushes", "Wooden combs and brushes that are kind to hair.")),
            Node("Oral Care", "Bamboo toothbrushes and zero-waste essentials.")),
        Node("Apparel", "Clothes made from organic and recycled fibres, fairly made.",
            Node("Clothing", "Wardrobe staples designed to last.",
                Node("Organic Cotton Tees", "Soft, sturdy tees in certified organic cotton."),
                Node("Knitwear", "Jumpers and cardigans in traceable wool and cotton.")),
            Node("Accessories", "The small things that finish an outfit.",
                Node("Socks", "Comfortable socks in natural fibres."),
                Node("Bags & Totes", "Reusable bags for the market, the office and the beach."))),
        Node("Garden", "Grow food and flowers, and make room for wildlife.",
            Node("Seeds", "Open-pollinated seeds from organic growers."),
            Node("Planters", "Pots and planters for windowsills, balconies and gardens."),
            Node("Wildlife", "Feeders, nest boxes and bee hotels.")),
        Node("Kids & Baby", "Safe, natural things for little ones.",
            Node("Wooden Toys", "Toys finished with plant oils and water-based paints."),
            Node("Baby Clothing", "Soft organic layers for the first years.")),
        Node("Stationery", "Paper goods made from recycled and tree-free stock.",
            Node("Notebooks", "Notebooks and journals that open flat and last."),
            Node("Cards & Wrapping", "Cards, tags and gift wrap you can recycle or plant.")),
        Node("Candles", "Clean-burning candles poured by hand.",
            Node("Soy Candles", "Plant-wax candles scented with essential oils."),
            Node("Beeswax Candles", "Naturally honey-scented candles from local beekeepers.")),
        Node("Collections", "Hand-picked selections from across the shop.",
            Node(GiftIdeas, "Thoughtful presents for every occasion."),
            Node(PlasticFreeEssentials, "Swaps that cut plastic out of daily life.")),
    ];

    private static readonly OptionAxis Colours = new("colour",
        ["Sage", "Oat", "Charcoal", "Terracotta", "Moss", "Sand", "Ink Blue", "Rust", "Clay", "Natural"], false);
    private static readonly OptionAxis Glazes = new("colour",
        ["Speckled White", "Sage", "Charcoal", "Terracotta", "Ocean Blue", "Oat", "Moss Green", "Honey"], false);
    private static readonly OptionAxis Scents = new("scent",
        ["Lavender", "Cedar & Sage", "Sea Salt", "Bergamot", "Rosemary & Mint", "Fig", "Neroli", "Unscented"], false);
    private static readonly OptionAxis ClothingSizes = new("size", ["XS", "S", "M", "L", "XL", "XXL"], true);
    private static readonly OptionAxis ThreeSizes = new("size", ["Small", "Medium", "Large"], true);
    private static readonly OptionAxis TwoSizes = new("size", ["Small", "Large"], true);

    private static readonly Family[] Families =
    [
        new("Beeswax Wraps",
            ["Reusable", "Hand-dipped", "Washable", "Printed", "Starter"],
            ["Beeswax", "Candelilla Wax", "Organic Cotton"],
            ["Food Wrap", "Wrap Set", "Bread Wrap", "Sandwich Wrap"],
            new OptionAxis("size", ["S", "M", "L", "Set of 3"], true),
            new OptionAxis("pattern", ["Honeycomb", "Botanical", "Ocean", "Fern", "Lemon", "Wildflower", "Geometric"], false),
            (900, 1600), 40, (30, 90),
            ["plastic-free", "zero-waste", "handmade", "compostable", "organic", "gift-idea"],
            ["Our {title} keeps bread, cheese and cut fruit fresh without a scrap of cling film.",
                "Warm the {item} in your hands and it moulds around bowls and food, then rinse in cool water and reuse for a year."]),
        new("Mugs & Cups",
            ["Hand-thrown", "Speckled", "Wheel-thrown", "Matte-glazed", "Rustic", "Stackable"],
            ["Stoneware", "Earthenware", "Porcelain"],
            ["Mug", "Espresso Cup", "Tumbler", "Latte Bowl", "Teacup"],
            Glazes, null,
            (1800, 3400), 0, (180, 420),
            ["handmade", "small-batch", "ceramics", "gift-idea", "locally-made"],
            ["Our {title} is thrown on the wheel and glazed by hand, so no two are quite alike.",
                "Each {item} is made from {material} fired twice for strength, and is dishwasher and microwave safe."]),
        new("Utensils & Brushes",
            ["Hand-carved", "Oiled", "Everyday", "Long-handled", "Compostable"],
            ["Olive Wood", "Beechwood", "Bamboo", "Cherrywood"],
            ["Spoon", "Spatula", "Dish Brush", "Bottle Brush", "Serving Set", "Chopping Board"],
            ThreeSizes, null,
            (600, 2400), 30, (40, 300),
            ["plastic-free", "zero-waste", "handmade", "fsc-certified", "compostable", "vegan"],
            ["This {title} is cut from sustainably sourced {material} and finished with food-safe oil.",
                "Rub the {item} with a little oil now and then and it will outlast every plastic one in the drawer."]),
        new("Food Storage",
            ["Airtight", "Stackable", "Refillable", "Pantry"],
            ["Glass", "Stainless Steel", "Enamel"],
            ["Storage Jar", "Lunch Box", "Canister", "Bento Box"],
            new OptionAxis("size", ["250ml", "500ml", "750ml", "1l"], true),
            new OptionAxis("lid", ["Bamboo", "Cork", "Steel"], false),
            (1200, 3400), 25, (250, 700),
            ["plastic-free", "zero-waste", "refillable", "recycled", "vegan"],
            ["Our {title} keeps dry goods and leftovers fresh without plastic.",
                "The {item} is {material} through and through, easy to clean and made to be refilled for decades."]),
        new("Cushions & Throws",
            ["Hand-woven", "Chunky", "Waffle", "Stonewashed", "Block-printed"],
            ["Linen", "Organic Cotton", "Recycled Wool", "Hemp"],
            ["Cushion Cover", "Throw", "Bolster Cover"],
            ThreeSizes, Colours,
            (2800, 6500), 25, (300, 1200),
            ["handmade", "fair-trade", "organic", "recycled", "natural-dyes"],
            ["Our {title} is woven on traditional looms by a fair-trade cooperative.",
                "The {material} softens with every wash, and the colours come from low-impact dyes."]),
        new("Table Linen",
            ["Stonewashed", "Block-printed", "Hemstitched", "Everyday"],
            ["Linen", "Organic Cotton", "Hemp"],
            ["Napkin Set", "Tablecloth", "Table Runner", "Tea Towel"],
            Colours, null,
            (1800, 5500), 0, (150, 900),
            ["handmade", "organic", "fair-trade", "natural-dyes", "gift-idea"],
            ["Our {title} is cut and hemmed by hand from European {material}.",
                "Machine-wash the {item} warm and line-dry; it only gets better with use."]),
        new("Soap",
            ["Cold-process", "Handmade", "Gentle", "Exfoliating", "Nourishing"],
            ["Olive Oil", "Oatmeal", "Charcoal", "Shea Butter", "Seaweed", "Hemp Seed"],
            ["Soap Bar", "Soap", "Body Bar", "Hand & Body Bar"],
            new OptionAxis("size", ["50g", "100g", "150g"], true),
            Scents,
            (450, 900), 45, (60, 80),
            ["plastic-free", "vegan", "handmade", "palm-oil-free", "zero-waste", "cruelty-free"],
            ["Our {title} is cured for six weeks so it lathers richly and lasts.",
                "Made with {material} and essential oils only, wrapped in recycled paper."]),
        new("Balms & Butters",
            ["Nourishing", "Whipped", "Soothing", "Rich"],
            ["Shea Butter", "Cocoa Butter", "Calendula", "Beeswax", "Hemp Seed"],
            ["Body Balm", "Hand Balm", "Lip Balm", "Body Butter"],
            new OptionAxis("size", ["30ml", "60ml", "120ml"], true),
            Scents,
            (650, 1800), 40, (40, 150),
            ["plastic-free", "handmade", "organic", "cruelty-free", "refillable"],
            ["Our {title} melts into dry skin and leaves no greasy film.",
                "Made with cold-pressed {material}, poured into a returnable tin."]),
        new("Shampoo Bars",
            ["Solid", "Nourishing", "Clarifying", "Gentle"],
            ["Rosemary", "Nettle", "Coconut", "Argan", "Oat"],
            ["Shampoo Bar", "Conditioner Bar", "2-in-1 Bar"],
            new OptionAxis("size", ["Travel 30g", "Full 70g"], true),
            new OptionAxis("hair", ["Normal", "Dry", "Oily", "Curly"], false),
            (800, 1400), 60, (40, 90),
            ["plastic-free", "vegan", "zero-waste", "cruelty-free", "palm-oil-free"],
            ["One {title} lasts as long as two or three bottles of liquid shampoo.",
                "The {item} is made with {material} and no sulphates, silicones or plastic packaging."]),
        new("Combs & Brushes",
            ["Wide-tooth", "Detangling", "Hand-finished", "Anti-static"],
            ["Beechwood", "Bamboo", "Pearwood", "Sandalwood"],
            ["Comb", "Hairbrush", "Paddle Brush", "Beard Comb"],
            TwoSizes,
            new OptionAxis("finish", ["Natural", "Oiled", "Dark Stain"], false),
            (700, 2200), 20, (20, 120),
            ["plastic-free", "handmade", "fsc-certified", "vegan", "gift-idea"],
            ["Our {title} glides through wet or dry hair without static.",
                "Each {item} is cut from {material} and polished by hand."]),
        new("Oral Care",
            ["Compostable", "Plastic-free", "Slim-handle", "Everyday"],
            ["Bamboo", "Beechwood", "Moso Bamboo"],
            ["Toothbrush", "Kids' Toothbrush", "Toothbrush Duo"],
            new OptionAxis("bristle", ["Soft", "Medium", "Firm"], true),
            new OptionAxis("colour", ["Natural", "Charcoal", "Sage", "Blush"], false),
            (350, 900), 0, (15, 40),
            ["plastic-free", "vegan", "compostable", "zero-waste", "fsc-certified"],
            ["The handle of our {title} goes in the compost when you are done.",
                "A {material} handle and plant-based bristles make this {item} an easy first swap."]),
        new("Organic Cotton Tees",
            ["Relaxed", "Classic", "Boxy", "Heavyweight", "Garment-dyed"],
            ["Organic Cotton", "Hemp-Cotton", "Recycled Cotton"],
            ["Tee", "Long-sleeve Tee", "Pocket Tee", "V-neck Tee"],
            ClothingSizes, Colours,
            (2400, 4500), 0, (140, 240),
            ["organic", "fair-trade", "vegan", "gots-certified", "recycled"],
            ["Our {title} is cut from GOTS-certified yarn and sewn in a fair-trade factory.",
                "The {material} {item} holds its shape wash after wash."]),
        new("Knitwear",
            ["Chunky", "Cable-knit", "Fine-gauge", "Relaxed", "Hand-knitted"],
            ["Merino Wool", "Recycled Wool", "Alpaca", "Organic Cotton"],
            ["Jumper", "Cardigan", "Crew Neck", "Roll Neck"],
            ClothingSizes, Colours,
            (6900, 14900), 5, (350, 700),
            ["handmade", "fair-trade", "recycled", "traceable", "natural-dyes"],
            ["Our {title} is knitted from traceable {material} that keeps you warm without overheating.",
                "Wash the {item} rarely, by hand, in cool water, and dry it flat."]),
        new("Socks",
            ["Ribbed", "Cushioned", "Everyday", "Hiking", "Striped"],
            ["Organic Cotton", "Merino Wool", "Bamboo", "Recycled Wool"],
            ["Socks", "Ankle Socks", "Crew Socks", "Boot Socks"],
            new OptionAxis("size", ["35-38", "39-42", "43-46"], true),
            Colours,
            (900, 1900), 0, (60, 120),
            ["organic", "fair-trade", "recycled", "vegan", "gift-idea"],
            ["Our {title} are knitted in Portugal with a reinforced heel and toe.",
                "Breathable {material} keeps these {item} comfortable from the first mile to the last."]),
        new("Bags & Totes",
            ["Everyday", "Market", "Foldable", "Heavy-duty", "Screen-printed"],
            ["Organic Cotton", "Jute", "Recycled Canvas", "Hemp"],
            ["Tote Bag", "Shopper", "Produce Bag Set", "Backpack", "Bread Bag"],
            Colours, null,
            (1200, 6900), 0, (120, 600),
            ["plastic-free", "organic", "fair-trade", "recycled", "zero-waste", "vegan"],
            ["Our {title} carries a full week's shop and folds away into a pocket.",
                "Stitched from {material} with reinforced seams, this {item} is built for years of use."]),
        new("Seeds",
            ["Heirloom", "Organic", "Open-pollinated", "Heritage"],
            ["Cherry Tomato", "Rainbow Chard", "Purple Basil", "Wild Rocket", "Sweet Pea", "Calendula", "Borage", "Nasturtium"],
            ["Seeds", "Seed Packet", "Seed Tin"],
            new OptionAxis("pack", ["Single Packet", "Trio", "Gardener's Six"], true), null,
            (350, 650), 120, (10, 30),
            ["organic", "plastic-free", "pollinator-friendly", "grow-your-own", "gift-idea"],
            ["Our {material} seeds come from a small organic grower and are tested for germination every season.",
                "Sow the {material} under cover in spring; full instructions are printed inside."]),
        new("Planters",
            ["Hand-thrown", "Self-watering", "Hanging", "Speckled", "Ribbed"],
            ["Terracotta", "Stoneware", "Concrete", "Coir"],
            ["Planter", "Plant Pot", "Herb Pot", "Pot & Saucer"],
            new OptionAxis("size", ["12cm", "16cm", "20cm", "26cm"], true),
            Glazes,
            (1200, 5200), 40, (400, 2500),
            ["handmade", "locally-made", "frost-proof", "small-batch", "gift-idea"],
            ["Our {title} has a drainage hole and is frost-proof, indoors or out.",
                "Each {item} is shaped from {material} by a family pottery."]),
        new("Wildlife",
            ["Hand-built", "Hanging", "Weatherproof", "Rustic"],
            ["Larch", "Reclaimed Wood", "Cedar", "Willow"],
            ["Bird Feeder", "Bee Hotel", "Nest Box", "Bug House"],
            TwoSizes,
            new OptionAxis("finish", ["Natural", "Charred", "Painted Sage"], false),
            (1800, 6500), 45, (400, 1800),
            ["handmade", "fsc-certified", "pollinator-friendly", "recycled", "gift-idea"],
            ["Our {title} gives birds and insects a safe place through every season.",
                "Built from untreated {material}, the {item} weathers to a soft silver."]),
        new("Wooden Toys",
            ["Hand-carved", "Natural", "Montessori", "Stacking"],
            ["Beechwood", "Maple", "Cherrywood", "Linden"],
            ["Rainbow Stacker", "Pull-along Duck", "Building Blocks", "Teether Ring", "Puzzle"],
            TwoSizes,
            new OptionAxis("finish", ["Natural Oil", "Pastel", "Rainbow"], false),
            (1500, 5900), 35, (150, 900),
            ["handmade", "plastic-free", "fsc-certified", "non-toxic", "gift-idea"],
            ["Our {title} is sanded smooth and finished with plant oils and water-based paints.",
                "Solid {material} makes this {item} sturdy enough to hand down."]),
        new("Baby Clothing",
            ["Soft", "Organic", "Breathable", "Ribbed"],
            ["Organic Cotton", "Bamboo", "Merino Wool"],
            ["Romper", "Sleepsuit", "Bodysuit", "Sleeping Bag"],
            new OptionAxis("size", ["0-3m", "3-6m", "6-12m", "12-24m"], true),
            new OptionAxis("colour", ["Oat", "Sage", "Sand", "Natural"], false),
            (1900, 4900), 10, (80, 250),
            ["organic", "gots-certified", "fair-trade", "non-toxic", "gift-idea"],
            ["Our {title} has nickel-free snaps and flat seams that are gentle on new skin.",
                "Certified {material} that gets softer with every wash."]),
        new("Notebooks",
            ["Hand-bound", "Lay-flat", "Stitched", "Softcover"],
            ["Recycled Paper", "Cotton Rag", "Stone Paper"],
            ["Notebook", "Journal", "Sketchbook", "Planner"],
            new OptionAxis("format", ["A6", "A5", "A4"], true),
            new OptionAxis("paper", ["Plain", "Lined", "Dot Grid"], false),
            (900, 2400), 45, (120, 500),
            ["recycled", "handmade", "plastic-free", "vegan", "gift-idea"],
            ["Our {title} is sewn by hand in a small bindery and opens flat on the desk.",
                "Fountain-pen-friendly {material} makes this {item} a pleasure to fill."]),
        new("Cards & Wrapping",
            ["Botanical", "Letterpress", "Block-printed", "Illustrated"],
            ["Recycled", "Seed Paper", "Kraft", "Cotton Rag"],
            ["Greeting Card", "Gift Wrap", "Gift Tags", "Card Set"],
            new OptionAxis("pack", ["Single", "Pack of 4", "Pack of 10"], true),
            new OptionAxis("design", ["Meadow", "Fern", "Bee", "Citrus"], false),
            (350, 800), 150, (20, 80),
            ["recycled", "plastic-free", "compostable", "locally-made", "gift-idea"],
            ["Our {title} is printed with vegetable inks and sent without cellophane.",
                "Printed on {material} stock and fully recyclable; the seed-paper versions can even be planted."]),
        new("Soy Candles",
            ["Hand-poured", "Wooden-wick", "Small-batch", "Scented"],
            ["Soy Wax", "Rapeseed Wax", "Coconut Wax"],
            ["Candle", "Tin Candle", "Jar Candle", "Ceramic Candle"],
            new OptionAxis("size", ["Travel 80g", "Classic 200g", "Large 400g"], true),
            Scents,
            (1400, 3200), 55, (150, 400),
            ["vegan", "handmade", "small-batch", "refillable", "gift-idea"],
            ["Our {title} burns clean and slow, scented only with essential oils.",
                "Hand-poured {material} in a vessel you can return to us for a refill."]),
        new("Beeswax Candles",
            ["Hand-dipped", "Hand-rolled", "Natural", "Honeycomb"],
            ["Beeswax"],
            ["Taper Candles", "Pillar Candle", "Tealights", "Dinner Candles"],
            new OptionAxis("pack", ["Pair", "Set of 4", "Set of 12"], true),
            new OptionAxis("colour", ["Natural", "Ivory", "Sage", "Terracotta"], false),
            (800, 2200), 80, (80, 400),
            ["handmade", "locally-made", "plastic-free", "small-batch", "gift-idea"],
            ["The beeswax for our {title} comes from local beekeepers, so it smells faintly of honey.",
                "Pure {material} burns longer and brighter than paraffin, with almost no soot."]),
    ];

    private static readonly string[] ShopLines =
    [
        "Made in small batches by independent makers we have worked with for years.",
        "Shipped plastic-free in recycled cardboard with paper tape.",
        "Every piece is slightly different, which is the charm of handmade.",
        "Designed to last for years and to be repaired rather than replaced.",
        "A thoughtful gift for anyone trying to live with a little less waste.",
        "Part of every sale funds our tree-planting partner.",
        "Delivered carbon-neutral, with packaging you can compost or recycle.",
        "We visit every workshop we buy from and pay the price the maker asks.",
    ];
}
