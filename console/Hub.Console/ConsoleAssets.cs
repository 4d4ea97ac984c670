using Hub.Core.Assets;

namespace Hub.OperatorConsole;

/// <summary>The console's stylesheet and script (<see cref="HashedAssets"/>: embedded here, served by the hub under their content hash).</summary>
public static class ConsoleAssets
{
    public const string Prefix = "/console/assets/";

    private static readonly HashedAssets Set = new(typeof(ConsoleAssets).Assembly, "Hub.OperatorConsole.Assets.", Prefix);

    public static string Css { get; } = Set.UrlOf("console.css");

    public static string Js { get; } = Set.UrlOf("console.js");

    public static bool TryGet(string file, out byte[] bytes, out string contentType) => Set.TryGet(file, out bytes, out contentType);
}
