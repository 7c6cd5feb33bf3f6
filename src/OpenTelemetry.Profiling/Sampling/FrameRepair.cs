using System.Buffers.Binary;

namespace OpenTelemetry.Profiling.Sampling;

/// <summary>
/// Puts back the frames a frame-pointer walk loses in x64 JIT code. The JIT gives small methods (few blocks, no
/// loops, at most one call) no frame pointer, and a method in its prologue or epilogue has none yet or any more.
/// The signal handler's walk only follows saved frame pointers, so the caller of each such method is missing: the return
/// address into it sits in the frameless method's own stack frame, which no saved frame pointer leads to.
/// <para>
/// With the sampled thread's registers and a copy of the top of its stack, this walk follows the frame pointers
/// itself and, after every return address into a frameless method, reads that method's prologue (pushes and
/// <c>sub rsp</c>) to find where its own return address lies. Where the stack copy ends, the handler's call chain
/// goes on. Code is read with <c>process_vm_readv</c> on this process, which fails instead of faulting when the
/// memory is gone. Methods the method map does not know (native code, stubs) are taken as framed.
/// </para>
/// </summary>
/// <param name="methodStart">The start of the method whose code holds an address, or 0 when none known does.</param>
/// <param name="classify">What kind of code an address is in (unknown: not code).</param>
/// <param name="readCode">Reads code bytes at an address (tests); by default this process's memory.</param>
internal sealed class FrameRepair(Func<ulong, ulong> methodStart, Func<ulong, CodeKind> classify, Func<ulong, byte[], bool>? readCode = null)
{
    /// <summary>At most this many interrupted addresses are remembered (under half a megabyte); the table starts over when full, as <see cref="Symbols.MethodMap.MaxCachedStarts"/> does.</summary>
    private const int MaxRememberedLeaves = 16_384;

    /// <summary>A method's prologue as far as it moves the stack pointer, decoded once per method.</summary>
    private readonly Dictionary<ulong, Shape> shapes = [];

    /// <summary>The shape of the method at each address seen (null: native code).</summary>
    private readonly Dictionary<ulong, Shape?> byAddress = [];

    /// <summary>
    /// What <see cref="LeafStackAdjustment"/> found at each interrupted address whose method is known: reading the
    /// code there is a system call, once per sample otherwise, and samples of hot code land on the same
    /// instructions again and again.
    /// </summary>
    private readonly Dictionary<ulong, int?> leaves = [];
    private readonly byte[] code = new byte[48];

    /// <summary>Forgets what is known of the methods' prologues (a method was unloaded: its code may be reused).</summary>
    public void ClearCaches()
    {
        this.shapes.Clear();
        this.byAddress.Clear();
        this.leaves.Clear();
    }

    /// <summary>Gets the frames this walk added that the handler's chain did not have (a measure of its use).</summary>
    public long FramesAdded { get; private set; }

    /// <summary>Gets how many times the caller of an on-stack-replacement version was put in place of the leftover address above it.</summary>
    public long ReplacementsBridged { get; private set; }

