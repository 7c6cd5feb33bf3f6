// What a running .NET process holds on its GC heap, by type and generation: attaches with ClrMD (the process is
// suspended while the heap is walked, a second or two), and prints the types with the most bytes in the chosen
// generation, live or not (the walk sees every object the GC has not swept yet).
//
//   dotnet run build/probes/heap-types.cs -- <pid> [generation=2] [top=30] [strings]
//
// With "strings", the most frequent string values in that generation follow (what a pile of strings is).
//
// Used to find what a profiled process keeps that an unprofiled one does not: run it on both twins at the
// same age and compare. Needs ptrace rights over the process (root, or the same user with ptrace_scope 0).
#:package Microsoft.Diagnostics.Runtime
#:property PublishAot=false
using System.Globalization;
using Microsoft.Diagnostics.Runtime;

int pid = int.Parse(args[0], CultureInfo.InvariantCulture);
int wanted = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
int top = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
bool strings = args.Length > 3 && args[3] == "strings";
var stringValues = new Dictionary<string, int>();

using var target = DataTarget.AttachToProcess(pid, suspend: true);
// The target runs on this machine's runtime: its DAC is beside the one running this probe.
string dac = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "libmscordaccore.so");
using var runtime = target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true);
var heap = runtime.Heap;
var byType = new Dictionary<string, (long Count, long Bytes)>();
var generations = new long[5];
foreach (var obj in heap.EnumerateObjects())
{
    if (!obj.IsValid || obj.Type is null)
    {
        continue;
    }

    var segment = heap.GetSegmentByAddress(obj.Address);
    int generation = segment is null ? -1 : GenerationOf(segment.GetGeneration(obj.Address));
    long size = (long)obj.Size;
    if (generation >= 0)
    {
        generations[generation] += size;
    }

    if (generation != wanted)
    {
        continue;
    }

    string name = obj.Type.Name ?? "?";
    if (strings && obj.Type.IsString && obj.AsString(maxLength: 120) is { } value)
    {
        stringValues[value] = stringValues.GetValueOrDefault(value) + 1;
    }

    byType[name] = byType.TryGetValue(name, out var sum) ? (sum.Count + 1, sum.Bytes + size) : (1, size);
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"heap of {pid} by generation (MB): gen0 {generations[0] / 1e6:F1}, gen1 {generations[1] / 1e6:F1}, gen2 {generations[2] / 1e6:F1}, loh {generations[3] / 1e6:F1}, poh {generations[4] / 1e6:F1}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"top {top} types in generation {wanted} by bytes:"));
foreach (var (name, (count, bytes)) in byType.OrderByDescending(pair => pair.Value.Bytes).Take(top))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bytes,12:N0} B {count,9:N0}  {name}"));
}

if (strings)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"top {top} string values in generation {wanted} ({stringValues.Count:N0} distinct):"));
    foreach (var (value, count) in stringValues.OrderByDescending(pair => pair.Value).Take(top))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count,9:N0}  {value}"));
    }
}

// ClrMD's generations: 0-2, then the large and pinned object heaps (and frozen, counted as pinned here).
static int GenerationOf(Generation generation) => generation switch
{
    Generation.Generation0 => 0,
    Generation.Generation1 => 1,
    Generation.Generation2 => 2,
    Generation.Large => 3,
    Generation.Pinned => 4,
    _ => -1,
};
