using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Core.Platform;
using Hub.Core.Signatures;
using Hub.Functions.Platform;
using Hub.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Admin;

/// <summary>
/// <c>platform …</c>: onboarding platforms (register, rotate, list, secret, keygen), takedown requests and
/// report status, and <c>demo platform</c>, which walks the whole API against the running hub.
/// </summary>
internal static class PlatformCommands
{
    public const int SimulatorPort = 7073;

    public const string Usage = """
              platform register ID [--callback-url URL] [--rate-per-minute N]
                                              register a platform; prints its new signing secret once
              platform rotate ID              new secret for a registered platform (the old one stays valid as the secondary)
              platform list                   platforms from configuration and the registry
              platform secret                 print a fresh secret for Hub:Platforms:{id}:Secret in configuration or Key Vault
              platform keygen                 print a fresh ES256 key (PEM) for Hub:Signing:Keys:{keyId}
              platform takedown ID HUBREPORTID [--reason TEXT] [URL...]
                                              ask the platform to take content down (the report's URLs by default)
              platform status ID HUBREPORTID  a platform report's status and takedowns
              demo platform                   sign and send a report as a platform, request a takedown, confirm it (simulated platform on port 7073)
""";

    public static async Task<int> RunAsync(IServiceProvider sp, string[] args, TextWriter output)
    {
        var registry = sp.GetRequiredService<PlatformRegistry>();
        switch (args.ElementAtOrDefault(1))
        {
            case "register" when args.Length > 2:
                {
                    var id = args[2];
                    var callback = Option(args, "--callback-url");
                    var rate = int.TryParse(Option(args, "--rate-per-minute"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 600;
                    var problems = PlatformsOptionsSetup.Check(id, new PlatformOptions { Secret = new string('x', 64), CallbackUrl = callback, RatePerMinute = rate }, id).ToList();
                    if (problems.Count > 0)
                    {
                        problems.ForEach(output.WriteLine);
                        return 2;
                    }

                    var secret = await registry.RegisterAsync(id, callback, rate, CancellationToken.None);
                    if (secret is null)
                    {
                        output.WriteLine($"Platform '{id}' is already registered; use 'platform rotate {id}' for a new secret.");
                        return 1;
                    }

                    output.WriteLine($"Registered platform '{id}' ({rate} reports/minute, callback {callback ?? "none"}).");
                    output.WriteLine("Its secret, shown only now; hand it over through a secure channel:");
                    output.WriteLine(secret);
                    return 0;
                }

            case "rotate" when args.Length > 2:
                {
                    var secret = await registry.RotateAsync(args[2], CancellationToken.None);
                    if (secret is null)
                    {
                        output.WriteLine($"No platform '{args[2]}' in the registry (platforms in configuration rotate there: move Secret to SecondarySecret, set a new Secret).");
                        return 1;
                    }

                    output.WriteLine($"New secret for '{args[2]}' (the previous one stays valid until the next rotation):");
                    output.WriteLine(secret);
                    return 0;
                }

            case "list":
                foreach (var p in await registry.ListAsync(CancellationToken.None))
                {
                    output.WriteLine($"{p.Id,-24} {p.Options.RatePerMinute,6}/min  callback {p.Options.CallbackUrl ?? "-"}  secondary secret {(string.IsNullOrEmpty(p.Options.SecondarySecret) ? "no" : "yes")}  ({p.Source})");
                }

                return 0;

            case "secret":
                output.WriteLine(PlatformIds.NewSecret());
                return 0;

            case "keygen":
                output.WriteLine($"# Hub:Signing:Keys:{{keyId}} (and Hub:Signing:ActiveKeyId = that keyId); keep it in Key Vault");
                output.Write(HubSigningKeys.NewPem());
                output.WriteLine();
                return 0;

            case "takedown" when args.Length > 3:
                {
                    var reason = Option(args, "--reason");
                    var urls = args.Skip(4).Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[4 + i - 1] != "--reason")).ToList();
                    var (record, error) = await sp.GetRequiredService<Takedowns>().RequestAsync(args[2], args[3], urls, reason, CancellationToken.None);
                    if (record is null)
                    {
                        output.WriteLine(error);
                        return 1;
                    }

                    output.WriteLine($"Takedown {record.TakedownId} queued for delivery to '{args[2]}':");
                    record.Urls.ToList().ForEach(u => output.WriteLine("  " + u));
                    return 0;
                }

            case "status" when args.Length > 3:
                {
                    var status = await sp.GetRequiredService<PlatformReports>().StatusAsync(args[2], args[3], CancellationToken.None);
                    if (status is null)
                    {
                        output.WriteLine($"Platform '{args[2]}' has no report '{args[3]}'.");
                        return 1;
                    }

                    output.WriteLine(JsonSerializer.Serialize(status, Indented.PlatformReportStatus));
                    return 0;
                }

            default:
                output.WriteLine("usage:");
                output.Write(Usage);
                return 2;
        }
    }

    /// <summary>
    /// <c>demo platform</c>: what a platform engineer does on day one, against the running hub. Signs and sends
    /// the example report, sends it again (same id back), shows the status, then requests a takedown that the
    /// hub delivers, signed, to a simulated platform on port 7073, which verifies it with the hub's published
    /// key and confirms; finally shows the recorded time-to-removal.
    /// </summary>
    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static readonly PlatformJsonContext Indented = new(new JsonSerializerOptions(PlatformJsonContext.Default.Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
