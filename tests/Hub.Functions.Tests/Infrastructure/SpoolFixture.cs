using Hub.Functions.Spool;

namespace Hub.Functions.Tests.Infrastructure;

/// <summary>
/// The chat and platform channels with the standalone spool on, in its own temporary directory. The relay's
/// timer is set to an hour so each test drains explicitly (<see cref="SpoolRelay.DrainAsync"/>) and knows when;
/// the timer-driven relay is exercised by the kill tests, against a hub process.
/// </summary>
public sealed class SpoolFixture : ChatFixture
{
    public string SpoolPath { get; } = Path.Combine(Path.GetTempPath(), "hub-tests-spool", Guid.NewGuid().ToString("N"));

    public LocalSpool Spool => Services.GetRequiredService<LocalSpool>();

    public SpoolRelay Relay => Services.GetRequiredService<SpoolRelay>();

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Hub:Spool:Enabled"] = "true";
            settings["Hub:Spool:Path"] = SpoolPath;
            settings["Hub:Spool:RelayInterval"] = "01:00:00";
            settings["Hub:Platforms:tt:Secret"] = TestSecrets.PlatformSecret;
            settings["Hub:Platforms:tt:RatePerMinute"] = "100000";
            return settings;
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(SpoolPath, recursive: true);
        }
        catch (IOException)
        {
            // temp data
        }
    }
}
