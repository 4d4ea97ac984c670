using Hub.Core.Statistics;

namespace Hub.Core.Tests.Statistics;

/// <summary>
/// Small-number suppression: a hidden count can never be recovered from the published totals. The property test solves
/// each line for its hidden cells the way a reader would (total minus the shown cells) and requires that no line
/// leaves exactly one unknown.
/// </summary>
public sealed class SmallNumbersTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(4, false)]
    [InlineData(5, true)]
    [InlineData(1200, true)]
    public void OneCount_IsShownWhenZeroOrFiveAndAbove(long count, bool shown) => SmallNumbers.Shown(count).ShouldBe(shown);

    [Fact]
    public void AList_WithOneSmallCell_HidesTheNextSmallestToo()
    {
        var mask = SmallNumbers.Mask([120, 3, 40, 0, 9]);
        mask.ShouldBe([false, true, false, false, true], "3 is hidden; 9 (the smallest nonzero other) hides with it, so 3 is not 172 − 169");
        Enumerable.Range(0, 5).Select(i => SmallNumbers.Show(new long[] { 120, 3, 40, 0, 9 }[i], mask[i])).ShouldBe(["120", "<5", "40", "0", "<5"]);
    }

    [Fact]
    public void AList_WithTwoSmallCells_HidesNothingMore()
    {
        SmallNumbers.Mask([120, 3, 40, 2, 9]).ShouldBe([false, true, false, true, false]);
        SmallNumbers.Mask([120, 40, 9]).ShouldBe([false, false, false]);
    }

    [Fact]
    public void ATable_HidesUntilNoRowOrColumnHasASingleHiddenCell()
    {
        long[,] cells =
        {
            { 50, 2, 30 },
            { 20, 40, 60 },
            { 7, 80, 10 },
        };
        var mask = SmallNumbers.Mask(cells);
        AssertUnrecoverable(cells, mask);
        mask[0, 1].ShouldBeTrue();
        (mask[0, 0] || mask[0, 2]).ShouldBeTrue("its row hides another cell");
        (mask[1, 1] || mask[2, 1]).ShouldBeTrue("its column hides another cell");
    }

    [Fact]
    public void RandomTables_NeverLeaveAHiddenCellRecoverable()
    {
        var random = new Random(830);
        for (var t = 0; t < 2_000; t++)
        {
            var rows = random.Next(1, 8);
            var columns = random.Next(1, 8);
            var cells = new long[rows, columns];
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    cells[r, c] = random.Next(4) switch { 0 => 0, 1 => random.Next(1, 5), _ => random.Next(5, 300) };
                }
            }

            var mask = SmallNumbers.Mask(cells);
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    if (cells[r, c] is > 0 and < SmallNumbers.Threshold)
                    {
                        mask[r, c].ShouldBeTrue("every count of 1 to 4 is hidden");
                    }
                }
            }

            AssertUnrecoverable(cells, mask);
        }
    }

    /// <summary>With every row and column total published, no line may have exactly one hidden cell (unless the whole line is that cell, whose total is then hidden too).</summary>
    private static void AssertUnrecoverable(long[,] cells, bool[,] mask)
    {
        var rows = cells.GetLength(0);
        var columns = cells.GetLength(1);
        for (var r = 0; r < rows; r++)
        {
            var hidden = Enumerable.Range(0, columns).Count(c => mask[r, c]);
            (hidden != 1 || columns == 1).ShouldBeTrue($"row {r} has one hidden cell its total would give away");
        }

        for (var c = 0; c < columns; c++)
        {
            var hidden = Enumerable.Range(0, rows).Count(r => mask[r, c]);
            (hidden != 1 || rows == 1).ShouldBeTrue($"column {c} has one hidden cell its total would give away");
        }
    }
}
