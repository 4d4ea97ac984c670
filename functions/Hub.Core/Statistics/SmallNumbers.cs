namespace Hub.Core.Statistics;

/// <summary>
/// Small-number suppression for statistics that must not identify a child (issue 19; docs/statistics.md#suppression):
/// a count of 1 to 4 is shown as "&lt;5" (primary suppression), and wherever a row or a column shows its total, a
/// line with exactly one hidden cell hides one more — its smallest other cell — so the hidden one cannot be got back by
/// subtracting the others from the total (complementary suppression). Repeated until no line of the table has exactly
/// one hidden cell. Zero is shown: it tells nothing about a person. Pure: counts in, a mask out.
/// </summary>
public static class SmallNumbers
{
    /// <summary>Counts below this (and above zero) are hidden.</summary>
    public const int Threshold = 5;

    public const string Hidden = "<5";

    /// <summary>Whether a single count is shown as it is (0, or 5 and above).</summary>
    public static bool Shown(long count) => count is 0 or >= Threshold;

    /// <summary>
    /// Which cells of <paramref name="cells"/> (rows × columns) to hide, given that each row's total and each column's
    /// total is published beside it. A total that is itself 1 to 4 is hidden too (the caller shows <see cref="Hidden"/>).
    /// </summary>
    public static bool[,] Mask(long[,] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var rows = cells.GetLength(0);
        var columns = cells.GetLength(1);
        var hidden = new bool[rows, columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                hidden[r, c] = !Shown(cells[r, c]);
            }
        }

        bool changed;
        do
        {
            changed = false;
            for (var r = 0; r < rows; r++)
            {
                changed |= Complement(cells, hidden, columns, c => (r, c));
            }

            for (var c = 0; c < columns; c++)
            {
                changed |= Complement(cells, hidden, rows, r => (r, c));
            }
        }
        while (changed);

        return hidden;
    }

    /// <summary>One list of counts with its total published: the cells to hide.</summary>
    public static bool[] Mask(IReadOnlyList<long> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var table = new long[1, cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            table[0, i] = cells[i];
        }

        var mask = Mask(table);
        return [.. Enumerable.Range(0, cells.Count).Select(i => mask[0, i])];
    }

    /// <summary>A count as an export or an analyst's view shows it.</summary>
    public static string Show(long count, bool hidden) => hidden ? Hidden : count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>If the line has exactly one hidden cell, hides its smallest other cell (a nonzero one first: hiding a 0 protects little).</summary>
    private static bool Complement(long[,] cells, bool[,] hidden, int length, Func<int, (int R, int C)> at)
    {
        var count = 0;
        for (var i = 0; i < length; i++)
        {
            var (r, c) = at(i);
            count += hidden[r, c] ? 1 : 0;
        }

        if (count != 1)
        {
            return false;
        }

        (int R, int C)? best = null;
        for (var i = 0; i < length; i++)
        {
            var (r, c) = at(i);
            if (hidden[r, c])
            {
                continue;
            }

            if (best is not { } b || Better(cells[r, c], cells[b.R, b.C]))
            {
                best = (r, c);
            }
        }

        if (best is not { } pick)
        {
            return false; // a line of one cell: its total is the cell, and is hidden with it
        }

        hidden[pick.R, pick.C] = true;
        return true;
    }

    private static bool Better(long candidate, long current) =>
        (candidate > 0, current > 0) switch
        {
            (true, false) => true,
            (false, true) => false,
            _ => candidate < current,
        };
}
