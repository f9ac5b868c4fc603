using System.CommandLine;
using System.Security.Cryptography;
using FaceSwap.Silo.Api.Security;

namespace FaceSwap.Cli.Commands;

/// <summary>`faceswap keys new|hash`: API keys for the host's configuration, which holds only their SHA-256.</summary>
public static class KeysCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Who holds the key", DefaultValueFactory = _ => "client" };
        var role = new Option<string>("--role") { Description = "What the key may do", DefaultValueFactory = _ => ApiRoles.Submit }
            .AcceptOnlyFromAmong(ApiRoles.Read, ApiRoles.Submit, ApiRoles.Admin);
        var create = new Command("new", "Make a random API key and print it with the configuration lines that accept it") { name, role };
        create.SetAction(parse =>
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            Console.WriteLine($"key (give it to the client; it is not stored anywhere): {key}");
            Console.WriteLine("configuration (environment variables of the host; N is the key's index):");
            Console.WriteLine($"  Api__Keys__N__Name={parse.GetValue(name)}");
            Console.WriteLine($"  Api__Keys__N__Role={parse.GetValue(role)}");
            Console.WriteLine($"  Api__Keys__N__Sha256={ApiKeyOptions.Hash(key)}");
            return 0;
        });

        var keyArgument = new Argument<string>("KEY") { Description = "The key to hash" };
        var hash = new Command("hash", "Print the SHA-256 of a key, the form Api:Keys:N:Sha256 holds") { keyArgument };
        hash.SetAction(parse =>
        {
            Console.WriteLine(ApiKeyOptions.Hash(parse.GetValue(keyArgument)!));
            return 0;
        });

        return new Command("keys", "API keys for `faceswap serve` and the silo host") { create, hash };
    }
}
