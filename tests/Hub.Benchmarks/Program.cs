using BenchmarkDotNet.Running;
using Hub.Benchmarks;

// dotnet run -c Release --project tests/Hub.Benchmarks -- micro [BenchmarkDotNet args]
// dotnet run -c Release --project tests/Hub.Benchmarks -- load [--seconds N] [--concurrency N] [--processor on|off]
// dotnet run -c Release --project tests/Hub.Benchmarks -- chat [--seconds N] [--concurrency N]   (Messenger/Zalo webhook -> 200)
// dotnet run -c Release --project tests/Hub.Benchmarks -- all [--seconds N] [--rates 25,50,100] [--concurrency N] [--processor on]   (every channel, fixed rates + saturated, beside the storage floor)
// dotnet run -c Release --project tests/Hub.Benchmarks -- cases [--reports N] [--concurrency N] [--cases N] [--open N] [--queries N] [--only throughput|scale]   (the case store on PostgreSQL)
// dotnet run -c Release --project tests/Hub.Benchmarks -- console [--cases N] [--open N] [--queries N] [--reports N] [--waiters N] [--rounds N]   (the operator API and console pages over HTTP, signed in)
// dotnet run -c Release --project tests/Hub.Benchmarks -- stats [--cases N] [--queries N]   (the Thống kê page's figures and the annual report on the case store)
// dotnet run -c Release --project tests/Hub.Benchmarks -- hashes [--sizes 1000000,10000000] [--queries N] [--images N]   (PDQ and the hash index)
// dotnet run -c Release --project tests/Hub.Benchmarks -- hashapi [--bank N] [--seconds N] [--concurrency N]   (POST /api/platform/v1/hashes/match with 1,000 hashes, beside the matcher in process)
// dotnet run -c Release --project tests/Hub.Benchmarks -- platform [--seconds N] [--concurrency N] [--batch-concurrency N] [--processor on|off]
return args.FirstOrDefault() switch
{
    "micro" => RunMicro(args[1..]),
    "load" => await LoadRun.RunAsync(args[1..]),
    "chat" => await LoadRun.RunAsync(args[1..], chat: true),
    "platform" => await LoadRun.RunAsync(args[1..], platform: true),
    "all" => await LoadRun.RunAsync(args[1..], all: true),
    "cases" => await CaseBenchmarks.RunAsync(args[1..]),
    "console" => await ConsoleBenchmarks.RunAsync(args[1..]),
    "stats" => await StatsBenchmarks.RunAsync(args[1..]),
    "hashes" => await HashBenchmarks.RunAsync(args[1..]),
    "hashapi" => await LoadRun.RunAsync([.. args[1..], "off"], hashApi: true),
    _ => Usage(),
};

static int RunMicro(string[] rest)
{
    BenchmarkSwitcher.FromAssembly(typeof(TwilioSmsPathBenchmarks).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest);
    return 0;
}

static int Usage()
{
    Console.WriteLine("usage: micro [BenchmarkDotNet args] | all [--rates 25,50,100] | cases [--cases N] | console [--cases N] | stats [--cases N] | hashes [--sizes N,N] | load|chat|platform [--seconds N] [--concurrency N] [--processor on|off]");
    return 2;
}
