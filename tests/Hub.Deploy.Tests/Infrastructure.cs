using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Hub.Deploy.Tests;

internal static class Repo
{
    public static string Root { get; } = Metadata("RepositoryRoot");

    public static string BicepPath { get; } = Metadata("BicepPath");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Metadata(string key) =>
        typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"{key} was not set at build time");
}

public sealed record ProcessResult(int ExitCode, string Output, string Errors);

internal static class Run
{
    /// <summary>Runs a process to completion (bounded), capturing both streams.</summary>
    public static async Task<ProcessResult> ProcessAsync(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary><c>bicep build infra-bicep/main.bicep</c> once for the class: the compiled ARM template.</summary>
public sealed class CompiledTemplate : IAsyncLifetime
{
    public JsonObject Template { get; private set; } = null!;

    public ProcessResult Build { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Build = await Run.ProcessAsync(Repo.BicepPath, ["build", Repo.PathOf("infra-bicep", "main.bicep"), "--stdout"]);
        Template = JsonNode.Parse(Build.Output)!.AsObject();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A module's compiled template, by its deployment name in main.bicep.</summary>
    public JsonObject Module(string deploymentName) =>
        Resources(Template).Single(r => (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == deploymentName)["properties"]!["template"]!.AsObject();

    /// <summary>A template's resources: an array, or (language version 2.0, with user-defined types) an object by symbolic name.</summary>
    public static IEnumerable<JsonObject> Resources(JsonObject template) =>
        template["resources"] switch
        {
            JsonArray a => a.Select(r => r!.AsObject()),
            JsonObject o => o.Select(r => r.Value!.AsObject()),
            _ => [],
        };

    public JsonObject Resource(string module, string type) => Resources(Module(module)).Single(r => (string?)r["type"] == type);
}
