using System.Globalization;
using System.Text;
using Hub.Core.Statistics;
using Hub.OperatorConsole;
using MiniExcelLibs;

namespace Hub.Functions.Statistics;

/// <summary>
/// The statistics' tables as files (docs/statistics.md#exports): CSV (UTF-8 with a byte-order mark, so spreadsheet
/// programs read Vietnamese; each table under its title, a blank line between tables) and XLSX (a sheet of
/// information first — the period, when, the suppression rule, the definitions — then one sheet per table, numbers
/// as numbers). Both are built from <see cref="StatsTables"/>, the tables the page shows; exports are always suppressed.
/// </summary>
public static class StatsExports
{
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static byte[] Csv(IReadOnlyList<StatsTable> tables, string heading)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var b = new StringBuilder();
        Line(b, [heading]);
        foreach (var t in tables)
        {
            b.Append("\r\n");
            Line(b, [t.Title]);
            Line(b, t.Columns);
            foreach (var row in t.Rows)
            {
                Line(b, row.Select(c => c.Number is { } n ? n.ToString(CultureInfo.InvariantCulture) : c.Text));
            }
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(b.ToString())];
    }

    public static byte[] Xlsx(IReadOnlyList<StatsTable> tables, IReadOnlyList<(string Field, string Value)> info)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(info);
        var sheets = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["Thông tin"] = info.Select(x => new Dictionary<string, object?> { ["Mục"] = x.Field, ["Nội dung"] = x.Value }).ToList(),
        };
        foreach (var t in tables)
        {
            var name = SheetName(t.Title, sheets.Keys);
            sheets[name] = t.Rows.Select(row =>
            {
                var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (var i = 0; i < t.Columns.Count; i++)
                {
                    var c = i < row.Count ? row[i] : new StatsCell(string.Empty);
                    d[t.Columns[i]] = c.Number is { } n ? n : c.Text;
                }

                return d;
            }).ToList();
        }

        using var stream = new MemoryStream();
        stream.SaveAs(sheets);
        return stream.ToArray();
    }

    /// <summary>A sheet's name: at most 31 characters, none of <c>: \ / ? * [ ]</c>, unique in the book.</summary>
    public static string SheetName(string title, IEnumerable<string> taken)
    {
        ArgumentNullException.ThrowIfNull(title);
        var clean = new string([.. title.Where(ch => ch is not (':' or '\\' or '/' or '?' or '*' or '[' or ']'))]);
        var cut = clean.IndexOf(" (", StringComparison.Ordinal) is var p and > 0 ? clean[..p] : clean;
        var name = cut.Length > 31 ? cut[..31].TrimEnd() : cut;
        var used = taken.ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var k = 2; used.Contains(name); k++)
        {
            var suffix = " " + k.ToString(CultureInfo.InvariantCulture);
            name = (cut.Length > 31 - suffix.Length ? cut[..(31 - suffix.Length)].TrimEnd() : cut) + suffix;
        }

        return name;
    }

    private static void Line(StringBuilder b, IEnumerable<string> cells)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                b.Append(',');
            }

            first = false;
            // quote what needs it; a leading = + - @ is prefixed so no spreadsheet runs it as a formula
            var v = cell is { Length: > 0 } && "=+-@".Contains(cell[0], StringComparison.Ordinal) && !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? "'" + cell : cell;
            b.Append(v.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v);
        }

        b.Append("\r\n");
    }
}
