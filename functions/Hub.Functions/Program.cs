using Hub.Functions.Admin;
using Hub.Functions.Hosting;

if (AdminCommands.IsCommand(args))
{
    return await AdminCommands.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddHub();

var app = builder.Build();
app.MapHub();
await app.RunAsync();
return 0;

/// <summary>Visible to the tests, which host the app in-process.</summary>
public partial class Program;
