using Hub.Core.Assets;

namespace Hub.WebForm;

/// <summary>
/// The form's stylesheet and script (<see cref="HashedAssets"/>: embedded here, served by the hub under their content
/// hash), never from another host: a school's network or a child's phone talks to one server only.
/// </summary>
public static class WebAssets
{
    public const string Prefix = "/bao-cao/assets/";

    private static readonly HashedAssets Set = new(typeof(WebAssets).Assembly, "Hub.WebForm.Assets.", Prefix);

    public static string Css { get; } = Set.UrlOf("form.css");

    public static string Js { get; } = Set.UrlOf("form.js");

    /// <summary>The bytes of every asset a page loads (the page-weight test adds them to the HTML).</summary>
    public static long TotalBytes => Set.TotalBytes;

    public static bool TryGet(string file, out byte[] bytes, out string contentType) => Set.TryGet(file, out bytes, out contentType);
}