    /// <summary>
    /// Builds the call chain, leaf first, into <paramref name="output"/>: the handler's <paramref name="chain"/> (user
    /// addresses, leaf first) with the callers of frameless methods put back. Returns the number of addresses written.
    /// </summary>
    /// <param name="chain">The handler's frame-pointer chain, leaf first (the interrupted address, then return addresses).</param>
    /// <param name="ip">The interrupted instruction pointer.</param>
    /// <param name="sp">The interrupted stack pointer, where <paramref name="stack"/> starts.</param>
    /// <param name="bp">The frame pointer the handler's walk started from.</param>
    /// <param name="stack">The copy of the top of the stack.</param>
    /// <param name="output">Receives the repaired chain.</param>
    /// <param name="bridgeFrames">Indexes into <paramref name="chain"/> where the handler found, beyond the stack copy, the record of a frame an on-stack-replacement version may run on top of.</param>
    /// <param name="bridgeReturns">The return address in each of those records: put in place of the chain's address when the frame below is such a version.</param>
    public int Repair(ReadOnlySpan<ulong> chain, ulong ip, ulong sp, ulong bp, ReadOnlySpan<byte> stack, Span<ulong> output, ReadOnlySpan<ushort> bridgeFrames = default, ReadOnlySpan<ulong> bridgeReturns = default)
    {
        if (chain.IsEmpty || stack.IsEmpty || chain[0] != ip)
        {
            return Copy(chain, output);
        }

        int count = 0;
        int framePointerSteps = 0;
        output[count++] = ip;

        // The leaf: in a frameless method, or in a framed one before its frame pointer is set or after it is gone.
        if (this.LeafStackAdjustment(ip) is { } adjustment)
        {
            ulong slot = sp + (ulong)adjustment;
            if (!TryRead(stack, sp, slot, out ulong ret) || !this.IsCode(ret))
            {
                return Copy(chain, output);
            }

            output[count++] = ret;
            if (!this.FollowFrameless(stack, sp, ret, slot + 8, output, ref count))
            {
                return this.Finish(chain, output, count, framePointerSteps, bridgeFrames, bridgeReturns);
            }
        }

        // Saved frame pointers (the records the handler walked too), with the frameless methods between them.
        while (count < output.Length && framePointerSteps < chain.Length - 1)
        {
            if (!TryRead(stack, sp, bp, out ulong saved) || !TryRead(stack, sp, bp + 8, out ulong ret) || ret != chain[1 + framePointerSteps])
            {
                break;
            }

            int chainIndex = 1 + framePointerSteps;
            framePointerSteps++;
            ulong? frameBottom = bp + 16;

            // The record of a method's on-stack-replacement version links to its caller's frame, but its return
            // address is a leftover pointing into the version it left (tier 0): the return into the caller is in
            // the record of that version's frame, which stays on the stack above. Without it the caller is lost.
            if (this.IsReplacementBody(output[count - 1], isLeaf: count == 1))
            {
                if (LeftVersionRecord(stack, sp, bp, saved) is { } record && TryRead(stack, sp, record + 8, out ulong intoCaller) && this.IsCode(intoCaller))
                {
                    ret = intoCaller;
                    frameBottom = record + 16;
                    this.ReplacementsBridged++;
                }
                else if (this.Bridge(chainIndex, bridgeFrames, bridgeReturns) is { } found)
                {
                    // The record is beyond the copy, where the handler found it; whether the caller is frameless is not known there.
                    ret = found;
                    frameBottom = null;
                    this.ReplacementsBridged++;
                }
            }

            output[count++] = ret;
            if (frameBottom is null || !this.FollowFrameless(stack, sp, ret, frameBottom.Value, output, ref count) || saved <= bp)
            {
                break;
            }

            bp = saved;
        }

        return this.Finish(chain, output, count, framePointerSteps, bridgeFrames, bridgeReturns);
    }

    /// <summary>
    /// Decodes the moves of the stack pointer at the start of a method's code: pushes, <c>sub rsp</c>, and where the
    /// frame pointer is set. An on-stack-replacement version (the optimized code a tier-0 method with a loop moves
    /// to in the middle of it) starts with <c>mov rax, [rbp]; push rax</c>: it runs on top of the frame of the
    /// version it left and pushes a copy of that frame's saved frame pointer as its own record's link.
    /// </summary>
    internal static Shape Decode(ReadOnlySpan<byte> code)
    {
        var steps = new List<(int End, int Adjustment)>();
        int offset = 0;
        int adjustment = 0;
        bool framed = false;
        bool replacement = code.Length > 12 && code[0] == 0x48 && code[1] == 0x8B && code[2] == 0x45 && code[3] == 0x00 && code[4] == 0x50;
        if (replacement)
        {
            framed = true;
            adjustment = 8;
            offset = 5;
            steps.Add((offset, adjustment));
        }
        while (offset < code.Length - 7 && steps.Count < 16)
        {
            byte b = code[offset];
            if (StackStep(code[offset..], grows: true) is { } step)
            {
                framed |= step.FramePointer;
                adjustment += step.Bytes;
                offset += step.Length;
            }
            else if (framed && b == 0x48 && ((code[offset + 1] == 0x8B && code[offset + 2] == 0xEC) || (code[offset + 1] == 0x89 && code[offset + 2] == 0xE5)))
            {
                // mov rbp, rsp: the frame pointer is set.
                offset += 3;
                steps.Add((offset, adjustment));
                return new Shape(true, adjustment, offset, [.. steps], replacement);
            }
            else if (framed && b == 0x48 && code[offset + 1] == 0x8D && code[offset + 2] is 0x6C or 0xAC && code[offset + 3] == 0x24)
            {
                // lea rbp, [rsp+disp8/disp32]: the frame pointer is set.
                offset += code[offset + 2] == 0x6C ? 5 : 8;
                steps.Add((offset, adjustment));
                return new Shape(true, adjustment, offset, [.. steps], replacement);
            }
            else
            {
                break;
            }

            steps.Add((offset, adjustment));
        }

        // A framed method whose frame pointer was not seen being set is trusted to have one (no repair).
        return new Shape(framed, adjustment, framed ? 0 : offset, [.. steps], replacement);
    }

