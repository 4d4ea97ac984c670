using Hub.Bots.Activities;

namespace Hub.Bots.Tests.Dialog;

public class ConversationTests
{
    [Fact]
    public void IdFor_ZaloExample_MatchesReferenceShape() =>
        Conversations.IdFor("zalo", "388613280878808645", "246845883529197922").ShouldBe("zalo:388613280878808645:246845883529197922");

    [Fact]
    public void IdFor_PartsWithColons_DoNotCollide() =>
        Conversations.IdFor("zalo", "a:b", "c").ShouldNotBe(Conversations.IdFor("zalo", "a", "b:c"));

    [Theory]
    [InlineData("", "a", "b")]
    [InlineData("zalo", "", "b")]
    [InlineData("zalo", "a", "")]
    public void IdFor_EmptyPart_Refused(string channel, string account, string user) =>
        Should.Throw<ArgumentException>(() => Conversations.IdFor(channel, account, user));
}
