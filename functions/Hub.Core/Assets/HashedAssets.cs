using System.Reflection;
using System.Security.Cryptography;

namespace Hub.Core.Assets;

/// <summary>
/// A page set's stylesheets and scripts, embedded in its assembly and served by the hub itself under a URL that
/// carries their content hash (<c>{prefix}{name}.{12 hex}.{ext}</c>): cached for a year, replaced by the next
/// release's URL, never fetched from another host. The console and the public form each hold one.
/// </summary>
public sealed class HashedAssets
{
    private readonly Dictionary<string, (byte[] Bytes, string ContentType)> _byName;
    private readonly Dictionary<string, (byte[] Bytes, string ContentType)> _byHashedName;
    private readonly string _prefix;

    /// <param name="assembly">Where the assets are embedded.</param>
    /// <param name="resourcePrefix">Their manifest names' prefix (the csproj's <c>LogicalName</c>), e.g. <c>Hub.WebForm.Assets.</c>.</param>
    /// <param name="urlPrefix">The path they are served under, e.g. <c>/bao-cao/assets/</c>.</param>
    public HashedAssets(Assembly assembly, string resourcePrefix, string urlPrefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(resourcePrefix);
        _prefix = urlPrefix;
        _byName = new(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(resourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource[resourcePrefix.Length..];
            _byName[name] = (copy.ToArray(), name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
        }

        _byHashedName = _byName.ToDictionary(a => Hashed(a.Key, a.Value.Bytes), a => a.Value, StringComparer.Ordinal);
    }

    /// <summary>The bytes of every asset (what a first view downloads besides the HTML).</summary>
    public long TotalBytes => _byName.Values.Sum(a => (long)a.Bytes.Length);

    /// <summary>The URL an asset is served under (its name with its content hash).</summary>
    public string UrlOf(string name) => _prefix + Hashed(name, _byName[name].Bytes);

    /// <summary>The asset a hashed file name stands for; false for any other name (an old release's, a guess).</summary>
    public bool TryGet(string file, out byte[] bytes, out string contentType)
    {
        if (file is not null && _byHashedName.TryGetValue(file, out var asset))
        {
            (bytes, contentType) = asset;
            return true;
        }

        (bytes, contentType) = ([], string.Empty);
        return false;
    }

    private static string Hashed(string name, byte[] bytes)
    {
        var dot = name.LastIndexOf('.');
        return name[..dot] + "." + Convert.ToHexStringLower(SHA256.HashData(bytes))[..12] + name[dot..];
    }
}
