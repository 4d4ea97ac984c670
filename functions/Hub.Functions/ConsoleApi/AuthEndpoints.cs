using System.Text.Encodings.Web;
using System.Text.Unicode;
using Hub.Functions.Cases;
using Hub.Functions.Hosting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Hub.Functions.ConsoleApi;

/// <summary>
/// The sign-in pages under <c>/auth</c>: in Vietnamese, no script, styles from the hub itself. Form posts carry
/// an antiforgery token; sign-out is a POST so no link or image elsewhere can end a session.
/// </summary>
public static class AuthEndpoints
{
    public const string FunctionName = "SignIn";

    public static IEndpointRouteBuilder MapSignIn(this IEndpointRouteBuilder app)
    {
        // On Azure one function carries every sign-in path, the provider's callback included (FunctionApp/SignIn: auth/{*path}).
        var auth = app.MapGroup("/auth").ExcludeFromDescription().RequireConsoleAccess().WithMetadata(new FunctionMetadata(FunctionName));
        auth.MapGet("/login", Login).WithName("auth.login");
        auth.MapPost("/logout", (Func<HttpContext, Task<IResult>>)LogoutAsync).WithName("auth.logout").DisableAntiforgery();
        auth.MapGet("/signed-out", () => Page("Đã đăng xuất", "<p>Bạn đã đăng xuất khỏi hệ thống tiếp nhận 111.</p><p><a href=\"/auth/login\">Đăng nhập lại</a></p>")).WithName("auth.signed-out");
        auth.MapGet("/error", () => Page("Không đăng nhập được", "<p>Đăng nhập không thành công hoặc đã hết hạn. Vui lòng thử lại.</p><p><a href=\"/auth/login\">Đăng nhập lại</a></p>", StatusCodes.Status400BadRequest)).WithName("auth.error");
        auth.MapGet("/no-access", NoAccess).WithName("auth.no-access");
        auth.MapGet("/dev", DevAsync).WithName("auth.dev");
        auth.MapPost("/dev", DevSignInAsync).WithName("auth.dev.sign-in").DisableAntiforgery();
        auth.MapGet("/hub.css", () => Results.Text(Css, "text/css; charset=utf-8")).WithName("auth.css");
        return app;
    }

