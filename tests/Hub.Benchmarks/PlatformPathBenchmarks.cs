using System.Text;
using BenchmarkDotNet.Attributes;
using Hub.Core.Platform;
using Hub.Core.Signatures;
using Hub.Functions.Platform;

namespace Hub.Benchmarks;

/// <summary>
/// The CPU work of one platform report before storage, on the published example (2.3 KB): HMAC verify,
/// the published JSON Schema's validation (compiled from the schema itself, SchemaSubset), typed parse, semantic checks, mapping.
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
        _document = System.Text.Json.JsonDocument.Parse(_body);
        _stamp = new Hub.Core.Envelope.EnvelopeStamp(
            "01JD0000000000000000000000", DateTimeOffset.FromUnixTimeSeconds(1_795_000_000), "K7M-4QX-92P", "p:0123456789abcdef", "c:v1:AAAA", [],
            new Hub.Core.Envelope.RawReference { Blob = "raw/bench/2026/12/04/x.bin", Sha256 = new string('0', 64), ContentType = "application/json", KeyId = "k1" }, null);
    }

    [Benchmark]
    public HubSignatureResult VerifyOnly() =>
        HubSignature.Verify([Secret, string.Empty], "1795000000", _signature, _body, DateTimeOffset.FromUnixTimeSeconds(1_795_000_000), HubSignature.DefaultWindow);

    [Benchmark]
    public int SchemaValidateOnly() => PlatformSchema.Validate(_document.RootElement).Count;

    [Benchmark]
    public int ParseAndValidate()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(_body);
        return PlatformSchema.Validate(doc.RootElement).Count;
    }

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

    /// <summary>Bytes to the queued envelope's bytes: the whole CPU path before storage (the intake's stamp fixed: no storage here).</summary>
    [Benchmark]
    public int BytesToEnvelope()
    {
        var submission = (Hub.Core.Envelope.IntakeSubmission)VerifyParseValidateMap();
        var envelope = Hub.Core.Envelope.EnvelopeBuilder.Build(submission, _stamp);
        return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(envelope, Hub.Core.Envelope.HubJsonContext.Default.ReportEnvelope).Length;
    }

    private System.Text.Json.JsonDocument _document = null!;

    private Hub.Core.Envelope.EnvelopeStamp _stamp = null!;
}
