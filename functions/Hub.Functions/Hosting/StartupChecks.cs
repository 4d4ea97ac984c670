using Hub.Core.Text;

namespace Hub.Functions.Hosting;

/// <summary>Refuses to start when the platform would silently break Vietnamese text or a secret is unresolved.</summary>
internal sealed class StartupChecks(IConfiguration configuration) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!VietnameseText.NormalizationWorks())
        {
            throw new InvalidOperationException(
                "Unicode normalisation is a no-op here (globalization-invariant mode or no ICU). Vietnamese text would be stored unnormalised; refusing to start.");
        }

        var unresolved = configuration.AsEnumerable()
            .Where(kv => kv.Value?.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal) == true)
            .Select(kv => kv.Key)
            .ToList();
        if (unresolved.Count > 0)
        {
            throw new InvalidOperationException($"Unresolved Key Vault references in: {string.Join(", ", unresolved)}. Check the app's identity and the vault's access.");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
