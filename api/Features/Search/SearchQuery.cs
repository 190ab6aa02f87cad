using System.Globalization;
using System.Text;

namespace Headless.Api.Features.Search;

/// <summary>A validated search: words, filters, sort and page. Built only by <see cref="Parse"/>, so
/// the engines never see unchecked input.</summary>
public sealed record SearchQuery(
    IReadOnlyList<string> Words,
    string? CategorySlug,
    long? MinPrice,
    long? MaxPrice,
    IReadOnlyDictionary<string, string[]> Options,
    IReadOnlyList<string> Tags,
    bool InStockOnly,
    string Sort,
    int Limit,
    SearchCursor? After,
    bool Facets)
{
    public const int MaxQueryLength = 200;
    public const int MaxWords = 10;
    public const int MaxWordLength = 40;
    public const int MaxFilterValues = 20;
    public static readonly string[] Sorts = ["relevance", "newest", "price_asc", "price_desc"];

    /// <summary>Sold-out products' relevance is multiplied by this (in both engines), so at equal
    /// relevance in-stock products come first. Explicit sorts put in-stock products first outright.</summary>
    public const double SoldOutFactor = 0.5;

    public bool HasWords => Words.Count > 0;

    /// <summary>Identifies the result set a cursor belongs to: the words, filters and sort, not the page.</summary>
    public string Fingerprint()
    {
        var text = new StringBuilder();
        text.AppendJoin(' ', Words).Append('|').Append(CategorySlug).Append('|').Append(MinPrice).Append('|').Append(MaxPrice).Append('|');
        foreach (var (name, values) in Options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append('=').AppendJoin(',', values.Order(StringComparer.Ordinal)).Append(';');
        }
        text.Append('|').AppendJoin(',', Tags.Order(StringComparer.Ordinal)).Append('|').Append(InStockOnly).Append('|').Append(Sort);
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexString(hash, 0, 6).ToLowerInvariant();
    }

    /// <summary>What the counts depend on: the words and filters (and whether facets were asked), not the sort,
    /// page size or cursor. Option values and tags are sorted, so their order in the query string does not matter.</summary>
    public string CountKey()
    {
        var text = new StringBuilder();
        text.AppendJoin(' ', Words).Append('|').Append(CategorySlug).Append('|').Append(MinPrice).Append('|').Append(MaxPrice).Append('|');
        foreach (var (name, values) in Options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            // Option text is free (any character but controls): length-prefixed, so no two filters share a key.
            text.Append(CultureInfo.InvariantCulture, $"{name.Length}:{name}=");
            foreach (var value in values.Order(StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"{value.Length}:{value},");
            }
            text.Append(';');
        }
        text.Append('|').AppendJoin(',', Tags.Order(StringComparer.Ordinal)).Append('|').Append(InStockOnly ? '1' : '0').Append(Facets ? '1' : '0');
        return text.ToString();
    }

    /// <summary>Splits a query into words of letters and digits; everything else separates words.</summary>
    public static List<string> SplitWords(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormC))
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }
        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    public static SearchQuery Parse(
        string? q, string? category, long? minPrice, long? maxPrice, string[]? option, string[]? tag, bool? inStock,
        string? sort, int? limit, string? cursor, bool? facets, out Dictionary<string, string[]> errors)
    {
        errors = [];
        var words = new List<string>();
        if (q is not null)
        {
            if (q.Length > MaxQueryLength)
            {
                errors["q"] = [$"A query is at most {MaxQueryLength} characters."];
            }
            else
            {
                words = SplitWords(q);
                if (words.Count > MaxWords)
                {
                    errors["q"] = [$"A query has at most {MaxWords} words."];
                }
                else if (words.Any(w => w.Length > MaxWordLength))
                {
                    errors["q"] = [$"A word is at most {MaxWordLength} characters."];
                }
            }
        }
        var sortValue = sort ?? (words.Count > 0 ? "relevance" : "newest");
        if (!Sorts.Contains(sortValue))
        {
            errors["sort"] = [$"Use one of: {string.Join(", ", Sorts)}."];
        }
        else if (sortValue == "relevance" && words.Count == 0 && q is not null)
        {
            // "?q=%20&sort=relevance": nothing to be relevant to; fall back rather than refuse.
            sortValue = "newest";
        }
        else if (sortValue == "relevance" && words.Count == 0)
        {
            errors["sort"] = ["Sorting by relevance needs a query (q)."];
        }
        var take = limit ?? 20;
        if (take is < 1 or > 100)
        {
            errors["limit"] = ["Use a limit from 1 to 100."];
        }
        if (minPrice is < 0)
        {
            errors["minPrice"] = ["Prices are zero or more, in minor units."];
        }
        if (maxPrice is < 0)
        {
            errors["maxPrice"] = ["Prices are zero or more, in minor units."];
        }
        if (minPrice > maxPrice)
        {
            errors["minPrice"] = ["minPrice must not be above maxPrice."];
        }
        if (category is not null && (category.Length is 0 or > 120 || !IsSlug(category)))
        {
            errors["category"] = ["A category slug is 1-120 lowercase letters, digits and hyphens."];
        }
        var options = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (option is { Length: > 0 })
        {
            if (option.Length > MaxFilterValues)
            {
                errors["option"] = [$"At most {MaxFilterValues} option filters."];
            }
            else
            {
                var bad = option.Where(o => !TryParseOption(o, out _, out _)).ToList();
                if (bad.Count > 0)
                {
                    errors["option"] = [$"Write an option filter as name:value (e.g. size:m, colour:natural), each part 1-60 characters; '{Clip(bad[0])}' is not."];
                }
                else
                {
                    foreach (var group in option.Select(o => { TryParseOption(o, out var n, out var v); return (n, v); }).GroupBy(o => o.n))
                    {
                        options[group.Key] = group.Select(g => g.v).Distinct(StringComparer.Ordinal).ToArray();
                    }
                }
            }
        }
        var tags = new List<string>();
        if (tag is { Length: > 0 })
        {
            if (tag.Length > MaxFilterValues)
            {
                errors["tag"] = [$"At most {MaxFilterValues} tag filters."];
            }
            else if (tag.FirstOrDefault(t => t.Length is 0 or > 60 || !IsSlug(t)) is { } badTag)
            {
                errors["tag"] = [$"A tag is 1-60 lowercase letters, digits and hyphens; '{Clip(badTag)}' is not."];
            }
            else
            {
                tags = tag.Distinct(StringComparer.Ordinal).ToList();
            }
        }
        var query = new SearchQuery(words, category, minPrice, maxPrice, options, tags, inStock == true, sortValue, take, null, facets == true);
        if (cursor is not null && errors.Count == 0)
        {
            if (!SearchCursor.TryDecode(cursor, sortValue, query.Fingerprint(), out var after))
            {
                errors["cursor"] = ["This cursor is not valid for this search. Use the nextCursor of the previous page unchanged with the same query, filters and sort, or omit it to start over."];
            }
            else
            {
                query = query with { After = after };
            }
        }
        return query;
    }

    private static string Clip(string value) => value.Length > 40 ? value[..40] + "…" : value;

    private static bool IsSlug(string value) => value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>"size:M" → ("size", "m"): folded to lowercase, as the index stores them.</summary>
    public static bool TryParseOption(string text, out string name, out string value)
    {
        name = value = "";
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }
        name = text[..colon].Trim().ToLowerInvariant();
        value = text[(colon + 1)..].Trim().ToLowerInvariant();
        return name.Length is > 0 and <= 60 && value.Length is > 0 and <= 60
            && !name.Any(char.IsControl) && !value.Any(char.IsControl) && !name.Contains('=', StringComparison.Ordinal);
    }
}

