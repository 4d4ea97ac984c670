using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Hub.Functions.Spool;
using Hub.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Tests.Spool;

/// <summary>The spool file itself (no storage involved): concurrent appends, and every way it can refuse, refusing as a 503 would.</summary>
public sealed class LocalSpoolTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hub-tests-spool", Guid.NewGuid().ToString("N"));

    private static LocalSpool Create(string path, long maxBytes = 1L << 30) => new(
        Options.Create(new HubOptions { Spool = { Path = path, MaxBytes = maxBytes } }),
        new ConfigurationBuilder().Build(),
        new PrivacyServices(Options.Create(new PrivacyOptions
        {
            PseudonymKey = TestSecrets.PseudonymKey,
            ContactKeys = { ["t1"] = TestSecrets.ContactKey },
            ActiveContactKeyId = "t1",
        })),
        TimeProvider.System,
        NullLogger<LocalSpool>.Instance);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // temp data
        }
    }

    [Fact]
    public async Task Append_200Concurrent_AllReadBackInOneSegmentWithDistinctIds()
    {
        using var spool = Create(_dir);
        var ids = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => spool.AppendAsync("intake", [(byte)i, 1, 2, 3], CancellationToken.None)));

        var segment = spool.RollAndListClosed().ShouldHaveSingleItem();
        var records = spool.Read(segment, (_, ex) => throw ex).ToList();
        records.Count.ShouldBe(200);
        records.Select(r => r.Id).Order().ShouldBe(ids.Order());
        records.Select(r => r.Payload[0]).Distinct().Count().ShouldBe(200);
        records.ShouldAllBe(r => r.Kind == "intake");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(segment).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task PendingRecords_CountsAppends_ReplayProgress_AndTheSegmentsFoundAtStartUp()
    {
        string segment;
        using (var spool = Create(_dir))
        {
            spool.PendingRecords.ShouldBe(0);
            await Task.WhenAll(Enumerable.Range(0, 7).Select(i => spool.AppendAsync("intake", [(byte)i], CancellationToken.None)));
            spool.PendingRecords.ShouldBe(7);
            segment = spool.RollAndListClosed().ShouldHaveSingleItem();
            spool.MarkDone(segment, 1);
            spool.MarkDone(segment, 2);
            spool.PendingRecords.ShouldBe(5, "two records replayed");
        }

        // A restart counts what is left from the files: whole records less those the relay marked done.
        using (var restarted = Create(_dir))
        {
            await restarted.AppendAsync("intake", [9], CancellationToken.None); // opening the spool counts the segments found
            restarted.PendingRecords.ShouldBe(6);
        }
    }

    [Fact]
    public async Task Append_PathIsAFile_SpoolUnavailableNotAnUnhandledError()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");
        using var spool = Create(file);
        await Should.ThrowAsync<SpoolUnavailableException>(() => spool.AppendAsync("intake", [1], CancellationToken.None));
    }

    [Fact]
    public async Task Append_DirectoryHeldByAnotherSpool_SpoolUnavailable()
    {
        using var first = Create(_dir);
        await first.AppendAsync("intake", [1], CancellationToken.None);
        using var second = Create(_dir);
        await Should.ThrowAsync<SpoolUnavailableException>(() => second.AppendAsync("intake", [2], CancellationToken.None));
    }

    [Fact]
    public async Task Append_BeyondMaxBytes_SpoolUnavailable_EarlierRecordsKept()
    {
        using var spool = Create(_dir, maxBytes: 400);
        await spool.AppendAsync("intake", new byte[100], CancellationToken.None);
        await Should.ThrowAsync<SpoolUnavailableException>(() => spool.AppendAsync("intake", new byte[300], CancellationToken.None));
        spool.Read(spool.RollAndListClosed().ShouldHaveSingleItem(), (_, ex) => throw ex).Count().ShouldBe(1);
    }
}
