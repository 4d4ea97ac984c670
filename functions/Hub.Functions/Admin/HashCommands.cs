using System.Globalization;
using Hub.Functions.Hashing;

namespace Hub.Functions.Admin;

/// <summary>
/// <c>hashes pdq FILE...</c>: one line per file, <c>&lt;64 hex&gt; &lt;quality&gt; &lt;path&gt;</c> or <c>error &lt;reason&gt; &lt;path&gt;</c>; exit 1
/// when any file failed. <c>--dihedral</c>: eight lines per file, the variant's name after the path.
/// </summary>
internal static class HashCommands
{
    /// <summary>Where relative paths start: the directory <c>scripts/run.sh</c> was called from (dotnet run changes directory).</summary>
    private static string CallerDirectory => Environment.GetEnvironmentVariable("HUB_CALLER_DIR") is { Length: > 0 } d ? d : Environment.CurrentDirectory;

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        if (args is not ["hashes", "pdq", _, ..])
        {
            output.WriteLine("usage: hashes pdq [--dihedral] FILE...   the PDQ hash and quality of each image (JPEG, PNG, WebP, GIF, BMP)");
            return 2;
        }

        var dihedral = args[2] == "--dihedral";
        var failed = 0;
        foreach (var path in args[(dihedral ? 3 : 2)..])
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(Path.GetFullPath(path, CallerDirectory));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                output.WriteLine($"error {(ex is FileNotFoundException or DirectoryNotFoundException ? "not-found" : "unreadable")} {path}");
                failed++;
                continue;
            }

            if (dihedral)
            {
                var (all, why) = ImageHashes.PdqDihedral(bytes);
                if (all is null)
                {
                    output.WriteLine($"error {why} {path}");
                    failed++;
                    continue;
                }

                string[] names = ["original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"];
                for (var i = 0; i < names.Length; i++)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{all.All[i]} {all.Quality} {path} {names[i]}"));
                }

                continue;
            }

            var (result, error) = ImageHashes.Pdq(bytes);
            if (result is { } r)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Hash} {r.Quality} {path}"));
            }
            else
            {
                output.WriteLine($"error {error} {path}");
                failed++;
            }
        }

        return failed == 0 ? 0 : 1;
    }
}
