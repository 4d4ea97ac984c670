namespace Hub.WebForm;

/// <summary>What the form accepts, stated once (the page says it, the parser enforces it).</summary>
public static class Limits
{
    public const int MaxFiles = 5;
    public const int MaxTotalMegabytes = 10;
    public const long MaxTotalBytes = MaxTotalMegabytes * 1024L * 1024L;

    /// <summary>A whole request: the files' 10 MB, the text fields, multipart's own framing.</summary>
    public const long MaxRequestBytes = MaxTotalBytes + (512 * 1024);
}
