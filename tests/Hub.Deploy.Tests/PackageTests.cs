using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Hub.Deploy.Tests;

/// <summary><c>scripts/publish.sh</c> once for the class: the zip a Function App runs.</summary>
public sealed class PublishedPackage : IAsyncLifetime
{
    public string ZipPath { get; } = Repo.PathOf("artifacts", "hub-functions.zip");

    public ProcessResult Publish { get; private set; } = null!;

    public Dictionary<string, ZipArchiveEntry> Entries { get; private set; } = null!;

    private ZipArchive? _zip;

    public async Task InitializeAsync()
    {
        Publish = await Run.ProcessAsync("bash", [Repo.PathOf("scripts", "publish.sh")], timeout: TimeSpan.FromMinutes(15));
        if (Publish.ExitCode == 0)
        {
            _zip = ZipFile.OpenRead(ZipPath);
            Entries = _zip.Entries.ToDictionary(e => e.FullName, StringComparer.Ordinal);
        }
    }

    public Task DisposeAsync()
    {
        _zip?.Dispose();
        return Task.CompletedTask;
    }

    public JsonNode Json(string entry)
    {
        using var reader = new StreamReader(Entries[entry].Open());
        return JsonNode.Parse(reader.ReadToEnd())!;
    }
}

/// <summary>The zip's layout is what the Functions host expects of a custom handler (docs/protocols/functions-host.md), and it starts.</summary>
public sealed class PackageTests(PublishedPackage package) : IClassFixture<PublishedPackage>
{
    private const string Executable = "app/Hub.Functions";

