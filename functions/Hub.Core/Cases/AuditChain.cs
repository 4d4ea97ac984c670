using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hub.Core.Cases;

/// <summary>One audit row's content, in the order it is hashed.</summary>
public sealed record AuditEntry(
    long Id,
    DateTimeOffset At,
    long? UserId,
    string Action,
    string? CaseId,
    IReadOnlyList<string> Fields,
    string? Source);

/// <summary>
/// The audit trail's hash chain: each row stores SHA-256(previous row's hash ‖ its own canonical content), so
/// removing, altering or reordering any row breaks every hash after it. The first row chains from 32 zero bytes.
/// </summary>
public static class AuditChain
{
    public static ReadOnlyMemory<byte> Genesis { get; } = new byte[32];

    /// <summary>Timestamps are hashed at PostgreSQL's precision (microseconds), so what is stored hashes the same when read.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);

    public static string Canonical(AuditEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var sb = new StringBuilder();
        sb.Append(e.Id.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Truncate(e.At).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).Append('\n')
            .Append(e.UserId?.ToString(CultureInfo.InvariantCulture) ?? "-").Append('\n')
            .Append(Escape(e.Action)).Append('\n')
            .Append(Escape(e.CaseId ?? "-")).Append('\n')
            .Append(string.Join(',', e.Fields.Select(Escape))).Append('\n')
            .Append(Escape(e.Source ?? "-"));
        return sb.ToString();
    }

    public static byte[] Hash(ReadOnlySpan<byte> previous, AuditEntry e)
    {
        var content = Encoding.UTF8.GetBytes(Canonical(e));
        var buffer = new byte[previous.Length + content.Length];
        previous.CopyTo(buffer);
        content.CopyTo(buffer.AsSpan(previous.Length));
        return SHA256.HashData(buffer);
    }

    // A separator inside a value cannot forge a different split of the fields.
    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal);
}
