using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Hub.Functions.Hosting;
using Hub.Functions.Privacy;
using Microsoft.Extensions.Options;

namespace Hub.Functions.Spool;

/// <summary><c>Hub:Spool</c>: the standalone hub's local spool (courier's pattern) for when storage is down.</summary>
public sealed class SpoolOptions
{
    /// <summary>
    /// On by default in standalone mode. Always off as an Azure Functions custom handler: a Flex instance's disk
    /// is not durable (an instance recycled with a spooled report would lose it), and there the provider's retry
    /// after a 503 is the safer contract.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The spool directory; default <c>{LocalApplicationData}/vn-child-hub/spool/{hash of the storage target}</c>. One hub process per directory.</summary>
    public string? Path { get; set; }

    /// <summary>How often the relay looks for spooled records while storage is down.</summary>
    public TimeSpan RelayInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Beyond this the spool refuses (the request gets 503, as without a spool): a full disk must not take the host down.</summary>
    public long MaxBytes { get; set; } = 1L << 30;
}

/// <summary>One record read back from a spool segment.</summary>
public sealed record SpoolRecord(string Kind, string Id, DateTimeOffset SpooledAt, byte[] Payload);

/// <summary>The spool is off, full, or its disk failed: the caller answers 503 as it would without one.</summary>
public sealed class SpoolUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// An append-only, fsynced, encrypted local log of requests the hub acknowledged while storage was down.
/// A request is answered 2xx only after its record is on disk (<c>fsync</c> of the segment, and of the directory
/// when a segment is created). Concurrent appends share one fsync (group commit). Records are sealed with the
/// hub's content key (AES-GCM, purpose <c>spool</c>): they hold children's words and phone numbers.
/// Layout: <c>{seq:D20}.spool</c> segments of <c>[u32 little-endian length][sealed record]</c>, a
/// <c>{seq}.done</c> file per segment being drained (how many records the relay has replayed), and a
/// <c>spool.lock</c> held exclusively by the one process using the directory.
/// </summary>
public sealed partial class LocalSpool : IDisposable
{
    internal const string Purpose = "spool";
    private const string SegmentSuffix = ".spool";
    private const string DoneSuffix = ".done";

    private readonly SpoolOptions _options;
    private readonly PrivacyServices _privacy;
    private readonly TimeProvider _time;
    private readonly ILogger<LocalSpool> _logger;
    private readonly Channel<PendingAppend> _appends = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private FileStream? _lockFile;
    private FileStream? _active;
    private long _nextSeq = -1;
    private long _bytes;
    private long _records;
    private Task? _writer;

