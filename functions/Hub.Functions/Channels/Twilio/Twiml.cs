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
