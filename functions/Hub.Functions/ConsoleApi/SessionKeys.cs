using System.Xml.Linq;
using Azure;
using Azure.Storage.Blobs.Models;
using Hub.Functions.Privacy;
using Hub.Functions.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;

namespace Hub.Functions.ConsoleApi;

/// <summary>
/// The keys that protect session cookies and antiforgery tokens. On Azure every instance of the Function App
/// must read every other's cookies, so outside Development the key ring lives in the <c>keys</c> blob container
/// (one blob per key, never overwritten), each key encrypted at rest with the hub's active contact key
/// (AES-GCM, from Key Vault) — so a reader of the storage account alone cannot forge a session. Development keeps
/// ASP.NET Core's default (a folder in the user's profile).
/// </summary>
public static class SessionKeys
{
    public const string Container = "keys";
    private const string Prefix = "dataprotection/";
    internal const string Purpose = "session-keys";

    public static IServiceCollection AddSessionKeys(this IServiceCollection services, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        services.AddStorageResource(StorageResourceKind.Container, Container);
        services.AddDataProtection().SetApplicationName("vn-child-online-hub");
        if (!environment.IsDevelopment())
        {
            services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            {
                o.XmlRepository = new BlobXmlRepository(sp.GetRequiredService<HubStorage>());
                o.XmlEncryptor = new CipherXmlEncryptor(sp.GetRequiredService<PrivacyServices>());
            }));
        }

        return services;
    }

    /// <summary>Each key one blob; a key is written once and never replaced (a new key is a new blob).</summary>
    private sealed class BlobXmlRepository(HubStorage storage) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements()
        {
            var container = storage.Container(Container);
            container.CreateIfNotExists();
            var list = new List<XElement>();
            foreach (var item in container.GetBlobs(BlobTraits.None, BlobStates.None, Prefix, CancellationToken.None))
            {
                var content = container.GetBlobClient(item.Name).DownloadContent().Value.Content.ToString();
                list.Add(XElement.Parse(content));
            }

            return list;
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            var container = storage.Container(Container);
            container.CreateIfNotExists();
            var name = Prefix + string.Concat(friendlyName.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-')) + ".xml";
            try
            {
                container.GetBlobClient(name).Upload(BinaryData.FromString(element.ToString(SaveOptions.DisableFormatting)), overwrite: false);
            }
            catch (RequestFailedException ex) when (ex.Status == StatusCodes.Status409Conflict)
            {
                // Another instance stored a key of that name first: keys are unique per id, keep the first.
            }
        }
    }

    /// <summary>Encrypts a key's XML with the hub's active contact key (the key id travels beside it, so rotation keeps old keys readable).</summary>
    private sealed class CipherXmlEncryptor(PrivacyServices privacy) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement)
        {
            ArgumentNullException.ThrowIfNull(plaintextElement);
            var sealedValue = privacy.Cipher.Protect(plaintextElement.ToString(SaveOptions.DisableFormatting), Purpose);
            return new EncryptedXmlInfo(new XElement("hubSealed", sealedValue), typeof(CipherXmlDecryptor));
        }
    }

    /// <summary>Created by the data-protection system from the stored XML's <c>decryptorType</c>, with the app's services.</summary>
    public sealed class CipherXmlDecryptor(IServiceProvider services) : IXmlDecryptor
    {
        public XElement Decrypt(XElement encryptedElement)
        {
            ArgumentNullException.ThrowIfNull(encryptedElement);
            var privacy = services.GetRequiredService<PrivacyServices>();
            return XElement.Parse(privacy.Cipher.Unprotect(encryptedElement.Value, Purpose));
        }
    }
}