    public LocalSpool(IOptions<HubOptions> hub, IConfiguration configuration, PrivacyServices privacy, TimeProvider time, ILogger<LocalSpool> logger)
    {
        ArgumentNullException.ThrowIfNull(hub);
        _options = hub.Value.Spool;
        _privacy = privacy;
        _time = time;
        _logger = logger;
        Enabled = _options.Enabled && !HubApp.IsCustomHandler(configuration);
        Directory = _options.Path is { Length: > 0 } p
            ? System.IO.Path.GetFullPath(p)
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "vn-child-hub", "spool", StorageTag(hub.Value.Storage));
    }

    public bool Enabled { get; }

    /// <summary>
    /// The default directory is per storage target: records spooled for one storage account are only ever relayed
    /// to that account, even when hubs for different ones (or a benchmark's throw-away Azurite) share a machine.
    /// A hash, so no account key reaches a path.
    /// </summary>
    internal static string StorageTag(StorageOptions storage)
    {
        var target = storage.UsesIdentity
            ? $"{storage.AccountName}|{storage.QueueServiceUri}|{storage.TableServiceUri}|{storage.BlobServiceUri}"
            : storage.ConnectionString;
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(target)))[..16];
    }

    public string Directory { get; }

    /// <summary>Records appended since start and not yet drained, approximately (for health and logs).</summary>
    public long PendingBytes => Interlocked.Read(ref _bytes);

    /// <summary>Records appended and not yet replayed or held (counted from the segments at start-up).</summary>
    public long PendingRecords => Interlocked.Read(ref _records);

    /// <summary>Appends one record and returns once it is on disk. Throws <see cref="SpoolUnavailableException"/> when it cannot be made durable.</summary>
    public async Task<string> AppendAsync(string kind, byte[] payload, CancellationToken ct)
    {
        if (!Enabled)
        {
            throw new SpoolUnavailableException("The local spool is off.");
        }

        try
        {
            EnsureOpen();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // A spool that cannot be opened (in use by another process, no permission) must not turn into a 500:
            // the request gets the 503 it would get without a spool.
            LogWriteFailed(_logger, ex.GetType().Name);
            throw new SpoolUnavailableException("The local spool cannot be opened.", ex);
        }

        var id = Hub.Core.Envelope.ReportId.New(_time);
        var record = Seal(kind, id, payload);
        if (Interlocked.Read(ref _bytes) + record.Length > _options.MaxBytes)
        {
            throw new SpoolUnavailableException($"The local spool is full ({_options.MaxBytes} bytes).");
        }

        var pending = new PendingAppend(record, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _appends.Writer.WriteAsync(pending, ct);
        try
        {
            // Not cancelled with the request: once queued, the record is written; a caller that went away
            // simply never sees the 2xx, and the relay's replay is idempotent.
            await pending.Done.Task;
        }
        catch (IOException ex)
        {
            throw new SpoolUnavailableException("The local spool could not be written.", ex);
        }

        return id;
    }

    /// <summary>
    /// What every spooling caller does once storage refused it (<paramref name="storageFailure"/>): append instead, and
    /// when the spool refuses too, rethrow as "storage unavailable" (→ 503, nothing acknowledged) carrying both causes.
    /// </summary>
    public async Task AppendInsteadAsync(string kind, byte[] payload, Storage.StorageUnavailableException storageFailure, CancellationToken ct)
    {
        try
        {
            await AppendAsync(kind, payload, ct);
        }
        catch (SpoolUnavailableException spoolFailure)
        {
            throw new Storage.StorageUnavailableException("Storage is unreachable and the local spool refused the request; not acknowledged.", new AggregateException(storageFailure, spoolFailure));
        }
    }

    /// <summary>True when some record may be waiting: a closed segment, or an active one with data.</summary>
    public bool HasPending()
    {
        if (!Enabled || !System.IO.Directory.Exists(Directory))
        {
            return false;
        }

        return System.IO.Directory.EnumerateFiles(Directory, "*" + SegmentSuffix).Any();
    }

    /// <summary>Closes the active segment (new appends start a new one) and lists every closed segment, oldest first.</summary>
    internal IReadOnlyList<string> RollAndListClosed()
    {
        EnsureOpen();
        lock (_gate)
        {
            if (_active is not null)
            {
                _active.Dispose();
                _active = null;
            }

            return System.IO.Directory.EnumerateFiles(Directory, "*" + SegmentSuffix)
                .Order(StringComparer.Ordinal)
                .ToList();
        }
    }

    /// <summary>
    /// Reads a closed segment's records in order. Stops at a torn tail (a length past the end: a crash during an
    /// append whose fsync never finished, so never acknowledged). A record that fails to open (corruption, an
    /// unknown key) is reported through <paramref name="unreadable"/> and skipped.
    /// </summary>
    internal IEnumerable<SpoolRecord> Read(string segment, Action<long, Exception> unreadable)
    {
        using var file = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        var header = new byte[4];
        while (true)
        {
            var offset = file.Position;
            if (file.ReadAtLeast(header, 4, throwOnEndOfStream: false) < 4)
            {
                if (file.Position != offset)
                {
                    LogTornTail(_logger, System.IO.Path.GetFileName(segment), file.Position - offset);
                }

                yield break;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length <= 0 || length > file.Length - file.Position)
            {
                LogTornTail(_logger, System.IO.Path.GetFileName(segment), file.Length - offset);
                yield break;
            }

            var sealedBytes = new byte[length];
            file.ReadExactly(sealedBytes);
            SpoolRecord? record = null;
            try
            {
                record = Open(sealedBytes);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or FormatException or ArgumentException or InvalidDataException)
            {
                unreadable(offset, ex);
            }

            if (record is not null)
            {
                yield return record;
            }
        }
    }

    /// <summary>A segment's whole records (by their length prefixes, nothing opened) less those already replayed.</summary>
    private static long CountPending(string segment)
    {
        using var file = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096);
        var header = new byte[4];
        long count = 0;
        while (file.ReadAtLeast(header, 4, throwOnEndOfStream: false) == 4)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length <= 0 || length > file.Length - file.Position)
            {
                break;
            }

            file.Seek(length, SeekOrigin.Current);
            count++;
        }

        return Math.Max(0, count - DoneCount(segment));
    }

    /// <summary>How many of a segment's records the relay already replayed (0 when it never started on it).</summary>
    internal static int DoneCount(string segment)
    {
        var done = DonePathOf(segment);
        return File.Exists(done) && File.ReadAllText(done) is var text && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    /// <summary>Records progress durably: a crash after this never replays those records again.</summary>
    internal void MarkDone(string segment, int count)
    {
        var done = DonePathOf(segment);
        var temp = done + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes(count.ToString(CultureInfo.InvariantCulture)));
            f.Flush(flushToDisk: true);
        }

        File.Move(temp, done, overwrite: true);
        SyncDirectory();
        if (Interlocked.Decrement(ref _records) < 0)
        {
            Interlocked.Exchange(ref _records, 0);
        }
    }

    /// <summary>The segment is fully replayed: remove it, then its progress file.</summary>
    internal void Complete(string segment)
    {
        var size = new FileInfo(segment).Length;
        File.Delete(segment);
        SyncDirectory();
        File.Delete(DonePathOf(segment));
        Interlocked.Add(ref _bytes, -Math.Min(size, Interlocked.Read(ref _bytes)));
    }

    /// <summary>Keeps a record that can never be written (re-sealed, fsynced) in <c>held/</c> for an operator: a one-record segment.</summary>
    internal void Hold(SpoolRecord record)
    {
        System.IO.Directory.CreateDirectory(HeldDirectory);
        using (var f = new FileStream(System.IO.Path.Combine(HeldDirectory, record.Id + SegmentSuffix), FileMode.Create, FileAccess.Write, FileShare.None))
        {
            WriteFramed(f, Seal(record.Kind, record.Id, record.Payload));
            f.Flush(flushToDisk: true);
        }

        SyncDirectory();
    }

    /// <summary>Moves a segment with unreadable records (and its progress) to <c>held/</c>, intact.</summary>
    internal void HoldSegment(string segment)
    {
        System.IO.Directory.CreateDirectory(HeldDirectory);
        var done = DonePathOf(segment);
        File.Move(segment, System.IO.Path.Combine(HeldDirectory, System.IO.Path.GetFileName(segment)), overwrite: false);
        if (File.Exists(done))
        {
            File.Move(done, System.IO.Path.Combine(HeldDirectory, System.IO.Path.GetFileName(done)), overwrite: true);
        }

        SyncDirectory();
    }

    /// <summary>Records kept for an operator (see <see cref="Hold"/>).</summary>
    public int HeldCount() =>
        System.IO.Directory.Exists(HeldDirectory) ? System.IO.Directory.EnumerateFiles(HeldDirectory, "*" + SegmentSuffix).Count() : 0;

    private string HeldDirectory => System.IO.Path.Combine(Directory, "held");

    private static string DonePathOf(string segment) => segment[..^SegmentSuffix.Length] + DoneSuffix;

    /// <summary>One record on disk: <c>[u32 little-endian length][sealed record]</c>.</summary>
    private static void WriteFramed(FileStream file, byte[] sealedRecord)
    {
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, sealedRecord.Length);
        file.Write(header);
        file.Write(sealedRecord);
    }

    public void Dispose()
    {
        _appends.Writer.TryComplete();
        lock (_gate)
        {
            _active?.Dispose();
            _active = null;
            _lockFile?.Dispose();
            _lockFile = null;
        }
    }

    private void EnsureOpen()
    {
        if (_writer is not null)
        {
            return;
        }

        lock (_gate)
        {
            if (_writer is not null)
            {
                return;
            }

            System.IO.Directory.CreateDirectory(Directory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            try
            {
                _lockFile = new FileStream(System.IO.Path.Combine(Directory, "spool.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                throw new InvalidOperationException($"The spool directory {Directory} is in use by another hub process; give each process its own Hub:Spool:Path.", ex);
            }

            var existing = System.IO.Directory.EnumerateFiles(Directory, "*" + SegmentSuffix).ToList();
            _bytes = existing.Sum(f => new FileInfo(f).Length);
            _records = existing.Sum(CountPending);
            _nextSeq = existing.Select(f => long.TryParse(System.IO.Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).DefaultIfEmpty(0).Max() + 1;
            if (existing.Count > 0)
            {
                LogFound(_logger, existing.Count, _bytes);
            }

            _writer = Task.Run(WriteLoopAsync);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingAppend>();
        while (await _appends.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < 256 && _appends.Reader.TryRead(out var p))
            {
                batch.Add(p);
            }

            try
            {
                lock (_gate)
                {
                    var file = _active ??= CreateSegment();
                    foreach (var p in batch)
                    {
                        WriteFramed(file, p.Record);
                    }

                    // One fsync for everyone waiting: fdatasync-level durability of data and size.
                    file.Flush(flushToDisk: true);
                }

                Interlocked.Add(ref _bytes, batch.Sum(p => p.Record.Length + 4L));
                Interlocked.Add(ref _records, batch.Count);
                foreach (var p in batch)
                {
                    p.Done.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Whatever failed, the waiting requests get an answer (503) and the loop lives on: an escaped
                // exception here would leave every later append waiting forever.
                LogWriteFailed(_logger, ex.GetType().Name);
                lock (_gate)
                {
                    // A failed segment is closed; what it holds up to the failure is still read back later.
                    _active?.Dispose();
                    _active = null;
                }

                var failure = ex as IOException ?? new IOException(ex.Message, ex);
                foreach (var p in batch)
                {
                    p.Done.TrySetException(failure);
                }
            }
        }
    }

    private FileStream CreateSegment()
    {
        var path = System.IO.Path.Combine(Directory, (_nextSeq++).ToString("D20", CultureInfo.InvariantCulture) + SegmentSuffix);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var file = new FileStream(path, options);
        SyncDirectory(); // the new name itself must survive a power loss, not only the bytes
        return file;
    }

    private byte[] Seal(string kind, string id, byte[] payload)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new SpoolRecordJson(kind, id, _time.GetUtcNow(), payload), SpoolJsonContext.Default.SpoolRecordJson);
        return _privacy.Cipher.EncryptBlob(json, Purpose);
    }

    private SpoolRecord Open(byte[] sealedBytes)
    {
        var json = _privacy.Cipher.DecryptBlob(sealedBytes, Purpose);
        var r = System.Text.Json.JsonSerializer.Deserialize(json, SpoolJsonContext.Default.SpoolRecordJson) ?? throw new InvalidDataException("empty spool record");
        return new SpoolRecord(r.Kind, r.Id, r.At, r.Payload);
    }

    private void SyncDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // NTFS journals directory entries; there is no directory fsync
        }

        var fd = NativeMethods.Open(Directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = NativeMethods.Fsync(fd);
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private sealed record PendingAppend(byte[] Record, TaskCompletionSource Done);

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync")]
        internal static partial int Fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close")]
        internal static partial int Close(int fd);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool segment {Segment} ends with a torn record of {Bytes} bytes (an append interrupted before its fsync, never acknowledged); ignored")]
    private static partial void LogTornTail(ILogger logger, string segment, long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "The local spool could not be written ({Cause}); answering 503")]
    private static partial void LogWriteFailed(ILogger logger, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Found {Segments} spool segments ({Bytes} bytes) from before this start; the relay will deliver them")]
    private static partial void LogFound(ILogger logger, int segments, long bytes);
}

internal sealed record SpoolRecordJson(string Kind, string Id, DateTimeOffset At, byte[] Payload);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(SpoolRecordJson))]
internal sealed partial class SpoolJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
