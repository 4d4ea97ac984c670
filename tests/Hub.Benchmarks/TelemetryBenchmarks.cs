using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Hub.Functions.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Hub.Benchmarks;

/// <summary>
/// What telemetry adds to one webhook (docs/observability.md#overhead): the spans the hub and its instrumentation make for
/// an SMS — the server span, the intake span, four storage calls with their URLs scrubbed — and the metrics it records
/// (request count, latency, acknowledgement). <see cref="NotExported"/> (the floor, the same calls with no exporter
/// configured: nothing listens) beside <see cref="MetricsExported"/> (a meter provider only, as the Prometheus endpoint
/// has it) and <see cref="Exported"/> (an SDK tracer and meter provider, a batch span processor and a metric reader, as
/// OTLP or Azure Monitor would have them). BenchmarkDotNet runs each in its own process.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private static readonly ActivitySource Server = new("Microsoft.AspNetCore");
    private static readonly ActivitySource Client = new("System.Net.Http");

    private static readonly Uri[] StorageCalls =
    [
        new("http://127.0.0.1:10002/devstoreaccount1/intake(PartitionKey='hn-sms',RowKey='SMe287d7109a5a925f182f0e07fe5b223b')"),
        new("http://127.0.0.1:10000/devstoreaccount1/raw/hn-sms/2026/12/04/01JEXAMPLE0000000000000000.1a2b3c4d.bin"),
        new("http://127.0.0.1:10001/devstoreaccount1/reports/messages"),
        new("http://127.0.0.1:10002/devstoreaccount1/intake"),
    ];

    private ServiceProvider _services = null!;
    private HubMetrics _metrics = null!;
    private TracerProvider? _tracer;
    private MeterProvider? _meter;

    [GlobalSetup(Target = nameof(NotExported))]
    public void SetupNotExported() => _metrics = CreateMetrics();

    [GlobalSetup(Target = nameof(MetricsExported))]
    public void SetupMetricsExported()
    {
        _metrics = CreateMetrics();
        _meter = Sdk.CreateMeterProviderBuilder()
            .AddMeter(HubTelemetry.Name)
            .AddReader(new PeriodicExportingMetricReader(new DiscardingMetricExporter(), exportIntervalMilliseconds: 1000))
            .Build();
    }

    [GlobalSetup(Target = nameof(Exported))]
    public void SetupExported() => SetupTraced(1.0);

    [GlobalSetup(Target = nameof(ExportedOneInTen))]
    public void SetupExportedOneInTen() => SetupTraced(0.1);

    private void SetupTraced(double ratio)
    {
        _metrics = CreateMetrics();
        _tracer = Sdk.CreateTracerProviderBuilder()
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)))
            .AddSource(HubTelemetry.Name, Server.Name, Client.Name)
            .AddProcessor(new BatchActivityExportProcessor(new DiscardingExporter(), maxQueueSize: 65_536, scheduledDelayMilliseconds: 100))
            .Build();
        _meter = Sdk.CreateMeterProviderBuilder()
            .AddMeter(HubTelemetry.Name)
            .AddReader(new PeriodicExportingMetricReader(new DiscardingMetricExporter(), exportIntervalMilliseconds: 1000))
            .Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tracer?.Dispose();
        _meter?.Dispose();
        _services.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int NotExported() => OneWebhook();

    /// <summary>Metrics only (a meter provider, no tracer): what a Prometheus scrape alone costs the request.</summary>
    [Benchmark]
    public int MetricsExported() => OneWebhook();

    [Benchmark]
    public int Exported() => OneWebhook();

    /// <summary>Exported with <c>Hub:Telemetry:TraceSampleRatio</c> 0.1: the average webhook when one trace in ten is kept.</summary>
    [Benchmark]
    public int ExportedOneInTen() => OneWebhook();

    /// <summary>The telemetry calls of one SMS webhook, in the order the request makes them.</summary>
    private int OneWebhook()
    {
        var started = Stopwatch.GetTimestamp();
        using var server = Server.StartActivity("POST /api/channels/twilio-sms/{instance}", ActivityKind.Server);
        server?.SetTag("http.request.method", "POST");
        server?.SetTag("url.scheme", "https");
        server?.SetTag("http.route", "/api/channels/twilio-sms/{instance}");
        var n = 0;
        using (var intake = HubTelemetry.Source.StartActivity("intake"))
        {
            intake?.SetTag("hub.report_channel", "sms");
            intake?.SetTag("hub.channel_instance", "hn-sms");
            foreach (var uri in StorageCalls)
            {
                using var call = Client.StartActivity("PUT", ActivityKind.Client);
                if (call is not null)
                {
                    call.SetTag("url.full", TraceScrubber.ScrubUrl(uri));
                    call.SetTag("server.address", uri.Host);
                    call.SetTag("http.response.status_code", 201);
                }

                n++;
            }

            intake?.SetTag("hub.duplicate", false);
        }

        _metrics.Acknowledged("sms", "storage");
        server?.SetTag("url.path", "/api/channels/twilio-sms/{instance}");
        server?.SetTag("hub.channel", "twilio-sms");
        server?.SetTag("http.response.status_code", 200);
        _metrics.Webhook("twilio-sms", 200, Stopwatch.GetElapsedTime(started));
        return n;
    }

    private HubMetrics CreateMetrics()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new HubMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new TelemetrySnapshot());
    }

    private sealed class DiscardingExporter : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
    }

    private sealed class DiscardingMetricExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
