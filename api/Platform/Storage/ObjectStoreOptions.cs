namespace Headless.Api.Platform.Storage;

/// <summary>`Headless:ObjectStore`: a local folder (default: the storefront's site folder, which the API host
/// serves at /) or an S3 bucket when <see cref="S3Bucket"/> is set.</summary>
public sealed class ObjectStoreOptions
{
    public const string Section = "Headless:ObjectStore";

    /// <summary>The local folder; empty means the storefront's site folder (`Headless:Storefront:SiteDirectory`).</summary>
    public string Directory { get; set; } = "";

    /// <summary>The bucket; set it to store in S3 instead of the local folder.</summary>
    public string S3Bucket { get; set; } = "";

    /// <summary>A key prefix inside the bucket (e.g. <c>shop/</c>), as the storefront publisher's.</summary>
    public string S3Prefix { get; set; } = "";

    public string S3Region { get; set; } = "eu-west-1";

    /// <summary>An S3-compatible endpoint instead of AWS (tests use npm s3rver).</summary>
    public string S3ServiceUrl { get; set; } = "";

    public bool S3ForcePathStyle { get; set; }

    /// <summary>Where browsers fetch the objects: empty means the shop's own origin (CloudFront routes the bucket
    /// to /), else an absolute base such as <c>https://cdn.example.com/</c>.</summary>
    public string PublicBaseUrl { get; set; } = "";
}
