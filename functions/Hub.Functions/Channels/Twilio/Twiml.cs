using System.Text;
using System.Xml;

namespace Hub.Functions.Channels.Twilio;

/// <summary>
/// TwiML responses written with <see cref="XmlWriter"/>, so reporter-influenced text is always escaped.
/// [twilio.com/docs/messaging/twiml]
/// </summary>
public static class Twiml
{
    public const string ContentType = "text/xml; charset=utf-8";

    public static string Empty() => Write(_ => { });

    public static string Message(string text) => Write(w => w.WriteElementString("Message", text));

    public static IResult Result(string twiml) => Results.Text(twiml, ContentType, Encoding.UTF8);

    /// <summary>A voice response (twilio.com/docs/voice/twiml): verbs added in order by <paramref name="build"/>.</summary>
    public static string Voice(Action<VoiceTwiml> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return Write(w => build(new VoiceTwiml(w)));
    }

    private static string Write(Action<XmlWriter> body)
    {
        var sb = new StringBuilder(256);
        using (var sw = new Utf8StringWriter(sb))
        using (var w = XmlWriter.Create(sw, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
        {
            w.WriteStartDocument();
            w.WriteStartElement("Response");
            body(w);
            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return sb.ToString();
    }

    private sealed class Utf8StringWriter(StringBuilder sb) : StringWriter(sb, System.Globalization.CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}

/// <summary>The voice verbs the 111 line uses, each attribute written by XmlWriter (escaped), never concatenated.</summary>
public sealed class VoiceTwiml(XmlWriter w)
{
    public VoiceTwiml Say(string text, string voice, string language)
    {
        w.WriteStartElement("Say");
        w.WriteAttributeString("voice", voice);
        w.WriteAttributeString("language", language);
        w.WriteString(text);
        w.WriteEndElement();
        return this;
    }

    /// <summary><c>&lt;Gather input="dtmf"&gt;</c> with its prompt nested inside; <c>action</c> always set (or the call loops).</summary>
    public VoiceTwiml Gather(string action, int numDigits, int timeoutSeconds, Action<VoiceTwiml> prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        w.WriteStartElement("Gather");
        w.WriteAttributeString("input", "dtmf");
        w.WriteAttributeString("action", action);
        w.WriteAttributeString("method", "POST");
        w.WriteAttributeString("numDigits", numDigits.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteAttributeString("timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        prompt(this);
        w.WriteEndElement();
        return this;
    }

    public VoiceTwiml Enqueue(string queue, string waitUrl, string action)
    {
        w.WriteStartElement("Enqueue");
        w.WriteAttributeString("waitUrl", waitUrl);
        w.WriteAttributeString("waitUrlMethod", "POST");
        w.WriteAttributeString("action", action);
        w.WriteAttributeString("method", "POST");
        w.WriteString(queue);
        w.WriteEndElement();
        return this;
    }

    public VoiceTwiml Record(string action, int maxLengthSeconds, string recordingStatusCallback)
    {
        w.WriteStartElement("Record");
        w.WriteAttributeString("action", action);
        w.WriteAttributeString("method", "POST");
        w.WriteAttributeString("maxLength", maxLengthSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteAttributeString("finishOnKey", "#");
        w.WriteAttributeString("playBeep", "true");
        w.WriteAttributeString("recordingStatusCallback", recordingStatusCallback);
        w.WriteAttributeString("recordingStatusCallbackMethod", "POST");
        w.WriteEndElement();
        return this;
    }

    public VoiceTwiml Pause(int seconds)
    {
        w.WriteStartElement("Pause");
        w.WriteAttributeString("length", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndElement();
        return this;
    }

    public VoiceTwiml Redirect(string url)
    {
        w.WriteStartElement("Redirect");
        w.WriteAttributeString("method", "POST");
        w.WriteString(url);
        w.WriteEndElement();
        return this;
    }

    public VoiceTwiml Leave()
    {
        w.WriteElementString("Leave", null);
        return this;
    }

    public VoiceTwiml Hangup()
    {
        w.WriteElementString("Hangup", null);
        return this;
    }
}