/// <summary>The keyset cursor of a search page: sort, the fingerprint of the search, the last row's
/// stock flag and sort key, and its id.</summary>
public sealed record SearchCursor(string Sort, string Fingerprint, bool InStock, string Key, Guid Id)
{
    public string Encode() => System.Buffers.Text.Base64Url.EncodeToString(
        Encoding.UTF8.GetBytes($"{Sort}\n{Fingerprint}\n{(InStock ? 1 : 0)}\n{Key}\n{Id:N}"));

    public double Score => double.Parse(Key, CultureInfo.InvariantCulture);

    public long LongKey => long.Parse(Key, CultureInfo.InvariantCulture);

    public static bool TryDecode(string value, string sort, string fingerprint, out SearchCursor cursor)
    {
        cursor = null!;
        if (value.Length > 512 || !System.Buffers.Text.Base64Url.IsValid(value))
        {
            return false;
        }
        string[] parts;
        try
        {
            parts = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(value)).Split('\n');
        }
        catch (FormatException)
        {
            return false;
        }
        if (parts.Length != 5 || parts[0] != sort || parts[1] != fingerprint || parts[2] is not ("0" or "1")
            || !Guid.TryParseExact(parts[4], "N", out var id))
        {
            return false;
        }
        var keyOk = sort switch
        {
            "relevance" => double.TryParse(parts[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && double.IsFinite(s),
            "newest" => long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var micros) && micros < 253_402_300_800_000_000,
            _ => long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out _),
        };
        if (!keyOk)
        {
            return false;
        }
        cursor = new SearchCursor(parts[0], parts[1], parts[2] == "1", parts[3], id);
        return true;
    }
}