    private static IEnumerable<string> SourceFunctions =>
        Directory.GetDirectories(Repo.PathOf("functions", "Hub.Functions", "FunctionApp")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    [Fact]
    public void Publish_Succeeds()
    {
        package.Publish.ExitCode.ShouldBe(0, package.Publish.Output + package.Publish.Errors);
        File.Exists(package.ZipPath).ShouldBeTrue();
    }

    [Fact]
    public void HostJson_AtTheRoot_IsTheRepositorysAndPointsAtTheExecutable()
    {
        var host = package.Json("host.json");
        JsonNode.DeepEquals(host, JsonNode.Parse(File.ReadAllText(Repo.PathOf("host.json")))).ShouldBeTrue();
        ((string)host["version"]!).ShouldBe("2.0");
        ((string)host["extensionBundle"]!["id"]!).ShouldBe("Microsoft.Azure.Functions.ExtensionBundle");
        ((string)host["extensionBundle"]!["version"]!).ShouldBe("[4.*, 5.0.0)");
        var description = host["customHandler"]!["description"]!;
        ((string)description["defaultExecutablePath"]!).ShouldBe(Executable);
        ((string)description["workingDirectory"]!).ShouldBe("app");
        ((bool)host["customHandler"]!["enableProxyingHttpRequest"]!).ShouldBeTrue();
        ((string)host["extensions"]!["http"]!["routePrefix"]!).ShouldBe(string.Empty); // routes name /api themselves, so /auth and /console can be served too
        ((string)host["extensions"]!["queues"]!["messageEncoding"]!).ShouldBe("base64"); // what HubStorage writes
    }

    [Fact]
    public void Executable_IsThereAndExecutable()
    {
        package.Entries.ShouldContainKey(Executable);
        var mode = (package.Entries[Executable].ExternalAttributes >> 16) & 0x1FF;
        (mode & 0b001_001_001).ShouldBe(0b001_001_001, $"mode {Convert.ToString(mode, 8)}: the host must be able to execute it");
        package.Entries.ShouldContainKey("app/Hub.Functions.dll");
        package.Entries.ShouldContainKey("app/appsettings.json");
        package.Entries.ShouldContainKey("app/libcoreclr.so"); // self-contained: the platform's .NET does not matter
    }

    [Fact]
    public void Functions_OneFolderEachAtTheRoot_WithTheSourceFunctionJson()
    {
        var roots = package.Entries.Keys.Select(k => k.Split('/')[0]).Where(r => r is not "app" and not "host.json").Distinct().Order(StringComparer.Ordinal).ToList();
        roots.ShouldBe(SourceFunctions);
        foreach (var name in SourceFunctions)
        {
            var entry = $"{name}/function.json";
            package.Entries.ShouldContainKey(entry);
            JsonNode.DeepEquals(package.Json(entry), JsonNode.Parse(File.ReadAllText(Repo.PathOf("functions", "Hub.Functions", "FunctionApp", name, "function.json")))).ShouldBeTrue(name);
        }
    }

    [Fact]
    public void Queues_EveryQueueTriggerNamesAQueueTheInfrastructureCreates()
    {
        var text = File.ReadAllText(Repo.PathOf("infra-bicep", "modules", "storage.bicep"));
        foreach (var name in SourceFunctions)
        {
            var binding = package.Json($"{name}/function.json")["bindings"]![0]!;
            if ((string?)binding["type"] == "queueTrigger")
            {
                text.ShouldContain($"'{(string)binding["queueName"]!}'", customMessage: name);
                text.ShouldContain($"'{(string)binding["queueName"]!}-poison'", customMessage: name);
                ((string)binding["connection"]!).ShouldBe("AzureWebJobsStorage");
            }
        }
    }

    [Fact]
    public void Package_CarriesNoSimulatorsAndNoDemos()
    {
        // Test doubles of providers and platforms, and the demos that drive them, live in tools/: never deployed.
        package.Entries.Keys.ShouldNotContain(k => k.Contains("Hub.Simulators", StringComparison.Ordinal) || k.Contains("Hub.Cli", StringComparison.Ordinal));
        var app = typeof(Hub.Functions.Hosting.HubApp).Assembly;
        app.GetTypes().Select(t => t.FullName).ShouldNotContain(n => n!.Contains("Simulator", StringComparison.Ordinal) || n.Contains("Demo", StringComparison.Ordinal));
    }

    [Fact]
    public void Package_CarriesNoDevelopmentSettingsAndNoStrayCopies()
    {
        package.Entries.Keys.ShouldNotContain(k => k.Contains("appsettings.Development.json", StringComparison.Ordinal));
        package.Entries.Keys.ShouldNotContain(k => k.StartsWith("app/FunctionApp/", StringComparison.Ordinal));
        package.Entries.Keys.ShouldNotContain(k => k.EndsWith(".pdb", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Executable_FromTheUnzippedPackage_StartsAsACustomHandlerAndAnswersReadiness()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hub-package-" + Guid.NewGuid().ToString("N"));
        ZipFile.ExtractToDirectory(package.ZipPath, dir);
        var port = FreePort();
        var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(dir, "app", "Hub.Functions"))
        {
            WorkingDirectory = Path.Combine(dir, "app"), // host.json workingDirectory
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Hub__Storage__AccountName"] = "sthubpackagetest"; // identity mode; readiness needs no storage
        psi.Environment["Hub__Storage__ManagedIdentityClientId"] = "00000000-0000-0000-0000-000000000001";
        psi.Environment["Hub__Cases__ConnectionString"] = "Host=/nonexistent-hub-socket;Database=hub;Username=hub_app;Timeout=1"; // readiness needs no database
        psi.Environment["Hub__Cases__MigrateOnStart"] = "false";
        psi.Environment["Hub__Privacy__PseudonymKey"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i + 1)).ToArray());
        psi.Environment["Hub__Privacy__ContactKeys__k1"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i + 2)).ToArray());
        psi.Environment["Hub__Privacy__ActiveContactKeyId"] = "k1";
        using var process = System.Diagnostics.Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            string? body = null;
            var started = System.Diagnostics.Stopwatch.StartNew();
            while (body is null && !process.HasExited && started.Elapsed < TimeSpan.FromSeconds(60))
            {
                try
                {
                    body = await http.GetStringAsync($"http://127.0.0.1:{port}/");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // not listening yet, or a first answer slower than one try on a busy machine: try again until the deadline
                    await Task.Delay(100);
                }
            }

            body.ShouldBe("hub", output.ToString());
            using var openApi = await http.GetAsync($"http://127.0.0.1:{port}/api/platform/v1/openapi.json");
            openApi.StatusCode.ShouldBe(HttpStatusCode.OK); // embedded resources made it into the package
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
