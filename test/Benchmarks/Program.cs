// Micro-benchmarks of the profiler's hot paths. Pass BenchmarkDotNet arguments, e.g.
//   dotnet run -c Release --project test/Benchmarks -- --filter '*Ingestion*' --job short
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
