using System.Security.Cryptography;

namespace Hub.WebForm;

/// <summary>
/// The form's stylesheet and script, embedded here and served by the hub under a URL carrying their content hash
/// (cached for a year, replaced by the next release's URL), never from another host: a school's network or a
/// child's phone talks to one server only.
/// </summary>
public static class WebAssets
{
    public const string Prefix = "/bao-cao/assets/";

    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> ByName = Load();

    public static string Css { get; } = UrlOf("form.css");

    public static string Js { get; } = UrlOf("form.js");

    /// <summary>The bytes of every asset a page loads (the page-weight test adds them to the HTML).</summary>
    public static long TotalBytes => ByName.Values.Sum(a => (long)a.Bytes.Length);

    public static bool TryGet(string file, out byte[] bytes, out string contentType)
    {
        foreach (var (name, asset) in ByName)
        {
            if (string.Equals(Hashed(name, asset.Bytes), file, StringComparison.Ordinal))
            {
                (bytes, contentType) = asset;
                return true;
            }
        }

        (bytes, contentType) = ([], string.Empty);
        return false;
    }

    private static string UrlOf(string name) => Prefix + Hashed(name, ByName[name].Bytes);

    private static string Hashed(string name, byte[] bytes)
    {
        var dot = name.LastIndexOf('.');
        return name[..dot] + "." + Convert.ToHexStringLower(SHA256.HashData(bytes))[..12] + name[dot..];
    }

    private static Dictionary<string, (byte[], string)> Load()
    {
        const string Resource = "Hub.WebForm.Assets.";
        var assembly = typeof(WebAssets).Assembly;
        var map = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Resource, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource[Resource.Length..];
            map[name] = (copy.ToArray(), name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
        }

        return map;
    }
}
