using System.Globalization;
using Hub.Functions.Hashing;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>
    /// <c>hashes bank add NAME --owner TEAM --kind KIND</c>, <c>hashes import --bank NAME FILE</c> (CSV
    /// <c>type,value,classification[,source-ref]</c>), <c>hashes export --bank NAME</c>, <c>hashes stats</c>,
    /// <c>hashes match TYPE VALUE [QUALITY]</c>, <c>hashes tombstone ENTRY --reason TEXT</c>.
    /// </summary>
    public static async Task<int> RunWithBanksAsync(IServiceProvider services, string[] args, TextWriter output)
    {
        var banks = services.GetRequiredService<HashBanks>();
        var actor = Hub.Functions.Cases.Actor.Console();
        string? Opt(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        try
        {
            switch (args.ElementAtOrDefault(1))
            {
                case "bank" when args is [_, _, "add", var name, ..] && Opt("--owner") is { } owner && Opt("--kind") is { } kind:
                    await banks.CreateBankAsync(actor, name, owner, kind, CancellationToken.None);
                    output.WriteLine($"Bank {name} ({kind}, owned by {owner}) created.");
                    return 0;
                case "import" when Opt("--bank") is { } bank && args.Length > 0 && args[^1] != bank:
                    using (var reader = new StreamReader(Path.GetFullPath(args[^1], CallerDirectory)))
                    {
                        var result = await banks.ImportAsync(actor, bank, reader, "import", CancellationToken.None);
                        if (result.Refused.Count > 0)
                        {
                            output.WriteLine($"Nothing imported: {result.Refused.Count} line(s) are not hashes of the list format (type,value,classification[,source-ref]):");
                            foreach (var why in result.Refused.Take(50))
                            {
                                output.WriteLine("  " + why);
                            }

                            return 1;
                        }

                        output.WriteLine($"{result.Added} hash(es) added to {bank}; {result.AlreadyThere} already there.");
                        return 0;
                    }

                case "export" when Opt("--bank") is { } bank:
                    var n = await banks.ExportAsync(bank, output, CancellationToken.None);
                    await Console.Error.WriteLineAsync($"{n} hash(es) exported from {bank}.");
                    return 0;
                case "stats":
                    output.WriteLine("bank                              kind            owner                     enabled  live                           tombstoned  votes");
                    foreach (var b in await banks.StatsAsync(CancellationToken.None))
                    {
                        var live = b.Live.Count == 0 ? "—" : string.Join(", ", b.Live.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"));
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{b.Name,-33} {b.Kind,-15} {b.OwnerTeam,-25} {(b.Enabled ? "yes" : "no"),-8} {live,-30} {b.Tombstoned,-11} {b.Votes}"));
                    }

                    return 0;
                case "match" when args.Length >= 4:
                    var matches = await services.GetRequiredService<HashMatcher>().MatchAsync(
                        [new HashQuery(args[2], args[3], args.Length > 4 && int.TryParse(args[4], CultureInfo.InvariantCulture, out var q) ? q : null)], CancellationToken.None);
                    foreach (var m in matches)
                    {
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"entry {m.Entry} in {m.Bank}: {m.Classification}, {m.Type} distance {m.Distance}"));
                    }

                    output.WriteLine(matches.Count == 0 ? "No match." : $"{matches.Count} match(es).");
                    return 0;
                case "tombstone" when args.Length > 2 && long.TryParse(args[2], CultureInfo.InvariantCulture, out var entry) && Opt("--reason") is { } reason:
                    await banks.TombstoneAsync(actor, entry, reason, CancellationToken.None);
                    output.WriteLine($"Entry {entry} tombstoned: it matches nothing from now on.");
                    return 0;
            }
        }
        catch (Hub.Functions.Cases.CaseOperationException ex)
        {
            output.WriteLine(ex.Message);
            return 1;
        }
        catch (FileNotFoundException)
        {
            output.WriteLine($"No file {args[^1]}.");
            return 1;
        }

        output.WriteLine("""
            usage: hashes pdq [--dihedral] FILE...
                   hashes bank add NAME --owner TEAM --kind local-verified|agency|platform|imported-list
                   hashes import --bank NAME FILE.csv     (type,value,classification[,source-ref]; all or nothing)
                   hashes export --bank NAME              (the same format, hashes only)
                   hashes stats
                   hashes match md5|sha1|sha256|pdq VALUE [QUALITY]
                   hashes tombstone ENTRY --reason TEXT
            """);
        return 2;
    }
}
