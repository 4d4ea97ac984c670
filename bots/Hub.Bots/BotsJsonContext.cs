using System.Text.Json.Serialization;
using Hub.Bots.Activities;
using Hub.Bots.Dialog;
using Hub.Bots.Messenger;
using Hub.Bots.Zalo;

namespace Hub.Bots;

/// <summary>Source-generated JSON for provider payloads, the bot-turn queue messages and conversation state.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MessengerWebhook))]
[JsonSerializable(typeof(ZaloWebhook))]
[JsonSerializable(typeof(Activity))]
[JsonSerializable(typeof(ConversationState))]
[JsonSerializable(typeof(List<TranscriptLine>))]
public sealed partial class BotsJsonContext : JsonSerializerContext;
