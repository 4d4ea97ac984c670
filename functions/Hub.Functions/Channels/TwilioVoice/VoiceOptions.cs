using System.Globalization;

namespace Hub.Functions.Channels.TwilioVoice;

/// <summary>
/// <c>Hub:Channels:{instance}:Voice:*</c>: everything a 111 line says and how long it waits, with Vietnamese
/// defaults. Voices are Google vi-VN voices (the only Vietnamese ones Twilio offers, docs/protocols/twilio.md#voice).
/// </summary>
public sealed class VoiceOptions
{
    public string SayVoice { get; set; } = "Google.vi-VN-Wavenet-A";

    public string Language { get; set; } = "vi-VN";

    /// <summary>The counsellors' queue; operators take calls with <c>&lt;Dial&gt;&lt;Queue&gt;</c>.</summary>
    public string Queue { get; set; } = "tu-van";

    /// <summary>Callers who pressed the danger key wait here; operators' consoles dequeue it first.</summary>
    public string UrgentQueue { get; set; } = "tu-van-khan-cap";

    /// <summary>After this long on hold the caller is offered a voice message instead.</summary>
    public int MaxQueueWaitSeconds { get; set; } = 180;

    public int MaxRecordingSeconds { get; set; } = 300;

    /// <summary>Opening hours in <see cref="TimeZone"/>, "HH:mm"; 111 answers around the clock by default.</summary>
    public string OpenFrom { get; set; } = "00:00";

    public string OpenUntil { get; set; } = "24:00";

    public string TimeZone { get; set; } = "Asia/Ho_Chi_Minh";

    /// <summary>Delete the recording at Twilio once our copy is stored and its hash checked.</summary>
    public bool DeleteRecordingAfterCopy { get; set; }

    public string TwilioApiBaseUrl { get; set; } = "https://api.twilio.com";

    public string Greeting { get; set; } = "Tổng đài quốc gia bảo vệ trẻ em 111 xin chào. Cuộc gọi của bạn được giữ bí mật.";

    public string Menu { get; set; } = "Nếu bạn hoặc ai đó đang gặp nguy hiểm ngay lúc này, bấm phím 9. Để nói chuyện với tư vấn viên, bấm phím 1. Để để lại lời nhắn, bấm phím 2.";

    public string NotUnderstood { get; set; } = "Xin lỗi, chúng tôi chưa nhận được lựa chọn của bạn.";

    public string Connecting { get; set; } = "Đang chuyển bạn tới tư vấn viên. Xin bạn giữ máy.";

    public string Danger { get; set; } = "Bạn sẽ được nối máy ưu tiên. Nếu có người đang làm hại bạn, hãy gọi 113.";

    public string Hold { get; set; } = "Tư vấn viên sẽ nghe máy ngay khi có thể. Xin bạn giữ máy.";

    public string RecordPrompt { get; set; } = "Sau tiếng bíp, bạn hãy kể điều đã xảy ra. Nói xong, bấm phím thăng.";

    public string Voicemail { get; set; } = "Hiện chưa có tư vấn viên rảnh. Sau tiếng bíp, bạn hãy để lại lời nhắn, chúng tôi sẽ gọi lại cho bạn.";

    public string AfterHours { get; set; } = "Hiện đang ngoài giờ làm việc. Sau tiếng bíp, bạn hãy để lại lời nhắn, chúng tôi sẽ gọi lại. Nếu đang nguy hiểm, hãy gọi 113.";

    public string Thanks { get; set; } = "Cảm ơn bạn. Chúng tôi đã nhận được lời nhắn. Tạm biệt.";

    public IEnumerable<string> Validate(string at)
    {
        if (ParseTime(OpenFrom) is null || ParseTime(OpenUntil) is null)
        {
            yield return $"{at}: OpenFrom/OpenUntil must be HH:mm (00:00 to 24:00).";
        }

        if (MaxQueueWaitSeconds is < 10 or > 3600 || MaxRecordingSeconds is < 10 or > 3600)
        {
            yield return $"{at}: MaxQueueWaitSeconds and MaxRecordingSeconds must be between 10 and 3600.";
        }

        if (Queue.Length is 0 or > 64 || UrgentQueue.Length is 0 or > 64)
        {
            yield return $"{at}: queue names are 1 to 64 characters (Twilio's limit).";
        }
    }

    /// <summary>Whether the line is open at <paramref name="utc"/> (Vietnam has no daylight saving).</summary>
    public bool IsOpen(DateTimeOffset utc)
    {
        var local = TimeZoneInfo.ConvertTime(utc, Zone()).TimeOfDay;
        var from = ParseTime(OpenFrom) ?? TimeSpan.Zero;
        var until = ParseTime(OpenUntil) ?? TimeSpan.FromHours(24);
        return from <= until ? local >= from && local < until : local >= from || local < until; // overnight hours wrap
    }

    private TimeZoneInfo Zone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.CreateCustomTimeZone("ICT", TimeSpan.FromHours(7), "ICT", "ICT"); // no tzdata: UTC+7
        }
    }

    private static TimeSpan? ParseTime(string value) =>
        value == "24:00" ? TimeSpan.FromHours(24)
        : TimeSpan.TryParseExact(value, @"hh\:mm", CultureInfo.InvariantCulture, out var t) ? t : null;
}
