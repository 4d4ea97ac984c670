namespace Hub.Functions.Platform;

/// <summary>What a platform's confirmation of a takedown did.</summary>
public enum ConfirmOutcome
{
    Confirmed,
    AlreadyConfirmed,
    Conflict,
    NotFound,
}
