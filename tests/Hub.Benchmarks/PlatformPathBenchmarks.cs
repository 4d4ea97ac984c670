using System.Text;
using BenchmarkDotNet.Attributes;
using Hub.Core.Platform;
using Hub.Core.Signatures;
using Hub.Functions.Platform;

namespace Hub.Benchmarks;

/// <summary>
/// The CPU work of one platform report before storage, on the published example (2.3 KB): HMAC verify,
/// JSON Schema validation (NJsonSchema, the published schema itself), typed parse, semantic checks, mapping.
/// </summary>
[MemoryDiagnoser]
public class PlatformPathBenchmarks
{
    private const string Secret = "bench-platform-secret-0123456789abcdef";
    private readonly PlatformReports _reports = new(null!, null!, null!, Microsoft.Extensions.Options.Options.Create(new Hub.Functions.Hosting.HubOptions()), TimeProvider.System, null!);
    private byte[] _body = [];
    private string _json = string.Empty;
    private string _signature = string.Empty;
    private PlatformReport _report = null!;

    [GlobalSetup]
    public void Setup()
    {
        _json = PlatformSchema.ReadResource(PlatformSchema.ReportExampleResource);
        _body = Encoding.UTF8.GetBytes(_json);
        _signature = HubSignature.Compute(Secret, "1795000000", _body);
        _report = _reports.Parse(_body, "$").Report ?? throw new InvalidOperationException("the example must be valid");
    }

    [Benchmark]
    public HubSignatureResult VerifyOnly() =>
        HubSignature.Verify([Secret, string.Empty], "1795000000", _signature, _body, DateTimeOffset.FromUnixTimeSeconds(1_795_000_000), HubSignature.DefaultWindow);

    [Benchmark]
    public int SchemaValidateOnly() => PlatformSchema.Validate(_json).Count;

    [Benchmark]
    public object MapOnly() => PlatformReports.ToSubmission("bench", _report, _body);

    [Benchmark]
    public object VerifyParseValidateMap()
    {
        if (VerifyOnly() != HubSignatureResult.Valid)
        {
            throw new InvalidOperationException();
        }

        var parsed = _reports.Parse(_body, "$");
        return PlatformReports.ToSubmission("bench", parsed.Report!, _body);
    }
}
