using Hub.Core.Envelope;

namespace Hub.Functions.Channels;

/// <summary>
/// The Vietnamese acknowledgement an SMS reporter receives. Each default fits one UCS-2 segment
/// (70 UTF-16 units with the code filled in), checked by a test; instance overrides are checked at start-up.
/// </summary>
public static class SmsReplies
{
    public const string DefaultReply = "Cảm ơn bạn đã báo. Mã báo cáo: {code}. Khẩn cấp gọi 111.";
    public const string DefaultUrgentReply = "Nếu đang gặp nguy hiểm, gọi ngay 111 hoặc 113. Mã: {code}";

    public static string For(ChannelOptions options, string referenceCode, string urgency)
    {
        ArgumentNullException.ThrowIfNull(options);
        var template = urgency == Urgencies.Immediate
            ? options.UrgentReplyText ?? DefaultUrgentReply
            : options.ReplyText ?? DefaultReply;
        return template.Replace("{code}", referenceCode, StringComparison.Ordinal);
    }
}
