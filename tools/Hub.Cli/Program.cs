using Hub.Cli;
using Hub.Functions.Admin;
using Hub.Functions.Channels.Messenger;
using Hub.Functions.Channels.Zalo;
using Hub.Functions.Hosting;
using Hub.Functions.Storage;

// `run.sh demo …`: the demos need simulators, which the deployable does not carry. Anything else is an operator
// command and goes to the app's own admin commands, so this tool answers every command the README lists.
if (args is not ["demo", ..])
{
    return AdminCommands.IsCommand(args) ? await AdminCommands.RunAsync(args) : Usage();
}

return await RunDemoAsync(args);

static async Task<int> RunDemoAsync(string[] args)
{
    // The hub's own services and configuration: a demo finds the running hub's channels, secrets and URL.
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
    builder.Services.AddHubServices(builder.Environment);
    await using var app = builder.Build(); // built, never run: no web host and no background work here
    var services = app.Services;
    var output = Console.Out;
    try
    {
        return args.ElementAtOrDefault(1) switch
        {
            "sms" => await Demos.DemoSmsAsync(services, string.Join(' ', args[2..]), output),
            "gateway" => await Demos.DemoGatewayAsync(services, string.Join(' ', args[2..]), output),
            "messenger" when args.ElementAtOrDefault(2) == "handoff" => await ChatDemo.HandoffAsync(services, MessengerDescriptor.TypeName, output, Console.In),
            "zalo" when args.ElementAtOrDefault(2) == "handoff" => await ChatDemo.HandoffAsync(services, ZaloDescriptor.TypeName, output, Console.In),
            "messenger" => await ChatDemo.RunAsync(services, MessengerDescriptor.TypeName, output),
            "zalo" => await ChatDemo.RunAsync(services, ZaloDescriptor.TypeName, output),
            "voice" => await VoiceDemo.RunAsync(services, output),
            "platform" => await Demos.DemoPlatformAsync(services, output),
            "web" => await WebDemo.RunAsync(services, output),
            "referral" => await ReferralDemo.RunAsync(services, output),
            _ => Usage(),
        };
    }
    catch (Exception ex) when (HubStorage.IsUnavailable(ex))
    {
        await Console.Error.WriteLineAsync($"Storage is unreachable ({ex.GetType().Name}). Is the hub (or Azurite) running?");
        return 3;
    }
}

static int Usage()
{
    Console.Out.WriteLine("""
        usage (the hub running, ./scripts/run.sh, in another terminal):
          demo sms [TEXT]                 sign and post a sample Twilio SMS to the running hub, then show its case
          demo gateway [TEXT]             the same through the Vietnamese SMS-gateway contract
          demo messenger | demo zalo      play a child's chatbot conversation against the running hub (simulated provider), then show its case
          demo messenger handoff          a child asks for a person: answer in the console (/console, demo.central); the
                                          counsellor's replies print here as Messenger receives them, lines typed here are the child's
          demo voice                      replay a whole 111 call (menu, hold, hang-up in the queue), then show its one case: a missed call
          demo platform                   act as a platform: send a signed report, request a takedown, confirm it, show time-to-removal
          demo web                        send the public web form (/bao-cao) as a browser would, with a screenshot; show the receipt, the status and the case
          demo referral                   a Đà Nẵng sextortion report referred to the police and A05: A05's simulated system verifies the signed
                                          webhook and acknowledges, the police liaison accepts and records the outcome; shows the timeline
        operator commands (poison, reports, conversations, platform) are the app's own: ./scripts/run.sh COMMAND
        """);
    return 2;
}