    /// <summary>
    /// How far above the stack pointer the epilogue at the start of <paramref name="code"/> finds the return
    /// address (add rsp, pops, then ret or a tail-call jmp), and whether it pops the frame pointer on the way;
    /// null when the code there is not an epilogue.
    /// </summary>
    internal static (int Adjustment, bool PopsFramePointer)? Epilogue(ReadOnlySpan<byte> code)
    {
        int offset = 0;
        int adjustment = 0;
        bool popsFramePointer = false;
        for (int i = 0; i < 12 && offset < code.Length - 7; i++)
        {
            byte b = code[offset];
            if (b == 0xC3 || (offset > 0 && (b == 0xE9 || (b == 0xFF && code[offset + 1] == 0xE0))))
            {
                // ret, or the jmp of a tail call once something was popped (a jmp alone is just a jump).
                return (adjustment, popsFramePointer);
            }

            if (StackStep(code[offset..], grows: false) is { } step)
            {
                popsFramePointer |= step.FramePointer;
                adjustment += step.Bytes;
                offset += step.Length;
            }
            else
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// Decodes one instruction that moves the stack pointer, at the start of <paramref name="code"/> (at least 8
    /// bytes): a push (or, when <paramref name="grows"/> is false, a pop) of a register, with or without a REX
    /// prefix, or a <c>sub rsp</c> (<c>add rsp</c>) with an 8- or 32-bit immediate. Returns the bytes it moves,
    /// its length and whether it pushes (pops) the frame pointer; null for any other instruction.
    /// </summary>
    private static (int Bytes, int Length, bool FramePointer)? StackStep(ReadOnlySpan<byte> code, bool grows)
    {
        byte register = grows ? (byte)0x50 : (byte)0x58; // push r / pop r: 0x50+r / 0x58+r; rbp is r = 5
        byte modRm = grows ? (byte)0xEC : (byte)0xC4;    // sub rsp / add rsp: 48 83|81 /5 or /0 on rsp
        byte b = code[0];
        if (b >= register && b <= register + 7)
        {
            return (8, 1, b == register + 5);
        }

        if (b == 0x41 && code[1] >= register && code[1] <= register + 7)
        {
            return (8, 2, false);
        }

        if (b == 0x48 && code[1] == 0x83 && code[2] == modRm)
        {
            return (code[3], 4, false);
        }

        if (b == 0x48 && code[1] == 0x81 && code[2] == modRm)
        {
            return (BinaryPrimitives.ReadInt32LittleEndian(code[3..]), 7, false);
        }

        return null;
    }

    private static int Copy(ReadOnlySpan<ulong> chain, Span<ulong> output)
    {
        int count = Math.Min(chain.Length, output.Length);
        chain[..count].CopyTo(output);
        return count;
    }

    private static bool TryRead(ReadOnlySpan<byte> stack, ulong sp, ulong address, out ulong value)
    {
        value = 0;
        if (address < sp || address - sp > (ulong)stack.Length - 8 || stack.Length < 8)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt64LittleEndian(stack[(int)(address - sp)..]);
        return true;
    }

    /// <summary>
    /// Where the copy ends, the handler's chain goes on from the frame-pointer record this walk stopped at, with the
    /// callers of on-stack-replacement versions the handler found put in place of the leftover addresses.
    /// </summary>
    private int Finish(ReadOnlySpan<ulong> chain, Span<ulong> output, int count, int framePointerSteps, ReadOnlySpan<ushort> bridgeFrames, ReadOnlySpan<ulong> bridgeReturns)
    {
        int next = 1 + framePointerSteps;
        int rest = Math.Max(0, Math.Min(chain.Length - next, output.Length - count));
        int written = count + rest;
        for (int i = next; i < next + rest; i++)
        {
            ulong address = chain[i];
            // The handler's slot first: most chains have none, and then no frame's shape is looked up.
            if (count > 0 && this.Bridge(i, bridgeFrames, bridgeReturns) is { } found && this.IsReplacementBody(output[count - 1], isLeaf: count == 1))
            {
                address = found;
                this.ReplacementsBridged++;
            }

            output[count++] = address;
        }

        this.FramesAdded += Math.Max(0, written - chain.Length);
        return written;
    }

    /// <summary>The return address the handler found for the chain's frame at <paramref name="index"/>, when it found one and it is code.</summary>
    private ulong? Bridge(int index, ReadOnlySpan<ushort> bridgeFrames, ReadOnlySpan<ulong> bridgeReturns)
    {
        int bridge = bridgeFrames.IndexOf((ushort)index);
        return bridge >= 0 && bridge < bridgeReturns.Length && this.IsCode(bridgeReturns[bridge]) ? bridgeReturns[bridge] : null;
    }

    /// <summary>After a return address into a frameless method, adds its callers' return addresses; false when the stack copy ran out.</summary>
    private bool FollowFrameless(ReadOnlySpan<byte> stack, ulong sp, ulong ret, ulong frameBottom, Span<ulong> output, ref int count)
    {
        for (int i = 0; i < 16 && count < output.Length; i++)
        {
            var shape = this.ShapeOf(ret);
            if (shape is null || shape.Framed)
            {
                return true;
            }

            ulong slot = frameBottom + (ulong)shape.FrameSize;
            if (!TryRead(stack, sp, slot, out ret) || !this.IsCode(ret))
            {
                return false;
            }

            output[count++] = ret;
            frameBottom = slot + 8;
        }

        return true;
    }

    /// <summary>
    /// Whether an address is in the body of an on-stack-replacement version, past its prologue: there the frame
    /// pointer is its own record. (In the prologue it is still the record of the version it left, which holds the
    /// return into the caller itself.)
    /// </summary>
    private bool IsReplacementBody(ulong address, bool isLeaf)
    {
        if (this.ShapeOf(address) is not { Replacement: true } shape)
        {
            return false;
        }

        return !isLeaf || address - methodStart(address) >= (ulong)shape.PrologueEnd;
    }

    /// <summary>
    /// The record of the frame an on-stack-replacement version runs on top of: the first slot above the version's
    /// own record (at <paramref name="bp"/>) that holds the same link, <paramref name="saved"/>, below the record
    /// that link points to; null when the stack copy does not reach it.
    /// </summary>
    private static ulong? LeftVersionRecord(ReadOnlySpan<byte> stack, ulong sp, ulong bp, ulong saved)
    {
        for (ulong slot = bp + 16; slot + 16 <= saved; slot += 8)
        {
            if (!TryRead(stack, sp, slot, out ulong value))
            {
                return null;
            }

            if (value == saved)
            {
                return slot;
            }
        }

        return null;
    }

    /// <summary>Bytes the leaf's method has pushed or allocated when its return address is not behind a frame pointer; null when it is.</summary>
    private int? LeafStackAdjustment(ulong ip)
    {
        if (this.leaves.TryGetValue(ip, out int? known))
        {
            return known;
        }

        ulong start = methodStart(ip);
        if (start == 0 || this.ShapeOf(ip) is not { } shape || !this.ReadCode(ip, this.code))
        {
            return null; // not remembered: the method may be named later, or its code readable
        }

        if (this.leaves.Count >= MaxRememberedLeaves)
        {
            this.leaves.Clear();
        }

        int? adjustment = LeafStackAdjustmentAt(shape, (int)(ip - start), this.code);
        this.leaves[ip] = adjustment;
        return adjustment;
    }

    /// <summary>The leaf's adjustment at <paramref name="offset"/> into a method of <paramref name="shape"/>, with the code at that offset.</summary>
    private static int? LeafStackAdjustmentAt(Shape shape, int offset, ReadOnlySpan<byte> code)
    {
        if (offset < shape.PrologueEnd)
        {
            if (shape.Replacement)
            {
                return null; // the frame pointer is still the left version's, whose record holds the return into the caller
            }

            // In the prologue: what the instructions before the leaf's address have done.
            int done = 0;
            foreach (var (end, adjustment) in shape.Steps)
            {
                if (end <= offset)
                {
                    done = adjustment;
                }
            }

            return done;
        }

        if (Epilogue(code) is { } epilogue)
        {
            // In the epilogue: framed methods still have their frame pointer until it is popped.
            return shape.Framed && epilogue.PopsFramePointer ? null : epilogue.Adjustment;
        }

        return shape.Framed ? null : shape.FrameSize;
    }

    private Shape? ShapeOf(ulong address)
    {
        // Return addresses repeat from sample to sample: each is looked up in the method map once.
        if (this.byAddress.TryGetValue(address, out var known))
        {
            return known;
        }

        var shape = this.ShapeOfMethodAt(address);
        if (shape is null && classify(address) != CodeKind.Native)
        {
            // Not known yet: a method just compiled is named by an event that may still be on its way.
            return null;
        }

        if (this.byAddress.Count >= 100_000)
        {
            this.byAddress.Clear();
        }

        this.byAddress[address] = shape;
        return shape;
    }

    private Shape? ShapeOfMethodAt(ulong address)
    {
        ulong start = methodStart(address);
        if (start == 0)
        {
            return null;
        }

        if (!this.shapes.TryGetValue(start, out var shape))
        {
            if (!this.ReadCode(start, this.code))
            {
                return null;
            }

            if (this.shapes.Count >= 200_000)
            {
                this.shapes.Clear();
            }

            shape = Decode(this.code);
            this.shapes[start] = shape;
        }

        return shape;
    }

    private bool IsCode(ulong address) => classify(address) != CodeKind.Unknown;

    private bool ReadCode(ulong address, byte[] destination) =>
        this.IsCode(address) && (readCode ?? NativeSamplerInterop.ReadOwnMemory)(address, destination);

    /// <summary>A method's prologue: framed or not, the bytes it moves the stack pointer by, where it ends, and each step.</summary>
    internal sealed record Shape(bool Framed, int FrameSize, int PrologueEnd, (int End, int Adjustment)[] Steps, bool Replacement = false);
}
