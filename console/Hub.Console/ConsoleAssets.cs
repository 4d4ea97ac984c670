using System.Security.Cryptography;

namespace Hub.OperatorConsole;

/// <summary>
/// The console's stylesheet and script, embedded in this assembly and served by the hub itself under a URL that
/// carries their content hash: cached for a year, replaced by the next release's URL, never fetched from elsewhere.
/// </summary>
public static class ConsoleAssets
{
    public const string Prefix = "/console/assets/";

    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> ByName = Load();

    public static string Css { get; } = UrlOf("console.css");

    public static string Js { get; } = UrlOf("console.js");

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
        const string Resource = "Hub.OperatorConsole.Assets.";
        var assembly = typeof(ConsoleAssets).Assembly;
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