    /// <summary>Starts sign-in with the provider; <c>login_hint</c> (an e-mail or user name) is passed on, as Entra ID and most providers accept it.</summary>
    private static IResult Login(HttpContext context, IOptions<AuthOptions> options, IHostEnvironment environment, string? returnUrl, [FromQuery(Name = "login_hint")] string? loginHint)
    {
        var target = SignIn.LocalReturnUrl(returnUrl);
        if (options.Value.OidcConfigured)
        {
            var properties = new AuthenticationProperties { RedirectUri = target };
            if (loginHint is { Length: > 0 and <= 256 })
            {
                properties.Items[SignIn.LoginHintItem] = loginHint;
            }

            return Results.Challenge(properties, [SignIn.OidcScheme]);
        }

        return environment.IsDevelopment()
            ? Results.Redirect("/auth/dev?returnUrl=" + Uri.EscapeDataString(target))
            : Page("Chưa cấu hình đăng nhập", "<p>Máy chủ này chưa được cấu hình nhà cung cấp đăng nhập (Hub:Auth:Authority). Vui lòng liên hệ quản trị viên.</p>", StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> LogoutAsync(HttpContext context)
    {
        if (!await SignIn.ValidAntiforgeryAsync(context))
        {
            return Page("Yêu cầu không hợp lệ", "<p>Phiên biểu mẫu đã hết hạn. Vui lòng tải lại trang và thử lại.</p>", StatusCodes.Status400BadRequest);
        }

        await context.SignOutAsync(SignIn.CookieScheme);
        return Results.Redirect("/auth/signed-out");
    }

    private static IResult NoAccess(HttpContext context, IAntiforgery antiforgery)
    {
        var name = context.User.FindFirst(SignIn.NameClaim)?.Value;
        var issuer = context.User.FindFirst(SignIn.SessionIssuerClaim)?.Value;
        var subject = context.User.FindFirst(SignIn.SubjectClaim)?.Value;
        if (SignIn.ActorOf(context) is { } actor)
        {
            return Page("Đã đăng nhập", $"<p>Bạn đã đăng nhập là <strong>{E(actor.Login)}</strong>. <a href=\"/console\">Vào bàn làm việc</a></p>" + LogoutForm(context, antiforgery));
        }

        var who = issuer is null
            ? "<p>Bạn chưa đăng nhập. <a href=\"/auth/login\">Đăng nhập</a></p>"
            : $"<p>Tài khoản <strong>{E(name ?? subject!)}</strong> đã được nhà cung cấp xác thực nhưng chưa được cấp quyền trong hệ thống.</p>" +
              "<p>Hãy gửi cho quản trị viên hai giá trị dưới đây để được thêm vào đúng nhóm và vai trò:</p>" +
              $"<dl><dt>Issuer</dt><dd><code>{E(issuer)}</code></dd><dt>Subject</dt><dd><code>{E(subject!)}</code></dd></dl>" + LogoutForm(context, antiforgery);
        return Page("Chưa có quyền truy cập", who, issuer is null ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden);
    }

    private static async Task<IResult> DevAsync(HttpContext context, IHostEnvironment environment, People people, IAntiforgery antiforgery, string? returnUrl)
    {
        if (!environment.IsDevelopment())
        {
            return Results.NotFound();
        }

        var tokens = antiforgery.GetAndStoreTokens(context);
        var target = SignIn.LocalReturnUrl(returnUrl);
        var rows = new System.Text.StringBuilder();
        foreach (var u in (await people.ListUsersAsync(context.RequestAborted)).Where(u => u.Issuer == SignIn.DevIssuer && u.Active))
        {
            rows.Append("<li><form method=\"post\" action=\"/auth/dev\">")
                .Append("<input type=\"hidden\" name=\"").Append(E(tokens.FormFieldName)).Append("\" value=\"").Append(E(tokens.RequestToken!)).Append("\">")
                .Append("<input type=\"hidden\" name=\"login\" value=\"").Append(E(u.Login)).Append("\"><input type=\"hidden\" name=\"returnUrl\" value=\"").Append(E(target)).Append("\">")
                .Append("<button type=\"submit\">").Append(E(u.DisplayName)).Append("</button> <span>").Append(E(string.Join(", ", u.Roles))).Append(" · ").Append(E(string.Join(", ", u.Teams))).Append("</span></form></li>");
        }

        return Page("Đăng nhập thử (môi trường phát triển)", "<p>Chỉ có ở môi trường phát triển: chọn một người dùng mẫu để đăng nhập.</p><ul class=\"users\">" + rows + "</ul>");
    }

    private static async Task<IResult> DevSignInAsync(HttpContext context, IHostEnvironment environment, People people, TimeProvider time)
    {
        if (!environment.IsDevelopment())
        {
            return Results.NotFound();
        }

        if (!context.Request.HasFormContentType || !await SignIn.ValidAntiforgeryAsync(context))
        {
            return Page("Yêu cầu không hợp lệ", "<p>Phiên biểu mẫu đã hết hạn. Vui lòng tải lại trang và thử lại.</p>", StatusCodes.Status400BadRequest);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var user = await people.FindUserAsync(form["login"].ToString(), context.RequestAborted);
        if (user is not { Active: true, Issuer: SignIn.DevIssuer, Subject: not null })
        {
            return Page("Không có người dùng này", "<p>Không có người dùng mẫu này. <a href=\"/auth/dev\">Quay lại</a></p>", StatusCodes.Status400BadRequest);
        }

        await context.SignInAsync(SignIn.CookieScheme, SignIn.Session(SignIn.DevIssuer, user.Subject, user.DisplayName, user.Id, time.GetUtcNow()));
        return Results.Redirect(SignIn.LocalReturnUrl(form["returnUrl"]));
    }

    internal static string LogoutForm(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return $"<form method=\"post\" action=\"/auth/logout\"><input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken!)}\"><button type=\"submit\">Đăng xuất</button></form>";
    }

    private static IResult Page(string title, string body, int status = StatusCodes.Status200OK) => Results.Content(
        $"<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{E(title)} · Tổng đài 111</title><link rel=\"stylesheet\" href=\"/auth/hub.css\"></head>" +
        $"<body><main><h1>{E(title)}</h1>{body}</main></body></html>",
        "text/html; charset=utf-8",
        null,
        status);

    // Vietnamese stays readable in the page source; only HTML's own special characters are encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private static string E(string value) => Encoder.Encode(value);

    private const string Css =
        "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f6f7f9}main{max-width:40rem;margin:2rem auto;padding:1rem 1.5rem;background:#fff;border-radius:8px}" +
        "h1{font-size:1.4rem}button{font:inherit;padding:.5rem 1rem;border:1px solid #0b5cad;background:#0b5cad;color:#fff;border-radius:6px;cursor:pointer}" +
        "button:focus-visible,a:focus-visible{outline:3px solid #f5a623;outline-offset:2px}a{color:#0b5cad}ul.users{list-style:none;padding:0}ul.users li{margin:.5rem 0}" +
        "ul.users span{color:#444}code{word-break:break-all}dt{font-weight:600}";
}
